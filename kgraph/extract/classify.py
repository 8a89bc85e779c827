"""What a link points at: a paper, dataset, code, video, news article, blog post, page...

The URL decides where it can (arXiv, DOI, GitHub...); where it cannot, the page's own words
decide ("[Preprint]", "Reuters [article]", "[video]"). The name comes from the line, not from a
generic anchor word: "ICLR [paper](…) - The Lottery Ticket Hypothesis" names the paper
"The Lottery Ticket Hypothesis" with venue ICLR.
"""

from __future__ import annotations

import re
from difflib import SequenceMatcher
from functools import lru_cache
from itertools import islice

from kgraph.extract.datasets import NamedDataset, dataset_at_url, known_dataset, looks_like_dataset_name
from kgraph.extract.orgs import OrgTable
from kgraph.extract.urls import arxiv_id, canonical_url, doi_of, host_of, path_of
from kgraph.model import Link, Organization, Work

__all__ = ["classify", "KINDS", "is_generic_anchor", "names_on_line", "misspells"]

KINDS = ("paper", "dataset", "code", "video", "news", "blog", "wikipedia", "social", "page", "episode")

PAPER_HOSTS = (
    "arxiv.org",
    "openreview.net",
    "aclanthology.org",
    "aclweb.org",
    "proceedings.neurips.cc",
    "papers.nips.cc",
    "neurips.cc/paper",
    "neurips.cc/paper_files",
    "proceedings.mlr.press",
    "jmlr.org",
    "dl.acm.org",
    "ieeexplore.ieee.org",
    "link.springer.com",
    "nature.com",
    "chemrxiv.org",
    "hdsr.mitpress.mit.edu",
    "direct.mit.edu",
    "pmc.ncbi.nlm.nih.gov",
    "ui.adsabs.harvard.edu",
    "philarchive.org",
    "aclweb.org/anthology",
    "science.org",
    "sciencemag.org",
    "papers.ssrn.com",
    "ssrn.com",
    "biorxiv.org",
    "medrxiv.org",
    "doi.org",
    "semanticscholar.org",
    "ncbi.nlm.nih.gov",
    "pubmed.ncbi.nlm.nih.gov",
    "sciencedirect.com",
    "ojs.aaai.org",
    "aaai.org",
    "ijcai.org",
    "openaccess.thecvf.com",
    "pnas.org",
    "journals.plos.org",
    "cell.com",
    "onlinelibrary.wiley.com",
    "tandfonline.com",
    "journals.sagepub.com",
    "academic.oup.com",
    "philpapers.org",
    "researchgate.net/publication",
    "iopscience.iop.org",
    "mdpi.com",
    "scirp.org",
    "frontiersin.org",
    "cambridge.org/core",
    "jstor.org",
    "psycnet.apa.org",
    "hal.science",
    "osf.io",
    "escholarship.org",
    "plos.org",
    "royalsocietypublishing.org",
    "annualreviews.org",
    "arxiv-export-lb.library.cornell.edu",
    "jair.org",
    "transformer-circuits.pub/20",
    "distill.pub/20",
    "aisel.aisnet.org",
    "dl.gi.de",
    "papers.cool",
    "hindawi.com/journals",
)
DATASET_HOSTS = (
    "kaggle.com/datasets",
    "huggingface.co/datasets",
    "paperswithcode.com/dataset",
    "archive.ics.uci.edu",
    "data.gov",
    "zenodo.org",
    "datasetsearch.research.google.com",
    "catalog.data.gov",
    "ourworldindata.org/grapher",
)
CODE_HOSTS = (
    "github.com",
    "gitlab.com",
    "bitbucket.org",
    "codeberg.org",
    "huggingface.co",
    "pypi.org/project",
    "colab.research.google.com",
    "sourceforge.net",
)
VIDEO_HOSTS = (
    "youtube.com",
    "vimeo.com",
    "ted.com/talks",
    "tiktok.com",
    "twitch.tv",
    "dailymotion.com",
    "loom.com",
    "youtube-nocookie.com",
    "c-span.org/video",
)
BLOG_HOSTS = (
    "substack.com",
    "medium.com",
    "lesswrong.com",
    "alignmentforum.org",
    "forum.effectivealtruism.org",
    "blogspot.com",
    "wordpress.com",
    "ghost.io",
    "greaterwrong.com",
    "mirror.xyz",
    "hashnode.dev",
    "bearblog.dev",
    "astralcodexten.com",
    "marginalrevolution.com",
    "garymarcus.substack.com",
)
SOCIAL_HOSTS = (
    "x.com",
    "twitter.com",
    "bsky.app",
    "mastodon.social",
    "threads.net",
    "linkedin.com/posts",
    "linkedin.com/feed",
    "reddit.com",
    "facebook.com",
    "instagram.com",
    "news.ycombinator.com",
)
NEWS_KINDS = ("news",)

# Anchor words that say what a link is rather than naming it.
KIND_WORDS = {
    "paper": "paper",
    "papers": "paper",
    "preprint": "paper",
    "pre-print": "paper",
    "publication": "paper",
    "study": "paper",
    "arxiv": "paper",
    "journal article": "paper",
    "conference paper": "paper",
    "working paper": "paper",
    "thesis": "paper",
    "dissertation": "paper",
    "pdf": "",
    "dataset": "dataset",
    "data": "dataset",
    "data set": "dataset",
    "benchmark": "dataset",
    "code": "code",
    "repo": "code",
    "repository": "code",
    "github": "code",
    "library": "code",
    "tool": "code",
    "video": "video",
    "talk": "video",
    "lecture": "video",
    "livestream": "video",
    "clip": "video",
    "interview": "",
    "podcast": "",
    "episode": "",
    "article": "",
    "news": "news",
    "news article": "news",
    "op-ed": "news",
    "opinion": "news",
    "column": "news",
    "blog": "blog",
    "blogpost": "blog",
    "blog post": "blog",
    "post": "blog",
    "newsletter": "blog",
    "essay": "blog",
    "substack": "blog",
    "thread": "social",
    "tweet": "social",
    "skeet": "social",
    "website": "page",
    "site": "page",
    "homepage": "page",
    "page": "page",
    "webpage": "page",
    "report": "page",
    "brief": "page",
    "policy brief": "page",
    "issue brief": "page",
    "press release": "page",
    "announcement": "page",
    "statement": "page",
    "letter": "page",
    "open letter": "page",
    "speech": "page",
    "testimony": "page",
    "bill": "page",
    "law": "page",
    "policy": "page",
    "guide": "page",
    "documentation": "page",
    "docs": "page",
    "wiki": "wikipedia",
    "projects": "page",
    "project": "page",
    "transcript": "page",
    "slides": "page",
    "book": "page",
    "link": "",
    "here": "",
    "this": "",
    "source": "",
    "summary": "",
    "entry": "",
    "groups finder": "page",
    "ebook": "page",
    "e-book": "page",
    "system card": "page",
    "model card": "page",
    "leaderboard": "page",
    "course": "page",
    "event": "page",
    "explainer": "page",
    "survey": "page",  # an opinion survey or poll; a literature survey is on a paper host anyway
    "poll": "page",
    "petition": "page",
    "job posting": "page",
    "investigation": "news",  # 'Lighthouse Reports [investigation](…)': a newsroom's piece
    "standard": "page",  # 'ISO [standard](…)'
    "overview": "page",
    "fact sheet": "page",
    "tracker": "page",  # 'White & Case global regulatory [tracker]': a page that follows laws or events
}
VENUES = {
    "iclr",
    "neurips",
    "nips",
    "icml",
    "acl",
    "emnlp",
    "naacl",
    "aaai",
    "ijcai",
    "cvpr",
    "iccv",
    "eccv",
    "facct",
    "aies",
    "colm",
    "tmlr",
    "jmlr",
    "uai",
    "aistats",
    "corl",
    "kdd",
    "www",
    "chi",
    "iaseai",
    "sigir",
    "coling",
    "nature",
    "science",
    "pnas",
    "preprint",
    "arxiv",
    "workshop",
    "eacl",
    "findings",
    "interspeech",
    "icra",
}


# The regexes of this module, compiled once (classify runs for every link of every page).
_YEAR = re.compile(r"\d{4}")
_RESEARCH_PUBLICATION = re.compile(r"/research/publications/[^/]+|/research-papers?/[^/]+")
# Open Journal Systems, the platform of thousands of journals (First Monday, JAIR, AAAI's OJS):
# an article's page is always '/index.php/<journal>/article/view/<id>' (download/ for its file).
_OJS_ARTICLE = re.compile(r"/index\.php/[^/]+/article/(?:view|download)/\d+")
# A university's host ('csc.ucdavis.edu', 'www2.stat.duke.edu', 'ox.ac.uk', 'unimelb.edu.au')
_ACADEMIC_HOST = re.compile(r"(?:^|\.)[\w-]+\.(?:edu|ac\.[a-z]{2}|edu\.[a-z]{2})$")
# ...and a file under its publications: '/~cmg/compmech/pubs/CalcEmerg.htm', '/Courses/Stat376/Papers/x.pdf'
_ACADEMIC_PUBS = re.compile(r"/(?:pubs|publications|papers)/(?:[^/]+/)*[^/]+\.(?:pdf|html?|ps)$", re.I)
# A numbered citation's anchor: '[3](…)', '[[2](…),[3](…)]'
_CITATION_NUMBER = re.compile(r"\[?\d{1,3}\]?")
_BLOG_URL = re.compile(r"(^|\.)blog\.|/blog/|/posts?/")
_WORD = re.compile(r"\w+")
_VENUE_WORD = re.compile(r"[\w-]+")
_SEPARATOR = re.compile(r"^\s*[-–—:|]\s*")  # ' - Title' after a link
_STARTS_WITH_SEPARATOR = re.compile(r"^\s*[-–—:|]")
_QUOTED = re.compile(r"[“\"]([^”\"]{8,300}?)[.,]?[”\"]")
_DASH = re.compile(r"\s+[-–—]\s+")
_POSSESSIVE = re.compile(r"['’]s$")
_NAME_WORD = re.compile(r"[a-z0-9]+")
_DATASET_HOST = re.compile(r"(^|[.-])datasets?[.-]")
_PAPER_CONTEXT = re.compile(r"paper|preprint|proceedings|journal", re.I)
_BOOK = re.compile(r"(e-?)?book", re.I)
# Words before an anchor's last word that make it the topic of a how-to title, not what the link is.
_ABOUT_THE_KIND = re.compile(r"\b(?:how to|guide to|tips (?:for|on)|read|reading|write|writing)\b")


@lru_cache(maxsize=65536)
def is_generic_anchor(text: str) -> bool:
    """True when the anchor only says what kind of thing a link is ('paper', 'ICLR', 'here')."""
    t = text.strip().lower().strip("[]().:")
    if not t or t in KIND_WORDS or t.startswith(("http://", "https://")):
        return True
    words = t.replace("/", " ").split()
    return all(w in VENUES or _YEAR.fullmatch(w) or w in KIND_WORDS for w in words) and len(words) <= 3


def _matches(host: str, path: str, patterns: tuple[str, ...]) -> bool:
    full = host + path
    for p in patterns:
        if "/" in p:
            if full.startswith(p):
                return True
        elif host == p or host.endswith("." + p):
            return True
    return False


@lru_cache(maxsize=65536)
def kind_from_url(url: str) -> str:
    """The kind a URL alone implies, '' when it does not say."""
    host, path = host_of(url), path_of(url)
    if arxiv_id(url) or doi_of(url):
        return "paper"
    if _matches(host, path, DATASET_HOSTS):
        return "dataset"
    if host.endswith("wikipedia.org"):
        return "wikipedia"
    if _matches(host, path, VIDEO_HOSTS):
        return "video"
    if path.strip("/") and (
        _matches(host, path, PAPER_HOSTS)
        or host.startswith("journals.")
        or _RESEARCH_PUBLICATION.search(path)
        or _OJS_ARTICLE.search(path)
        or _ACADEMIC_HOST.search(host)
        and _ACADEMIC_PUBS.search(path)
    ):
        return "paper"
    if host in ("github.com", "gitlab.com", "codeberg.org", "bitbucket.org"):
        return "code" if len([p for p in path.split("/") if p]) >= 2 else "page"
    if host == "huggingface.co":
        segs = [p for p in path.split("/") if p]
        return (
            "code"
            if len(segs) == 2 and segs[0] not in ("blog", "docs", "papers", "spaces", "learn")
            else ("paper" if segs[:1] == ["papers"] else "blog" if segs[:1] == ["blog"] else "page")
        )
    if _matches(host, path, CODE_HOSTS):
        return "code"
    if _matches(host, path, SOCIAL_HOSTS):
        return "social"
    if _matches(host, path, BLOG_HOSTS) or _BLOG_URL.search(host + path):
        return "blog"
    return ""


def _titles_a_post(link: Link, host: str, path: str) -> bool:
    """A forum or blog platform's link (LessWrong, the Alignment Forum, Medium, Substack) whose
    anchor is a title, not a bare kind word: the title may speak of a paper ('New paper shows
    ...', 'Thoughts on the sleeper agents paper') but the link is the post about it."""
    return _matches(host, path, BLOG_HOSTS) and not is_generic_anchor(link.text) and bool(_anchor_kind(link.text))


def kind_from_words(link: Link) -> str:
    """The kind the page's words give the link: its anchor or the word that follows it."""
    kind = _anchor_kind(link.text)
    if kind:
        return kind
    around = (link.lead + " " + link.tail).lower()
    if ("paper" in around or "preprint" in around) and any(
        m.group() in ("preprint", "paper") for m in islice(_WORD.finditer(around), 4)
    ):
        return "paper"
    return ""


@lru_cache(maxsize=65536)
def _anchor_kind(text: str) -> str:
    """The kind an anchor's words name ('[preprint]', '[blog post]', '[Anthropic's paper]'), ''
    when none does. Only the anchor's head, its last word or two-word phrase (past neutral words
    like 'pdf' or 'link'), says what the link is: a kind word earlier in the anchor is part of a
    name or title ('arXiv Sanity Lite', 'Data Machina', 'New paper shows ...')."""
    t = text.strip().lower().strip("[]().:")
    if t in KIND_WORDS and KIND_WORDS[t]:
        return KIND_WORDS[t]
    words = [w.strip("()[],.:;") for w in t.split()]
    while words and KIND_WORDS.get(words[-1]) == "" and len(words) > 1:
        words.pop()  # '[AI Safety paper PDF]', '[the study link]'
    if len(words) > 2 and _ABOUT_THE_KIND.search(" ".join(words[:-1])):
        return ""  # 'How to read a scientific paper', 'A guide to reading research papers': a how-to
    for phrase in (" ".join(words[-2:]), words[-1] if words else ""):
        if KIND_WORDS.get(phrase):
            return KIND_WORDS[phrase]
    return ""


def _is_academic_citation(link: Link, host: str) -> bool:
    """A PDF on a university's site cited by number ('... decreases risk [[2](…),[3](….mit.edu/….pdf)]')
    is a scholarly work: numbered citations are how papers and essays point at the literature."""
    return bool(_CITATION_NUMBER.fullmatch(link.text.strip()) and _ACADEMIC_HOST.search(host))


def work_name(link: Link, url: str) -> tuple[str, str]:
    """(name, venue) for a link: the line's title when the anchor is only a kind or venue word."""
    anchor = link.text.strip()
    venue = ""
    generic = is_generic_anchor(anchor)
    if generic:
        words = [w for w in _VENUE_WORD.findall(anchor.lower()) if w in VENUES]
        venue = anchor if words else ""
    tail = _SEPARATOR.sub("", link.tail).strip() if _STARTS_WITH_SEPARATOR.match(link.tail) else ""
    tail = tail.strip(" \"'“”")
    lead = link.lead.strip()
    if generic:
        lead_venue = lead.split()[-1] if lead.split() else ""
        if lead_venue.lower() in VENUES and not venue:
            venue = lead_venue
        if tail:
            return tail, venue
        if lead and len(lead.split()) <= 6 and not lead.endswith(("+", ",", "and")) and lead[0].isupper():
            return lead, venue
        quoted = _QUOTED.search(link.context)
        if quoted:
            return quoted.group(1).strip(), venue
        if link.context and link.context != anchor and len(link.context) <= 300:
            return link.context, venue
        return url, venue
    return anchor, venue


def publisher_name(link: Link, kind: str) -> str:
    """The organization a line names before a kind word: 'Reuters' in 'Reuters [article](...)',
    and 'The Information' in 'The Information article - [Title](...)'."""
    lead = link.lead.strip()
    if not lead:
        return ""
    generic = is_generic_anchor(link.text)
    if not generic and not _LEAD_KIND.match(lead):
        return ""  # a title anchor with no kind word before it: no publisher named
    return _publisher_in_lead(lead, generic, host_of(canonical_url(link.url)))


@lru_cache(maxsize=16384)
def _publisher_in_lead(lead: str, generic: bool, host: str) -> str:
    """publisher_name from the words before the link, whether the anchor is only a kind word, and
    the linked host: what it depends on, and the same for every link a publisher's name leads
    ('Reuters [article](…)' on page after page)."""
    if not generic:
        m = _LEAD_KIND.match(lead)  # the kind word stands before the link, the anchor is the title
        if not m:
            return ""
        lead = m.group(1)
    lead = _DASH.split(lead)[-1]  # '"Won't Happen" - Time [article]'
    lead = _ASIDE.sub("", lead)  # 'OpenResearch (nonprofit research lab) [study page]'
    lead = _without_description(lead, host)  # 'Holistic AI global regulatory [tracker]'
    lead = _POSSESSIVE.sub("", lead.strip().rstrip(":,-–— ")).strip()
    tokens = lead.split()
    if not tokens or len(lead) > 60 or len(tokens) > 6 or not _PUBLISHER.match(lead):
        return ""
    last = tokens[-1].lower()
    if last in KIND_WORDS or last in VENUES or last in ("and", "or", "the", "a", "an", "+", "of"):
        return ""
    if _LEGISLATION.search(lead):
        return ""  # 'EU AI Act [article]': the line names the law the page is about, not who published it
    if _YEAR_FIRST.match(lead):
        return ""  # '2024 AI Index [report]': an edition of a publication; no organization's name starts with a year
    if _CONTEST.search(lead):
        return ""  # 'IBM Watson AI XPRIZE [website]': a contest, run by someone the name does not give
    return lead


# A contest or award by its name: 'IBM Watson AI XPRIZE', 'Konwinski Prize', 'ARC Prize', 'AI Alignment Awards'
_CONTEST = re.compile(r"\b(?:Prize|XPRIZE|Awards?|Challenge|Competition|Hackathon|Olympiad)$")
# '<name> for <something>': 'CERN for AI', 'Google for Startups', an analogy or a programme
_ANALOGY = re.compile(r"^(.+?)\s+for\s+\S")


_YEAR_FIRST = re.compile(r"(?:19|20)\d\d\b")
# A law, bill, treaty or order by its name: 'EU AI Act', 'Senate Bill 24-205', 'Executive Order
# 14110', 'Paris Agreement', 'Montreal Protocol'; a number or year may follow
_LEGISLATION = re.compile(
    r"\b(?:Act|Bill|Regulation|Directive|Treaty|Accord|Agreement|Convention|Protocol|Amendment|Charter|"
    r"Constitution|Executive Order|Ordinance|Statute)(?:\s+(?:of\s+)?[A-Z]{0,3}[\d][\w.\-/]*)?$"
)


_ASIDE = re.compile(r"\s*\([^()]{0,60}\)")
_LEAD_KIND = re.compile(
    r"^(.+?)\s+(?:news\s+)?(?:article|report|blog\s?post|post|video|paper|preprint|op-ed|"
    r"press release|interview|podcast|newsletter|thread|statement)\s*[-–—:]?$",
    re.I,
)
_PUBLISHER = re.compile(
    r"^(?:The\s+)?[A-Z0-9][\w.&'’!\-]*(?:\s+(?:[A-Z0-9&][\w.&'’!\-]*|of|for|and|on|in|the|de|du|la))*$"
)


# Words a publisher's name may hold in lower case ('Institute for Progress', 'Center on Long-Term Risk').
_NAME_CONNECTORS = {"of", "for", "and", "on", "in", "the", "de", "du", "la", "&"}
# A region after a name, then more words: the subject of the publication ('Steptoe US AI legislation').
_REGION = {"US", "U.S.", "UK", "EU", "Global", "International"}


def _without_description(lead: str, host: str) -> str:
    """The publisher's name alone from a lead that describes what it published, when what is left
    is the link's own domain name: the name stops at its first lower-case word that is not a
    connector ('Holistic AI global regulatory [tracker]' on holisticai.com) or at a region word
    with more words after it ('Steptoe US AI legislation [tracker]' on steptoe.com). Without the
    domain's word the cut is a guess ('Layoff tracker' on layoffs.fyi, 'Pivot to AI'), so the
    lead is left whole."""
    tokens = lead.split()
    for i, t in enumerate(tokens[1:], 1):
        if t[:1].islower() and t not in _NAME_CONNECTORS:
            tokens = tokens[:i]
            break
    while len(tokens) > 1 and tokens[-1] in _NAME_CONNECTORS:
        tokens.pop()
    for i, t in enumerate(tokens[1:-1], 1):
        if t in _REGION:
            tokens = tokens[:i]
            break
    name = " ".join(tokens)
    if name == lead:
        return lead
    squashed = re.sub(r"[^a-z0-9]", "", name.lower())
    labels = {label.replace("-", "") for label in host.lower().split(".")[:-1]}  # not the TLD ('.ai')
    return name if squashed in labels else lead


@lru_cache(maxsize=16384)
def _words(text: str) -> str:
    """'Survival & Flourishing' -> 'survival and flourishing': lower-case words, one space apart."""
    return " ".join(_NAME_WORD.findall(text.lower().replace("&", " and ")))


@lru_cache(maxsize=4096)
def _name_forms(names: tuple[str, ...]) -> tuple[tuple[str, str], ...]:
    """(words + ' ', words without spaces) of each name of three letters or more, once per owner."""
    forms = []
    for name in names:
        words = _words(name)
        if len(words) >= 3:
            forms.append((words + " ", words.replace(" ", "")))
    return tuple(forms)


def names_on_line(link: Link, names: tuple[str, ...]) -> bool:
    """Does the line name the linked site's owner, given its names and aliases in lower case?

    The anchor is the name ('[Pause AI](pauseai.info)', spaces aside), or the words before or
    after the link begin with it, capitalised as a name ('Time "AI Dictionary" [page](…)').
    """
    forms = _name_forms(names)
    if not forms:
        return False
    generic = is_generic_anchor(link.text)
    anchor = "" if generic else _words(link.text.strip("()[] ")).replace(" ", "")
    lead = _words(link.lead) + " " if generic else ""  # 'ars Technica [article]': the whole lead, any case
    parts = [_words(p) + " " for p in (link.lead.strip(), _SEPARATOR.sub("", link.tail)) if p[:1].isupper()]
    glued = {g for p in parts for g in _word_prefixes_glued(p)}  # 'Grandview Research' for 'Grand View Research'
    owner = _OWNER_FIRST.match(link.text.strip())  # "[Time's 100 Most Influential People](time.com/…)"
    owner_words = _words(owner.group(1)) + " " if owner else ""
    for words, squashed in forms:  # loops, not nested any(): this runs for most links with a known owner
        if anchor == squashed or lead == words or squashed in glued or owner_words == words:
            return True
        for p in parts:
            if p.startswith(words):
                return True
    return False


# An anchor that opens with a capitalised name in the possessive: the site's owner speaking of its own work.
_OWNER_FIRST = re.compile(r"([A-Z][^'’]{2,40}?)['’]s\s")


def _word_prefixes_glued(words: str) -> list[str]:
    """'grandview research market ' -> ['grandview', 'grandviewresearch', ...]: the first k words
    without spaces, so a name written with other spacing still matches whole words only."""
    out, acc = [], ""
    for w in words.split()[:8]:
        acc += w
        out.append(acc)
    return out


def misspells(said: str, names: tuple[str, ...]) -> bool:
    """Is the publisher name on the line a misspelling of one of the linked site owner's names?

    'American Enterprise Intitute [blogpost](aei.org/…)': the domain says whose it is, so a long
    name one or two letters off is that owner, not a new organization. Short names are left
    alone ('Wired' and 'Wire' are two outlets).
    """
    said = _words(said)
    if len(said) >= 5 and any(_DOUBLED.sub(r"\1", said) == _DOUBLED.sub(r"\1", _words(n)) for n in names):
        return True  # 'Bloommberg' on bloomberg.com: a doubled or undoubled letter is a slip of the keys
    return len(said) >= 12 and any(
        abs(len(n) - len(said)) <= 2 and SequenceMatcher(None, said, n).ratio() >= 0.92
        for n in (_words(name) for name in names)
    )


_DOUBLED = re.compile(r"(\w)\1+")


_DATASET_NOUN = r"(?:data\s?sets?|benchmarks?|corpus|corpora|databases?)"
# The words right before a link that introduce it as data: 'an existing dataset like [X]',
# 'benchmarks such as [X]', 'a corpus called [X]'
_INTRODUCES_DATASET = re.compile(
    rf"\b{_DATASET_NOUN}\s*,?\s+(?:like|such\s+as|called|named|e\.g\.,?|including)(?:\s+the)?\s*$", re.I
)
_DATASET_WORD_AFTER = re.compile(rf"^\s*{_DATASET_NOUN}\b", re.I)  # '[HH-RLHF](…) dataset'
# A name whose last word says what it is: 'AI Incident Database', 'Pile Corpus', 'HELM Benchmark'
_NAMED_AS_DATASET = re.compile(r"^[A-Z0-9][^\s]*(?:\s+\S+){0,5}\s+(?:Database|Dataset|Data\s+Set|Benchmark|Corpus)$")


def says_dataset(link: Link, named: str) -> bool:
    """Do the page's own words make the link a dataset? Where the URL does not say what a link
    is, the word 'dataset' (or benchmark, corpus, database) next to it does: before it as an
    introduction ('a dataset like [X]'), after a named anchor ('[X] dataset'), or as the last
    word of the name the line gives it ('AI Incident Database [website]')."""
    generic = is_generic_anchor(link.text)
    return bool(
        _INTRODUCES_DATASET.search(link.lead)
        or not generic
        and _DATASET_WORD_AFTER.match(link.tail)
        or _NAMED_AS_DATASET.match(named)
    )


def linked_dataset(link: Link, canon: str) -> NamedDataset | None:
    """The known dataset (kgraph/data/datasets.csv) a link points at: its URL is the dataset's
    home, or the name the line gives the link is the dataset's name, however spaced, hyphenated
    or capitalised ('Research [landing page](…) - SWE Bench' is SWE-bench)."""
    found = dataset_at_url(canon)
    if found is not None:
        return found
    tail = _SEPARATOR.sub("", link.tail).strip() if _STARTS_WITH_SEPARATOR.match(link.tail) else ""
    for name in (link.text, tail, link.lead if is_generic_anchor(link.text) else ""):
        found = known_dataset(name.strip(" \"'“”")) if name and len(name) <= 60 else None
        if found is not None:
            return found
    return None


def is_analogy(name: str, orgs: OrgTable) -> bool:
    """'CERN for AI', 'Google for Startups': a known organization's name, then 'for' and a field,
    is a proposal modelled on it or one of its programmes, not another organization. (Real names
    of this shape, 'Allen Institute for AI', are in the table and found before this.)"""
    m = _ANALOGY.match(name)
    return bool(m) and orgs.find_name(m.group(1)) is not None


def classify(
    link: Link, url: str, orgs: OrgTable, cited_on: tuple[str, ...] = ()
) -> tuple[Work, Organization | None, bool, str]:
    """(work, its publisher if known, whether the page names that publisher, an unknown
    publisher name as the page wrote it) for a link; the work cited on the pages cited_on
    (made so at once: a dataclasses.replace per link costs as much as a rule)."""
    canon = canonical_url(url)
    kind = kind_from_url(canon)
    words_kind = kind_from_words(link)
    host, path = host_of(canon), path_of(canon)
    owner = orgs.find_url(host, path)
    named = link.lead.strip() if is_generic_anchor(link.text) else link.text.strip()
    table_dataset = linked_dataset(link, canon) if kind in ("", "code", "page") else None
    if kind in ("", "code", "page") and (
        table_dataset or looks_like_dataset_name(named) or _DATASET_HOST.search(host) or says_dataset(link, named)
    ):
        kind = "dataset"
    if not kind:
        if owner is not None and owner.kind == "news":
            kind = "news"
        elif words_kind:
            kind = words_kind
        elif path.lower().endswith(".pdf") and (
            _PAPER_CONTEXT.search(link.lead + " " + link.tail) or _is_academic_citation(link, host)
        ):  # the line's own words, not the anchor's: 'How to read a scientific paper' is a guide
            kind = "paper"
        else:
            kind = "page"
    elif words_kind == "paper" and (
        kind == "blog" and not _titles_a_post(link, host, path) or kind == "code" and path.lower().endswith(".pdf")
    ):
        kind = "paper"
    elif kind == "paper" and (_BOOK.fullmatch(link.text.strip()) or "/book/" in path):
        kind = "page"  # a book (Springer's /book/ DOIs included) is not a paper
    name, venue = work_name(link, canon)
    if table_dataset is not None:
        name = table_dataset.name  # one name for one benchmark, however the line spells it
    ident = ""
    if aid := arxiv_id(canon):
        ident, key = f"arXiv:{aid}", f"arxiv:{aid}"
    elif doi := doi_of(canon):
        ident, key = f"doi:{doi}", f"doi:{doi}"
    else:
        key = canon
    said = publisher_name(link, kind)
    named = orgs.find_name(said) if said else None
    if said and named is None and is_analogy(said, orgs):
        said = ""
    if said and named is None and owner is not None and misspells(said, orgs.names_of(owner.key)):
        named = owner
    if not said and owner is not None and names_on_line(link, orgs.names_of(owner.key)):
        named = owner  # '[Pause AI](https://pauseai.info)', '(Bloomberg)', 'Time "AI Dictionary" [page](time.com/…)'
    publisher = named or (owner if owner is not None and owner.kind != "company" else None)
    work = Work(
        key=key,
        url=canon,
        kind=kind,
        name=name,
        identifier=ident,
        publisher=publisher.key if publisher else "",
        venue=venue,
        cited_on=cited_on,
    )
    return work, publisher, named is not None, said if named is None else ""

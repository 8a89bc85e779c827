"""From pages to one deduplicated Corpus: shows, episodes, people, organizations, works.

Two passes: first the site's directory (show pages, author pages: who exists and who hosts
what), then every episode and post, whose facts are merged by key so that one real-world
thing is one record across all pages and sites.
"""

from __future__ import annotations

import datetime as dt
import functools
import gc
import hashlib
import json
import re
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from urllib.parse import urlsplit

from kgraph.extract.chapters import find_chapters
from kgraph.extract.classify import classify
from kgraph.extract.datasets import named_datasets
from kgraph.extract.links import find_links, strip_markup
from kgraph.extract.orgs import OrgTable, joined_institutions, orgs_in_text
from kgraph.extract.people import clean_name, guests_from_title, looks_like_name, looks_like_person, person_key, slug
from kgraph.extract.urls import canonical_url, host_of, resolve
from kgraph.ingest.hugo import page_warnings, publish_status
from kgraph.model import Citation, Corpus, Episode, Link, Organization, Page, Person, Show, Skipped, Work

__all__ = [
    "extract",
    "plan_extraction",
    "map_pages",
    "page_url",
    "Directory",
    "PageFacts",
    "PageRecord",
    "PageJob",
    "Plan",
]

KIND_RANK = {
    k: i
    for i, k in enumerate(
        ("episode", "paper", "dataset", "code", "video", "news", "blog", "wikipedia", "social", "page")
    )
}
REF_KINDS = ("episode", "post")  # the pages whose references go in the graph
_COMMENT = re.compile(r"<!--.*?-->", re.S)
# list items ("- ", "1. "), headings, chapter lines; "**Bold** text" is prose, not a list item
_NOT_PROSE = re.compile(r"\s*(?:[-*+•]\s|\d+[.)]\s|#|\(?\d{1,2}:\d{2})")
_TRANSISTOR = re.compile(r"\{\{<\s*transistor\s+src=\"([^\"]+)\"", re.I)
_RECORDED = re.compile(r"RECORDED\s+(\d{4})[.\-/](\d{1,2})[.\-/](\d{1,2})", re.I)
_AFFIL = re.compile(
    r"(?:,\s*(?:(?:an?|the)\s+)?[^,.;]{0,80}?\s+(?:at|of|with|from)\s+|\s+(?:from|of|at)\s+)"
    r"(?P<org>(?:the\s+)?[A-Z][\w.&'’\-]*(?:\s+(?:of|for|and|on|in|the|&|[A-Z][\w.&'’\-]*))*)"
)


@dataclass
class Directory:
    """Who and what a site's list pages declare: shows, people, and show author aliases."""

    shows: dict[str, Show] = field(default_factory=dict)
    show_by_path: dict[str, str] = field(default_factory=dict)  # first url segment -> show key
    show_authors: dict[str, str] = field(default_factory=dict)  # author slug -> show key
    people: dict[str, Person] = field(default_factory=dict)
    author_people: dict[str, str] = field(default_factory=dict)  # author slug -> person key


def page_url(page: Page) -> str:
    """The page's absolute URL: baseURL + front matter url, or Hugo's default path."""
    url = page.meta.get("url")
    if isinstance(url, str) and url.strip():
        path = "/" + url.strip().lstrip("/")
    else:
        slugged = page.meta.get("slug")
        rel = re.sub(r"(/?(_?index))?\.md$", "", page.rel)
        if isinstance(slugged, str) and slugged.strip():
            rel = "/".join([*rel.split("/")[:-1], slugged.strip()])
        path = "/" + rel.strip("/") + "/"
    if not path.endswith("/") and "." not in path.rsplit("/", 1)[-1]:
        path += "/"
    return resolve(path, page.site.base_url) or page.site.base_url


def _first_segment(url: str) -> str:
    try:
        path = urlsplit(url).path
    except ValueError:
        return ""
    parts = [p for p in path.split("/") if p]
    return parts[0].lower() if parts else ""


def _as_list(value: object) -> list[str]:
    """The words of a front-matter list, each run of white space one space: a tag or a name is
    not laid out, and page-tags separates a page's tags by tabs."""
    items = value if isinstance(value, list) else [value] if isinstance(value, str) else []
    words = (" ".join(str(v).split()) for v in items if v is not None)
    return [w for w in words if w]


def _as_date(value: object) -> dt.date | None:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        m = re.match(r"\s*(\d{4})-(\d{1,2})-(\d{1,2})", value)
        if m:
            try:
                return dt.date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
            except ValueError:
                return None
    return None


def _text(value: object) -> str:
    """All strings inside a front matter value, joined (show pages keep their text in blocks)."""
    if isinstance(value, dict):
        return " ".join(_text(v) for v in value.values())
    if isinstance(value, list):
        return " ".join(_text(v) for v in value)
    return value if isinstance(value, str) else ""


def build_directory(pages: list[Page]) -> Directory:
    d = Directory()
    for page in pages:
        if page.kind == "show":
            url = page_url(page)
            key = _first_segment(url) or slug(page.rel.split("/")[1])
            title = clean_name(str(page.meta.get("title") or key))
            d.shows[key] = Show(name=title, key=key, url=url, description=str(page.meta.get("summary") or ""))
            d.show_by_path[key] = key
    for page in pages:
        if page.kind != "author":
            continue
        author = page.rel.split("/")[1]
        title = str(page.meta.get("title") or "").strip()
        groups = [g.lower() for g in _as_list(page.meta.get("user_groups"))]
        if "show" in groups or "shows" in groups:
            key = _first_segment(page_url(page)) or slug(title)
            if key not in d.shows:
                d.shows[key] = Show(name=title or key, key=key, url=page.site.base_url + key + "/")
                d.show_by_path[key] = key
            d.show_authors[author] = key
            if title and not d.shows[key].description:
                d.shows[key] = replace(d.shows[key], description=str(page.meta.get("role") or ""))
        elif looks_like_name(clean_name(title)):
            person = Person(
                name=clean_name(title), key=person_key(title), url=page_url(page), role=str(page.meta.get("role") or "")
            )
            d.people[person.key] = person
            d.author_people[author] = person.key
    _assign_hosts(d, pages)
    return d


def _assign_hosts(d: Directory, pages: list[Page]) -> None:
    """A person hosts a show when their author page links to it or the show page names them."""
    hosts: dict[str, list[str]] = defaultdict(list)
    by_author = {p.rel.split("/")[1]: p for p in pages if p.kind == "author"}
    for author, pkey in d.author_people.items():
        page = by_author[author]
        for link in find_links(page.body):
            target = resolve(link.url, page_url(page))
            if target and host_of(target) == host_of(page.site.base_url):
                show = d.show_by_path.get(_first_segment(target))
                if show and pkey not in hosts[show]:
                    hosts[show].append(pkey)
    for page in pages:
        if page.kind != "show":
            continue
        show = _first_segment(page_url(page))
        text = strip_markup(_text(page.meta) + " " + page.body)
        for pkey, person in d.people.items():
            if re.search(r"\b" + re.escape(person.name) + r"\b", text) and pkey not in hosts[show]:
                hosts[show].append(pkey)
    for show, people in hosts.items():
        if show in d.shows:
            d.shows[show] = replace(d.shows[show], hosts=tuple(sorted(people)))


def named_people(page: Page, people: dict[str, Person]) -> frozenset[str]:
    """Keys of the site people a page names (first or full name) other than as a titled guest."""
    title = str(page.meta.get("title") or "")
    guests = {person_key(g) for g in guests_from_title(title)}
    text = str(page.meta.get("summary") or "") + " " + page.body
    # both of a pattern's names hold the first name: a page without it as plain text is passed
    # over at once (a regex that starts with \b tries every position: 10,000 pages 3.5 -> 0.6 s)
    return frozenset(
        pkey for pkey, first, pattern in _name_patterns(tuple(people.items()))
        if pkey not in guests and first in text and pattern.search(text)
    )


@functools.lru_cache(maxsize=8)
def _name_patterns(people: tuple[tuple[str, Person], ...]) -> list[tuple[str, str, re.Pattern]]:
    """(key, first name, pattern of the first or full name as words) of each person."""
    out = []
    for pkey, person in people:
        first = person.name.split()[0]
        out.append((pkey, first, re.compile(rf"\b({re.escape(first)}|{re.escape(person.name)})\b")))
    return out


def episode_show(page: Page, d: Directory) -> str:
    """The show an episode page belongs to by its URL ('' for posts and pages outside shows)."""
    return d.show_by_path.get(_first_segment(page_url(page)), "") if page.kind == "episode" else ""


def add_recurring_hosts(
    d: Directory, episodes: Iterable[tuple[str, frozenset[str]]], share: float = 0.25, at_least: int = 3
) -> None:
    """A site person named in a quarter of a show's episodes (and at least three) co-hosts it.

    Show pages do not always list every host ("Jacob and Igor discuss..."); a person who has
    an author page and keeps coming back across a show, not as a titled guest, is a host.
    episodes: (show key, named_people of the page) for every episode page.
    """
    counts: dict[str, Counter] = defaultdict(Counter)
    totals: Counter = Counter()
    for show, named in episodes:
        if show:
            totals[show] += 1
            counts[show].update(named)
    for show, total in totals.items():
        current = list(d.shows[show].hosts)
        for pkey in d.people:
            named = counts[show][pkey]
            if pkey not in current and named >= at_least and named >= share * total:
                current.append(pkey)
        d.shows[show] = replace(d.shows[show], hosts=tuple(current))


@dataclass
class PageFacts:
    """What one page says; merged across pages by extract()."""

    episode: Episode
    people: list[Person] = field(default_factory=list)
    organizations: list[Organization] = field(default_factory=list)
    works: list[Work] = field(default_factory=list)
    citations: list[Citation] = field(default_factory=list)
    site_works: list[Work] = field(default_factory=list)  # links to other pages of the same site


def page_facts(page: Page, d: Directory, orgs: OrgTable, key: str) -> PageFacts:
    meta = page.meta
    url = page_url(page)
    title = re.sub(r"\s+", " ", str(meta.get("title") or "")).strip()
    summary = str(meta.get("summary") or meta.get("description") or "").strip()
    authors = _as_list(meta.get("authors"))
    show = d.show_by_path.get(_first_segment(url), "")
    if not show:
        show = next((d.show_authors[a] for a in authors if a in d.show_authors), "")
    kind = "episode" if page.kind == "episode" else "post"
    people: list[Person] = []
    hosts = list(d.shows[show].hosts) if show and kind == "episode" else []
    for a in authors:
        if a in d.author_people:
            pkey = d.author_people[a]
        elif a in d.show_authors or not looks_like_name(clean_name(a)):
            continue
        else:
            people.append(Person(name=clean_name(a), key=person_key(a)))
            pkey = person_key(a)
        if pkey not in hosts:
            hosts.append(pkey)
    guests = []
    intro = summary + " " + strip_markup(page.body.split("\n## ", 1)[0])[:3000]
    for name in guests_from_title(title, summary, intro):
        p = Person(name=name, key=person_key(name))
        if p.key not in hosts and p.key not in guests:
            guests.append(p.key)
            people.append(p)
    organizations: dict[str, Organization] = {}
    people = [_with_affiliations(p, intro, orgs, organizations) if p.key in guests else p for p in people]
    mentioned: set[str] = {a for p in people for a in p.affiliations}  # named on the page, not just a domain
    people_names = {n for p in people for n in (p.name, p.name.split()[0])} | {
        n for h in hosts if h in d.people for n in (d.people[h].name, d.people[h].name.split()[0])
    }
    links = front_matter_links(meta, title) + find_links(page.body, page.body_line)
    audio = next((m.group(1) for m in _TRANSISTOR.finditer(page.body)), "")
    transcript = video = ""
    works: list[Work] = []
    site_works: list[Work] = []
    citations: list[Citation] = []
    for link in links:
        target = resolve(link.url, url)
        if not target:
            continue
        canon = canonical_url(target)
        if canon.endswith("/transcript.txt") or link.text.strip().lower() == "transcript":
            transcript = transcript or canon
            continue
        if "video version" in link.text.lower():
            video = video or canon
            continue
        if host_of(canon) == "share.transistor.fm" and "/e/" in canon:
            continue
        if host_of(canon) == host_of(page.site.base_url):
            # Another page of the same site: resolved once every page's URL is known (in _merge),
            # so a page's facts do not depend on which other pages exist.
            citations.append(Citation(key, "site:" + canon, link.line, link.section, link.text, link.context))
            if _first_segment(canon) not in d.show_by_path:
                site_works.append(classify(link, canon, orgs, cited_on=(key,))[0])
            continue
        work, publisher, named, said = classify(link, canon, orgs, cited_on=(key,))
        if publisher is not None and named:
            organizations[publisher.key] = publisher
            mentioned.add(publisher.key)
        elif (
            said
            and (
                work.kind not in ("dataset", "paper", "code") or work.kind != "dataset" and _names_owner(said, work.url)
            )
            and _is_org_name(said, work.url, people_names)
        ):
            org = Organization(name=said, key=slug(said))  # the page's words beat the domain's owner
            organizations[org.key] = org
            mentioned.add(org.key)
            work = replace(work, publisher=org.key)
        elif publisher is not None:
            organizations[publisher.key] = publisher
        works.append(work)
        citations.append(Citation(key, work.key, link.line, link.section, link.text, link.context))
    text = title + " " + summary + " " + strip_markup(page.body)
    prose = re.sub(r"“[^”]*”|\"[^\"]*\"", " ", " \n ".join([title, summary, *prose_lines(page.body)]))
    phrases = orgs_in_text(prose, orgs)
    named_here = [o.name for o in phrases] + [organizations[k].name for k in mentioned if k in organizations]
    for org in phrases + orgs.mentioned_in(_mask(text, named_here)):
        organizations.setdefault(org.key, org)
        mentioned.add(org.key)
    linked_names = {w.name.casefold() for w in works if w.kind == "dataset"}
    named = [d for d in named_datasets(text) if d.name.casefold() not in linked_names]
    for d in named:
        works.append(Work(key=d.key, url=d.url, kind="dataset", name=d.name))
    recorded = _RECORDED.search(page.body)
    episode = Episode(
        key=key,
        kind=kind,
        title=title,
        url=url,
        source=str(page.path),
        date=_as_date(meta.get("date")),
        lastmod=_as_date(meta.get("lastmod")),
        summary=summary,
        show=show,
        hosts=tuple(hosts),
        guests=tuple(guests),
        tags=tuple(_as_list(meta.get("tags"))),
        categories=tuple(_as_list(meta.get("categories"))),
        chapters=find_chapters(page.body),
        audio=audio,
        transcript=transcript,
        video=video,
        recorded=_recorded(recorded),
        mentions=tuple(sorted(mentioned)),
        datasets=tuple(d.key for d in named),
    )
    named_orgs = [replace(o, named_on=(key,)) for o in organizations.values()]
    return PageFacts(episode, people, named_orgs, works, citations, site_works)


FRONT_MATTER_LINKS = {
    "url_pdf": "paper",
    "url_code": "code",
    "url_dataset": "dataset",
    "url_video": "video",
    "url_slides": "slides",
    "url_source": "source",
    "url_project": "project",
    "url_poster": "poster",
    "doi": "doi",
}


def front_matter_links(meta: dict, title: str) -> list[Link]:
    """Links a Hugo theme renders from front matter: `links: [{name, url}]`, `url_pdf`, `doi`..."""
    found = []
    items = meta.get("links") if isinstance(meta.get("links"), list) else []
    for item in items:
        if isinstance(item, dict) and isinstance(item.get("url"), str) and item["url"].strip():
            found.append((str(item.get("name") or "link"), item["url"].strip()))
    for key, word in FRONT_MATTER_LINKS.items():
        value = meta.get(key)
        if isinstance(value, str) and value.strip():
            url = value.strip()
            if key == "doi" and not url.startswith("http"):
                url = "https://doi.org/" + url
            found.append((word, url))
    return [Link(url=url, text=text, line=1, section="Front matter", context=title) for text, url in found]


def prose_lines(body: str) -> list[str]:
    """The body's running text, line by line: not list items or headings (reference titles are
    Title Cased and would read as names), not chapter lines."""
    out = []
    for line in _COMMENT.sub(" ", body).split("\n"):
        if _NOT_PROSE.match(line):
            continue
        text = strip_markup(line)
        if text:
            out.append(text)
    return out


def _mask(text: str, names: list[str]) -> str:
    """Blank out longer names already recognised, so 'Stanford' inside 'Stanford Law School'
    does not also count as Stanford University."""
    for name in sorted(set(names), key=len, reverse=True):
        if len(name.split()) > 1:
            text = text.replace(name, " " * len(name))
    return text


def _recorded(m: re.Match | None) -> dt.date | None:
    if not m:
        return None
    try:
        return dt.date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    except ValueError:
        return None


def _names_owner(name: str, url: str) -> bool:
    """The name is the site's or repository owner's: 'Trail of Bits' for github.com/trailofbits/..."""
    squashed = re.sub(r"[^a-z0-9]", "", name.lower())
    owner = host_of(url) + "/" + (urlsplit(url).path.split("/") + ["", ""])[1]
    return len(squashed) > 3 and squashed in re.sub(r"[.\-_]", "", owner.lower())


def _is_org_name(name: str, url: str, people: set[str] = frozenset()) -> bool:
    """Is a publisher named on the line an organization? Only with evidence beyond one word.

    Evidence: its name matches the link's domain ("Fight Corruption" on fightcorruption.us),
    it is written like an acronym or brand (EAAMO, LegalEagle), or it carries an institution
    word (Institute, News, University...). A lone capitalised word ("Personal") is not enough,
    and neither is a person: someone the page names, or a common first name and a surname
    ("Josh Steimle [blog post]" on his own domain).
    """
    if name in people or looks_like_person(name):
        return False
    squashed = re.sub(r"[^a-z0-9]", "", name.lower())
    owner = host_of(url) + "/" + (urlsplit(url).path.split("/") + ["", ""])[1]  # github.com/trailofbits
    if squashed and squashed in re.sub(r"[.\-_]", "", owner.lower()):
        return True
    tokens = name.split()
    if len(tokens) == 1:
        return bool(re.search(r"[A-Z].*[A-Z]", name[1:] if len(name) > 1 else "")) or name.isupper()
    if any(t.isupper() and len(t) > 1 for t in tokens):
        return True
    return bool(
        re.search(
            r"\b(Institute|Center|Centre|Foundation|News|Times|Lab|Labs|University|Project|"
            r"Studios?|Council|Society|Association|Group|Fund|Post|Journal|Review|Media|"
            r"School|College|Agency|Office|Department|Forum|Network|Alliance|Coalition|"
            r"Press|Magazine|Research|Company|Inc|Ltd|Initiative|Observer|Tribune|Herald|"
            r"Daily|Weekly|Guardian|Economist|Stack|Commons|Watch|Policy|Security)\b",
            name,
        )
    )


def _with_affiliations(person: Person, text: str, orgs: OrgTable, found: dict[str, Organization]) -> Person:
    """Affiliations from '<Name>, a researcher at <Org>' or '<Name> from <Org>' near the name."""
    surname = person.name.split()[-1]
    affs = []
    for m in re.finditer(re.escape(surname) + r"(?P<rest>[^.;]{0,140})", text):
        am = _AFFIL.match(m.group("rest"))
        if not am:
            continue
        whole = re.sub(r"\s+(?:and|&|the|of|for|on|in)$", "", am.group("org").strip()).strip()
        for name in joined_institutions(whole, orgs):  # 'Columbia University and Fordham University'
            org = _affiliation(name, orgs)
            if org is not None and org.key not in affs:
                affs.append(org.key)
                found.setdefault(org.key, org)
    return replace(person, affiliations=tuple(affs)) if affs else person


def _affiliation(name: str, orgs: OrgTable) -> Organization | None:
    """The organization a name after 'a researcher at' stands for: the table's, or a new one when
    the words read as an institution's name or an acronym."""
    org = orgs.find_name(name)
    if org is None and (orgs_in_text(name) or re.fullmatch(r"[A-Z][A-Z0-9&.\-]{2,9}|[A-Z][a-z]+[A-Z]\w*", name)):
        org = Organization(name=re.sub(r"^the\s+", "", name, flags=re.I), key=slug(name))
    return org


@dataclass
class PageRecord:
    """What the build cache keeps of one published episode or post, so that an incremental build
    can redo the site-wide steps without reading the page again."""

    key: str
    rel: str
    order: str  # sorts pages as a full build meets them
    url: str  # canonical URL (other pages' links resolve to it)
    show: str  # the show its URL puts it in, for recurring hosts ('' if none)
    named: frozenset[str]  # site people it names (named_people)
    digest: str  # page_hash
    warnings: tuple[str, ...]
    facts: PageFacts


def extract(
    pages: Iterable[Page | Skipped],
    orgs: OrgTable,
    workers: int = 1,
    progress: Callable[[str, int, int], None] | None = None,
) -> Corpus:
    """The whole corpus from a stream of pages (from one or more sites).

    Besides the merged records, corpus.pages keeps each page's record and corpus.sites each
    site's directory fingerprints: what an incremental build starts from.
    """
    plan = plan_extraction(pages, orgs)
    corpus = plan.corpus
    directory_people = [p for people in corpus.directory_people.values() for p in people]
    records = list(map_pages(record_job, plan.jobs, (plan.directories, orgs), workers, progress))
    corpus.pages = {r.key: r for r in records}
    _merge(corpus, [r.facts for r in records], directory_people, plan.urls)
    return corpus


@dataclass
class PageJob:
    """One published episode or post to extract, with what the site-wide steps found for it."""

    page: Page
    key: str
    base: str  # its site's base URL
    order: str  # page_order
    url: str  # canonical URL
    show: str  # episode_show
    named: frozenset[str]  # named_people
    warnings: tuple[str, ...]


@dataclass
class Plan:
    """What extract() knows before any page's facts: the corpus so far (skipped pages, shows,
    sites, the directories' people, warnings), each site's directory (hosts included) and the
    jobs, in page order; the page facts depend on nothing else, so they can be computed apart."""

    corpus: Corpus
    directories: dict[str, Directory]
    jobs: list[PageJob]
    urls: dict[str, list[str]]  # canonical URL -> keys of the pages published there, in page order


def plan_extraction(pages: Iterable[Page | Skipped], orgs: OrgTable) -> Plan:
    """The site-wide steps: which pages are published, each site's directory and recurring hosts."""
    corpus = Corpus()
    published: list[Page] = []
    for page in pages:
        if isinstance(page, Skipped):
            corpus.skipped.append(page)
            continue
        corpus.pages_read += 1
        reason = publish_status(page)
        if reason:
            corpus.skipped.append(Skipped(page.rel, reason))
        else:
            published.append(page)
    by_site: dict[str, list[Page]] = defaultdict(list)
    for page in published:
        by_site[page.site.base_url].append(page)
    directories: dict[str, Directory] = {}
    jobs: list[PageJob] = []
    for base, site_pages in sorted(by_site.items()):
        d = directories[base] = build_directory(site_pages)
        refs = [p for p in site_pages if p.kind in REF_KINDS]
        people_fp = people_fingerprint(d)
        named = [named_people(p, d.people) for p in refs]
        shows = [episode_show(p, d) for p in refs]
        add_recurring_hosts(d, zip(shows, named, strict=True))
        corpus.sites[base] = (people_fp, directory_fingerprint(d, orgs))
        corpus.shows.update(d.shows)
        corpus.directory_people[base] = list(d.people.values())
        for page, show, nm in zip(refs, shows, named, strict=True):
            key, order, url = page_key(base, page.rel), page_order(base, page.rel), canonical_url(page_url(page))
            warnings = tuple(f"{page.rel}: {w}" for w in page_warnings(page))
            jobs.append(PageJob(page, key, base, order, url, show, nm, warnings))
    jobs.sort(key=lambda j: j.order)
    urls: dict[str, list[str]] = {}
    for job in jobs:
        corpus.warnings.extend(job.warnings)
        urls.setdefault(job.url, []).append(job.key)
    corpus.warnings.extend(duplicate_url_warnings(urls))
    return Plan(corpus, directories, jobs, urls)


def page_record(job: PageJob, d: Directory, orgs: OrgTable) -> PageRecord:
    """A page's record: its facts and what the site-wide steps found for it."""
    page = job.page
    facts = page_facts(page, d, orgs, job.key)
    return PageRecord(job.key, page.rel, job.order, job.url, job.show, job.named, page_hash(page), job.warnings, facts)


def record_job(job: PageJob, context: tuple[dict[str, Directory], OrgTable]) -> PageRecord:
    """map_pages' work for extract(): the page's record."""
    directories, orgs = context
    return page_record(job, directories[job.base], orgs)


def page_key(base: str, rel: str) -> str:
    return f"{host_of(base)}/{rel}"


def page_order(base: str, rel: str) -> str:
    """A sort key giving the order pages are read in: site by site, each folder's files before
    its subfolders' (os.walk, sorted), whatever pages exist besides."""
    *folders, name = rel.split("/")
    return base + "\x01" + "\x00".join([*("1" + f for f in folders), "0" + name])


def urls_of(records: Iterable[PageRecord]) -> dict[str, list[str]]:
    """Canonical URL -> keys of the pages published there, in page order."""
    urls: dict[str, list[str]] = {}
    for r in records:
        urls.setdefault(r.url, []).append(r.key)
    return urls


def duplicate_url_warnings(episode_urls: dict[str, list[str]]) -> list[str]:
    return [
        f"{', '.join(k.split('/', 1)[1] for k in keys)}: pages share the url {url}"
        for url, keys in episode_urls.items()
        if len(keys) > 1
    ]


def page_hash(page: Page) -> str:
    """Changes when the page's front matter or body changes."""
    text = json.dumps(page.meta, sort_keys=True, default=str) + "\0" + page.body + "\0" + page.rel
    return hashlib.sha1(text.encode("utf-8", "surrogatepass")).hexdigest()


def people_fingerprint(d: Directory) -> str:
    """What named_people and episode_show depend on besides the page: the site's people and shows."""
    return hashlib.sha1((repr(sorted(d.people.items())) + repr(sorted(d.show_by_path.items()))).encode()).hexdigest()


def directory_fingerprint(d: Directory, orgs: OrgTable) -> str:
    """Everything besides a page's own text that its facts depend on."""
    parts = [
        repr(sorted(d.shows.items())),
        repr(sorted(d.people.items())),
        repr(sorted(d.show_authors.items())),
        repr(sorted(d.author_people.items())),
        repr(sorted((k, o.name, o.kind) for k, o in orgs.by_key.items())),
        repr(sorted(orgs.by_alias.items())),
        repr(sorted(orgs.by_domain.items())),
    ]
    return hashlib.sha1("\0".join(parts).encode()).hexdigest()


_WORKER: tuple[Callable, object] | None = None


def _init_worker(work: Callable, context: object) -> None:
    global _WORKER
    _WORKER = (work, context)
    # The parent's heap, inherited by fork, lives as long as the worker: the cyclic collector
    # need not walk it again and again (which also copies its memory pages); the parent may
    # have paused the collector for itself.
    gc.freeze()
    gc.enable()


def _in_worker(job: PageJob) -> object:
    assert _WORKER is not None
    work, context = _WORKER
    return work(job, context)


def map_pages(
    work: Callable[[PageJob, object], object],
    jobs: list[PageJob],
    context: object,
    workers: int,
    progress: Callable[[str, int, int], None] | None = None,
    stage: str = "extracting",
) -> Iterator:
    """work(job, context) for every job, yielded in job order; on several processes when there
    are enough pages to pay off. work must be a module-level function (workers find it by name);
    context reaches each worker once. The jobs list is emptied as it goes (the pages are the
    largest thing a build holds). progress(stage, done, total) follows the results."""
    total = len(jobs)
    if workers <= 1 or total < 400:
        results: Iterable = (work(job, context) for job in _released(jobs))
        pool = None
    else:
        import multiprocessing as mp
        from concurrent.futures import ProcessPoolExecutor

        ctx = mp.get_context("fork") if "fork" in mp.get_all_start_methods() else None
        pool = ProcessPoolExecutor(workers, mp_context=ctx, initializer=_init_worker, initargs=(work, context))
        results = pool.map(_in_worker, _released(jobs), chunksize=32)
    try:
        for n, result in enumerate(results, start=1):
            if progress and (n % 50 == 0 or n == total):
                progress(stage, n, total)
            yield result
    finally:
        if pool is not None:
            pool.shutdown(cancel_futures=True)


def _released(items: list) -> Iterator:
    """Yield the items of a list, dropping the list's hold on each as it goes."""
    for i in range(len(items)):
        item, items[i] = items[i], None
        yield item


def resolve_site_links(f: PageFacts, episode_urls: dict[str, list[str]]) -> tuple[list[Citation], list[Work]]:
    """Links to the same site: to an episode's own node when they name one, else to the page."""
    citations, works = [], []
    fallback = {w.url: w for w in f.site_works}
    for c in f.citations:
        if not c.work.startswith("site:"):
            citations.append(c)
            continue
        url = c.work[5:]
        targets = episode_urls.get(url)
        if targets:
            citations.extend(replace(c, work="page:" + t) for t in targets if t != c.page)
        elif url in fallback:
            citations.append(replace(c, work=fallback[url].key))
            works.append(fallback[url])
    return citations, works


def site_links(f: PageFacts) -> set[str]:
    """The canonical URLs of the same site's pages that a page links to."""
    return {c.work[5:] for c in f.citations if c.work.startswith("site:")}


def merge_work(versions: list[Work]) -> Work:
    """One work from every page's view of it, in page order: the record of the most specific
    kind, publisher and venue filled in from the others, and the name most pages give it."""
    names = Counter(w.name for w in versions)
    best: Work | None = None
    for w in versions:
        if best is None or KIND_RANK[w.kind] < KIND_RANK[best.kind]:
            best = replace(
                w,
                publisher=w.publisher or (best.publisher if best else ""),
                venue=w.venue or (best.venue if best else ""),
            )
        elif not best.publisher and w.publisher or not best.venue and w.venue:
            best = replace(best, publisher=best.publisher or w.publisher, venue=best.venue or w.venue)
    name = min(names.items(), key=lambda kv: (-kv[1], kv[0].startswith("http"), len(kv[0]), kv[0]))[0]
    return replace(best, name=name, cited_on=tuple(sorted({p for w in versions for p in w.cited_on})))


def merge_person(versions: list[Person]) -> Person:
    """One person from the directory's and every page's view, in that order."""
    first = versions[0]
    affs = tuple(sorted({a for v in versions for a in v.affiliations}))
    url = next((v.url for v in versions if v.url), "")
    role = next((v.role for v in versions if v.role), "")
    return replace(first, affiliations=affs, url=url, role=role)


def merge_organization(versions: list[Organization]) -> Organization:
    """The first page's view of an organization (the table's record when it is known), named
    on every page that names it."""
    return replace(versions[0], named_on=tuple(sorted({p for v in versions for p in v.named_on})))


def _merge(
    corpus: Corpus, facts: list[PageFacts], directory_people: list[Person], episode_urls: dict[str, list[str]]
) -> None:
    works: dict[str, list[Work]] = defaultdict(list)
    orgs: dict[str, list[Organization]] = defaultdict(list)
    people: dict[str, list[Person]] = defaultdict(list)
    for p in directory_people:
        people[p.key].append(p)
    for f in facts:
        corpus.episodes[f.episode.key] = f.episode
        citations, site_works = resolve_site_links(f, episode_urls)
        corpus.citations.extend(citations)
        for w in f.works + site_works:
            works[w.key].append(w)
        for o in f.organizations:
            orgs[o.key].append(o)
        for p in f.people:
            people[p.key].append(p)
    corpus.works = {key: merge_work(v) for key, v in works.items()}
    corpus.organizations = {key: merge_organization(v) for key, v in orgs.items()}
    corpus.people = {key: merge_person(v) for key, v in people.items()}
    corpus.citations.sort(key=lambda c: (c.page, c.line, c.work))

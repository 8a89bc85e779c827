"""Generate a synthetic Hugo podcast site for benchmarking kgraph.

Why this exists: the real Kairos.fm site has a few dozen episode pages, far
too few to tell whether ingestion, URL normalisation, entity resolution and
SPARQL queries scale. This script writes a site of any size in the same
format as the real pages (YAML front matter, the transistor embed, the
"EPISODE RECORDED" line, a "## Chapters" block and a "## Links" list in both
link styles the real site uses), so benchmarks and tests can run on realistic
input without copying the real corpus.

The shape of the data is deliberately realistic where it matters for a graph:

* references are drawn Zipf-skewed (weight 1/rank**1.1) from a pool of works,
  so a few works are cited everywhere and most are cited once or twice;
* the same work is cited through different surface URLs (arXiv abs/pdf/v2/
  html, doi.org vs dx.doi.org, youtube.com/watch vs youtu.be, tracking
  parameters, trailing slashes), so URL normalisation has work to do;
* guests recur across episodes (a Zipf-skewed pool of about N/5 people) with
  a stable affiliation ("a researcher at <Org>"), and organisations appear
  both as affiliations and as cited pages;
* some episodes cite earlier episodes of the synthetic site.

Output is byte-identical for the same arguments and seed, and uses only the
standard library.

Usage: python benchmarks/synth.py N OUT [--seed S] [--shows K] [--refs R]
"""

from __future__ import annotations

import argparse
import bisect
import datetime as dt
import itertools
import os
import random
import shutil
import sys
import time
import unicodedata
from typing import NamedTuple

BASE_URL = "https://synth.example.org"
ZIPF_S = 1.1
GUEST_SHARE = 0.6
START_DATE = dt.date(2016, 1, 1)
END_DATE = dt.date(2025, 12, 31)
A_ATTRS = 'target="_blank" rel="noreferrer noopener"'

# ---------------------------------------------------------------- word lists

FIRST_NAMES = (
    "Ada Alan Alice Amara Ana Anders Aisha Beatriz Bilal Carla Chen Chloé "
    "Dario Darya Elena Emeka Esben Ethan Farah Felix Fatima Gabriel Hana "
    "Hiroshi Ines Igor Imani Jacob Jonas José Julia Kai Kavya Lars Leila "
    "Liam Lucía Maya Mateo Mei Mira Nadia Nikolai Noor Olu Omar Paola Priya "
    "Rafael Remy Rosa Sami Sana Sean Sofia Søren Tariq Tomás Uma Vera Wei "
    "Yara Yusuf Zainab Zoë Zofia"
).split()
SURNAME_HEADS = (
    "Abe Bar Bel Cal Dun Eck Fal Gar Hal Ives Jen Kor Lan Mar Nor Ost Pel "
    "Quin Ros Sal Tan Ul Van Wes Yor Zel Har Lind Ash Brook"
).split()
SURNAME_TAILS = (
    "berg croft dale field ford gaard hart holm ley mann mont more ney ova "
    "quist rud sen ski son stad stein ton vik wald well wick wood ez ini"
).split()
ORG_WORDS = (
    "Alignment Frontier Horizon Meridian Beacon Lattice Cascade Signal "
    "Harbor Summit Prism Vector Aurora Keystone Compass Sentinel Tandem "
    "Atlas Cobalt Juniper Orbit Quorum Ember Northstar Parallax Ridge"
).split()
ORG_FIELDS = (
    "AI Safety|Responsible AI|Machine Learning|AI Governance|Digital Rights|"
    "Technology Policy|Computational Ethics|Security Studies|Data Science|"
    "Algorithmic Fairness|Human-Centered AI|Public Interest Technology"
).split("|")
PLACES = (
    "Aldermoor Brightwater Caldera Dunmore Eastvale Fairhaven Glenrock "
    "Highmark Ironbridge Kingsport Lakemont Northfield Oakridge Westbury"
).split()
ROLES = (
    "a researcher at",
    "a research scientist at",
    "a PhD student at",
    "a policy fellow at",
    "a co-founder of",
    "an engineer at",
    "a professor at",
    "the director of",
)
ADJECTIVES = (
    "Scalable Robust Interpretable Emergent Adversarial Sparse Causal "
    "Efficient Deceptive Aligned Latent Federated Recursive Contrastive "
    "Open Frontier Mechanistic Probabilistic Democratic Hidden"
).split()
NOUNS = (
    "Oversight Reasoning Benchmarks Agents Representations Circuits Reward "
    "Models Evaluations Governance Transformers Auditing Incentives Compute "
    "Datasets Alignment Interpretability Forecasting Deployment Watermarks "
    "Jailbreaks Guardrails Capabilities Uncertainty Memorization"
).split()
DOMAINS = (
    "Language Models|Reinforcement Learning|Healthcare|Elections|Labor "
    "Markets|Cybersecurity|Climate Models|Education|Autonomous Vehicles|"
    "Open Source|Scientific Discovery|Content Moderation"
).split("|")
COMPANIES = (
    "OpenAI Anthropic Google Meta Microsoft Nvidia Amazon Apple Mistral xAI DeepMind Baidu Samsung IBM"
).split()
NEWS_VERBS = (
    "unveils|faces scrutiny over|quietly drops|doubles down on|is sued over|"
    "pauses|bets billions on|lobbies against|rethinks|expands"
).split("|")
JOURNALS = (
    "Nature|Science|AI and Ethics|Minds and Machines|Patterns|"
    "Journal of Machine Learning Research|Philosophy & Technology|"
    "Big Data & Society|AI & Society|Frontiers in Artificial Intelligence"
).split("|")
DOI_PREFIXES = ("10.1038", "10.1126", "10.1007", "10.1016", "10.3389", "10.1145", "10.1177", "10.48550")
TAGS = (
    "Interview|Research|Machine Learning|AI Governance|Narratives & Hype|"
    "Current Harms|AI Security|Interpretability|Evaluations|Policy|"
    "Training & Field-building|Advice|Jobs & Applications|Effective "
    "Altruism|Open Source|Compute|Labor|Democracy|Ethics|Benchmarks"
).split("|")
SOLO_TAGS = ("Minisode", "Roundup", "News", "Deep Dive")
CHAPTER_TOPICS = (
    "Background|Getting into the field|The paper|Why this matters|"
    "Benchmarks and their limits|Incentives|What labs are doing|Policy "
    "angle|Open questions|Advice for newcomers|Hot takes|Listener questions|"
    "Critiques|Recent news|The bigger picture|What comes next"
).split("|")
SHOWS = (
    ("Signal Drift", "signaldrift"),
    ("Open Weights", "openweights"),
    ("Gradient Hour", "gradienthour"),
    ("Model Behavior", "modelbehavior"),
    ("Loss Landscape", "losslandscape"),
    ("The Eval Desk", "evaldesk"),
    ("Policy Vectors", "policyvectors"),
    ("Compute Matters", "computematters"),
)
B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"

# ------------------------------------------------------------------- records


class Org(NamedTuple):
    name: str
    domain: str


class Person(NamedTuple):
    first: str
    middle: str  # "" or an initial such as "B."
    last: str
    dr: bool
    role: str
    org: Org

    @property
    def name(self) -> str:
        return " ".join(p for p in (self.first, self.middle, self.last) if p)

    @property
    def display(self) -> str:
        return f"Dr. {self.name}" if self.dr else self.name

    @property
    def slug(self) -> str:
        return slugify(self.name)


class Show(NamedTuple):
    name: str
    slug: str
    hosts: tuple


class Work(NamedTuple):
    publisher: str  # "Publisher" in the markdown link style
    label: str  # "[label](URL)" in the markdown link style
    title: str
    urls: tuple  # surface forms of the same work; urls[0] is canonical


class Summary(NamedTuple):
    pages: int
    episodes: int
    references: int
    seconds: float


# ------------------------------------------------------------------- helpers


def slugify(text: str) -> str:
    """ASCII-fold and keep alphanumerics: 'Søren Wood' -> 'sorenwood'."""
    folded = unicodedata.normalize("NFKD", text.replace("ø", "o"))
    ascii_text = folded.encode("ascii", "ignore").decode()
    return "".join(c for c in ascii_text.lower() if c.isalnum())


def kebab(text: str, limit: int = 80) -> str:
    """URL slug of whole words, at most about limit characters."""
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    words = "".join(c if c.isalnum() else " " for c in folded).split()
    out: list = []
    for word in words:
        if out and len("-".join(out)) + len(word) >= limit:
            break
        out.append(word)
    return "-".join(out)


def zipf_cum_weights(n: int, s: float = ZIPF_S) -> list:
    """Cumulative weights 1/rank**s for ranks 1..n, for random.choices."""
    return list(itertools.accumulate(1.0 / (r**s) for r in range(1, n + 1)))


def zipf_pick(rng: random.Random, cum: list) -> int:
    return bisect.bisect_right(cum, rng.random() * cum[-1])


def yaml_str(text: str) -> str:
    """Plain YAML scalar when safe, double-quoted otherwise."""
    safe = (
        text[:1].isalnum()
        and ": " not in text
        and " #" not in text
        and '"' not in text
        and not text.endswith(":")
    )
    if safe:
        return text
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def unique(rng: random.Random, make, seen: set):
    """Call make(rng) until it returns a value not in seen (tries a few)."""
    for _ in range(20):
        value = make(rng)
        if value not in seen:
            seen.add(value)
            return value
    value = f"{make(rng)} {len(seen)}"
    seen.add(value)
    return value


def hex_id(rng: random.Random, seen: set) -> str:
    return unique(rng, lambda r: f"{r.getrandbits(32):08x}", seen)


# ------------------------------------------------------------ entity pools


def make_orgs(rng: random.Random, count: int) -> list:
    seen: set = set()

    def one(r: random.Random) -> str:
        kind = r.randrange(5)
        if kind == 0:
            return f"Center for {r.choice(ORG_FIELDS)}"
        if kind == 1:
            return f"{r.choice(ORG_WORDS)} {r.choice(ORG_FIELDS)} Institute"
        if kind == 2:
            return f"University of {r.choice(PLACES)}"
        if kind == 3:
            return f"{r.choice(ORG_WORDS)} Labs"
        return f"{r.choice(PLACES)} {r.choice(ORG_WORDS)} Foundation"

    orgs = []
    for _ in range(count):
        name = unique(rng, one, seen)
        tld = "edu" if name.startswith("University") else "org"
        orgs.append(Org(name, f"{slugify(name)}.{tld}"))
    return orgs


def make_people(rng: random.Random, count: int, orgs: list) -> list:
    """count people with distinct names, a stable affiliation and title.

    Middle initials are only used once plain first+last names run out.
    """
    per_first = len(SURNAME_HEADS) * len(SURNAME_TAILS)
    space = len(FIRST_NAMES) * per_first
    layers = min(27, 1 + (count - 1) // space) if count else 1
    picks = rng.sample(range(space * layers), min(count, space * layers))
    picks += [rng.randrange(space * layers) for _ in range(count - len(picks))]
    people = []
    for code in picks:
        initial, code = divmod(code, space)
        first_i, rest = divmod(code, per_first)
        head, tail = divmod(rest, len(SURNAME_TAILS))
        last = SURNAME_HEADS[head] + SURNAME_TAILS[tail]
        middle = f"{chr(64 + initial)}." if initial else ""
        people.append(
            Person(
                FIRST_NAMES[first_i], middle, last, rng.random() < 0.55, rng.choice(ROLES), rng.choice(orgs)
            )
        )
    return people


def make_shows(rng: random.Random, count: int, hosts: list) -> list:
    shows = []
    for i in range(count):
        name, slug = SHOWS[i % len(SHOWS)]
        if i >= len(SHOWS):
            name, slug = f"{name} {i // len(SHOWS) + 1}", f"{slug}{i // len(SHOWS) + 1}"
        own = [hosts[i % len(hosts)]]
        if rng.random() < 0.5:  # a co-host, possibly shared with another show
            co = hosts[rng.randrange(len(hosts))]
            if co not in own:
                own.append(co)
        shows.append(Show(name, slug, tuple(own)))
    return shows


# ---------------------------------------------------------------- works


def paper_title(rng: random.Random) -> str:
    a, n, n2 = rng.choice(ADJECTIVES), rng.choice(NOUNS), rng.choice(NOUNS)
    d = rng.choice(DOMAINS)
    form = rng.randrange(5)
    if form == 0:
        return f"{a} {n} for {d}"
    if form == 1:
        return f"Towards {a} {n} in {d}"
    if form == 2:
        return f"On the {n} of {a} {n2}"
    if form == 3:
        return f"{n}: {a} {n2} for {d}"
    return f"{a} {n2} Are Not Enough: Rethinking {n}"


def news_title(rng: random.Random) -> str:
    return (
        f"{rng.choice(COMPANIES)} {rng.choice(NEWS_VERBS)} "
        f"{rng.choice(ADJECTIVES).lower()} {rng.choice(NOUNS).lower()} "
        f"in {rng.choice(DOMAINS).lower()}"
    )


def rand_date(rng: random.Random) -> dt.date:
    return START_DATE + dt.timedelta(days=rng.randrange((END_DATE - START_DATE).days))


def arxiv_work(rng: random.Random, title: str, ids: set) -> Work:
    def one(r):
        return f"{r.randrange(15, 26):02d}{r.randrange(1, 13):02d}.{r.randrange(100000):05d}"

    aid = unique(rng, one, ids)
    urls = (
        f"https://arxiv.org/abs/{aid}",
        f"https://arxiv.org/pdf/{aid}",
        f"https://arxiv.org/abs/{aid}v2",
        f"https://arxiv.org/html/{aid}v1",
        f"https://arxiv.org/pdf/{aid}v1.pdf",
        f"http://arxiv.org/abs/{aid}",
    )
    return Work("arXiv", rng.choice(("paper", "preprint")), title, urls)


def doi_work(rng: random.Random, title: str, ids: set) -> Work:
    def one(r):
        return f"{r.choice(DOI_PREFIXES)}/s{r.randrange(10**5, 10**6)}-{r.randrange(10**3, 10**4)}"

    doi = unique(rng, one, ids)
    urls = (
        f"https://doi.org/{doi}",
        f"https://dx.doi.org/{doi}",
        f"http://doi.org/{doi}",
        f"https://doi.org/{doi.upper()}",
    )
    return Work(rng.choice(JOURNALS), "article", title, urls)


def github_work(rng: random.Random, title: str, ids: set, orgs: list) -> Work:
    def one(r):
        return f"{slugify(r.choice(orgs).name)[:12]}/{kebab(title, 30)}-{r.randrange(100)}"

    repo = unique(rng, one, ids)
    urls = (
        f"https://github.com/{repo}",
        f"https://github.com/{repo}/",
        f"https://github.com/{repo}/tree/main",
        f"https://www.github.com/{repo}",
    )
    return Work("GitHub", "repository", title, urls)


def hf_work(rng: random.Random, title: str, ids: set, orgs: list) -> Work:
    def one(r):
        return f"{slugify(r.choice(orgs).name)[:12]}/{r.choice(NOUNS).lower()}-{r.randrange(1000)}"

    ds = unique(rng, one, ids)
    urls = (
        f"https://huggingface.co/datasets/{ds}",
        f"https://huggingface.co/datasets/{ds}/",
        f"https://huggingface.co/datasets/{ds}/viewer",
    )
    return Work("Hugging Face", "dataset", title, urls)


def youtube_work(rng: random.Random, title: str, ids: set) -> Work:
    vid = unique(rng, lambda r: "".join(r.choices(B64, k=11)), ids)
    t = rng.randrange(30, 3000)
    urls = (
        f"https://www.youtube.com/watch?v={vid}",
        f"https://youtu.be/{vid}",
        f"https://www.youtube.com/watch?v={vid}&t={t}s",
        f"https://youtube.com/watch?v={vid}",
        f"https://youtu.be/{vid}?t={t}",
    )
    channel = rng.choice(("YouTube", f"{rng.choice(ORG_WORDS)} Talks", "Conference"))
    return Work(channel, "video", title, urls)


def news_work(rng: random.Random, ids: set) -> Work:
    title = unique(rng, news_title, ids)
    day = rand_date(rng)
    slug = kebab(title)
    utm = "?utm_source=newsletter&utm_medium=email"
    if rng.random() < 0.5:
        base = f"https://www.reuters.com/technology/{slug}-{day.isoformat()}/"
        return Work("Reuters", "article", title, (base, base + utm, base.rstrip("/")))
    base = f"https://www.nytimes.com/{day:%Y/%m/%d}/technology/{slug}.html"
    return Work("The New York Times", "article", title, (base, base + utm, base.replace("www.", "")))


def blog_work(rng: random.Random, title: str, ids: set, people: list) -> Work:
    author = rng.choice(people)
    slug = unique(rng, lambda r: f"{kebab(title, 40)}-{r.randrange(1000)}", ids)
    kind = rng.randrange(3)
    if kind == 0:
        base = f"https://{author.slug}.substack.com/p/{slug}"
        return Work(author.name, "blog post", title, (base, base + "?r=2x9k"))
    if kind == 1:
        pid = "".join(rng.choices(B64[:62], k=17))
        base = f"https://www.lesswrong.com/posts/{pid}/{slug}"
        return Work("LessWrong", "blog post", title, (base, base.replace("www.", "")))
    base = f"https://{author.slug}.github.io/posts/{slug}/"
    return Work(author.name, "blog post", title, (base, base.rstrip("/")))


def org_work(rng: random.Random, title: str, ids: set, orgs: list) -> Work:
    org = rng.choice(orgs)
    slug = unique(rng, lambda r: f"{org.domain}/{kebab(title, 40)}", ids)
    path = slug.split("/", 1)[1]
    section = rng.choice(("research", "reports", "news", "publications"))
    base = f"https://www.{org.domain}/{section}/{path}/"
    return Work(
        org.name,
        rng.choice(("report", "website", "announcement")),
        title,
        (base, base.rstrip("/"), base.replace("https://www.", "https://")),
    )


def make_work(rng: random.Random, ids: dict, orgs: list, people: list, titles: set) -> Work:
    kind = rng.choices(
        ("arxiv", "doi", "github", "hf", "youtube", "news", "blog", "org"),
        weights=(30, 12, 10, 6, 10, 14, 10, 8),
    )[0]
    if kind == "news":
        return news_work(rng, titles)
    title = unique(rng, paper_title, titles)
    if kind == "arxiv":
        return arxiv_work(rng, title, ids.setdefault(kind, set()))
    if kind == "doi":
        return doi_work(rng, title, ids.setdefault(kind, set()))
    if kind == "github":
        return github_work(rng, title, ids.setdefault(kind, set()), orgs)
    if kind == "hf":
        return hf_work(rng, title, ids.setdefault(kind, set()), orgs)
    if kind == "youtube":
        return youtube_work(rng, title, ids.setdefault(kind, set()))
    if kind == "blog":
        return blog_work(rng, title, ids.setdefault(kind, set()), people)
    return org_work(rng, title, ids.setdefault(kind, set()), orgs)


def make_works(rng: random.Random, count: int, orgs: list, people: list) -> list:
    """count works; list order is Zipf rank (index 0 is cited most)."""
    ids: dict = {}
    titles: set = set()
    return [make_work(rng, ids, orgs, people, titles) for _ in range(count)]


# ------------------------------------------------------------ rendering


def pick_url(rng: random.Random, work: Work) -> str:
    """The canonical URL most of the time, another surface form otherwise."""
    if rng.random() < 0.6:
        return work.urls[0]
    return work.urls[rng.randrange(len(work.urls))]


def render_reference(rng: random.Random, work: Work, html_style: bool) -> str:
    url = pick_url(rng, work)
    if html_style:
        extra = rng.choice(("", "", "", "", f" on {work.publisher}", f" ({work.label})"))
        return f'<a href="{url}" {A_ATTRS}>{work.title}</a>{extra}'
    return f"{work.publisher} [{work.label}]({url}) - {work.title}"


def render_links(rng: random.Random, items: list, html_style: bool) -> list:
    """Lines of the Links list: optional untitled lead group, then ### groups."""
    lines = ["## Links"]
    n_groups = max(1, min(len(items), rng.randint(2, 6)))
    cuts = sorted(rng.sample(range(1, len(items)), n_groups - 1)) if len(items) > n_groups else []
    bounds = [0, *cuts, len(items)]
    for g in range(len(bounds) - 1):
        if g or rng.random() < 0.7:
            heading = f"{rng.choice(ADJECTIVES)} {rng.choice(NOUNS)}"
            lines += ["", f"### {heading}"]
        depth = 0
        for i, item in enumerate(items[bounds[g] : bounds[g + 1]]):
            roll = rng.random()
            if i and roll < 0.15:
                depth = min(depth + 1, 2)
            elif roll < 0.6:
                depth = 0
            style = html_style if rng.random() < 0.9 else not html_style
            lines.append("  " * depth + "- " + render_reference(rng, item, style))
    lines += ["", "<!-- end of the list -->"]
    return lines


def render_chapters(rng: random.Random) -> list:
    count = rng.randint(5, 12)
    topics = rng.sample(CHAPTER_TOPICS, count - 2)
    length = rng.randint(20 * 60, 59 * 60)  # MM:SS stamps, so under an hour
    marks = sorted(rng.sample(range(30, length), count - 1))
    starts = [0, *marks]
    titles = ["Intro", *topics, "Outro"]
    rows = [f"{s // 60:02d}:{s % 60:02d} \u2759 {t}" for s, t in zip(starts, titles, strict=True)]
    body = "<br>\n".join(rows)
    return [
        "## Chapters",
        "",
        '<div style="text-align: left; font-family:monospace;"><small>',
        body,
        "</small></div>",
    ]


def render_front_matter(
    url: str, title: str, summary: str, date: dt.date, lastmod: dt.date, show: Show, tags: list
) -> list:
    lines = [
        "---",
        f"url: {url}",
        f"title: {yaml_str(title)}",
        f"summary: {yaml_str(summary)}",
        f"date: {date.isoformat()}",
        f"lastmod: {lastmod.isoformat()}",
        "",
        "image:",
        f"  caption: '{show.name} Cover Art'",
        "  preview_only: true",
        f"  filename: {show.slug}_cover-art.jpg",
        "",
        "authors:",
        f"  - {show.slug}",
        "",
        "tags:",
    ]
    lines += [f"  - {t}" for t in tags]
    lines += ["", "categories:", "  - Podcast", "---", ""]
    return lines


def topic_phrase(rng: random.Random) -> str:
    return f"{rng.choice(ADJECTIVES).lower()} {rng.choice(NOUNS).lower()} in {rng.choice(DOMAINS).lower()}"


def episode_text(rng: random.Random, show: Show, guests: list) -> tuple:
    """(title, summary, intro paragraph) for one episode."""
    topic = topic_phrase(rng)
    head = f"{rng.choice(ADJECTIVES)} {rng.choice(NOUNS)}"
    host = rng.choice(show.hosts)
    if not guests:
        summary = f"{host.first} digs into {topic}."
        intro = (
            f"In this episode {host.first} looks at {topic}, what the latest "
            f"work gets right, and what it leaves out."
        )
        return head, summary, intro
    names = " & ".join(g.display for g in guests)
    who = "; ".join(f"{g.display}, {g.role} {g.org.name}" for g in guests)
    summary = f"{names} on {topic}."
    intro = (
        f"{who}, {'joins' if len(guests) == 1 else 'join'} {host.first} to "
        f"discuss {topic}, how they got into the field, and what comes next."
    )
    return f"{head} w/ {names}", summary, intro


def render_episode(
    rng: random.Random, ep: dict, show: Show, guests: list, items: list, tags: list, seen_hex: set
) -> str:
    title, summary, intro = episode_text(rng, show, guests)
    hx = hex_id(rng, seen_hex)
    recorded = ep["date"] - dt.timedelta(days=rng.randint(3, 45))
    lastmod = ep["date"] + dt.timedelta(days=rng.choice((0, 0, 0, rng.randint(1, 400))))
    lines = render_front_matter(ep["url"], title, summary, ep["date"], lastmod, show, tags)
    lines += [
        '<div style="text-align: justify">',
        "",
        intro,
        "",
        f'{{{{< transistor src="https://share.transistor.fm/e/{hx}" >}}}}',
        '<div style="font-size: x-small;font-style: italic;padding-left: 2.25rem;">'
        f"EPISODE RECORDED {recorded:%Y.%m.%d}; "
        f'<a href="https://share.transistor.fm/s/{hx}/transcript.txt" {A_ATTRS}>'
        "TRANSCRIPT</a></div>",
        "</div>",
        "",
        "",
    ]
    lines += render_chapters(rng)
    lines.append("")
    lines += render_links(rng, items, ep["html_style"])
    return "\n".join(lines) + "\n"


# ------------------------------------------------------------ planning


def draw_distinct(rng: random.Random, cum: list, pool: list, k: int) -> list:
    """k distinct elements of pool drawn Zipf-skewed by index."""
    k = min(k, len(pool))
    picked: dict = {}
    while len(picked) < k:
        for i in rng.choices(range(len(pool)), cum_weights=cum, k=k - len(picked)):
            picked.setdefault(i, None)
    return [pool[i] for i in picked]


def plan_episodes(rng: random.Random, n: int, shows: list) -> list:
    """Assign each episode a show, number, date and url; dates rise with number."""
    show_cum = zipf_cum_weights(len(shows), 0.6)
    owners = [zipf_pick(rng, show_cum) for _ in range(n)]
    counts = [owners.count(i) for i in range(len(shows))]
    span_all = (END_DATE - START_DATE).days
    plans, numbers = [], [0] * len(shows)
    for owner in owners:
        numbers[owner] += 1
        k, count = numbers[owner], counts[owner]
        start = START_DATE + dt.timedelta(days=owner * 90)
        span = span_all - owner * 90
        date = start + dt.timedelta(days=int(span * (k - 1 + rng.random()) / count))
        slug = shows[owner].slug
        plans.append(
            {
                "show": owner,
                "num": k,
                "date": date,
                "url": f"/{slug}/e{k:05d}/",
                "dir": f"{slug}-episodes/{slug}-episode-{k:05d}",
                "html_style": rng.random() < 0.5,
            }
        )
    return plans


def self_reference(rng: random.Random, plans: list, idx: int, shows: list) -> Work | None:
    """Occasionally cite an earlier episode of the synthetic site."""
    if idx == 0 or rng.random() > 0.2:
        return None
    other = plans[rng.randrange(idx)]
    show = shows[other["show"]]
    base = BASE_URL + other["url"]
    return Work(show.name, "podcast episode", f"{show.name} episode {other['num']}", (base, base.rstrip("/")))


def episode_tags(rng: random.Random, has_guest: bool) -> list:
    tags = ["Interview"] if has_guest else [rng.choice(SOLO_TAGS)]
    for t in rng.sample(TAGS[1:], rng.randint(1, 4)):
        tags.append(t)
    return tags


# ------------------------------------------------------------ site pages


def write(path: str, text: str) -> None:
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8", newline="\n") as fh:
        fh.write(text)


def hugo_config() -> str:
    return (
        "# Configuration of Hugo (synthetic site written by benchmarks/synth.py)\n\n"
        "title: Synth.fm\n"
        f"baseURL: {BASE_URL}\n\n"
        "cascade:\n"
        "  - _target:\n"
        "      path: /posts/**\n"
        "      kind: page\n"
        "    pager: true\n"
        "    authors:\n"
        "      - admin\n\n"
        "defaultContentLanguage: en\n"
        "summaryLength: 30\n"
        "paginate: 10\n"
    )


def show_page(show: Show) -> str:
    return (
        f"---\nurl: /{show.slug}/\ntitle: '{show.name}'\ndate: 2016-01-01\ntype: landing\n\n"
        "sections:\n"
        "  - block: html-block\n"
        "    content:\n"
        f"      text: '<h1>{show.name}</h1>'\n"
        "  - block: brand-links\n"
        "    content:\n"
        "      items:\n"
        "        - icon: custom/transistor\n"
        f"          url: https://{show.slug}.transistor.fm\n"
        "          label: Listening platforms\n"
        "  - block: text-center-markdown\n"
        "    content:\n"
        f"      text: {show.name} is a synthetic podcast for benchmarking kgraph.\n"
        "  - block: subscribe\n"
        "    content:\n"
        "      title: Listen Anywhere\n"
        f"      rss: https://feeds.transistor.fm/{show.slug}\n---\n"
    )


def show_author_page(show: Show) -> str:
    first, _, last = show.name.partition(" ")
    return (
        f'---\n# Display name\ntitle: {show.name}\nurl: "{show.slug}/episodes"\n\n'
        f"first_name: {first}\nlast_name: {last}\n\nsuperuser: false\n\n"
        f"role: A synthetic show about {show.name.lower()}.\n\n"
        "user_groups:\n  - Show\n\n"
        "profiles:\n"
        "  - icon: custom/transistor\n"
        f"    url: https://{show.slug}.transistor.fm\n"
        "    label: Listening platforms\n"
        "  - icon: brands/youtube\n"
        f"    url: https://www.youtube.com/@{show.slug}\n"
        "    label: YouTube\n---\n"
    )


def host_page(host: Person, shows: list) -> str:
    links = " and ".join(f'<a href="/{s.slug}">{s.name}</a>' for s in shows)
    return (
        f"---\nurl: /{host.slug}/\n# Display name\ntitle: {host.name}\n\n"
        f"first_name: {host.first}\nlast_name: {host.last}\n\nsuperuser: false\n\n"
        "role: Host\n\nuser_groups:\n  - Hosts\n\n"
        "profiles:\n"
        "  - icon: custom/globe\n"
        f"    url: https://{host.slug}.github.io\n"
        "    label: Portfolio\n---\n\n"
        '<div style="text-align: justify">\n'
        f"{host.name} is host of {links}. Before podcasting, "
        f"{host.first} was {host.role} {host.org.name}.\n</div>\n"
    )


def write_site_pages(out: str, shows: list) -> int:
    """hugo.yaml, section indexes, show pages and author pages; returns pages."""
    write(os.path.join(out, "config/_default/hugo.yaml"), hugo_config())
    write(os.path.join(out, "content/authors/_index.md"), "---\n_build:\n  render:\n---\n")
    write(os.path.join(out, "content/posts/_index.md"), "---\ntitle: Episodes\n---\n")
    bios = "".join(f"  - block: show-bio\n    content:\n      username: {s.slug}\n" for s in shows)
    write(
        os.path.join(out, "content/shows/_index.md"),
        f"---\ntitle: 'All Shows'\ntype: landing\n\nsections:\n{bios}---\n",
    )
    pages = 0
    hosted: dict = {}
    for show in shows:
        write(os.path.join(out, f"content/shows/{show.slug}/_index.md"), show_page(show))
        write(os.path.join(out, f"content/authors/{show.slug}/_index.md"), show_author_page(show))
        pages += 2
        for host in show.hosts:
            hosted.setdefault(host, []).append(show)
    for host, their_shows in hosted.items():
        write(os.path.join(out, f"content/authors/{host.slug}/_index.md"), host_page(host, their_shows))
        pages += 1
    return pages


# ------------------------------------------------------------ driver


def generate(
    n: int, out: str, seed: int = 0, shows: int = 3, refs: int = 30, works: int | None = None
) -> Summary:
    """Write an n-episode synthetic site into out; return what was written."""
    t0 = time.perf_counter()
    rng = random.Random(seed)
    orgs = make_orgs(rng, max(20, n // 20))
    people = make_people(rng, max(1, n // 5) + 2 * shows, orgs)
    host_pool, guests = people[: max(1, shows)], people[max(1, shows) :]
    show_list = make_shows(rng, shows, host_pool)
    work_pool = make_works(rng, works or max(100, 2 * n), orgs, people)
    work_cum = zipf_cum_weights(len(work_pool))
    guest_cum = zipf_cum_weights(len(guests))
    pages = write_site_pages(out, show_list)
    plans = plan_episodes(rng, n, show_list)
    seen_hex: set = set()
    total_refs = 0
    for idx, ep in enumerate(plans):
        show = show_list[ep["show"]]
        ep_guests: list = []
        if rng.random() < GUEST_SHARE:
            ep_guests = draw_distinct(rng, guest_cum, guests, 2 if rng.random() < 0.1 else 1)
        k = max(1, rng.randint(int(refs * 0.7), int(refs * 1.3) or 1))
        items = draw_distinct(rng, work_cum, work_pool, k)
        extra = self_reference(rng, plans, idx, show_list)
        if extra:
            items.insert(rng.randrange(len(items) + 1), extra)
        text = render_episode(rng, ep, show, ep_guests, items, episode_tags(rng, bool(ep_guests)), seen_hex)
        write(os.path.join(out, "content/posts", ep["dir"], "index.md"), text)
        total_refs += len(items)
    return Summary(pages + n, n, total_refs, time.perf_counter() - t0)


def parse_args(argv: list | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("n", type=int, help="number of episode pages")
    p.add_argument("out", help="output directory (created; must be empty unless --force)")
    p.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    p.add_argument("--shows", type=int, default=3, help="number of shows (default 3)")
    p.add_argument("--refs", type=int, default=30, help="mean references per episode (default 30)")
    p.add_argument(
        "--works", type=int, default=None, help="size of the pool of cited works (default max(100, 2N))"
    )
    p.add_argument("--force", action="store_true", help="delete OUT first if it is not empty")
    args = p.parse_args(argv)
    if args.n < 0 or args.shows < 1 or args.refs < 1:
        p.error("N must be >= 0, --shows and --refs >= 1")
    return args


def main(argv: list | None = None) -> Summary:
    args = parse_args(argv)
    if os.path.isdir(args.out) and os.listdir(args.out):
        if not args.force:
            sys.exit(f"synth: {args.out} is not empty (use --force to replace it)")
        shutil.rmtree(args.out)
    summary = generate(args.n, args.out, args.seed, args.shows, args.refs, args.works)
    print(
        f"synth: wrote {summary.pages} pages ({summary.episodes} episodes) with "
        f"{summary.references} references in {summary.seconds:.2f} s -> {args.out}"
    )
    return summary


if __name__ == "__main__":
    main()

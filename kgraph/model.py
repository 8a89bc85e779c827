"""Records that flow between the steps: pages -> parsed pages -> extracted records.

Frozen dataclasses with no rdflib in sight, so extraction can be tested on plain values.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

__all__ = [
    "Site",
    "Page",
    "Skipped",
    "Show",
    "Person",
    "Organization",
    "Chapter",
    "Link",
    "Work",
    "Citation",
    "Episode",
    "Corpus",
]


@dataclass(frozen=True)
class Site:
    """A Hugo site: where its content lives and the base URL pages are published under."""

    root: Path
    content: Path
    base_url: str
    title: str = ""


@dataclass(frozen=True)
class Page:
    """One markdown file with its front matter, as Hugo would see it."""

    site: Site
    path: Path  # absolute path of the file
    rel: str  # path relative to the content folder, with forward slashes
    meta: dict
    body: str
    body_line: int  # 1-based line number of the body's first line in the file
    kind: str  # episode | post | author | show | section | other

    @property
    def section(self) -> str:
        """The top content folder below posts/ (or the first folder), e.g. 'ias-episodes'."""
        parts = self.rel.split("/")
        if parts[0] == "posts" and len(parts) > 2:
            return parts[1]
        return parts[0] if len(parts) > 1 else ""


@dataclass(frozen=True)
class Skipped:
    """A file left out of the graph, and why (shown in the build summary)."""

    path: str
    reason: str
    warning: bool = False  # True when the user should look at the file (not a normal draft)


@dataclass(frozen=True)
class Organization:
    name: str
    key: str  # stable identity (slug of the canonical name)
    url: str = ""
    kind: str = ""
    # keys of the pages naming it (in text, as publisher of a link, as a guest's affiliation): one
    # page's view has its own key, the merge has them all, so counts need no query over the graph
    named_on: tuple[str, ...] = ()


@dataclass(frozen=True)
class Person:
    name: str
    key: str  # stable identity (slug of the normalised name)
    url: str = ""  # author page URL, when the site has one
    role: str = ""
    affiliations: tuple[str, ...] = ()  # organization keys


@dataclass(frozen=True)
class Show:
    name: str
    key: str
    url: str
    description: str = ""
    hosts: tuple[str, ...] = ()  # person keys


@dataclass(frozen=True)
class Chapter:
    start: int  # seconds from the start of the episode
    title: str


@dataclass(frozen=True)
class Link:
    """A link as it stands on a page, with the text around it."""

    url: str  # as written (resolved against the page when relative)
    text: str  # anchor text
    line: int  # 1-based line number in the file
    section: str = ""  # nearest heading above it
    context: str = ""  # the line's text with markup removed
    parent: str = ""  # the text of the enclosing list item, for nested lists
    lead: str = ""  # words before the link on its line ("Reuters" in "Reuters [article](...)")
    tail: str = ""  # words after the link ("- Title" in "[paper](...) - Title")


@dataclass(frozen=True)
class Work:
    """One real-world thing that pages link to: a paper, dataset, repository, video, page..."""

    key: str  # stable identity: arXiv id, doi, or canonical URL
    url: str  # canonical URL
    kind: str  # paper | dataset | code | video | news | blog | wikipedia | page | episode
    name: str
    identifier: str = ""  # "arXiv:2103.03386", "doi:10.1/x"
    publisher: str = ""  # organization key
    venue: str = ""
    cited_on: tuple[str, ...] = ()  # keys of the pages linking it (see Organization.named_on)


@dataclass(frozen=True)
class Citation:
    """Provenance: which page cited which work, where and with what words."""

    page: str  # key of the citing episode/post
    work: str  # key of the cited work
    line: int
    section: str
    text: str
    context: str


@dataclass(frozen=True)
class Episode:
    """An episode page, or another published page with references (blog/research post)."""

    key: str  # content-relative path of the page file: stable and unique
    kind: str  # episode | post
    title: str
    url: str  # absolute page URL
    source: str  # the file it came from
    date: dt.date | None = None
    lastmod: dt.date | None = None
    summary: str = ""
    show: str = ""  # show key
    hosts: tuple[str, ...] = ()
    guests: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    chapters: tuple[Chapter, ...] = ()
    audio: str = ""
    transcript: str = ""
    video: str = ""
    recorded: dt.date | None = None
    mentions: tuple[str, ...] = ()  # organization keys named on the page
    datasets: tuple[str, ...] = ()  # keys of datasets named (not linked) on the page


@dataclass
class Corpus:
    """Everything extracted from one or more sites, deduplicated by key."""

    shows: dict[str, Show] = field(default_factory=dict)
    episodes: dict[str, Episode] = field(default_factory=dict)
    people: dict[str, Person] = field(default_factory=dict)
    organizations: dict[str, Organization] = field(default_factory=dict)
    works: dict[str, Work] = field(default_factory=dict)
    citations: list[Citation] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    pages_read: int = 0
    pages: dict[str, object] = field(default_factory=dict)  # page key -> extract.site.PageRecord (the build cache)
    sites: dict[str, tuple[str, str]] = field(default_factory=dict)  # base URL -> (people, directory fingerprints)
    directory_people: dict[str, list[Person]] = field(default_factory=dict)  # base URL -> people of its author pages

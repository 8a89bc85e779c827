"""Extracted records -> RDF quads, following ../shared/contract.md (schema.org) and ontology/.

Each episode/post page gets its own named graph (its facts, chapters and citations), and the
descriptions of shared things (shows, people, organizations, works) live in one entities
graph; queries see the union. IRIs are minted from stable keys (content paths, arXiv ids,
canonical URLs), never from file order, so the same input gives the same IRIs anywhere.
"""

from __future__ import annotations

import functools
import hashlib
import re
from collections.abc import Iterator
from urllib.parse import quote

import pyoxigraph as ox
from rdflib import BNode, Dataset, Literal, URIRef
from rdflib.term import Node

from kgraph.model import Citation, Corpus, Episode, Organization, Person, Show, Work
from kgraph.namespaces import GRAPH_ENTITIES, ID, KG, RDF, SDO, XSD

__all__ = ["corpus_quads", "to_dataset", "iri", "safe_text", "episode_iri", "work_iri", "page_graph", "CLASS_OF"]

Quad = tuple[Node, Node, Node, URIRef]

CLASS_OF = {
    "paper": SDO.ScholarlyArticle,
    "dataset": SDO.Dataset,
    "code": SDO.SoftwareSourceCode,
    "video": SDO.VideoObject,
    "news": SDO.NewsArticle,
    "blog": SDO.BlogPosting,
    "wikipedia": SDO.WebPage,
    "social": SDO.SocialMediaPosting,
    "page": SDO.WebPage,
}
EXTRA_CLASS = {"wikipedia": KG.WikipediaArticle}
_BAD_IRI_CHARS = re.compile(r"[\x00-\x20<>\"{}|^`\\\x7f]")
_STRAY_PERCENT = re.compile(r"%(?![0-9A-Fa-f]{2})")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffe\uffff]")
_IRI_SAFE = "!$&'()*+,;=:@/?%-._~"  # RFC 3987 reserved and unreserved ASCII, and existing escapes


@functools.lru_cache(maxsize=65536)
def iri(url: str) -> URIRef:
    """An absolute IRI that Oxigraph and every RDF syntax accept, however odd the URL.

    Characters IRIs forbid (space, quotes, <>, {}, |, ^, `, backslash, controls) and a % not
    followed by two hex digits are percent-encoded; then the path, query and fragment are
    re-encoded if Oxigraph still refuses the IRI (a second #, a code point IRIs exclude). What
    cannot be repaired (no scheme, a broken host) becomes an IRI under kgraph's own namespace
    that keeps the text, so one bad link never fails a build or an export.
    """
    text = _BAD_IRI_CHARS.sub(lambda m: quote(m.group(0), safe=""), safe_text(url).strip())
    text = _STRAY_PERCENT.sub("%25", text)
    if _valid_iri(text):
        return URIRef(text)
    head, sep, rest = text.partition("://")
    if sep:
        authority, slash, tail = rest.partition("/")
        path, hash_, fragment = tail.partition("#")
        fixed = f"{head}://{authority}{slash}{quote(path, safe=_IRI_SAFE)}{hash_}{quote(fragment, safe=_IRI_SAFE)}"
        if _valid_iri(fixed):
            return URIRef(fixed)
    return URIRef(f"{ID}invalid-iri/{quote(text, safe='')}")


def _valid_iri(text: str) -> bool:
    try:
        ox.NamedNode(text)
    except ValueError:
        return False
    return True


def safe_text(text: str) -> str:
    """Text that serialises everywhere: no lone surrogates, no control characters but tab/newline/CR,
    no non-characters (U+FFFE, U+FFFF) that XML refuses."""
    text = text.encode("utf-8", "replace").decode("utf-8") if _has_surrogate(text) else text
    return _CONTROL.sub("", text)


def _has_surrogate(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def _lit(text: str) -> Literal:
    return Literal(safe_text(text))


def _path_id(key: str) -> str:
    key = re.sub(r"(/index|/_index)?\.md$", "", key)
    return quote(key, safe="/-._~")


def episode_iri(key: str) -> URIRef:
    return ID["page/" + _path_id(key)]


def page_graph(key: str) -> URIRef:
    return ID["graph/page/" + _path_id(key)]


def work_iri(key: str) -> URIRef:
    if key.startswith("page:"):
        return episode_iri(key[5:])
    if key.startswith("arxiv:"):
        return ID["work/arxiv/" + quote(key[6:], safe="./")]
    if key.startswith("dataset:"):
        return ID["work/dataset/" + quote(key[8:], safe="-")]
    if key.startswith("doi:"):
        return ID["work/doi/" + quote(key[4:], safe="./")]
    return ID["work/url/" + hashlib.sha1(key.encode()).hexdigest()[:20]]


def person_iri(key: str) -> URIRef:
    return ID["person/" + quote(key, safe="-")]


def org_iri(key: str) -> URIRef:
    return ID["org/" + quote(key, safe="-")]


def show_iri(key: str) -> URIRef:
    return ID["show/" + quote(key, safe="-")]


def corpus_quads(corpus: Corpus) -> Iterator[Quad]:
    """Every quad of the graph, entity descriptions first, then one named graph per page."""
    g = GRAPH_ENTITIES
    for show in corpus.shows.values():
        yield from ((s, p, o, g) for s, p, o in show_triples(show))
    for person in corpus.people.values():
        yield from ((s, p, o, g) for s, p, o in person_triples(person))
    for org in corpus.organizations.values():
        yield from ((s, p, o, g) for s, p, o in org_triples(org))
    for work in corpus.works.values():
        yield from ((s, p, o, g) for s, p, o in work_triples(work))
    cites: dict[str, list[Citation]] = {}
    for c in corpus.citations:
        cites.setdefault(c.page, []).append(c)
    for ep in corpus.episodes.values():
        pg = page_graph(ep.key)
        yield from ((s, p, o, pg) for s, p, o in episode_triples(ep, cites.get(ep.key, [])))


def show_triples(show: Show) -> Iterator[tuple[Node, Node, Node]]:
    s = show_iri(show.key)
    yield s, RDF.type, SDO.PodcastSeries
    yield s, SDO.name, _lit(show.name)
    if show.url:
        yield s, SDO.url, iri(show.url)
    if show.description:
        yield s, SDO.description, _lit(show.description)
    for h in show.hosts:
        yield s, SDO.author, person_iri(h)


def person_triples(p: Person) -> Iterator[tuple[Node, Node, Node]]:
    s = person_iri(p.key)
    yield s, RDF.type, SDO.Person
    yield s, SDO.name, _lit(p.name)
    if p.url:
        yield s, SDO.url, iri(p.url)
    if p.role:
        yield s, SDO.jobTitle, _lit(p.role)
    for a in p.affiliations:
        yield s, SDO.affiliation, org_iri(a)


def org_triples(o: Organization) -> Iterator[tuple[Node, Node, Node]]:
    s = org_iri(o.key)
    yield s, RDF.type, SDO.Organization
    yield s, SDO.name, _lit(o.name)
    if o.url:
        yield s, SDO.url, iri(o.url)
    if o.kind:
        yield s, KG.orgKind, _lit(o.kind)


def work_triples(w: Work) -> Iterator[tuple[Node, Node, Node]]:
    s = work_iri(w.key)
    yield s, RDF.type, CLASS_OF[w.kind]
    if w.kind in EXTRA_CLASS:
        yield s, RDF.type, EXTRA_CLASS[w.kind]
    yield s, SDO.name, _lit(w.name)
    if w.url:
        yield s, SDO.url, iri(w.url)
    yield s, KG.kind, _lit(w.kind)
    if w.identifier:
        yield s, SDO.identifier, _lit(w.identifier)
    if w.publisher:
        yield s, SDO.publisher, org_iri(w.publisher)
    if w.venue:
        yield s, KG.venue, _lit(w.venue)


def episode_triples(ep: Episode, citations: list[Citation]) -> Iterator[tuple[Node, Node, Node]]:
    s = episode_iri(ep.key)
    if ep.kind == "episode":
        yield s, RDF.type, SDO.PodcastEpisode
    else:
        yield s, RDF.type, SDO.Article if "/research/" in ep.key else SDO.BlogPosting
    yield s, SDO.name, _lit(ep.title)
    yield s, SDO.url, iri(ep.url)
    yield s, KG.pageKey, _lit(ep.key)
    yield s, KG.sourceFile, _lit(ep.key.split("/", 1)[1])
    if ep.date:
        yield s, SDO.datePublished, Literal(ep.date, datatype=XSD.date)
    if ep.lastmod:
        yield s, SDO.dateModified, Literal(ep.lastmod, datatype=XSD.date)
    if ep.recorded:
        yield s, KG.recordedDate, Literal(ep.recorded, datatype=XSD.date)
    if ep.summary:
        yield s, SDO.abstract, _lit(ep.summary)
    if ep.show:
        yield s, SDO.partOfSeries, show_iri(ep.show)
    for h in ep.hosts:
        yield s, SDO.author, person_iri(h)
    for gkey in ep.guests:
        yield s, SDO.actor, person_iri(gkey)
    for tag in ep.tags:
        yield s, SDO.keywords, _lit(tag)
    for cat in ep.categories:
        yield s, KG.category, _lit(cat)
    for name, value in ((KG.audio, ep.audio), (KG.transcript, ep.transcript), (KG.videoVersion, ep.video)):
        if value:
            yield s, name, iri(value)
    for o in ep.mentions:
        yield s, SDO.mentions, org_iri(o)
    for d in ep.datasets:
        yield s, SDO.mentions, work_iri(d)
    for n, ch in enumerate(ep.chapters, start=1):
        c = URIRef(f"{s}/chapter/{n}")
        yield s, SDO.hasPart, c
        yield c, RDF.type, SDO.Clip
        yield c, SDO.name, _lit(ch.title)
        yield c, SDO.startOffset, Literal(ch.start, datatype=XSD.integer)
        yield c, SDO.position, Literal(n, datatype=XSD.integer)
        yield c, SDO.isPartOf, s
    seen: set[tuple[str, int]] = set()
    for c in citations:
        target = work_iri(c.work)
        yield s, SDO.citation, target
        if (c.work, c.line) in seen:
            continue
        seen.add((c.work, c.line))
        node = URIRef(f"{s}/citation/{c.line}-{hashlib.sha1(c.work.encode()).hexdigest()[:8]}")
        yield node, RDF.type, KG.Citation
        yield node, SDO.name, _lit(f"{c.text or c.work} (line {c.line})")
        yield node, KG.citingPage, s
        yield node, KG.cites, target
        yield node, KG.line, Literal(c.line, datatype=XSD.integer)
        if c.section:
            yield node, KG.section, _lit(c.section)
        if c.text:
            yield node, KG.anchorText, _lit(c.text)
        if c.context:
            yield node, KG.context, _lit(c.context)


def to_dataset(quads: Iterator[Quad]) -> Dataset:
    """An rdflib Dataset holding the quads (for SHACL, serialisers and Python users)."""
    ds = Dataset()
    for s, p, o, g in quads:
        if isinstance(s, BNode):
            continue
        ds.add((s, p, o, g))
    return ds

"""What the dashboard shows, as plain Python: numbers, tables, subgraphs, page details, downloads.

Every function takes a KnowledgeGraph, or the `GraphIndex` built once from it, and returns data
(pandas DataFrames, networkx graphs, dataclasses, bytes). Nothing here imports Streamlit, so the
app script stays wiring and each function is tested on its own. Strings from pages come back as
they are; the app shows them only as text (tables, `md_escape`d markdown, canvas labels).

Network filters work on pages (episodes and posts): a page is kept when it matches the show,
date and tag filters; the things it links to are kept with it (works, people, organizations,
its show), and so are the publishers of those works and the affiliations of those people. Then
works cited by fewer than `min_citations` kept pages go, entities left with no link go, and
last the entity-type filter applies.
"""

from __future__ import annotations

import datetime as dt
import io
import itertools
import re
import sys
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field

import networkx as nx
import pandas as pd
import pyoxigraph as ox

from kgraph.export import ENTITY_TYPES, gephi_attributes, triples_bytes, write_graphml
from kgraph.graph import KnowledgeGraph
from kgraph.namespaces import ID, KG, SDO

__all__ = [
    "GraphIndex", "Filters", "FilterOptions", "View", "EntityDetails", "EpisodeDetails", "ConsoleResult",
    "EXPORT_FORMATS", "KIND_LABELS", "build_index", "filter_options", "filter_graph", "focus_view",
    "default_focus", "entity_labels", "page_labels", "matching", "LIST_ALL_UP_TO", "MATCHES", "pages_frame",
    "activity_by_show", "overview_counts",
    "top_works", "top_domains", "top_guests", "top_organizations", "entity_details", "neighbours",
    "episode_details", "query_params", "run_console", "export_bytes", "md_escape", "safe_url", "hms",
]

PAGE = "Post"  # type shown for the site's own blog posts and articles (schema:BlogPosting/Article pages)
TYPE_ORDER = ["Show", "Episode", PAGE, *[t for t in ENTITY_TYPES.values() if t not in ("Show", "Episode")]]
KIND_LABELS = {
    "paper": "Papers", "dataset": "Datasets", "code": "Code", "video": "Videos", "news": "News",
    "blog": "Blog posts", "wikipedia": "Wikipedia", "social": "Social media", "page": "Web pages",
    "episode": "Episodes and posts of the corpus",
}
EXPORT_FORMATS = {  # name -> (label, MIME type, file suffix)
    "graphml": ("GraphML", "application/graphml+xml", ".graphml"),
    "turtle": ("Turtle", "text/turtle", ".ttl"),
    "jsonld": ("JSON-LD", "application/ld+json", ".jsonld"),
}
CONSOLE_TIMEOUT = 20.0  # seconds a console query may run (in a worker process that is then stopped)
_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~:$&=^])")
_PARAM = re.compile(r"^#\s*param:\s*([A-Za-z_]\w*)", re.M)


# --- the graph, once per store version -------------------------------------------------------

@dataclass(frozen=True)
class GraphIndex:
    """The entity graph of a store with what the views look up often."""

    graph: nx.MultiDiGraph  # kgraph.export.to_networkx, with site posts typed PAGE
    pages: frozenset[str]  # episodes and posts
    tags: dict[str, tuple[str, ...]]
    degree: dict[str, int]  # distinct neighbours in the whole graph
    citing: dict[str, frozenset[str]]  # work -> the pages that cite it (the min_citations filter)


def build_index(kg: KnowledgeGraph) -> GraphIndex:
    """The entity graph and its page, tag and degree tables."""
    g = kg.to_networkx()
    pages = set()
    for node, data in g.nodes(data=True):
        if data.get("type") == "Episode":
            pages.add(node)
        elif data.get("type") in ("Blog", "Article") and "kind" not in data:  # the site's own posts
            data["type"] = PAGE
            pages.add(node)
    tags = {row["page"]: str(row["tags"]).split("\t") for row in kg.query("page-tags")}
    degree = {v: len(set(g.pred[v]) | set(g.succ[v])) for v in g}
    citing = {v: frozenset(p for p, keys in g.pred[v].items() if "citation" in keys and p in pages)
              for v, kind in g.nodes(data="kind") if kind}
    return GraphIndex(g, frozenset(pages), {p: tuple(sorted(t)) for p, t in tags.items()}, degree, citing)


@dataclass(frozen=True)
class Filters:
    """The network filters; empty means 'no restriction'."""

    shows: tuple[str, ...] = ()
    types: tuple[str, ...] = ()
    dates: tuple[dt.date, dt.date] | None = None
    tags: tuple[str, ...] = ()
    min_citations: int = 0

    @property
    def on_pages(self) -> bool:
        return bool(self.shows or self.dates or self.tags)


@dataclass(frozen=True)
class FilterOptions:
    shows: list[str]
    types: list[str]
    tags: list[str]
    first: dt.date | None
    last: dt.date | None


def filter_options(index: GraphIndex) -> FilterOptions:
    """The values the filter widgets offer: shows, types, tags, first and last page dates."""
    g = index.graph
    shows = sorted({d["label"] for _, d in g.nodes(data=True) if d.get("type") == "Show"})
    present = {d.get("type", "") for _, d in g.nodes(data=True)}
    types = [t for t in TYPE_ORDER if t in present] + sorted(present - set(TYPE_ORDER))
    tags = sorted({t for ts in index.tags.values() for t in ts}, key=str.lower)
    dates = sorted(d for p in index.pages if (d := _date(g.nodes[p].get("date"))))
    return FilterOptions(shows, types, tags, dates[0] if dates else None, dates[-1] if dates else None)


def _date(value: object) -> dt.date | None:
    try:
        return dt.date.fromisoformat(str(value)[:10]) if value else None
    except ValueError:
        return None


def _page_ok(data: dict, tags: tuple[str, ...], f: Filters) -> bool:
    if f.shows and data.get("show") not in f.shows:
        return False
    if f.dates:
        d = _date(data.get("date"))
        if d is None or not f.dates[0] <= d <= f.dates[1]:
            return False
    return not f.tags or bool(set(tags) & set(f.tags))


def filter_graph(index: GraphIndex, f: Filters) -> nx.MultiDiGraph:
    """The part of the graph the filters select (see the module docstring for the rules)."""
    g = index.graph
    if f.on_pages:
        pages = {p for p in index.pages if _page_ok(g.nodes[p], index.tags.get(p, ()), f)}
        first = {w for p in pages for w in nx.all_neighbors(g, p) if w not in index.pages}
        second = {w for v in first for w in g.succ[v] if w not in index.pages}
        keep = pages | first | second
    else:
        pages = set(index.pages)
        keep = set(g)
    if f.min_citations > 0:
        # counted from the index's citing pages (made once, 0.6-0.8 s at 10,000 episodes): walking
        # each work's edges here took 0.6-0.8 s on every rerun, now 0.05-0.13 s
        for v in list(keep):
            cited_by = index.citing.get(v)
            if cited_by is not None and len(cited_by & pages if f.on_pages else cited_by) < f.min_citations:
                keep.discard(v)
    keep = {v for v in keep if v in pages or _linked_within(g, v, keep)}
    if f.types:
        keep = {v for v in keep if g.nodes[v].get("type") in f.types}
    # a read-only view: copying the selection cost seconds at 10,000 episodes (every edge
    # through networkx's filtered views), and the network only reads it
    return g.subgraph(keep)


def _linked_within(g: nx.MultiDiGraph, v: str, keep: set[str]) -> bool:
    """Whether v has a neighbour in keep (networkx's subgraph degree walks every edge of v)."""
    return any(w in keep for w in g.succ[v]) or any(w in keep for w in g.pred[v])


@dataclass
class View:
    """What the network draws: at most max_nodes of the `total` entities selected."""

    graph: nx.MultiDiGraph
    total: int
    focus: str | None = None
    focus_hidden: bool = False  # the focused entity is outside the filters (shown anyway)

    @property
    def capped(self) -> bool:
        return self.total > len(self.graph)


def focus_view(index: GraphIndex, filtered: nx.MultiDiGraph, focus: str | None, hops: int,
               max_nodes: int) -> View:
    """The neighbourhood of `focus` (within `hops` links) in the filtered graph, or all of it.

    Over max_nodes, the nearest nodes are kept (then the best connected).
    """
    g = index.graph  # the kept nodes' subgraph of the whole graph is the filtered one's: views of views are slow
    if focus is not None and focus in g:
        hidden = focus not in filtered
        dist = _distances(g, set(filtered) | {focus}, focus, hops)
        order = sorted(dist, key=lambda v: (dist[v], -index.degree.get(v, 0), v))
        return View(g.subgraph(order[:max_nodes]).copy(), len(order), focus, hidden)
    order = sorted(filtered, key=lambda v: (-index.degree.get(v, 0), v))
    return View(g.subgraph(order[:max_nodes]).copy(), len(order))


def _distances(g: nx.MultiDiGraph, allowed: set[str], source: str, cutoff: int) -> dict[str, int]:
    """Links (either way) from source to each node of `allowed` within cutoff, through `allowed`
    only: networkx's breadth-first search over an undirected view of the filtered view spent
    2.5 of 4.9 s on the views (10,000 episodes, four filter changes)."""
    dist, frontier = {source: 0}, [source]
    for d in range(1, cutoff + 1):
        found = []
        for v in frontier:
            for w in itertools.chain(g.succ[v], g.pred[v]):
                if w not in dist and w in allowed:
                    dist[w] = d
                    found.append(w)
        frontier = found
    return dist


def default_focus(index: GraphIndex, among: set[str] | frozenset[str] | None = None) -> str | None:
    """The entity the network centres on at first: the latest episode (else the best connected),
    of the whole graph or of the nodes `among` (e.g. those the filters keep)."""
    g = index.graph
    nodes = set(g) if among is None else set(among) & set(g)
    episodes = [p for p in index.pages & nodes
                if g.nodes[p].get("type") == "Episode" and g.nodes[p].get("date")]
    if episodes:
        return max(episodes, key=lambda p: (g.nodes[p]["date"], p))
    return max(nodes, key=lambda v: (index.degree[v], v)) if nodes else None


def entity_labels(index: GraphIndex) -> dict[str, str]:
    """IRI -> 'name · type' for every entity, ordered by type then name (for a search box)."""
    g = index.graph
    rank = {t: i for i, t in enumerate(TYPE_ORDER)}
    nodes = sorted(g.nodes(data=True), key=lambda nd: (rank.get(nd[1].get("type"), 99),
                                                       str(nd[1].get("label", "")).lower(), nd[0]))
    return {v: f"{_one_line(d.get('label', v))} · {d.get('type', '?')}" for v, d in nodes}


LIST_ALL_UP_TO = 3_000  # a picker lists every choice up to this many; past it, a search box finds them
MATCHES = 100  # choices a search offers at most


def matching(labels: dict[str, str], text: str, limit: int = MATCHES) -> list[str]:
    """The keys whose label holds every word of text (any case), in the labels' order, at most
    limit; an IRI given whole matches itself. A picker of a large graph offers these instead of
    every entity: 30,000 options sent to the browser slowed every rerun of the view by a second
    (10,000 episodes; Streamlit's own advice is to search past a few thousand)."""
    text = text.strip()
    if text in labels:
        return [text]
    words = text.lower().split()
    found = []
    for key, label in labels.items():
        low = label.lower()
        if all(w in low for w in words):
            found.append(key)
            if len(found) >= limit:
                break
    return found


def page_labels(index: GraphIndex) -> dict[str, str]:
    """IRI -> 'date · show · title' for every episode and post, newest first."""
    g = index.graph
    pages = sorted(index.pages, key=lambda p: (str(g.nodes[p].get("date", "")), p), reverse=True)
    out = {}
    for p in pages:
        d = g.nodes[p]
        parts = [d.get("date", "undated"), d.get("show") or d.get("type", ""), _one_line(d.get("label", p))]
        out[p] = " · ".join(str(x) for x in parts)
    return out


def _one_line(text: object) -> str:
    return " ".join(str(text).split())


# --- overview ----------------------------------------------------------------------------------

def overview_counts(kg: KnowledgeGraph, index: GraphIndex) -> pd.DataFrame:
    """Entities by type (posts apart from cited blogs), plus chapters and citation links."""
    counts = Counter(d.get("type", "?") for _, d in index.graph.nodes(data=True))
    for row in kg.query("entity-counts"):
        if str(row["type"]).endswith("/Clip"):
            counts["Chapter"] = row["count"]
    counts["Citation link"] = sum(1 for *_, key in index.graph.edges(keys=True) if key == "citation")
    order = [*TYPE_ORDER, "Chapter", "Citation link"]
    rows = sorted(counts.items(), key=lambda kv: (order.index(kv[0]) if kv[0] in order else 99, kv[0]))
    return pd.DataFrame(rows, columns=["type", "count"])


def pages_frame(index: GraphIndex) -> pd.DataFrame:
    """One row per episode or post: page, title, type, show, date, references, guests."""
    g = index.graph
    rows = []
    for p in index.pages:
        d = g.nodes[p]
        refs = sum(1 for _, keys in g.succ[p].items() if "citation" in keys)
        guests = sum(1 for _, keys in g.succ[p].items() if "actor" in keys)
        rows.append({"page": p, "title": d.get("label", ""), "type": d.get("type", ""),
                     "show": d.get("show") or "Blog posts", "date": d.get("date"),
                     "references": refs, "guests": guests})
    frame = pd.DataFrame(rows, columns=["page", "title", "type", "show", "date", "references", "guests"])
    frame["date"] = pd.to_datetime(frame["date"], errors="coerce")
    frame = frame.sort_values(["date", "page"], ascending=[False, True], na_position="last")
    return frame.reset_index(drop=True)


def activity_by_show(pages: pd.DataFrame, freq: str = "QS") -> pd.DataFrame:
    """Pages and references per show and period (default: quarters): show, period, pages, references."""
    dated = pages.dropna(subset=["date"])
    if dated.empty:
        return pd.DataFrame(columns=["show", "period", "pages", "references"])
    grouped = dated.groupby(["show", pd.Grouper(key="date", freq=freq)])
    out = grouped.agg(pages=("page", "count"), references=("references", "sum")).reset_index()
    return out.rename(columns={"date": "period"})


def _frame(kg: KnowledgeGraph, query: str, columns: list[str], limit: int, **params: str) -> pd.DataFrame:
    result = kg.run(query, params or None)
    frame = pd.DataFrame(result.rows, columns=result.variables)
    return frame[columns].head(limit).reset_index(drop=True)


def _ranked(rows: list[dict], key: str, limit: int, columns: list[str]) -> pd.DataFrame:
    rows = sorted(rows, key=lambda r: (-r[key], str(r["name"]).lower(), r[columns[0]]))[:limit]
    return pd.DataFrame(rows, columns=columns)


def top_works(index: GraphIndex, limit: int = 20) -> pd.DataFrame:
    """Most-cited works: work, name, type (kind), citations (pages citing it), as most-cited-works.rq."""
    g = index.graph
    rows = []
    for w, data in g.nodes(data=True):
        if "kind" in data:
            n = sum(1 for p, keys in g.pred[w].items() if "citation" in keys and p in index.pages)
            if n:
                rows.append({"work": w, "name": data.get("label", w), "type": data["kind"], "citations": n})
    return _ranked(rows, "citations", limit, ["work", "name", "type", "citations"])


def top_domains(kg: KnowledgeGraph, limit: int = 20) -> pd.DataFrame:
    """Most-linked web sites: domain, citations (page-work pairs) linking it, works on it."""
    return _frame(kg, "linked-domains", ["domain", "citations", "works"], limit)


def top_guests(kg: KnowledgeGraph, limit: int = 20) -> pd.DataFrame:
    """Most frequent guests: person, name, episodes."""
    return _frame(kg, "top-guests", ["person", "name", "episodes"], limit)


def top_organizations(kg: KnowledgeGraph, limit: int = 20) -> pd.DataFrame:
    """Organizations by the pages naming them: org, name, pages (organizations-by-mentions.rq)."""
    return _frame(kg, "organizations-by-mentions", ["org", "name", "pages"], limit)


# --- entity and episode pages ------------------------------------------------------------------

@dataclass
class EntityDetails:
    iri: str
    name: str
    types: list[str]
    facts: pd.DataFrame  # property, value
    links: list[tuple[str, str]]  # (property, http(s) URL)
    citations: pd.DataFrame  # page, title, date, show, section, link text, context, line (the newest 1,000 links)
    citing_pages: int  # all the pages that link it, listed or not
    neighbours: pd.DataFrame  # iri, name, type, relation, direction


def _local(iri: str) -> str:
    return re.split(r"[/#]", str(iri).rstrip("/"))[-1]


def _facts(kg: KnowledgeGraph, iri: str) -> list[dict]:
    return kg.query("entity-facts", {"entity": iri})


def entity_details(kg: KnowledgeGraph, index: GraphIndex, iri: str) -> EntityDetails | None:
    """Everything the entity page shows about one entity, or None if the graph has no such entity."""
    rows = _facts(kg, iri)
    if not rows:
        return None
    name, types, facts, links = "", [], [], []
    for row in rows:
        prop, value = str(row["property"]), row["value"]
        if prop == str(SDO.name):
            name = str(value)
        if prop.endswith("rdf-syntax-ns#type"):
            local = _local(value)
            types.append(ENTITY_TYPES.get(local, local))
        elif row["valueName"] is None and safe_url(value):
            if not str(value).startswith(str(ID)):
                links.append((_local(prop), str(value)))
        elif row["valueName"] is None:
            facts.append({"property": _local(prop), "value": _text(value)})
    kind = index.graph.nodes[iri].get("type") if iri in index.graph else None
    if kind and kind not in types:
        types.insert(0, kind)
    columns = ["page", "title", "date", "show", "section", "anchorText", "context", "line", "pages"]
    citations = pd.DataFrame(kg.query("entity-citations", {"entity": iri}), columns=columns)
    citing = int(citations["pages"].iloc[0]) if len(citations) else 0
    citations = citations.drop(columns=["pages"]).rename(columns={"anchorText": "link text"})
    return EntityDetails(iri, name or _local(iri), types, pd.DataFrame(facts, columns=["property", "value"]),
                         links, citations, citing, neighbours(index, iri))


def _text(value: object) -> str:
    return value.isoformat() if isinstance(value, dt.date) else str(value)


def neighbours(index: GraphIndex, iri: str) -> pd.DataFrame:
    """The entities linked to iri: iri, name, type, relation, direction ('out': iri -> it)."""
    g = index.graph
    rows = []
    if iri in g:
        for direction, adjacency in (("out", g.succ[iri]), ("in", g.pred[iri])):
            for other, keys in adjacency.items():
                d = g.nodes[other]
                rows.append({"iri": other, "name": d.get("label", other), "type": d.get("type", ""),
                             "relation": ", ".join(sorted(keys)), "direction": direction})
    frame = pd.DataFrame(rows, columns=["iri", "name", "type", "relation", "direction"])
    return frame.sort_values(["type", "name", "iri"]).reset_index(drop=True)


@dataclass
class EpisodeDetails:
    iri: str
    title: str
    type: str
    show: str | None = None
    date: str | None = None
    url: str | None = None
    summary: str | None = None
    audio: str | None = None
    transcript: str | None = None
    video: str | None = None
    tags: list[str] = field(default_factory=list)
    categories: list[str] = field(default_factory=list)
    people: pd.DataFrame = field(default_factory=pd.DataFrame)  # role, name, person
    chapters: pd.DataFrame = field(default_factory=pd.DataFrame)  # position, time, seconds, title
    references: dict[str, pd.DataFrame] = field(default_factory=dict)  # kind label -> rows


_EPISODE_FIELDS = {
    str(SDO.name): "title", str(SDO.datePublished): "date", str(SDO.url): "url", str(SDO.abstract): "summary",
    str(KG.audio): "audio", str(KG.transcript): "transcript", str(KG.videoVersion): "video",
}


def episode_details(kg: KnowledgeGraph, index: GraphIndex, iri: str) -> EpisodeDetails | None:
    """Metadata, people, chapters and references (grouped by kind) of one episode or post."""
    if iri not in index.pages:
        return None
    ep = EpisodeDetails(iri, "", index.graph.nodes[iri].get("type", ""))
    for row in _facts(kg, iri):
        prop, value = str(row["property"]), row["value"]
        if prop in _EPISODE_FIELDS:
            setattr(ep, _EPISODE_FIELDS[prop], _text(value))
        elif prop == str(SDO.partOfSeries):
            ep.show = row["valueName"]
        elif prop == str(SDO.keywords):
            ep.tags.append(str(value))
        elif prop == str(KG.category):
            ep.categories.append(str(value))
    ep.people = pd.DataFrame(kg.query("episode-people", {"episode": iri}), columns=["role", "name", "person"])
    chapters = kg.query("episode-chapters", {"episode": iri})
    ep.chapters = pd.DataFrame(
        [{"position": c["position"], "time": hms(c["start"]), "seconds": c["start"], "title": c["name"]}
         for c in chapters], columns=["position", "time", "seconds", "title"])
    refs = pd.DataFrame(kg.query("episode-references", {"episode": iri}),
                        columns=["kind", "work", "name", "url", "section", "anchorText", "line"])
    refs = refs.rename(columns={"anchorText": "link text"})
    order = list(KIND_LABELS)
    for kind in sorted(refs["kind"].unique(), key=lambda k: order.index(k) if k in order else len(order)):
        part = refs[refs["kind"] == kind].drop(columns=["kind"]).reset_index(drop=True)
        ep.references[KIND_LABELS.get(kind, str(kind))] = part
    return ep


def hms(seconds: object) -> str:
    """A chapter start as M:SS or H:MM:SS ('' when unknown)."""
    if seconds is None or seconds == "":
        return ""
    s = int(seconds)
    h, rest = divmod(s, 3600)
    m, s = divmod(rest, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"


# --- SPARQL console ----------------------------------------------------------------------------

@dataclass
class ConsoleResult:
    kind: str  # select, ask or graph
    frame: pd.DataFrame  # every value as text
    csv: str
    json: str


def query_params(text: str) -> list[str]:
    """The parameters a query declares in its header (`# param: name - what it means`)."""
    return list(dict.fromkeys(_PARAM.findall(text)))


def run_console(kg: KnowledgeGraph, text: str, params: dict[str, str] | None = None,
                max_rows: int = 10_000, timeout: float = CONSOLE_TIMEOUT) -> ConsoleResult:
    """Run a query typed in the console: read-only, stopped after `timeout` seconds, at most max_rows.

    Raises kgraph.QueryError (refused, timed out, too many rows, or a syntax error with its position).
    """
    result = kg.run(text, params or None, max_rows=max_rows, timeout=timeout)
    if result.kind == "ask":
        frame = pd.DataFrame({"boolean": ["true" if result.boolean else "false"]})
    elif result.kind == "graph":
        frame = pd.DataFrame([[t.n3() for t in triple] for triple in result.triples],
                             columns=["subject", "predicate", "object"])
    else:
        frame = pd.DataFrame([["" if v is None else _text(v) for v in (row.get(c) for c in result.variables)]
                              for row in result.rows], columns=result.variables)
    return ConsoleResult(result.kind, frame, result.to_csv(), result.to_json())


# --- downloads ---------------------------------------------------------------------------------

def export_bytes(kg: KnowledgeGraph, index: GraphIndex, fmt: str, nodes: set[str] | None = None) -> bytes:
    """The whole graph (nodes=None) or the part about `nodes`, as GraphML, Turtle or JSON-LD."""
    if fmt == "graphml":
        g = index.graph if nodes is None else index.graph.subgraph(nodes)
        return _graphml(g)
    if fmt not in EXPORT_FORMATS:
        raise ValueError(f"unknown download format {fmt!r} (choose from {', '.join(EXPORT_FORMATS)})")
    if nodes is None or set(nodes) >= set(index.graph):  # every entity (no filter): the whole graph,
        return kg.serialize(fmt)  # by Oxigraph's serialisers, not an rdflib Graph of all of it
    return triples_bytes(_subgraph_triples(kg, index, set(nodes)), fmt)


def _graphml(g: nx.MultiDiGraph) -> bytes:
    """GraphML that opens in Gephi laid out and coloured (x, y, size, r, g, b), as `kgraph export` writes it."""
    buf = io.BytesIO()
    write_graphml(gephi_attributes(g), buf)
    return buf.getvalue()


def _subgraph_triples(kg: KnowledgeGraph, index: GraphIndex, keep: set[str]) -> Iterator:
    """The triples about the kept entities, their chapters, and the citations between kept nodes,
    subject by subject, as pyoxigraph triples (for Oxigraph's serialisers: an rdflib Graph of a
    broad filter at 10,000 episodes took minutes and GBs). Asked for by SPARQL, so that a
    server answers for its own graph instead of its whole graph being copied here first (2.3 GB
    at 10,000 episodes)."""
    pages = sorted(keep & index.pages)
    subjects = set(keep)
    for (chapter,) in _batched_rows(kg, _CHAPTERS, pages):
        subjects.add(chapter[1])
    kept_citations: dict[str, bool] = {}
    for citation, work in _batched_rows(kg, _CITATIONS, pages):
        kept_citations[citation[1]] = kept_citations.get(citation[1], True) and (work is None or work[1] in keep)
    subjects.update(c for c, kept in kept_citations.items() if kept)
    ordered = sorted(subjects)
    for start in range(0, len(ordered), _BATCH):
        about = kg.construct(_ABOUT % _values(ordered[start : start + _BATCH]))
        for t in sorted(dict.fromkeys(about), key=lambda t: t.subject.value):  # once each, by subject
            o = t.object
            if not (isinstance(o, ox.NamedNode) and o.value in index.graph and o.value not in keep):
                yield t


# A download's part of the graph, asked for _BATCH IRIs at a time (a server takes requests of a
# few hundred KB)
_CHAPTERS = "SELECT ?c WHERE { VALUES ?page { %s } ?page schema:hasPart ?c }"
_CITATIONS = "SELECT ?c ?w WHERE { VALUES ?page { %s } ?c kg:citingPage ?page OPTIONAL { ?c kg:cites ?w } }"
_ABOUT = "CONSTRUCT { ?s ?p ?o } WHERE { VALUES ?s { %s } ?s ?p ?o }"
_BATCH = 1000


def _values(iris: list[str]) -> str:
    return " ".join(f"<{iri}>" for iri in iris)


def _batched_rows(kg: KnowledgeGraph, text: str, iris: list[str]) -> Iterator[tuple]:
    """The rows (encode() tuples) of text for each batch of IRIs in its VALUES, one after another."""
    for start in range(0, len(iris), _BATCH):
        yield from kg.run(text % _values(iris[start : start + _BATCH]), max_rows=sys.maxsize, timeout=None).raw


# --- text --------------------------------------------------------------------------------------

def md_escape(text: object) -> str:
    """Text that Streamlit markdown shows as it is: every markdown, HTML and directive character escaped."""
    return _MD_SPECIAL.sub(r"\\\1", " ".join(str(text).split()))


def safe_url(url: object) -> str | None:
    """The URL if it is an http(s) URL (safe to offer as a link), else None."""
    text = str(url or "").strip()
    return text if re.match(r"^https?://[^\s<>\"']+$", text, re.I) else None

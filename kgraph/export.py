"""Exports by format name: Turtle, N-Triples, JSON-LD, and GraphML for Gephi via networkx.

The networkx view keeps only things (shows, episodes, people, organizations, works) as nodes,
with plain scalar attributes, so that GraphML writers accept it and Gephi reads every column:
`label`, `type`, `show`, `date` as strings, plus Gephi's own `x`, `y`, `size`, `r`, `g`, `b`
computed here, so the file opens laid out and coloured.
"""

from __future__ import annotations

import colorsys
import hashlib
import math
import os
import re
import sys
from collections import Counter
from collections.abc import Callable, Hashable, Iterable, Iterator
from pathlib import Path
from typing import BinaryIO
from xml.sax.saxutils import escape as xml_escape
from xml.sax.saxutils import quoteattr

import networkx as nx
import pyoxigraph as ox
from rdflib import Graph

from kgraph.errors import ExportError, KgraphError, QueryError
from kgraph.namespaces import ENTITY_LINKS, PREFIXES
from kgraph.query import run_query
from kgraph.remote import WHOLE_GRAPH, RemoteStore
from kgraph.store import Store

__all__ = [
    "EXPORTERS", "export", "to_networkx", "gephi_attributes", "write_graphml", "rdf_bytes", "triples_bytes",
    "TYPE_COLORS", "ENTITY_TYPES",
]

# schema.org class -> the type name shown to users, in order of precedence
ENTITY_TYPES = {
    "PodcastSeries": "Show",
    "PodcastEpisode": "Episode",
    "Person": "Person",
    "Organization": "Organization",
    "ScholarlyArticle": "Paper",
    "Dataset": "Dataset",
    "SoftwareSourceCode": "Code",
    "VideoObject": "Video",
    "NewsArticle": "News",
    "Article": "Article",
    "BlogPosting": "Blog",
    "SocialMediaPosting": "Social",
    "WebPage": "WebPage",
}
TYPE_COLORS = {
    "Show": (31, 64, 102), "Episode": (52, 152, 219), "Person": (230, 126, 34),
    "Organization": (142, 68, 173),
    "Paper": (39, 174, 96), "Dataset": (22, 160, 133), "Code": (44, 62, 80), "Video": (231, 76, 60),
    "News": (241, 196, 15), "Article": (26, 188, 156), "Blog": (211, 84, 0), "Social": (127, 140, 141),
    "WebPage": (149, 165, 166),
}
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff\ufffe\uffff]")

# Each property in its own subquery: Oxigraph reads it once and joins by hashing, instead of
# looking it up once per entity (10,000 episodes, 30,000 entities: 4.3 -> 1.3 s)
_NODES = """
SELECT ?e ?type ?name ?date ?show ?url ?identifier ?kind WHERE {
  { SELECT ?e ?type WHERE { VALUES ?type { %s } ?e a ?type } }
  { SELECT ?e ?name WHERE { ?e schema:name ?name } }
  OPTIONAL { SELECT ?e ?date WHERE { ?e schema:datePublished ?date } }
  OPTIONAL { SELECT ?e ?show WHERE { ?e schema:partOfSeries/schema:name ?show } }
  OPTIONAL { SELECT ?e ?url WHERE { ?e schema:url ?url } }
  OPTIONAL { SELECT ?e ?identifier WHERE { ?e schema:identifier ?identifier } }
  OPTIONAL { SELECT ?e ?kind WHERE { ?e kg:kind ?kind } }
}"""
# One predicate at a time (its IRI is not read on every row), one row per subject with its
# objects joined by spaces, which no IRI holds: Oxigraph spells out each subject once, not once
# per link (302,757 citations at 10,000 episodes: 4.1 -> 2.4 s).
_EDGES = "SELECT ?s (GROUP_CONCAT(STR(?o); separator=' ') AS ?os) WHERE { ?s <%s> ?o FILTER(isIRI(?o)) } GROUP BY ?s"


def _clean(value: object) -> str:
    return _CONTROL.sub("", str(value))


def _query(db: ox.Store | Store, text: str):
    """Run text on a kgraph store handle, or on a bare pyoxigraph store.

    A handle says whether its triples are spread over named graphs (Store.union: version 1
    stores kept one graph per page) or all in the default graph (version 2), where evaluating
    the union of all graphs would only cost time. Of a bare database nothing is known: read
    every graph."""
    if isinstance(db, ox.Store):
        return db.query(text, use_default_graph_as_union=True)
    return db.db.query(text, use_default_graph_as_union=getattr(db, "union", True))


def to_networkx(db: ox.Store | Store) -> nx.MultiDiGraph:
    """Entities as nodes (id = IRI), relations as edges with a `relation` attribute.

    db: a kgraph Store (or RemoteStore), or a bare pyoxigraph Store."""
    types = " ".join(f"schema:{t}" for t in ENTITY_TYPES)
    prefixes = "".join(f"PREFIX {p}: <{i}>\n" for p, i in PREFIXES.items())
    g = nx.MultiDiGraph()
    rank = {t: i for i, t in enumerate(ENTITY_TYPES)}
    for (_, node, *_), (_, type_), (_, name, *_), *optional in _rows(db, prefixes + _NODES % types):
        local = type_.rsplit("/", 1)[-1]
        current = g.nodes[node].get("_rank", 99) if node in g else 99
        attrs = {"label": _clean(name), "type": ENTITY_TYPES[local], "_rank": rank[local]}
        for key, value in zip(_OPTIONAL, optional, strict=True):
            if value is not None:
                attrs[key] = _clean(value[1])
        if node not in g or rank[local] < current:
            g.add_node(node, **attrs)
    for node in g.nodes:
        del g.nodes[node]["_rank"]
    nodes, add = set(g), g.add_edge  # add_edge per edge: add_edges_from goes through a view per edge
    for p in ENTITY_LINKS:
        rel = str(p).rsplit("/", 1)[-1].rsplit("#", 1)[-1]
        # by subject: Oxigraph lists groups in no fixed order, and the layout follows edge order
        for (_, s, *_), (_, objects, *_) in sorted(_rows(db, _EDGES % p), key=lambda row: row[0][1]):
            if s in nodes:
                for o in objects.split(" "):
                    if o in nodes:
                        add(s, o, rel, relation=rel)
    return g


_OPTIONAL = ("date", "show", "url", "identifier", "kind")  # _NODES' columns after ?e ?type ?name


def _rows(db: ox.Store | Store, text: str) -> list[tuple]:
    """A SELECT's rows as kgraph.query_worker.encode() tuples (None: unbound), read from
    Oxigraph's TSV with one tuple per distinct term: a Python term object per cell of 456,000
    edges cost more than the query (10,000 episodes: the entity graph in 18.4-20.2 -> 16.2-17.8 s).
    A SPARQL server answers these queries itself: fetching its whole graph first took 117 s and
    2.3 GB for GraphML at 10,000 episodes."""
    try:
        return run_query(db, text, max_rows=sys.maxsize, timeout=None).raw
    except KgraphError as e:
        raise ExportError(f"reading the graph failed: {e}") from None


_CORE = 150  # nodes laid out by the spring model; the others are placed around their neighbours


def layout_positions(g: nx.Graph, seed: int = 7, core: int = _CORE) -> dict[Hashable, tuple[float, float]]:
    """Node -> (x, y) in canvas units: spring layout of the `core` best-connected nodes, others nearby.

    Deterministic for a given graph and seed. Works without scipy at any size: only the core goes
    through networkx's (dense) spring model, every other node is set on a small spiral around
    its best-connected placed neighbour, and nodes with no path to the core on an outer ring.
    """
    u = nx.Graph(g.to_undirected(as_view=True)) if g.is_directed() or g.is_multigraph() else g
    n = len(u)
    if n == 0:
        return {}
    degree = dict(u.degree())
    order = sorted(u, key=lambda v: (-degree[v], str(v)))
    kernel = nx.Graph()  # not u.subgraph(): its nodes come in set order, which varies with the hash seed
    kernel.add_nodes_from(order[:core])
    kernel.add_edges_from(u.subgraph(order[:core]).edges)  # (edge order does not matter, node order does)
    if len(kernel) == 1:
        pos = {order[0]: (0.0, 0.0)}
    else:
        pos = {v: (float(p[0]), float(p[1])) for v, p in
               nx.spring_layout(kernel, seed=seed, k=2.5 / math.sqrt(len(kernel)), iterations=40).items()}
    spread = 0.12 if n > core else 0.0
    around: Counter = Counter()
    rest = [v for v in order if v not in pos]
    while rest:
        waiting = []
        for v in rest:
            anchors = [w for w in u[v] if w in pos]
            if not anchors:
                waiting.append(v)
                continue
            a = max(anchors, key=lambda w: (degree[w], str(w)))
            k = around[a] = around[a] + 1
            r = spread * math.sqrt(k) / 3 + 0.03
            pos[v] = (pos[a][0] + r * math.cos(k * 2.39996), pos[a][1] + r * math.sin(k * 2.39996))
        if len(waiting) == len(rest):  # no path to anything placed: an outer ring
            for i, v in enumerate(waiting):
                angle = 2 * math.pi * i / len(waiting)
                pos[v] = (1.25 * math.cos(angle), 1.25 * math.sin(angle))
            break
        rest = waiting
    scale = 160 + 60 * math.sqrt(n)
    return {v: (round(x * scale, 1), round(y * scale, 1)) for v, (x, y) in pos.items()}


def gephi_attributes(g: nx.MultiDiGraph, seed: int = 7) -> nx.MultiDiGraph:
    """A copy with Gephi's x, y, size and r, g, b node attributes, all plain scalars."""
    return _add_gephi_attributes(g.copy(), seed)


def _add_gephi_attributes(out: nx.MultiDiGraph, seed: int = 7) -> nx.MultiDiGraph:
    """gephi_attributes in place: a 10,000-episode graph has 450,000 edges to copy."""
    if not len(out):
        return out
    simple = nx.Graph()  # who neighbours whom, without copying any edge's data
    simple.add_nodes_from(out)
    simple.add_edges_from(out.edges())
    pos = layout_positions(simple, seed=seed)  # no scipy needed, whatever the size
    degrees = dict(simple.degree())
    for node, data in out.nodes(data=True):
        x, y = pos[node]
        data["x"] = float(x)
        data["y"] = float(y)
        data["size"] = float(round(4 + 3 * math.sqrt(degrees.get(node, 0)), 2))
        data["r"], data["g"], data["b"] = _color(data.get("type", ""))
        for k, v in list(data.items()):
            if v is None:
                del data[k]
            elif isinstance(v, str):
                data[k] = _clean(v)
    for _, _, data in out.edges(data=True):
        data["relation"] = _clean(data.get("relation", ""))
    return out


def _color(kind: str) -> tuple[int, int, int]:
    if kind in TYPE_COLORS:
        return TYPE_COLORS[kind]
    h = int(hashlib.sha1(kind.encode()).hexdigest()[:4], 16) / 0xFFFF
    r, g, b = colorsys.hsv_to_rgb(h, 0.6, 0.85)
    return int(r * 255), int(g * 255), int(b * 255)


def _union_graph(db: ox.Store | Store) -> Graph:
    from kgraph.store import from_ox

    graph = Graph()
    for p, i in PREFIXES.items():
        graph.bind(p, i)
    for t in _query(db, "CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }"):
        graph.add((from_ox(t.subject), from_ox(t.predicate), from_ox(t.object)))
    return graph


def rdf_bytes(db: ox.Store | Store, fmt: str) -> bytes:
    """The whole graph as Turtle, N-Triples or JSON-LD (fmt: turtle, nt, jsonld), by Oxigraph's
    serialisers: an rdflib Graph of 10,000 episodes would take minutes and several GB."""
    return _serialize(db, _RDF_FORMATS[fmt], None)


def triples_bytes(triples: Iterable[ox.Triple], fmt: str) -> bytes:
    """Some triples (a part of the graph) as Turtle, N-Triples or JSON-LD, by Oxigraph's
    serialisers, as rdf_bytes writes the whole graph; Turtle groups triples in a row that share
    their subject."""
    rdf_format = _RDF_FORMATS[fmt]
    return ox.serialize(triples, None, rdf_format, prefixes=_prefixes(rdf_format))


_RDF_FORMATS = {"turtle": ox.RdfFormat.TURTLE, "nt": ox.RdfFormat.N_TRIPLES, "jsonld": ox.RdfFormat.JSON_LD}


def _prefixes(fmt: ox.RdfFormat) -> dict[str, str] | None:
    return None if fmt == ox.RdfFormat.N_TRIPLES else {p: str(i) for p, i in PREFIXES.items()}


def _serialize(db: ox.Store | Store, fmt: ox.RdfFormat, output) -> bytes | None:
    """Oxigraph's own serialisers: streaming, and 10x faster than building an rdflib graph. A
    store with everything in its default graph is dumped straight from its indexes (10,000
    episodes, Turtle: 64 -> 42 s); a server's graph is re-serialised as it arrives (a copy of
    it in memory first: 102 s and 2.3 GB for N-Triples); others (version 1, a bare database)
    go through SPARQL, which reads the union of their graphs."""
    prefixes = _prefixes(fmt)
    if getattr(db, "union", None) is False:  # a kgraph Store of version 2 or later
        return db.db.dump(output, fmt, from_graph=ox.DefaultGraph(), prefixes=prefixes)
    return ox.serialize(construct(db, WHOLE_GRAPH), output, fmt, prefixes=prefixes)


def construct(db: ox.Store | Store, text: str) -> Iterator[ox.Triple]:
    """A CONSTRUCT query's triples as pyoxigraph triples, as they come: from a server, parsed
    from its answer while it arrives; from a local store, straight from Oxigraph. No rdflib
    terms (minutes for a large part of a graph at 10,000 episodes), no row cap, no time limit."""
    if isinstance(db, RemoteStore):
        with db.construct(text) as arriving:
            for quad in ox.parse(arriving, format=ox.RdfFormat.N_TRIPLES):
                yield quad.triple
        return
    try:
        answer = _query(db, text)
    except SyntaxError as e:
        raise QueryError(f"SPARQL syntax error: {e}") from None
    if not isinstance(answer, ox.QueryTriples):
        raise QueryError("construct() takes a CONSTRUCT or DESCRIBE query")
    yield from answer


def _write_oxigraph(fmt: str) -> Callable[[ox.Store, Path], None]:
    def write(db: ox.Store | Store, path: Path) -> None:
        with open(path, "wb") as fh:
            _serialize(db, _RDF_FORMATS[fmt], fh)

    return write


def _write_graphml(db: ox.Store | Store, path: Path) -> None:
    with open(path, "wb") as out:
        write_graphml(_add_gephi_attributes(to_networkx(db)), out)


_GRAPHML_HEAD = (
    "<?xml version='1.0' encoding='utf-8'?>\n"
    '<graphml xmlns="http://graphml.graphdrawing.org/xmlns" '
    'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
    'xsi:schemaLocation="http://graphml.graphdrawing.org/xmlns '
    'http://graphml.graphdrawing.org/xmlns/1.0/graphml.xsd">\n'
)
_GRAPHML_TYPES = ((bool, "boolean"), (int, "long"), (float, "double"), (str, "string"))
_CR = {"\r": "&#13;"}  # a bare carriage return would be read back as a line feed


def write_graphml(g: nx.Graph, out: BinaryIO) -> None:
    """g as GraphML the way `nx.write_graphml(g, out, named_key_ids=True)` writes it (the same
    keys, ids and values; tests read both back equal), written as text as it goes: networkx's
    writer builds an element per edge and took 10 s of a 10,000-episode export (456,000
    edges), this 4-5 s. Text that XML cannot hold (control characters) is left out."""
    batch: list[str] = []
    for line in _graphml_lines(g):
        batch.append(line)
        if len(batch) >= 10_000:
            out.write("".join(batch).encode("utf-8"))
            batch.clear()
    out.write("".join(batch).encode("utf-8"))


def _graphml_lines(g: nx.Graph) -> Iterator[str]:
    nodes = list(g.nodes(data=True))
    edges = list(g.edges(keys=True, data=True) if g.is_multigraph() else g.edges(data=True))
    yield _GRAPHML_HEAD
    for scope, datas in (("graph", [g.graph]), ("edge", (e[-1] for e in edges)), ("node", (d for _, d in nodes))):
        for name, type_ in _graphml_keys(datas).items():
            yield f'<key id={_attr(name)} for="{scope}" attr.name={_attr(name)} attr.type="{type_}" />\n'
    yield f'<graph edgedefault="{"directed" if g.is_directed() else "undirected"}">{_graphml_data(g.graph)}\n'
    ids = {node: _attr(node) for node, _ in nodes}  # each node's id escaped once, not once per edge
    for node, data in nodes:
        yield f"<node id={ids[node]}>{_graphml_data(data)}</node>\n"
    tails: dict[tuple, str] = {}  # the end of an edge's element, by its key and data: a few relations
    for u, v, *key, data in edges:
        try:
            tail = tails.get(shared := (*key, *data.items()))
        except TypeError:  # a value that cannot be a dict key (a list): not shared
            tail = shared = None
        if tail is None:
            tail = (f" id={_attr(key[0])}" if key else "") + f">{_graphml_data(data)}</edge>\n"
            if shared is not None:
                tails[shared] = tail
        yield f"<edge source={ids[u]} target={ids[v]}{tail}"
    yield "</graph></graphml>\n"


def _graphml_keys(datas: Iterable[dict]) -> dict[str, str]:
    """Attribute name -> GraphML type: that of its values, string when they differ (None values
    are not written)."""
    seen: dict[str, set[type]] = {}
    for data in datas:
        for k, v in data.items():
            seen.setdefault(k, set()).add(type(v))
    keys = {}
    for k, types in seen.items():
        names = {_graphml_type(t) for t in types if t is not type(None)}
        if names:
            keys[k] = names.pop() if len(names) == 1 else "string"
    return keys


def _graphml_type(t: type) -> str:
    return next((name for base, name in _GRAPHML_TYPES if issubclass(t, base)), "string")


def _graphml_data(data: dict) -> str:
    return "".join(f"<data key={_attr(k)}>{_text(v)}</data>" for k, v in data.items() if v is not None)


def _text(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return xml_escape(_clean(value), _CR)


def _attr(value: object) -> str:
    return quoteattr(_clean(value))


EXPORTERS: dict[str, tuple[str, Callable[[ox.Store | Store, Path], None]]] = {
    "turtle": ("Turtle", _write_oxigraph("turtle")),
    "nt": ("N-Triples", _write_oxigraph("nt")),
    "jsonld": ("JSON-LD", _write_oxigraph("jsonld")),
    "graphml": ("GraphML for Gephi", _write_graphml),
}


def export(db: ox.Store | Store, fmt: str, path: str | Path) -> Path:
    """Write the whole graph in one of EXPORTERS' formats; an error names a bad format or path.

    db: a kgraph Store (or RemoteStore), or a bare pyoxigraph Store."""
    if fmt not in EXPORTERS:
        raise ExportError(f"unknown export format {fmt!r} (choose from {', '.join(EXPORTERS)})")
    path = Path(path)
    if path.is_dir():
        raise ExportError(f"{path}: is a folder; give a file name")
    if not path.parent.exists():
        raise ExportError(f"{path.parent}: no such folder")
    tmp = path.with_name(f".{path.name}.{os.getpid()}.part")  # the file appears whole, or not at all
    try:
        EXPORTERS[fmt][1](db, tmp)
        tmp.replace(path)
    except OSError as e:
        raise ExportError(f"{path}: cannot write: {e.strerror or e}") from None
    except (ValueError, TypeError, SyntaxError) as e:  # a term a serialiser refuses: say which, write nothing
        raise ExportError(f"{path}: cannot write {EXPORTERS[fmt][0]}: {e}") from None
    finally:
        tmp.unlink(missing_ok=True)
    return path

"""Exports parse back: RDF formats with rdflib, GraphML with networkx and a second reader (lxml)."""

import io

import networkx as nx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree
from rdflib import Graph
from rdflib.compare import isomorphic

from kgraph.export import _clean, gephi_attributes, write_graphml

GRAPHML = "{http://graphml.graphdrawing.org/xmlns}"


@pytest.mark.parametrize(("fmt", "parser"), [("turtle", "turtle"), ("nt", "nt"), ("jsonld", "json-ld")])
def test_rdf_exports_round_trip(sample_kg, tmp_path, fmt, parser):
    path = sample_kg.export(fmt, tmp_path / f"graph.{fmt}")
    back = Graph().parse(path, format=parser)
    assert isomorphic(back, sample_kg.to_rdflib())


def test_graphml_for_gephi(sample_kg, tmp_path):
    path = sample_kg.export("graphml", tmp_path / "graph.graphml")
    g = nx.read_graphml(path)
    original = sample_kg.to_networkx()
    assert g.number_of_nodes() == original.number_of_nodes() > 50
    assert g.number_of_edges() == original.number_of_edges()
    for _, d in g.nodes(data=True):
        assert isinstance(d["label"], str) and d["label"]
        assert d["type"] in {"Show", "Episode", "Person", "Organization", "Paper", "Dataset", "Code", "Video",
                             "News", "Article", "Blog", "Social", "WebPage"}
        assert isinstance(d["x"], float) and isinstance(d["y"], float) and d["size"] > 0
        assert all(isinstance(d[c], int) and 0 <= d[c] <= 255 for c in "rgb")
    assert all(d["relation"] for _, _, d in g.edges(data=True))
    episodes = [d for _, d in g.nodes(data=True) if d["type"] == "Episode"]
    assert all("date" in d and "show" in d for d in episodes)


def _read_back(write, g: nx.Graph):
    buf = io.BytesIO()
    write(g, buf)
    back = nx.read_graphml(io.BytesIO(buf.getvalue()))
    edges = back.edges(keys=True, data=True) if back.is_multigraph() else back.edges(data=True)
    return type(back), list(back.nodes(data=True)), sorted(edges, key=str), back.graph


def _networkx_writer(g, out):
    nx.write_graphml(g, out, named_key_ids=True)


def test_graphml_writer_reads_back_as_networkx_writes_it(sample_kg):
    g = gephi_attributes(sample_kg.to_networkx())
    assert _read_back(write_graphml, g) == _read_back(_networkx_writer, g)
    m = nx.MultiDiGraph(name='a "graph" & <more>', version=2)
    m.add_node("urn:a", label="Tom & Jerry <b>'s</b> \"show\" · ünïcode", x=1.5, r=3, flag=True)
    m.add_node("urn:b?x=1&y=2", label="B")
    m.add_edge("urn:a", "urn:b?x=1&y=2", key="actor", relation="actor")
    m.add_edge("urn:a", "urn:b?x=1&y=2", key="author", relation="author", weight=0.25)  # parallel edges
    m.add_edge("urn:b?x=1&y=2", "urn:a", key="citation", relation="citation")
    assert _read_back(write_graphml, m) == _read_back(_networkx_writer, m)
    assert _read_back(write_graphml, nx.Graph([("a", "b"), ("b", "c")])) == _read_back(
        _networkx_writer, nx.Graph([("a", "b"), ("b", "c")]))
    m.nodes["urn:b?x=1&y=2"]["gone"] = None  # networkx cannot write None; it is left out
    assert "gone" not in nx.read_graphml(io.BytesIO(_bytes(m))).nodes["urn:b?x=1&y=2"]


@settings(max_examples=60, deadline=None)
@given(st.text(st.one_of(st.characters(blacklist_categories=("Cs", "Cc"), blacklist_characters="\ufffe\uffff"),
                        st.sampled_from("\t\n\r"))), st.text(min_size=1))
def test_graphml_writer_any_text(label, raw):
    g = nx.MultiDiGraph()
    g.add_edge("urn:x", "urn:y", key="k", relation=label)
    g.nodes["urn:x"]["label"] = label
    assert _read_back(write_graphml, g) == _read_back(_networkx_writer, g)
    g.nodes["urn:y"]["label"] = raw  # any text at all, control characters too: still well-formed
    assert nx.read_graphml(io.BytesIO(_bytes(g))).nodes["urn:y"]["label"] == _clean(raw)


def _bytes(g) -> bytes:
    buf = io.BytesIO()
    write_graphml(g, buf)
    return buf.getvalue()


def test_graphml_with_an_independent_reader(sample_kg, tmp_path):
    path = sample_kg.export("graphml", tmp_path / "graph.graphml")
    root = etree.parse(str(path)).getroot()
    keys = {k.get("attr.name"): (k.get("for"), k.get("attr.type")) for k in root.iter(f"{GRAPHML}key")}
    assert keys["label"] == ("node", "string")
    assert keys["x"] == ("node", "double") and keys["r"] in (("node", "int"), ("node", "long"))
    assert keys["relation"] == ("edge", "string")
    nodes = list(root.iter(f"{GRAPHML}node"))
    assert len(nodes) == sample_kg.to_networkx().number_of_nodes()


def _networkx_view(g: nx.MultiDiGraph) -> tuple[dict, list]:
    return dict(g.nodes(data=True)), sorted(g.edges(keys=True))


def test_exports_read_every_graph_of_a_version_1_store_and_only_the_default_graph_of_version_2(tmp_path):
    """Version 2 stores keep every triple in the default graph, so exports read just that (no
    union-of-graphs evaluation); version 1 stores kept each page in a named graph, and exports of
    them still read all graphs. A stray triple in a named graph tells which graphs were read."""
    import json

    import pyoxigraph as ox
    from helpers import SAMPLE

    from kgraph import KnowledgeGraph

    store = tmp_path / "store"
    kg = KnowledgeGraph.build([SAMPLE], store=store)
    triples = Graph().parse(kg.export("nt", tmp_path / "before.nt"), format="nt")
    nodes, edges = _networkx_view(kg.to_networkx())
    del kg
    stray = ox.NamedNode("urn:stray")
    db = ox.Store(str(store / "oxigraph"))
    db.extend([
        ox.Quad(stray, ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type"),
                ox.NamedNode("https://schema.org/Person"), ox.NamedNode("urn:graph:stray")),
        ox.Quad(stray, ox.NamedNode("https://schema.org/name"), ox.Literal("Stray"), ox.NamedNode("urn:graph:stray")),
    ])
    db.flush()
    del db

    kg = KnowledgeGraph.open(store)  # version 2: the named graph is not read
    assert isomorphic(Graph().parse(kg.export("nt", tmp_path / "v2.nt"), format="nt"), triples)
    assert isomorphic(kg.to_rdflib(), triples)
    assert _networkx_view(kg.to_networkx()) == (nodes, edges)
    assert nx.read_graphml(kg.export("graphml", tmp_path / "v2.graphml")).number_of_nodes() == len(nodes)
    del kg

    db = ox.Store(str(store / "oxigraph"))  # version 1: every page in a named graph of its own
    quads = list(db.quads_for_pattern(None, None, None, ox.DefaultGraph()))
    db.remove_graph(ox.DefaultGraph())
    graphs = [ox.NamedNode(f"urn:page:{i}") for i in range(7)]
    db.extend([ox.Quad(q.subject, q.predicate, q.object, graphs[i % 7]) for i, q in enumerate(quads)])
    db.flush()
    del db
    meta = json.loads((store / "meta.json").read_text())
    meta["store_version"] = 1
    (store / "meta.json").write_text(json.dumps(meta))

    kg = KnowledgeGraph.open(store)
    with_stray = Graph().parse(data=triples.serialize(format="nt") + '<urn:stray> a <https://schema.org/Person> ;'
                               ' <https://schema.org/name> "Stray" .', format="turtle")
    assert isomorphic(Graph().parse(kg.export("nt", tmp_path / "v1.nt"), format="nt"), with_stray)
    assert isomorphic(kg.to_rdflib(), with_stray)
    assert _networkx_view(kg.to_networkx()) == ({**nodes, "urn:stray": {"label": "Stray", "type": "Person"}}, edges)
    assert nx.read_graphml(kg.export("graphml", tmp_path / "v1.graphml")).number_of_nodes() == len(nodes) + 1


LAYOUT = """
import json, sys
import networkx as nx
from kgraph.export import layout_positions
g = nx.barabasi_albert_graph(600, 2, seed=3)
g = nx.relabel_nodes(g, {v: f"https://example.org/node/{v}" for v in g})
json.dump(layout_positions(g), sys.stdout, sort_keys=True)
"""


def test_layout_is_the_same_in_every_process():
    """Positions (GraphML's x, y; the network view) do not depend on the per-process string hash
    seed. They did once the graph had over twice as many nodes as the spring core: networkx's
    subgraph then lists its nodes in set order, and the spring model starts from that order."""
    import os
    import subprocess
    import sys

    runs = {subprocess.run([sys.executable, "-c", LAYOUT], check=True, capture_output=True, text=True,
                           env={**os.environ, "PYTHONHASHSEED": seed}).stdout for seed in ("1", "2", "3")}
    assert len(runs) == 1


@pytest.mark.parametrize("which", ["sample", "real"])
def test_the_entity_graph_has_every_link_between_two_entities(request, which):
    """to_networkx reads only the predicates in ENTITY_LINKS: every triple whose subject and
    object are both entities (of the types the graph shows) must use one of them."""
    from kgraph.export import ENTITY_TYPES
    from kgraph.namespaces import ENTITY_LINKS

    kg = request.getfixturevalue("sample_kg" if which == "sample" else "real_kg")
    types = " ".join(f"schema:{t}" for t in ENTITY_TYPES)
    rows = kg.query(f"""
        SELECT DISTINCT ?s ?p ?o WHERE {{
          ?s ?p ?o . FILTER(isIRI(?o) && ?p != rdf:type)
          ?s a ?st . ?o a ?ot . VALUES ?st {{ {types} }} VALUES ?ot {{ {types} }}
        }}""")
    assert {r["p"] for r in rows} <= {str(p) for p in ENTITY_LINKS}
    edges = {(s, o, k) for s, o, k in kg.to_networkx().edges(keys=True)}
    assert edges == {(r["s"], r["o"], r["p"].rsplit("/", 1)[-1]) for r in rows}

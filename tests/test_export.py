"""Exports parse back: RDF formats with rdflib, GraphML with networkx and a second reader (lxml)."""

import networkx as nx
import pytest
from lxml import etree
from rdflib import Graph
from rdflib.compare import isomorphic

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


def test_graphml_with_an_independent_reader(sample_kg, tmp_path):
    path = sample_kg.export("graphml", tmp_path / "graph.graphml")
    root = etree.parse(str(path)).getroot()
    keys = {k.get("attr.name"): (k.get("for"), k.get("attr.type")) for k in root.iter(f"{GRAPHML}key")}
    assert keys["label"] == ("node", "string")
    assert keys["x"] == ("node", "double") and keys["r"] in (("node", "int"), ("node", "long"))
    assert keys["relation"] == ("edge", "string")
    nodes = list(root.iter(f"{GRAPHML}node"))
    assert len(nodes) == sample_kg.to_networkx().number_of_nodes()

"""SHACL: every graph kgraph builds conforms to ontology/shapes.ttl, and violations are caught."""

import pytest
from click.testing import CliRunner
from rdflib import Literal, URIRef

from kgraph.cli import cli
from kgraph.namespaces import SDO
from kgraph.validate import validate_graph


def test_sample_conforms(sample_kg):
    assert sample_kg.validate() == []


def test_a_broken_graph_is_reported(sample_kg):
    g = sample_kg.to_rdflib()
    episode = next(g.subjects(predicate=None, object=SDO.PodcastEpisode))
    g.add((episode, SDO.name, Literal("A second name")))
    g.remove((episode, SDO.url, None))
    g.add((episode, SDO.url, Literal("not an IRI")))
    violations = validate_graph(g)
    focus = {v.focus for v in violations}
    assert str(episode) in focus
    assert {v.path for v in violations if v.focus == str(episode)} >= {str(SDO.name), str(SDO.url)}
    assert all(v.message for v in violations)
    assert isinstance(episode, URIRef)


def test_cli_validate_exit_codes(sample_kg):
    ok = CliRunner().invoke(cli, ["validate", "--store", str(sample_kg.path)])
    assert ok.exit_code == 0 and "Valid" in ok.output


@pytest.mark.corpus
def test_real_corpus_conforms(real_kg):
    assert real_kg.validate() == []

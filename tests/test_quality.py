"""Extraction quality on the hand-labelled Kairos.fm pages (tests/labels), per entity type,
and `kgraph explain`."""

from pathlib import Path

import pytest
from click.testing import CliRunner

from kgraph.cli import cli
from kgraph.evaluation import TARGETS, evaluate, load_labels

LABELS = Path(__file__).parent / "labels" / "kairos_eval.json"

# The labelled set meets the targets (benchmarks/extraction_quality.py prints the details)
FLOORS = TARGETS


@pytest.fixture(scope="module")
def scores(real_kg):
    return evaluate(real_kg, load_labels(LABELS))


@pytest.mark.corpus
@pytest.mark.parametrize("kind", sorted(FLOORS))
def test_f1_per_type(scores, kind):
    s = scores[kind]
    assert s.tp > 0
    assert s.f1 >= FLOORS[kind], (kind, s.precision, s.recall, s.misses[:5], s.false_finds[:5])


def test_labels_cover_every_show_and_page_kind():
    labels = load_labels(LABELS)
    assert len(labels) >= 20
    assert {x["show"] for x in labels} >= {"Into AI Safety", "muckrAIkers", "On What Matters"}
    assert {x["kind"] for x in labels} >= {"episode", "blogpost", "article"}


def test_explain_names_pages_sections_and_lines(sample_kg):
    result = CliRunner().invoke(cli, ["explain", "Attention Is All You Need", "--store", str(sample_kg.path)])
    assert result.exit_code == 0, result.output
    assert "Inside the Transformer" in result.output
    assert "line " in result.output and "section “Links”" in result.output
    guest = CliRunner().invoke(cli, ["explain", "Priya Raman", "--store", str(sample_kg.path)])
    assert "guest" in guest.output
    missing = CliRunner().invoke(cli, ["explain", "no such thing at all", "--store", str(sample_kg.path)])
    assert missing.exit_code == 1 and "no entity" in missing.output


def test_find_entity_by_iri_by_words_and_never_chapters_or_citations(sample_kg):
    anthropic = sample_kg.query("find-entity", {"text": "anthropic"})
    assert anthropic[0]["name"] == "Anthropic" and anthropic[0]["exact"] is True
    iri = anthropic[0]["e"]
    by_iri = sample_kg.query("find-entity", {"text": iri})
    assert by_iri[0]["e"] == iri and by_iri[0]["exact"] is True
    assert sample_kg.query("find-entity", {"text": "no such thing at all"}) == []
    # a text that is not an IRI finds by name only (the IRI branch must not match everything)
    assert sample_kg.query("find-entity", {"text": "zzqx"}) == []
    # short words match many names: none of them a chapter or a citation record, shortest first
    rows = sample_kg.query("find-entity", {"text": "a"})
    assert len(rows) == 20
    assert not {r["type"].rsplit("/", 1)[-1].rsplit("#", 1)[-1] for r in rows} & {"Clip", "Citation"}
    lengths = [len(r["name"]) for r in rows if not r["exact"]]
    assert lengths == sorted(lengths)

"""The real Kairos.fm corpus (../shared/corpus/kairos.fm): expectations computed independently.

Expected values come from python-frontmatter and plain regular expressions over the raw files,
not from kgraph's own parsers, so a regression in either shows up as a mismatch.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import frontmatter
import pytest
from click.testing import CliRunner
from helpers import check_shared_references, statistics_mismatches

from kgraph.cli import cli

pytestmark = pytest.mark.corpus

STAMP = re.compile(r"^\s*(?:•\s*)?\(?(?:\d{1,2}:)?\d{1,2}:\d{2}\)?\s*(?:❙|-)\s*\S", re.M)
ARXIV = re.compile(r"arxiv\.org/(?:abs|pdf|html)/(\d{4}\.\d{4,5})", re.I)


def published_episode_files(root: Path) -> dict[Path, frontmatter.Post]:
    found = {}
    for path in sorted((root / "content" / "posts").rglob("*.md")):
        if "episodes" not in path.parts[-3] + path.parts[-2]:
            continue
        post = frontmatter.load(path)
        build = post.get("_build") or post.get("build") or {}
        if post.get("draft") is True or str(build.get("render", "")).lower() == "never":
            continue
        if not str(post.get("title") or "").strip():
            continue
        found[path] = post
    return found


def uncommented(text: str) -> str:
    return re.sub(r"<!--.*?-->", "", text, flags=re.S)


@pytest.fixture(scope="module")
def episodes(corpus_path):
    return published_episode_files(corpus_path)


@pytest.fixture(scope="module")
def graph_episodes(real_kg):
    rows = real_kg.query("""
        SELECT ?e ?title ?date ?show ?file WHERE {
          ?e a schema:PodcastEpisode ; schema:name ?title ; kg:sourceFile ?file .
          OPTIONAL { ?e schema:datePublished ?date }
          OPTIONAL { ?e schema:partOfSeries/schema:url ?show }
        }""")
    return {r["file"]: r for r in rows}


def test_every_published_episode_exactly_once(episodes, graph_episodes, corpus_path):
    expected = {str(p.relative_to(corpus_path / "content")) for p in episodes}
    assert set(graph_episodes) == expected
    assert len(expected) > 60


def test_titles_dates_and_shows(episodes, graph_episodes, corpus_path):
    for path, post in episodes.items():
        row = graph_episodes[str(path.relative_to(corpus_path / "content"))]
        assert row["title"] == re.sub(r"\s+", " ", str(post["title"])).strip()
        date = post.get("date")
        assert row["date"] == (date if isinstance(date, dt.date) else dt.date.fromisoformat(str(date)[:10]))
        show_segment = str(post["url"]).strip("/").split("/")[0]
        assert row["show"].rstrip("/").endswith("/" + show_segment), path


def test_every_chapter_counted(episodes, real_kg, corpus_path):
    rows = real_kg.query("""
        SELECT ?file (COUNT(?c) AS ?n) WHERE { ?e kg:sourceFile ?file ; schema:hasPart ?c . ?c a schema:Clip }
        GROUP BY ?file""")
    counts = {r["file"]: r["n"] for r in rows}
    total = 0
    for path, post in episodes.items():
        expected = len(STAMP.findall(uncommented(post.content)))
        total += expected
        assert counts.get(str(path.relative_to(corpus_path / "content")), 0) == expected, path
    assert total > 400


def test_every_arxiv_paper_found_with_its_id(episodes, real_kg, corpus_path):
    rows = real_kg.query("""
        SELECT ?file ?id WHERE { ?e kg:sourceFile ?file ; schema:citation ?w .
          ?w a schema:ScholarlyArticle ; schema:identifier ?id . FILTER(STRSTARTS(?id, "arXiv:")) }""")
    found: dict[str, set] = {}
    for r in rows:
        found.setdefault(r["file"], set()).add(r["id"])
    total = 0
    for path, post in episodes.items():
        expected = {f"arXiv:{i}" for i in ARXIV.findall(uncommented(post.content))}
        total += len(expected)
        assert expected <= found.get(str(path.relative_to(corpus_path / "content")), set()), path
    assert total > 80


def test_guests_named_in_titles(episodes, real_kg, corpus_path):
    rows = real_kg.query("""SELECT ?file ?name ?role WHERE { ?e kg:sourceFile ?file .
        { ?e schema:actor/schema:name ?name BIND("guest" AS ?role) }
        UNION { ?e schema:author/schema:name ?name BIND("host" AS ?role) } }""")
    people: dict[str, dict] = {}
    for r in rows:
        people.setdefault(r["file"], {}).setdefault(r["role"], set()).add(r["name"])
    for path, post in episodes.items():
        title = str(post["title"])
        if " w/ " not in title:
            continue
        found = people.get(str(path.relative_to(corpus_path / "content")), {})
        guests = found.get("guest", set())
        # a host answering questions on their own show ("Q&A w/ <host>") stays a host
        named = guests | {h for h in found.get("host", set()) if h in title}
        assert named, path
        # named in the title in full, by surname, or by first name ('Tristan & Felix de Simone',
        # where the page's opening text gives Tristan's surname)
        assert all(n in title or n.split()[-1] in title or n.split()[0] in title for n in guests), (path, guests)


def test_hosts_come_from_author_and_show_pages(real_kg):
    rows = real_kg.query("""
        SELECT ?show (COUNT(DISTINCT ?e) AS ?episodes) (COUNT(DISTINCT ?hosted) AS ?hosted_n) WHERE {
          ?e a schema:PodcastEpisode ; schema:partOfSeries/schema:name ?show .
          OPTIONAL { ?e schema:author ?h . ?h schema:name "Jacob Haimes" . BIND(?e AS ?hosted) }
        } GROUP BY ?show""")
    by_show = {r["show"]: r for r in rows}
    for show in ("Into AI Safety", "muckrAIkers"):
        assert by_show[show]["episodes"] == by_show[show]["hosted_n"] > 10
    owm = real_kg.query("""ASK { ?e schema:partOfSeries/schema:name "On What Matters" ;
                                 schema:author/schema:name "Coleman Snell" }""")
    assert owm is True


def test_cli_build_exits_zero_and_summarises(corpus_path, tmp_path):
    result = CliRunner().invoke(cli, ["build", str(corpus_path), "--store", str(tmp_path / "s")])
    assert result.exit_code == 0, result.output
    assert re.search(r"\d+ pages read", result.output)


def test_bundled_queries_answer_on_the_real_corpus(real_kg):
    from kgraph.query import bundled_queries

    params = {
        "shared-references": {"episode": "StakeOut.AI"},
        "person-network": {"person": "Haimes"},
        "find-entity": {"text": "Anthropic"},
    }
    for name, q in bundled_queries().items():
        if q.params and name not in params:
            continue  # entity-specific queries of the dashboard, tested there
        rows = real_kg.query(name, params.get(name))
        assert rows, name
    most = real_kg.query("most-cited-works")
    assert most[0]["citations"] >= most[-1]["citations"] >= 1
    shared = check_shared_references(real_kg, "StakeOut.AI w/ Dr. Peter Park (1)")
    assert any("StakeOut.AI" in r["title"] for r in shared)
    both = check_shared_references(real_kg, "StakeOut.AI")  # the two parts: counted each on its own
    assert len({r["page"] for r in both}) == 2
    check_shared_references(real_kg, "a")  # most pages: thousands of pairs, the 50 with most in common
    papers = real_kg.query("papers-per-show")
    assert {r["showName"] for r in papers} >= {"Into AI Safety", "muckrAIkers"}


def test_every_export_of_the_real_corpus(real_kg, tmp_path):
    """At real size (thousands of nodes) too: GraphML needs no scipy, RDF formats parse back."""
    import networkx as nx
    from rdflib import Graph

    g = nx.read_graphml(real_kg.export("graphml", tmp_path / "g.graphml"))
    assert g.number_of_nodes() > 1000
    assert all(isinstance(d["x"], float) and isinstance(d["r"], int) for _, d in g.nodes(data=True))
    nt = Graph().parse(real_kg.export("nt", tmp_path / "g.nt"), format="nt")
    assert len(nt) == len(real_kg.to_rdflib())


def test_counts_stored_at_build_time_match_the_graph(real_kg):
    assert statistics_mismatches(real_kg) == []

"""The kgraph command line, as a user runs it (click's CliRunner, real store on disk)."""

import json

import pytest
from click.testing import CliRunner
from helpers import SAMPLE

from kgraph.cli import cli


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    path = tmp_path_factory.mktemp("cli") / "store"
    result = CliRunner().invoke(cli, ["build", str(SAMPLE), "--store", str(path)])
    assert result.exit_code == 0, result.output
    return path


def run(*args, env=None):
    return CliRunner().invoke(cli, [str(a) for a in args], env=env)


def test_build_prints_a_summary(store):
    result = run("build", SAMPLE, "--store", store)
    assert result.exit_code == 0
    assert "pages read" in result.output and "triples" in result.output
    assert "skipped posts/alignmenthour-episodes/alignmenthour-episode-004/index.md: draft" in result.output
    assert "Episode" in result.output and "Work:paper" in result.output


def test_build_with_no_source_builds_the_sample(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = run("build")
    assert result.exit_code == 0, result.output
    assert (tmp_path / ".kgraph" / "meta.json").is_file()
    result = run("query", "SELECT (COUNT(*) AS ?n) WHERE { ?e a schema:PodcastEpisode }", "--format", "csv")
    assert result.output.splitlines() == ["n", "6"]


def test_store_from_environment(store):
    result = run("query", "ASK { ?e a schema:PodcastEpisode }", env={"KGRAPH_STORE": str(store)})
    assert result.exit_code == 0 and result.output.strip() == "yes"


def test_query_formats(store):
    q = "SELECT ?t WHERE { ?e a schema:PodcastEpisode ; schema:name ?t } ORDER BY ?t LIMIT 2"
    table = run("query", q, "--store", store)
    assert table.exit_code == 0 and "(2 rows)" in table.output
    csv_out = run("query", q, "--store", store, "--format", "csv").stdout_bytes.decode()
    assert csv_out.startswith("t\r\n") and csv_out.count("\r\n") == 3
    data = json.loads(run("query", q, "--store", store, "--format", "json").output)
    assert data["head"]["vars"] == ["t"]
    assert data["results"]["bindings"][0]["t"]["type"] == "literal"


def test_table_cells_stay_on_one_line_and_show_a_tab_as_a_bar(store):
    q = 'SELECT ?a ?b WHERE { VALUES (?a ?b) { ("one\\ttwo" "line\\nbreak") } }'
    table = run("query", q, "--store", store)
    assert table.exit_code == 0, table.output
    assert table.output.splitlines()[2].split() == ["one", "|", "two", "line", "break"]


def test_bundled_queries_by_name_and_file(store, tmp_path):
    listing = run("query", "--list", "--store", store).output
    assert "most-cited-works" in listing and "shared-references" in listing
    result = run("query", "shared-references", "--param", "episode=Specification Gaming", "--store", store)
    assert result.exit_code == 0, result.output
    assert "Debate and Scalable Oversight" in result.output
    rq = tmp_path / "count.rq"
    rq.write_text("SELECT (COUNT(*) AS ?n) WHERE { ?s a schema:Person }")
    assert run("query", rq, "--store", store, "--format", "csv").output.splitlines()[0] == "n"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["query", "SELECT ?x WHERE { ?x ?y }"], "SPARQL syntax error"),
        (["query", "no-such-query"], "no bundled query"),
        (["query", "SELECT * WHERE { SERVICE <http://127.0.0.1:9/> { ?s ?p ?o } }"], "SERVICE"),
        (["query", "DELETE WHERE { ?s ?p ?o }"], "read-only"),
        (["export", "pdf", "-o", "x.pdf"], "unknown export format"),
        (["query", "--param", "nope", "episodes"], "NAME=VALUE"),
    ],
)
def test_user_mistakes_get_one_line_errors(store, args, message):
    result = run(*args, "--store", store)
    assert result.exit_code == 1
    assert message in result.output
    assert "Traceback" not in result.output
    assert len(result.output.strip().splitlines()) == 1


def test_missing_store_and_missing_source(tmp_path):
    result = run("stats", "--store", tmp_path / "none")
    assert result.exit_code == 1 and "no kgraph store here" in result.output
    result = run("build", tmp_path / "nowhere", "--store", tmp_path / "s")
    assert result.exit_code == 1 and "no such file or directory" in result.output
    assert "Traceback" not in result.output


def test_syntax_errors_point_at_the_users_line(store):
    result = run("query", "SELECT ?x\nWHERE { ?x ?y }", "--store", store)
    assert "line 2" in result.output


def test_stats(store):
    result = run("stats", "--store", store, "--top", "3")
    assert result.exit_code == 0
    assert "PodcastEpisode" in result.output and "Top cited works" in result.output and "Top guests" in result.output


def test_export_every_format(store, tmp_path):
    for fmt in ("turtle", "nt", "jsonld", "graphml"):
        out = tmp_path / f"g.{fmt}"
        result = run("export", fmt, "-o", out, "--store", store)
        assert result.exit_code == 0, result.output
        assert out.stat().st_size > 1000


def test_export_to_a_missing_folder(store, tmp_path):
    result = run("export", "nt", "-o", tmp_path / "no" / "g.nt", "--store", store)
    assert result.exit_code == 1 and "no such folder" in result.output

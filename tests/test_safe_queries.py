"""Queries are read-only, local, time-limited and size-capped, through the API and the CLI.

A listener socket on 127.0.0.1 stands in for a remote SPARQL endpoint: every refused query
names it, and it must never see a connection. Some refused queries are ways to hide SERVICE
or a remote FROM from a naive check (each was measured to pass the previous check, and the
SERVICE ones to make Oxigraph open an HTTP connection): a `#` inside an IRI written with \\u
escapes, an escaped quote in a local name, a prefixed name followed by a space, a comment ended
by a bare CR, SERVICE glued to SILENT (Oxigraph needs no space between keywords), FROM with a
prefixed name or an escaped IRI.
"""

from __future__ import annotations

import os
import socket
import threading
import time

import pyoxigraph as ox
import pytest
from click.testing import CliRunner
from helpers import SAMPLE
from hypothesis import given, settings
from hypothesis import strategies as st

from kgraph import KnowledgeGraph
from kgraph.cli import cli
from kgraph.errors import QueryError, QueryRefused, QueryTimeout, TooManyRows
from kgraph.query import DEFAULT_TIMEOUT, MAX_ROWS, check_query
from kgraph.query_worker import WorkerDied, WorkerPool, WorkerTimeout, encode, execute, tsv_rows

SLOW = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }"  # ~10^12 rows to count


@pytest.fixture(scope="module")
def kg(tmp_path_factory) -> KnowledgeGraph:
    return KnowledgeGraph.build([SAMPLE], store=tmp_path_factory.mktemp("safe") / "store")


class Listener:
    """A TCP listener on 127.0.0.1 that records every connection made to it."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.sock.settimeout(0.1)
        self.port = self.sock.getsockname()[1]
        self.connections: list[bytes] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except (TimeoutError, OSError):
                continue
            conn.settimeout(0.5)
            try:
                self.connections.append(conn.recv(4096))
            except OSError:
                self.connections.append(b"")
            conn.close()

    def close(self) -> None:
        time.sleep(0.3)  # time for a late connection to arrive
        self._stop.set()
        self._thread.join()
        self.sock.close()


@pytest.fixture
def listener():
    srv = Listener()
    yield srv
    srv.close()
    assert srv.connections == [], "a query reached the network"


REFUSED = {
    "service": "SELECT * WHERE { SERVICE <http://127.0.0.1:{port}/sparql> { ?s ?p ?o } }",
    "service-lower-silent": "select * where { service silent <http://127.0.0.1:{port}/> { ?s ?p ?o } }",
    "service-glued-to-silent": "SELECT * WHERE { SERVICESILENT <http://127.0.0.1:{port}/> { ?s ?p ?o } }",
    "service-variable": "SELECT * WHERE { BIND(<http://127.0.0.1:{port}/> AS ?x) SERVICE ?x { ?s ?p ?o } }",
    "service-after-unicode-iri-hash": "SELECT * WHERE { <http://a/\\u0041#> ?p ?o . "
                                      "SERVICE <http://127.0.0.1:{port}/> { ?s ?p ?o } }",
    "service-after-prefix-space": "PREFIX ex: <http://e/> SELECT * WHERE { ?s ?p ex: "
                                  "SERVICE <http://127.0.0.1:{port}/> { ?s ?p ?o } }",
    "service-after-escaped-quote": "PREFIX ex: <http://e/> SELECT * WHERE { ?s ex:p\\' ?o . "
                                   "SERVICE <http://127.0.0.1:{port}/> { ?s ?p ?o } FILTER(?o != 'x') }",
    "service-after-cr-comment": "SELECT * WHERE { ?s ?p ?o # note\r"
                                "SERVICE <http://127.0.0.1:{port}/> { ?s ?p ?o } }",
    "load": "LOAD <http://127.0.0.1:{port}/data.ttl>",
    "load-into": "LOAD SILENT <http://127.0.0.1:{port}/d.ttl> INTO GRAPH <urn:x:g>",
    "insert": "INSERT DATA { <http://127.0.0.1:{port}/a> <urn:p> 1 }",
    "delete": "DELETE WHERE { ?s ?p ?o }",
    "drop": "DROP ALL",
    "clear": "CLEAR DEFAULT",
    "copy": "COPY DEFAULT TO <http://127.0.0.1:{port}/g>",
    "from-remote": "SELECT * FROM <http://127.0.0.1:{port}/g.ttl> WHERE { ?s ?p ?o }",
    "from-named-remote": "SELECT * FROM NAMED <http://127.0.0.1:{port}/g.ttl> "
                         "WHERE { GRAPH ?g { ?s ?p ?o } }",
    "from-prefixed-remote": "PREFIX r: <http://127.0.0.1:{port}/> SELECT * FROM r:g WHERE { ?s ?p ?o }",
    "from-named-glued": "SELECT * FROMNAMED <http://127.0.0.1:{port}/g> WHERE { GRAPH ?g { ?s ?p ?o } }",
    "from-glued-prefix-shadowing-kgid": "PREFIXkgid:<http://127.0.0.1:{port}/> SELECT * FROM kgid:g "
                                        "WHERE { ?s ?p ?o }",
    "from-default-prefix-remote": "PREFIX : <http://127.0.0.1:{port}/> SELECT * FROM :g WHERE { ?s ?p ?o }",
    "from-unicode-escaped": "SELECT * FROM <http\\u003A//127.0.0.1:{port}/g> WHERE { ?s ?p ?o }",
    "from-relative-with-base": "BASE <http://127.0.0.1:{port}/> SELECT * FROM <g.ttl> WHERE { ?s ?p ?o }",
    "from-dot-dot": "SELECT * FROM <https://w3id.org/kgraph/id/../../127.0.0.1/> WHERE { ?s ?p ?o }",
}
ALLOWED = {
    "variables-named-like-keywords": "SELECT ?service ?load WHERE { ?service a schema:PodcastEpisode . "
                                     "BIND(1 AS ?load) } LIMIT 1",
    "keywords-inside-a-string": 'SELECT ?t WHERE { ?e schema:name ?t '
                                'FILTER(?t != "SERVICE <http://127.0.0.1:{port}/> { } LOAD") } LIMIT 1',
    "keywords-inside-a-comment": "# SERVICE <http://127.0.0.1:{port}/> { ?s ?p ?o }\n"
                                 "SELECT ?e WHERE { ?e a schema:PodcastEpisode } LIMIT 1",
    "prefixed-names-like-keywords": "PREFIX ex: <http://127.0.0.1:{port}/> "
                                    "SELECT * WHERE { ?s ex:SERVICE ?o . ?s ex:load ?o } LIMIT 1",
    "from-the-stores-own-graph": "SELECT (COUNT(*) AS ?n) FROM <https://w3id.org/kgraph/id/graph/entities> "
                                 "WHERE { ?s a schema:Person }",
    "from-named-by-prefix": "SELECT (COUNT(*) AS ?n) FROM kgid:x WHERE { ?s ?p ?o }",
}


def fill(query: str, port: int) -> str:
    return query.replace("{port}", str(port))


@pytest.mark.parametrize("name", REFUSED)
@pytest.mark.parametrize("timeout", [DEFAULT_TIMEOUT, None], ids=["worker", "in-process"])
def test_api_refuses_before_any_network_access(kg, listener, name, timeout):
    with pytest.raises(QueryRefused, match="query refused"):
        kg.query(fill(REFUSED[name], listener.port), timeout=timeout)


@pytest.mark.parametrize("name", REFUSED)
def test_cli_refuses_with_one_clear_line(kg, listener, name):
    result = CliRunner().invoke(cli, ["query", fill(REFUSED[name], listener.port), "--store", str(kg.path)])
    assert result.exit_code == 1
    assert result.stderr.startswith("kgraph: error: query refused:")
    assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.output


@pytest.mark.parametrize("name", ALLOWED)
def test_queries_that_only_look_dangerous_run(kg, listener, name):
    result = kg.run(fill(ALLOWED[name], listener.port))
    assert result.kind == "select"


def test_comments_are_not_in_the_text_that_runs():
    text = "SELECT * WHERE { <http://a/\\u0041#> ?p ?o } # SERVICE hides here\nLIMIT 1"
    runnable = check_query(text)
    assert "SERVICE" not in runnable and "LIMIT 1" in runnable
    assert runnable.count("\n") == text.count("\n")  # error positions still point at the user's lines


def test_parameters_are_data_not_query_text(kg, listener):
    hostile = f'x" }} }} SERVICE <http://127.0.0.1:{listener.port}/> {{ ?s ?p ?o }} # \\'
    assert kg.query("shared-references", {"episode": hostile}) == []


def test_a_worker_that_escaped_the_check_still_cannot_reach_the_network(kg, listener):
    pool = WorkerPool()
    try:
        if not pool.hello()["isolated"]:
            pytest.skip("this kernel does not let the worker leave the network namespace")
        query = f"SELECT * WHERE {{ SERVICE <http://127.0.0.1:{listener.port}/> {{ ?s ?p ?o }} }}"
        request = {"db": str(kg._store.db_path), "version": kg.version, "max_rows": 10, "query": query}
        answer = pool.run(request, timeout=10)
    finally:
        pool.close()
    assert answer["error"] == "failed"


def test_a_slow_query_is_stopped_at_its_time_limit(kg):
    start = time.monotonic()
    with pytest.raises(QueryTimeout, match="time limit of 1 s"):
        kg.query(SLOW, timeout=1)
    assert time.monotonic() - start < 5
    assert kg.query("ASK { ?e a schema:PodcastEpisode }") is True  # a fresh worker takes over


def test_the_timed_out_worker_is_killed(kg):
    pool = WorkerPool()
    pid = pool.hello()["pid"]
    request = {"db": str(kg._store.db_path), "version": kg.version, "max_rows": 10, "query": SLOW}
    with pytest.raises(WorkerTimeout):
        pool.run(request, timeout=0.5)
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)
    pool.close()


def test_a_worker_that_dies_mid_query_is_a_clear_error(kg):
    pool = WorkerPool()
    pid = pool.hello()["pid"]
    threading.Timer(0.5, os.kill, (pid, 9)).start()
    request = {"db": str(kg._store.db_path), "version": kg.version, "max_rows": 10, "query": SLOW}
    with pytest.raises(WorkerDied, match="stopped unexpectedly"):
        pool.run(request, timeout=30)
    pool.close()


def test_cli_timeout(kg):
    result = CliRunner().invoke(cli, ["query", SLOW, "--timeout", "1", "--store", str(kg.path)])
    assert result.exit_code == 1
    assert "time limit of 1 s" in result.stderr and "--timeout" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_row_cap(kg):
    with pytest.raises(TooManyRows, match="more than 3 rows"):
        kg.run("SELECT * WHERE { ?s ?p ?o }", max_rows=3)
    with pytest.raises(TooManyRows, match="more than 3 triples"):
        kg.run("CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }", max_rows=3)
    assert len(kg.run("SELECT * WHERE { ?s ?p ?o } LIMIT 3", max_rows=3).rows) == 3
    with pytest.raises(TooManyRows):
        kg.run("SELECT * WHERE { ?s ?p ?o }", max_rows=3, timeout=None)
    result = CliRunner().invoke(cli, ["query", "SELECT * WHERE { ?s ?p ?o }", "--max-rows", "3", "--store",
                                      str(kg.path)])
    assert result.exit_code == 1 and "more than 3 rows" in result.stderr and "--max-rows" in result.stderr


def test_worker_and_in_process_paths_give_the_same_answers(kg):
    for query in ("SELECT ?e ?t ?d WHERE { ?e a schema:PodcastEpisode ; schema:name ?t ; "
                  "schema:datePublished ?d } ORDER BY ?e",
                  "CONSTRUCT { ?s schema:name ?n } WHERE { ?s a schema:Person ; schema:name ?n }",
                  "ASK { ?s a schema:Person }", "most-cited-works"):
        worker, local = kg.run(query), kg.run(query, timeout=None)
        assert (worker.kind, worker.variables, worker.rows, worker.terms, worker.boolean) == \
               (local.kind, local.variables, local.rows, local.terms, local.boolean)
        assert sorted(worker.triples) == sorted(local.triples)
        assert worker.to_json() == local.to_json() and worker.to_csv() == local.to_csv()


def test_odd_terms_and_text_are_errors_or_values_never_crashes(kg):
    rows = kg.query("SELECT ?t WHERE { BIND(<<( <http://a> <http://b> <http://c> )>> AS ?t) }")
    assert rows == [{"t": "<< <http://a> <http://b> <http://c> >>"}]
    with pytest.raises(QueryError, match="not valid Unicode"):
        kg.query("SELECT * WHERE { ?s ?p '\ud800' }")
    with pytest.raises(QueryError, match="not valid Unicode"):
        kg.query("shared-references", {"episode": "\udce9"})


def test_defaults_are_the_same_in_the_api_and_the_cli():
    options = {p.name: p.default for p in cli.commands["query"].params}
    assert options["timeout"] == DEFAULT_TIMEOUT == 30
    assert options["max_rows"] == MAX_ROWS


def test_a_worker_that_cannot_start_is_a_clear_error(kg, monkeypatch):
    import sys

    import kgraph.query

    monkeypatch.setattr(kgraph.query, "_POOL", WorkerPool())
    monkeypatch.setattr(sys, "executable", "/nonexistent/python")
    with pytest.raises(QueryError, match="cannot start the query worker"):
        kg.query("ASK { ?s ?p ?o }")
    assert kg.query("ASK { ?s ?p ?o }", timeout=None) is True


XSD_ = "http://www.w3.org/2001/XMLSchema#"


@pytest.mark.parametrize("raw", [
    ("u", "https://example.org/a"), ("b", "b0"), ("l", "text", XSD_ + "string", None),
    ("l", "Text", "http://www.w3.org/1999/02/22-rdf-syntax-ns#langString", "en"),
    ("l", "32", XSD_ + "integer", None), ("l", "+7", XSD_ + "integer", None), ("l", "x", XSD_ + "integer", None),
    ("l", "2024-01-02", XSD_ + "date", None), ("l", "2024-13-02", XSD_ + "date", None),
    ("l", "2024-01-02Z", XSD_ + "date", None), ("l", "1.5", XSD_ + "decimal", None),
    ("l", "true", XSD_ + "boolean", None), None,
])
def test_row_values_are_what_rdflib_would_give(raw):
    # rows skip rdflib for common terms; the values must not change
    from kgraph.query import _py, _term, _value

    expected = None if raw is None else _py(_term(raw))
    assert _value(raw) == expected and type(_value(raw)) is type(expected)


def _solutions(db, query: str) -> list[tuple]:
    """What a SELECT's rows were before they travelled as TSV: encode() of each solution's terms."""
    answer = db.query(query)
    return [tuple(encode(s[v]) for v in answer.variables) for s in answer]


ODD_LITERALS = [
    "".join(chr(i) for i in range(0x20)) + '\x7f"\\\'é\u2028\ufeff😀', "", " ", "tab\there", '"quoted"', "back\\slash",
    "ends with a backslash\\", '\\"', "\\t is not a tab", "a\r\nb",
]
ODD_TERMS = [
    "<https://example.org/a>", "<https://example.org/a%20b?x=1&y=é#f>", "<urn:x>",
    "'2024-01-02'^^xsd:date", "'2024-13-02'^^xsd:date", "'x'^^xsd:integer", "'-0012'^^xsd:integer",
    "'+7'^^xsd:integer", "42", "-5", "1.5", "'+12.50'^^xsd:decimal", "'x'^^xsd:decimal", "1e3", "'NaN'^^xsd:double",
    "true", "false", "'1'^^xsd:boolean", "'maybe'^^xsd:boolean", "'text'@en", "'text'@en-GB", "'x'^^<https://example.org/dt>",
    "'<a>\\t\"b\"'^^<https://example.org/dt>", "'x'@en--ltr",
]


def test_tsv_rows_are_the_solutions_terms_for_every_kind_of_term():
    # the worker sends a SELECT's rows as Oxigraph's TSV: reading it back must give exactly the
    # terms the solutions hold, however a term is written there
    db = ox.Store()
    subject, predicate = ox.NamedNode("https://example.org/s"), ox.NamedNode("https://example.org/p")
    db.extend(ox.Quad(subject, predicate, ox.Literal(text)) for text in ODD_LITERALS)
    db.extend(ox.Quad(subject, predicate, ox.Literal(text, language="de")) for text in ODD_LITERALS)
    db.add(ox.Quad(ox.BlankNode("b0"), predicate, ox.BlankNode()))
    prefix = "PREFIX xsd: <http://www.w3.org/2001/XMLSchema#>\n"
    queries = [
        "SELECT ?o ?none WHERE { ?s ?p ?o OPTIONAL { ?o ?p ?none } }",
        "SELECT ?t ?v WHERE { VALUES ?v { " + " ".join(ODD_TERMS) + " } BIND(STR(?v) AS ?t) }",
        "SELECT ?a ?b WHERE { ?a ?p ?b FILTER(isBlank(?a)) }",
        "SELECT ?t WHERE { BIND(<<( <http://a> <http://b> 'c' )>> AS ?t) }",
        "SELECT * WHERE { ?s ?p ?o FILTER(false) }",
        "SELECT * WHERE { }",
        "SELECT ?a ?b WHERE { VALUES (?a ?b) { (UNDEF UNDEF) (1 UNDEF) (UNDEF 2) } }",
    ]
    for query in queries:
        answer = execute(db, prefix + query, 1000)
        assert tsv_rows(answer["tsv"], len(answer["variables"])) == _solutions(db, prefix + query), query


@given(st.text(st.characters(blacklist_categories=("Cs",))), st.sampled_from([None, "en", "zh-hant-tw"]))
@settings(max_examples=200, deadline=None)
def test_tsv_rows_keep_any_text(text, language):
    db = ox.Store()
    db.add(ox.Quad(ox.NamedNode("https://example.org/s"), ox.NamedNode("https://example.org/p"),
                   ox.Literal(text, language=language)))
    answer = execute(db, "SELECT ?o WHERE { ?s ?p ?o }", 10)
    assert tsv_rows(answer["tsv"], 1) == _solutions(db, "SELECT ?o WHERE { ?s ?p ?o }")


def test_row_cap_stops_the_answer_at_the_cap():
    db = ox.Store()
    db.extend(ox.Quad(ox.NamedNode(f"https://example.org/{i}"), ox.NamedNode("https://example.org/p"), ox.Literal(i))
              for i in range(5000))
    assert execute(db, "SELECT * WHERE { ?s ?p ?o }", 4999) == {"error": "rows", "limit": 4999, "what": "rows"}
    assert len(tsv_rows(execute(db, "SELECT * WHERE { ?s ?p ?o }", 5000)["tsv"], 3)) == 5000


def test_a_term_that_tsv_cannot_carry_is_a_clear_error():
    # a lenient load lets a tab or a line break into an IRI (kgraph's builds never write one):
    # the answer cannot travel as TSV, and that is a QueryError, not a row cut in two
    from kgraph.query import run_query

    for iri in ("http://a/x\ty", "http://a/x\ny"):
        db = ox.Store()
        db.bulk_load(f'<{iri}> <http://p> "v" .\n'.encode(), format=ox.RdfFormat.N_TRIPLES, lenient=True)
        with pytest.raises(QueryError, match="cannot be written as SPARQL TSV"):
            run_query(db, "SELECT ?s ?o WHERE { ?s ?p ?o }")
        with pytest.raises(QueryError, match="SPARQL TSV"):  # one column: the IRI cut in two cells
            run_query(db, "SELECT ?s WHERE { ?s ?p ?o }")

"""Server mode: --store URL against a real Oxigraph server (the `oxigraph` binary from PyPI)."""

import contextlib
import http.server
import threading
import urllib.error
import urllib.parse
import urllib.request

import networkx as nx
import pytest
from click.testing import CliRunner
from helpers import SAMPLE, free_port, oxigraph_binary, oxigraph_server

from kgraph import KnowledgeGraph, StoreError
from kgraph.cli import cli
from kgraph.errors import QueryRefused, TooManyRows
from kgraph.query import run_query

BINARY = oxigraph_binary()
pytestmark = pytest.mark.skipif(BINARY is None,
                                reason="the oxigraph server binary (pip install oxigraph) is not installed")

EPISODE_TITLES = "SELECT ?t WHERE { ?e a schema:PodcastEpisode ; schema:name ?t } ORDER BY ?t"
EPISODE_COUNT = "SELECT (COUNT(DISTINCT ?e) AS ?n) WHERE { ?e a schema:PodcastEpisode }"


@pytest.fixture(scope="module", autouse=True)
def mirrors(tmp_path_factory):
    """Server builds keep their build cache in a mirror folder: here, not in the home folder."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("KGRAPH_MIRROR_DIR", str(tmp_path_factory.mktemp("mirrors")))
        yield


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    with oxigraph_server(tmp_path_factory.mktemp("oxigraph")) as url:
        yield url


@pytest.fixture(scope="module")
def built(server, tmp_path_factory):
    result = CliRunner().invoke(cli, ["build", str(SAMPLE), "--store", server])
    assert result.exit_code == 0, result.output
    assert f"Built {server}" in result.output
    from kgraph.remote import mirror_folder

    assert f"  build cache for this server: {mirror_folder(server)} " in result.output
    assert (mirror_folder(server) / "cache.sqlite").is_file()
    local = tmp_path_factory.mktemp("local") / "store"
    KnowledgeGraph.build([SAMPLE], store=local)
    return server, KnowledgeGraph.open(local)


def run(*args):
    return CliRunner().invoke(cli, [str(a) for a in args])


def test_python_api_answers_match_a_local_build(built):
    url, local = built
    remote = KnowledgeGraph.open(url)
    assert remote.path == url and len(remote) == len(local)
    assert remote.query(EPISODE_TITLES) == local.query(EPISODE_TITLES)
    assert remote.query(EPISODE_COUNT) == local.query(EPISODE_COUNT)
    assert remote.query("most-cited-works") == local.query("most-cited-works")
    tags = [{r["page"]: sorted(r["tags"].split("\t")) for r in kg.query("page-tags")} for kg in (remote, local)]
    assert tags[0] == tags[1] and any(len(t) > 1 for t in tags[0].values())  # tab-joined lists survive the protocol
    assert remote.query("ASK { ?e a schema:PodcastEpisode }") is True
    triples = remote.query("CONSTRUCT { ?e a schema:PodcastEpisode } WHERE { ?e a schema:PodcastEpisode }")
    assert len(triples) == local.query(EPISODE_COUNT)[0]["n"]
    df = remote.query_df(EPISODE_TITLES)
    assert list(df["t"]) == [r["t"] for r in local.query(EPISODE_TITLES)]
    assert remote.version == KnowledgeGraph.open(url).version


def test_cli_query_and_stats_match_a_local_build(built):
    url, local = built
    remote_out = run("query", EPISODE_TITLES, "--format", "csv", "--store", url)
    local_out = run("query", EPISODE_TITLES, "--format", "csv", "--store", local.path)
    assert remote_out.exit_code == 0, remote_out.output
    assert remote_out.output == local_out.output
    stats = run("stats", "--json", "--store", url)
    assert stats.exit_code == 0, stats.output
    assert stats.output == run("stats", "--json", "--store", local.path).output
    explained = run("explain", "Anthropic", "--store", url)
    assert explained.exit_code == 0 and "named on:" in explained.output
    assert explained.output == run("explain", "Anthropic", "--store", local.path).output


def test_export_graphml_from_the_server(built, tmp_path):
    url, local = built
    out = tmp_path / "g.graphml"
    result = run("export", "graphml", "-o", out, "--store", url)
    assert result.exit_code == 0, result.output
    g = nx.read_graphml(out)
    expected = local.to_networkx()
    assert g.number_of_nodes() == expected.number_of_nodes()
    assert g.number_of_edges() == expected.number_of_edges()
    remote = KnowledgeGraph.open(url)
    assert nx.utils.graphs_equal(remote.to_networkx(), expected)
    assert remote._store._db is None  # the server answered the entity graph's queries: no copy of its graph


def test_rdf_exports_stream_from_the_server(built, tmp_path):
    """Turtle, N-Triples and JSON-LD of a server's graph are written as its answer arrives (a
    copy of the graph in memory first took 102 s and 2.3 GB for N-Triples at 10,000 episodes):
    the same triples as a local export, and no copy kept. An answer that breaks off is a
    one-line error naming the server, and leaves no file."""
    import pyoxigraph as ox

    url, local = built
    for fmt, rdf_format in (("nt", ox.RdfFormat.N_TRIPLES), ("turtle", ox.RdfFormat.TURTLE),
                            ("jsonld", ox.RdfFormat.JSON_LD)):
        out, mine = tmp_path / f"remote.{fmt}", tmp_path / f"local.{fmt}"
        result = run("export", fmt, "-o", out, "--store", url)
        assert result.exit_code == 0, result.output
        local.export(fmt, mine)
        theirs, ours = (set(ox.parse(path=str(p), format=rdf_format)) for p in (out, mine))
        assert theirs == ours and len(ours) == len(local)
    from kgraph.app import data

    remote = KnowledgeGraph.open(url)
    assert set(ox.parse(remote.serialize("turtle"), format=ox.RdfFormat.TURTLE)) == ours  # the dashboard's download
    index, local_index = data.build_index(remote), data.build_index(local)
    kept = set(data.filter_graph(index, data.Filters(shows=("Model Minds",))))
    assert kept == set(data.filter_graph(local_index, data.Filters(shows=("Model Minds",))))
    part = data.export_bytes(remote, index, "turtle", kept)  # the download of a filter's part
    assert part == data.export_bytes(local, local_index, "turtle", kept)
    assert 0 < len(set(ox.parse(part, format=ox.RdfFormat.TURTLE))) < len(ours)
    assert remote._store._db is None  # neither copied the server's graph
    with recording_proxy(url, cut=True) as (cut, _):
        out = tmp_path / "cut.nt"
        result = run("export", "nt", "-o", out, "--store", cut)
        assert result.exit_code == 1
        assert result.output.startswith(f"kgraph: error: {cut}/query: the answer broke off on its way from the server")
        assert len(result.output.strip().splitlines()) == 1
        assert sorted(p.name for p in tmp_path.iterdir() if "cut" in p.name) == []
        with pytest.raises(StoreError, match="connection to the SPARQL endpoint failed"):  # a query's answer too
            KnowledgeGraph.open(cut).query('SELECT ?x WHERE { BIND("CONSTRUCT" AS ?x) }')
        with pytest.raises(StoreError, match="broke off"):
            assert KnowledgeGraph.open(cut).db is None  # the in-memory copy reads the same way, and fails


def test_refused_queries_are_still_refused(built):
    url, _ = built
    with pytest.raises(QueryRefused):
        KnowledgeGraph.open(url).query("SELECT * WHERE { SERVICE <http://example.org/sparql> { ?s ?p ?o } }")
    service = "SELECT * WHERE { SERVICE <http://example.org/sparql> { ?s ?p ?o } }"
    result = run("query", service, "--store", url)
    assert result.exit_code == 1 and "SERVICE" in result.output


def test_syntax_errors_are_one_line(built):
    url, _ = built
    result = run("query", "SELECT ?x WHERE { ?x ", "--store", url)
    assert result.exit_code == 1
    assert result.output.startswith("kgraph: error: SPARQL syntax error")
    assert len(result.output.strip().splitlines()) == 1


def test_unreachable_server_is_a_one_line_error():
    url = f"http://127.0.0.1:{free_port()}"
    result = run("query", EPISODE_COUNT, "--store", url)
    assert result.exit_code == 1
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("kgraph: error:") and url in lines[0]
    assert "Traceback" not in result.output
    with pytest.raises(StoreError, match="cannot reach"):
        KnowledgeGraph.open(url)


def test_validate_runs_on_the_server(built):
    """The SHACL checks are SPARQL sent to the server: a triple broken there is found there."""
    url, local = built
    assert run("validate", "--store", url).exit_code == 0
    episode = local.query("SELECT ?e WHERE { ?e a schema:PodcastEpisode } ORDER BY ?e LIMIT 1")[0]["e"]
    update = f'INSERT DATA {{ <{episode}> <https://schema.org/name> "A second title" }}'
    urllib.request.urlopen(urllib.request.Request(
        url + "/update", data=urllib.parse.urlencode({"update": update}).encode(), method="POST")).close()
    try:
        result = run("validate", "--store", url)
        assert result.exit_code == 1
        assert "Violation (1): An episode (schema:PodcastEpisode) must have exactly one title" in result.output
        assert f"  {episode} https://schema.org/name\n" in result.output
        assert [v.focus for v in KnowledgeGraph.open(url).validate()] == [episode]
    finally:
        urllib.request.urlopen(urllib.request.Request(
            url + "/update", data=urllib.parse.urlencode({"update": update.replace("INSERT", "DELETE")}).encode(),
            method="POST")).close()
    assert KnowledgeGraph.open(url).validate() == []


class _Recorder(http.server.BaseHTTPRequestHandler):
    """Passes every request on to a real server and notes its method and path; says it is that
    server (its Server header) unless `disguised`, as a proxy in front of it might."""

    upstream, seen, disguised, server_name, cut = "", [], False, "", False

    def _forward(self):
        size = int(self.headers.get("Content-Length") or 0)
        data = self.rfile.read(size) if size else None
        req = urllib.request.Request(self.upstream + self.path, data=data,
                                     method=self.command, headers={k: v for k, v in self.headers.items()
                                                                   if k.lower() in ("content-type", "accept")})
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        try:
            with opener.open(req, timeout=60) as resp:
                status, headers, body = resp.status, resp.headers, resp.read()
        except urllib.error.HTTPError as e:
            status, headers, body = e.code, e.headers, e.read()
        type(self).seen.append((self.command, self.path, self.headers.get("Accept", "")))
        type(self).server_name = "a-proxy" if self.disguised else headers.get("Server", "")
        self.send_response(status)
        self.send_header("Content-Type", headers.get("Content-Type", "text/plain"))
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.cut and data and b"CONSTRUCT" in data:  # the answer breaks off half-way
            self.wfile.write(body[: len(body) // 2])
            self.close_connection = True
            return
        self.wfile.write(body)

    do_GET = do_POST = do_PUT = do_DELETE = _forward

    def version_string(self):
        return self.server_name or "a-proxy"

    def log_message(self, *args):
        pass


@contextlib.contextmanager
def recording_proxy(upstream: str, disguised: bool = False, cut: bool = False):
    """A _Recorder in front of upstream: yields (its URL, the list of requests it passed on).
    With cut, the answers to CONSTRUCT queries break off half-way."""
    handler = type("Recorder", (_Recorder,), {"upstream": upstream, "seen": [], "disguised": disguised, "cut": cut})
    proxy = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=proxy.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{proxy.server_address[1]}", handler.seen
    finally:
        proxy.shutdown()
        proxy.server_close()


@pytest.mark.parametrize("disguised", [False, True])
def test_build_asks_an_oxigraph_server_for_its_bulk_loader(tmp_path, disguised):
    """An Oxigraph server loads the graph with its bulk loader (10,000 episodes: 37 s instead
    of 140 s in one transaction); a server that does not say it is Oxigraph gets the plain
    Graph Store Protocol request. Either way the server then holds the graph."""
    with oxigraph_server(tmp_path / "db") as upstream, recording_proxy(upstream, disguised) as (url, seen):
        result = run("build", SAMPLE, "--store", url)
        assert result.exit_code == 0, result.output
        loads = [path for method, path, _ in seen if method == "POST" and path.startswith("/store")]
        assert loads == (["/store"] if disguised else ["/store?no_transaction&lenient"])
        local = KnowledgeGraph.build([SAMPLE], store=tmp_path / "local")
        remote = KnowledgeGraph.open(upstream)
        assert len(remote) == len(local) and remote.query(EPISODE_TITLES) == local.query(EPISODE_TITLES)
        # queries: SPARQL TSV from a server that says it is Oxigraph, JSON from any other
        through = KnowledgeGraph.open(url)
        for name in ("episodes", "page-tags", "most-cited-works", EPISODE_COUNT, "ASK { ?s ?p ?o }",
                     "SELECT ?x WHERE { ?s ?p ?o } LIMIT 0", "SELECT ?x WHERE { BIND(1 AS ?y) }"):
            assert through.query(name) == local.query(name), name
        accepts = {accept.split(",")[0] for method, path, accept in seen if path == "/query"}
        assert accepts == ({"application/sparql-results+json"} if disguised else
                           {"application/sparql-results+json", "text/tab-separated-values"})
        with pytest.raises(TooManyRows):
            run_query(through._store, EPISODE_TITLES, max_rows=1)
        assert through._store._read_meta() == through._store.meta and through._store.meta["build_id"]


def test_remote_build_shows_the_upload(tmp_path):
    """The graph's upload reports each megabyte the server has read, ending at the whole file."""
    from helpers import load_synth

    from kgraph.build import build_store

    load_synth().main(["60", str(tmp_path / "site"), "--seed", "5"])
    calls = []
    with oxigraph_server(tmp_path / "db") as url:
        summary = build_store([tmp_path / "site"], url, progress=lambda *call: calls.append(call))
        stored = KnowledgeGraph.open(url).query("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }")[0]["n"]
        assert stored == summary["triples"]  # the whole upload arrived
    sent = [(done, total) for stage, done, total in calls if stage == "sending to server"]
    totals = {total for _, total in sent}
    assert len(totals) == 1 and totals.pop() >= 3  # megabytes: several steps to show
    assert [done for done, _ in sent] == sorted(set(done for done, _ in sent))  # each step once, in order
    assert sent[0][0] == 0 and sent[-1][0] == sent[-1][1] and len(sent) == sent[-1][1] + 1


def test_a_second_build_sends_the_server_only_the_change(tmp_path, monkeypatch):
    """After one page is edited, the server gets one SPARQL update and then holds what a full
    build of the edited site holds; once another machine (another mirror) has built into the
    server, the next build here is a full one again."""
    import shutil

    from kgraph.build import build_store

    monkeypatch.setenv("KGRAPH_MIRROR_DIR", str(tmp_path / "mirrors"))
    site = tmp_path / "site"
    shutil.copytree(SAMPLE, site)
    page = sorted((site / "content").rglob("index.md"))[0]
    everything = "CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }"
    with oxigraph_server(tmp_path / "db") as upstream:
        with recording_proxy(upstream) as (url, seen):
            assert "incremental" not in build_store([site], url)
            page.write_text(page.read_text(encoding="utf-8").replace("title: ", "title: Edited ", 1), encoding="utf-8")
            seen.clear()
            second = build_store([site], url)
        assert second["incremental"]["pages_extracted"] == 1
        writes = [(method, path) for method, path, _ in seen if path != "/query"]
        assert writes == [("POST", "/update")]  # one SPARQL update: no DROP ALL, no upload
        local = KnowledgeGraph.build([site], store=tmp_path / "local", incremental=False)
        remote = KnowledgeGraph.open(upstream)
        assert set(remote.query(everything)) == set(local.query(everything))
        assert len(remote) == len(local) and remote.query(EPISODE_TITLES) == local.query(EPISODE_TITLES)
        assert any(r["t"].startswith("Edited ") for r in remote.query(EPISODE_TITLES))
        # mirrors are kept per URL: the server's own URL is new to this machine
        assert "incremental" not in build_store([site], upstream)
        assert "incremental" in build_store([site], upstream)
        monkeypatch.setenv("KGRAPH_MIRROR_DIR", str(tmp_path / "another-machine"))
        assert "incremental" not in build_store([site], upstream)
        monkeypatch.setenv("KGRAPH_MIRROR_DIR", str(tmp_path / "mirrors"))  # this machine's mirror is now stale
        assert "incremental" not in build_store([site], upstream)
        assert set(KnowledgeGraph.open(upstream).query(everything)) == set(local.query(everything))


def test_a_change_too_large_for_one_update_is_a_full_build(tmp_path, monkeypatch):
    """A change past what the server takes in one request (Oxigraph: 1 MB; here made tiny) is
    not split into several updates, which would leave the server half-changed in between: the
    build is a full one, and the server holds the edited site's graph."""
    import shutil

    import kgraph.remote
    from kgraph.build import build_store

    monkeypatch.setenv("KGRAPH_MIRROR_DIR", str(tmp_path / "mirrors"))
    site = tmp_path / "site"
    shutil.copytree(SAMPLE, site)
    page = sorted((site / "content").rglob("index.md"))[0]
    with oxigraph_server(tmp_path / "db") as url:
        build_store([site], url)
        page.write_text(page.read_text(encoding="utf-8").replace("title: ", "title: Edited ", 1), encoding="utf-8")
        monkeypatch.setattr(kgraph.remote, "_MAX_UPDATE", 100)
        assert "incremental" not in build_store([site], url)
        local = KnowledgeGraph.build([site], store=tmp_path / "local", incremental=False)
        everything = "CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }"
        assert set(KnowledgeGraph.open(url).query(everything)) == set(local.query(everything))
        monkeypatch.setattr(kgraph.remote, "_MAX_UPDATE", 1 << 20)
        page.write_text(page.read_text(encoding="utf-8").replace("title: Edited ", "title: ", 1), encoding="utf-8")
        assert build_store([site], url)["incremental"]["pages_extracted"] == 1  # the mirror is current again


def test_mirrors_are_listed_pruned_and_forgotten(tmp_path, monkeypatch):
    """`kgraph mirrors` names each server this machine built into; --prune deletes only the
    mirror whose server now holds another build's graph (a server that does not answer keeps
    its mirror); --forget deletes one by URL or folder, and is refused while a build uses it."""
    import json
    import threading

    from kgraph.remote import mirror_folder
    from kgraph.store import build_lock

    here = tmp_path / "mirrors"
    monkeypatch.setenv("KGRAPH_MIRROR_DIR", str(here))
    with oxigraph_server(tmp_path / "a") as a:
        with oxigraph_server(tmp_path / "b") as b:
            for url in (a, b):
                assert run("build", SAMPLE, "--store", url + "/", "-q").exit_code == 0
            listing = run("mirrors")
            assert listing.exit_code == 0, listing.output
            assert listing.output.startswith(f"Mirrors in {here}: 2, ")
            triples = len(KnowledgeGraph.open(a))
            for url in (a, b):
                assert f"  {url}\n    built " in listing.output
                assert f", {triples} triples, " in listing.output
                assert f"folder {mirror_folder(url).name}" in listing.output
            one = run("mirrors", "--store", a)
            assert one.output.startswith(f"Mirrors in {here}: 1, ") and f"  {b}\n" not in one.output
            assert one.output.endswith("    the server holds its graph: the next build can be incremental\n")
        # b is stopped now; a gets a build from another machine, so this one's mirror of a is stale
        monkeypatch.setenv("KGRAPH_MIRROR_DIR", str(tmp_path / "another-machine"))
        assert run("build", SAMPLE, "--store", a, "-q").exit_code == 0
        monkeypatch.setenv("KGRAPH_MIRROR_DIR", str(here))
        assert run("mirrors", "--store", a).output.endswith("    the server holds another build's graph\n")
        old = here / "0123456789abcdef"  # a mirror from before kgraph recorded its server
        old.mkdir()
        (old / "meta.json").write_text(json.dumps({"build_id": "x", "quads": 5}))
        pruned = run("mirrors", "--prune")
        assert pruned.exit_code == 0, pruned.output
        assert f"deleted  {a}  (the server holds another build's graph, " in pruned.output
        assert f"kept     {b}  (the server did not answer, " in pruned.output
        assert "kept     0123456789abcdef  (its server is not recorded" in pruned.output
        assert not mirror_folder(a).exists() and mirror_folder(b).is_dir() and old.is_dir()
        assert "incremental" not in KnowledgeGraph.build([SAMPLE], store=a).summary  # a full build, a new mirror

    held, release = threading.Event(), threading.Event()

    def build_running():
        with build_lock(mirror_folder(b)):
            held.set()
            release.wait(30)

    thread = threading.Thread(target=build_running)
    thread.start()
    try:
        held.wait(30)
        busy = run("mirrors", "--forget", b)
        assert busy.exit_code == 1 and "another build is running" in busy.output
        assert f"kept     {b}  (a build is writing it, " in run("mirrors", "--prune").output
        assert mirror_folder(b).is_dir()
    finally:
        release.set()
        thread.join()
    assert run("mirrors", "--forget", b).exit_code == 0 and not mirror_folder(b).exists()
    assert run("mirrors", "--forget", old.name).exit_code == 0 and not old.exists()
    missing = run("mirrors", "--forget", b)
    assert missing.exit_code == 1
    assert missing.output == (f"kgraph: error: {b}: no mirror of that server in {here} (mirrors: {a})\n")
    assert run("mirrors").output.startswith(f"Mirrors in {here}: 1, ")
    assert run("mirrors", "--store", b).output == f"No mirror of {b} in {here}: the next build into it is a full one\n"
    local = run("mirrors", "--store", tmp_path / "store")
    assert local.exit_code == 1 and local.output.startswith(f"kgraph: error: --store {tmp_path / 'store'}: mirrors are")

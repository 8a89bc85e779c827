"""Paths and tiny-site builders shared by tests."""

from __future__ import annotations

import contextlib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "data"
CORPUS = ROOT.parent / "shared" / "corpus" / "kairos.fm"
SYNTH = ROOT / "benchmarks" / "synth.py"
def write_page(root: Path, rel: str, text: str) -> Path:
    """Write one page under root/content (a test's tiny Hugo site)."""
    path = root / "content" / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def tiny_site(root: Path, base: str = "https://tiny.example") -> Path:
    (root / "config" / "_default").mkdir(parents=True, exist_ok=True)
    (root / "config" / "_default" / "hugo.yaml").write_text(f"title: Tiny\nbaseURL: {base}\n")
    return root


def oxigraph_binary() -> str | None:
    """The `oxigraph` server binary from PyPI (next to this Python), or on PATH."""
    import shutil
    import sys

    here = Path(sys.executable).parent / "oxigraph"
    return str(here) if here.is_file() else shutil.which("oxigraph")


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def oxigraph_server(location: Path):
    """A real Oxigraph server on a free 127.0.0.1 port, stopped on exit; yields its URL."""
    import subprocess
    import time
    import urllib.request

    binary = oxigraph_binary()
    if binary is None:
        pytest.skip("the oxigraph server binary (pip install oxigraph) is not installed")
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    proc = subprocess.Popen([binary, "serve", "--location", str(location), "--bind", f"127.0.0.1:{port}"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                opener.open(url + "/query?query=ASK%7B%7D", timeout=2).read()
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"oxigraph server did not start on {url}")
                time.sleep(0.1)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def statistics_mismatches(kg) -> list[str]:
    """Where the counts stored at build time (kg:citationCount, kg:referenceCount, kg:pageCount)
    disagree with the same counts aggregated over the graph's own triples."""
    out = []

    def pairs(q: str) -> dict:
        return {r["s"]: r["n"] for r in kg.query(q)}

    cited = pairs("SELECT ?s (COUNT(DISTINCT ?p) AS ?n) WHERE { ?p schema:citation ?s . ?s kg:kind ?k } GROUP BY ?s")
    stored = pairs("SELECT ?s ?n WHERE { ?s kg:citationCount ?n }")
    out += [f"citationCount of {s}: {stored.get(s)} != {n}" for s, n in cited.items() if stored.get(s) != n]
    out += [f"citationCount on uncited {s}" for s in stored.keys() - cited.keys()]
    refs = pairs(
        "SELECT ?s (COUNT(DISTINCT ?w) AS ?n)"
        " WHERE { ?s kg:pageKey ?k OPTIONAL { ?s schema:citation ?w } } GROUP BY ?s"
    )
    stored = pairs("SELECT ?s ?n WHERE { ?s kg:referenceCount ?n }")
    out += [f"referenceCount of {s}: {stored.get(s)} != {n}" for s, n in refs.items() if stored.get(s) != n]
    # organizations: at least the pages whose text names them, at most those reaching them by
    # any path (a page citing a work that another page says the organization published)
    low = pairs(
        "SELECT ?s (COUNT(DISTINCT ?p) AS ?n)"
        " WHERE { ?p schema:mentions ?s . ?s a schema:Organization } GROUP BY ?s"
    )
    high = pairs(
        "SELECT ?s (COUNT(DISTINCT ?p) AS ?n) WHERE { ?s a schema:Organization . { ?p schema:mentions ?s }"
        " UNION { ?p schema:citation/schema:publisher ?s }"
        " UNION { ?p schema:actor/schema:affiliation ?s } } GROUP BY ?s"
    )
    stored = pairs("SELECT ?s ?n WHERE { ?s kg:pageCount ?n }")
    out += [
        f"pageCount of {s}: {stored.get(s)} not in [{low.get(s, 0)}, {n}]"
        for s, n in high.items()
        if not low.get(s, 0) <= stored.get(s, 0) <= n
    ]
    return out


def load_synth():
    """benchmarks/synth.py as a module (benchmarks are scripts, not a package)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("synth", SYNTH)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def shared_references_truth(kg, words: str) -> dict[tuple[str, str], tuple[int, set[str]]]:
    """(matching page, other page) -> (number of works both cite, their names), computed in
    Python from the citations' provenance nodes, for checking the shared-references query."""
    cites: dict[str, set[str]] = {}
    for r in kg.query("SELECT ?p ?w WHERE { ?c kg:citingPage ?p ; kg:cites ?w }"):
        cites.setdefault(r["p"], set()).add(r["w"])
    names = {r["w"]: r["n"] for r in kg.query("SELECT ?w ?n WHERE { ?c kg:cites ?w . ?w schema:name ?n }")}
    titles = {r["p"]: r["t"] for r in kg.query("SELECT ?p ?t WHERE { ?p kg:pageKey ?k ; schema:name ?t }")}
    out = {}
    for page, title in titles.items():
        if words.lower() not in title.lower():
            continue
        for other, works in cites.items():
            common = cites.get(page, set()) & works
            if other != page and common:
                out[(page, other)] = (len(common), {names[w] for w in common})
    return out


def check_shared_references(kg, words: str) -> list[dict]:
    """Run shared-references and assert it against shared_references_truth: the rows are the
    pairs with most works in common, their counts and names right, best first."""
    rows = kg.query("shared-references", {"episode": words})
    truth = shared_references_truth(kg, words)
    assert len(rows) == min(50, len(truth))
    for r in rows:
        shared, names = truth[(r["page"], r["other"])]
        assert (r["shared"], set(r["works"].split(" | "))) == (shared, names), r
    assert [r["shared"] for r in rows] == sorted((r["shared"] for r in rows), reverse=True)
    kept = {(r["page"], r["other"]) for r in rows}
    if rows:  # nothing left out has more in common than the last row kept
        assert max((n for key, (n, _) in truth.items() if key not in kept), default=0) <= rows[-1]["shared"]
    return rows

"""Server-mode benchmark: kgraph against a real Oxigraph server on an N-episode synthetic site.

    python benchmarks/server.py --episodes 10000 --work /tmp/kgraph-scale

Starts `oxigraph serve` (the PyPI `oxigraph` binary) on a fresh database and prints: the remote
build (`kgraph build SITE --store URL`: wall seconds, and the server's peak memory, which is
where a transactional load would show), the incremental remote build after editing one page
(the page is put back afterwards), each bundled query through the server (fastest of
--repeat runs, through the SPARQL protocol as a user's `kgraph query --store URL` would), and
`kgraph export graphml` and `kgraph export nt` from the server. The synthetic site is the one scale.py writes (and
reuses) under --work. The load average is printed: the figures scale with it.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from dashboard import free_port  # noqa: E402
from scale import QUERY_LIMIT, TARGETS, query_params, synth, timed  # noqa: E402


def oxigraph_binary() -> str:
    here = Path(sys.executable).parent / "oxigraph"
    found = str(here) if here.is_file() else shutil.which("oxigraph")
    if not found:
        sys.exit("server.py: the oxigraph server binary is not installed (pip install oxigraph)")
    return found


def start_server(location: Path, port: int) -> subprocess.Popen:
    proc = subprocess.Popen([oxigraph_binary(), "serve", "--location", str(location), "--bind", f"127.0.0.1:{port}"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    deadline = time.monotonic() + 30
    while True:
        try:
            opener.open(f"http://127.0.0.1:{port}/query?query=ASK%7B%7D", timeout=2).read()
            return proc
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                sys.exit(f"server.py: oxigraph server did not start on port {port}")
            time.sleep(0.1)


def peak_gb(pid: int) -> float:
    """The process's peak resident memory so far (VmHWM), in GB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024 / 1024
    return float("nan")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--episodes", type=int, default=10_000)
    ap.add_argument("--work", type=Path, default=Path(tempfile.gettempdir()) / "kgraph-scale")
    ap.add_argument("--repeat", type=int, default=3, help="runs of each query; the fastest is shown")
    args = ap.parse_args()
    site = args.work / f"site-{args.episodes}"
    synth(args.episodes, site)
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryDirectory(dir=args.work) as tmp:
        server = start_server(Path(tmp) / "db", port)
        try:
            print(f"load average {os.getloadavg()[0]:.1f}", flush=True)
            kgraph = [sys.executable, "-m", "kgraph.cli"]
            os.environ["KGRAPH_MIRROR_DIR"] = str(Path(tmp) / "mirrors")  # the build cache, kept with the server
            build_s, client_gb = timed([*kgraph, "build", str(site), "--store", url, "-q"])
            server_gb = peak_gb(server.pid)
            print(f"remote build {build_s:.1f} s (client peak {client_gb:.2f} GB, server peak {server_gb:.2f} GB)",
                  flush=True)
            pages = sorted((site / "content" / "posts").rglob("index.md"))
            page = pages[len(pages) // 2]
            original = page.read_text(encoding="utf-8")
            page.write_text(original.replace("title: ", "title: Edited ", 1), encoding="utf-8")
            try:
                incr_s, _ = timed([*kgraph, "build", str(site), "--store", url, "-q"])
            finally:
                page.write_text(original, encoding="utf-8")
            print(f"incremental remote build after editing one page {incr_s:.2f} s "
                  f"(local target {TARGETS['incremental']} s)", flush=True)
            from kgraph import KnowledgeGraph
            from kgraph.query import bundled_queries

            kg = KnowledgeGraph.open(url)
            params = query_params(kg)
            worst = 0.0
            for name, q in sorted(bundled_queries().items()):
                if set(q.params) - set(params.get(name, {})):
                    continue
                runs = []
                for _ in range(args.repeat):
                    start = time.perf_counter()
                    rows = kg.query(name, params.get(name), timeout=QUERY_LIMIT)
                    runs.append(time.perf_counter() - start)
                worst = max(worst, min(runs))
                print(f"  {name} ({len(rows):,} rows): {min(runs):.2f} s", flush=True)
            print(f"slowest query through the server {worst:.2f} s (local target {TARGETS['query']} s)", flush=True)
            for fmt in ("graphml", "nt"):
                out = Path(tmp) / f"graph.{fmt}"
                export_s, export_gb = timed([*kgraph, "export", fmt, "-o", str(out), "--store", url])
                print(f"export {fmt} {export_s:.1f} s, peak {export_gb:.2f} GB", flush=True)
                out.unlink()
            print(f"load average {os.getloadavg()[0]:.1f}")
        finally:
            server.terminate()
            server.wait(timeout=30)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

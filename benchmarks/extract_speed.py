"""Reading and extraction speed on one site, single process: pages/s and ms per page.

    python benchmarks/extract_speed.py [SITE] [--repeat 3] [--profile 30]

SITE defaults to the bundled sample (data/); a synthetic one comes from
`python benchmarks/synth.py 1000 /tmp/kgraph-scale/site-1000`. Prints the median of --repeat
cold runs (kgraph's caches emptied before each, as in a build) for reading every page (front
matter and body) and for extracting the corpus from them on one process, so that the two halves
of a build can be measured apart from the store and from the machine's core count. --profile N
prints the N functions with the most own time during one more extraction run.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import statistics
import sys
import time
from pathlib import Path

from kgraph.extract.orgs import load_org_table
from kgraph.extract.site import extract
from kgraph.ingest.hugo import open_site, read_pages

ROOT = Path(__file__).resolve().parent.parent


def cold() -> None:
    """Forget every result kgraph memoises (functools caches), so each run starts as a build does."""
    for name, module in list(sys.modules.items()):
        if name == "kgraph" or name.startswith("kgraph."):
            for value in list(vars(module).values()):
                if hasattr(type(value), "cache_clear"):  # functools caches; not getattr (closed namespaces warn)
                    value.cache_clear()


def timed(fn, repeat: int) -> tuple[float, float, object]:
    """(median wall-clock seconds, median CPU seconds of this process, the last result) over repeat
    cold runs. CPU time moves less than wall-clock time when other work shares the machine."""
    wall, cpu, result = [], [], None
    for _ in range(repeat):
        cold()
        start, start_cpu = time.perf_counter(), time.process_time()
        result = fn()
        wall.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
    return statistics.median(wall), statistics.median(cpu), result


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("site", nargs="?", default=str(ROOT / "data"), help="Hugo site root (default: the sample)")
    ap.add_argument("--repeat", type=int, default=3, help="runs per figure; the median is printed")
    ap.add_argument("--profile", type=int, default=0, metavar="N", help="print the N hottest functions")
    args = ap.parse_args()

    site = open_site(args.site)
    read_s, read_cpu, pages = timed(lambda: list(read_pages(site)), args.repeat)
    # A fresh organization table per run: it remembers the owners of hosts it has seen.
    extract_s, extract_cpu, corpus = timed(lambda: extract(pages, load_org_table([]), workers=1), args.repeat)
    n = max(len(corpus.pages), 1)
    print(f"site        {args.site}")
    print(
        f"read        {len(pages)} pages in {read_s:.2f} s: {len(pages) / read_s:,.0f} pages/s "
        f"(CPU {read_cpu:.2f} s: {len(pages) / max(read_cpu, 1e-9):,.0f} pages/s)"
    )
    print(
        f"extract     {len(corpus.pages)} episodes and posts in {extract_s:.2f} s: {1000 * extract_s / n:.2f} ms/page "
        f"(CPU {1000 * extract_cpu / n:.2f} ms/page; one process)"
    )
    if args.profile:
        orgs = load_org_table([])
        cold()
        profile = cProfile.Profile()
        profile.runcall(extract, pages, orgs, workers=1)
        pstats.Stats(profile).sort_stats("tottime").print_stats(args.profile)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""How fast the dashboard draws, measured in a real headless Chromium; prints the figures.

    kgraph build /work/shared/corpus/kairos.fm --store /tmp/kg-real
    python benchmarks/dashboard.py --store /tmp/kg-real

Each cold figure starts `kgraph dashboard` afresh (new process, empty caches) and counts from the
moment its health endpoint answers ("server up") to the moment the view is on screen:
- first view: the landing page (Overview: counters and all six charts drawn);
- first network: the network view opened by link (?view=network), until the canvas has drawn;
then, on the warm server, each filter change (pick a show, raise the minimum citations, change
the hops) until the new canvas has drawn. A bare Streamlit page (one counter) is timed the same
way as a baseline: it is what Streamlit's own front end costs on this machine.
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

CHROMIUM = "/usr/bin/chromium"
FRAME = 'iframe[title="Network of the selected entities"]'
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def server(cmd: list[str], port: int, env: dict | None = None, cwd: str | None = None):
    """Start a server; yield (url, seconds from start to health OK); stop it."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, env={**os.environ, **(env or {})}, cwd=cwd, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"server exited: {proc.stderr.read().decode()[-2000:]}")
            try:
                with urllib.request.urlopen(url + "/_stcore/health", timeout=1) as r:
                    if r.status == 200:
                        break
            except OSError:
                time.sleep(0.02)
        yield url, time.perf_counter() - start
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()


def dashboard(store: str, port: int):
    cmd = [sys.executable, "-m", "kgraph.cli", "dashboard", "--store", store, "--port", str(port)]
    return server(cmd, port)


def network_frame(page, not_view: str | None = None, timeout: float = 60) -> str:
    """Wait until the network iframe has drawn (a new view if not_view is given); return its view id."""
    body = page.frame_locator(FRAME).locator("body[data-drawn]")
    end = time.perf_counter() + timeout
    while time.perf_counter() < end:
        try:
            view = body.get_attribute("data-view", timeout=200)
        except Exception:  # not there yet, or the frame is being replaced
            continue
        if view != not_view:
            return view
        time.sleep(0.005)
    raise TimeoutError("the network canvas did not draw")


def overview_drawn(page) -> None:
    page.wait_for_selector('[data-testid="stMetric"]', timeout=60_000)
    page.wait_for_function(
        "document.querySelectorAll('[data-testid=\"stVegaLiteChart\"] canvas, "
        "[data-testid=\"stVegaLiteChart\"] svg.marks').length >= 6", timeout=60_000)


def timed(fn) -> float:
    t = time.perf_counter()
    fn()
    return time.perf_counter() - t


def baseline(browser) -> float:
    with tempfile.TemporaryDirectory() as tmp:
        app = Path(tmp, "bare.py")
        app.write_text("import streamlit as st\nst.metric('pages', 1)\n")
        port = free_port()
        cmd = [sys.executable, "-m", "streamlit", "run", str(app), "--server.port", str(port),
               "--server.address", "127.0.0.1", "--server.headless", "true", "--browser.gatherUsageStats",
               "false"]
        with server(cmd, port, cwd=tmp) as (url, _):
            page = browser.new_page()
            t = timed(lambda: (page.goto(url), page.wait_for_selector('[data-testid="stMetric"]')))
            page.close()
    return t


def choose(page, label: str, option: str) -> None:
    box = page.locator('[data-testid="stSidebar"] [data-testid="stMultiSelect"]').filter(has_text=label)
    box.locator("input").click()
    page.locator('[role="option"]').filter(has_text=option).first.click()
    page.keyboard.press("Escape")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--store", default=os.environ.get("KGRAPH_STORE", ".kgraph"))
    parser.add_argument("--chromium", default=CHROMIUM)
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    from kgraph import KnowledgeGraph

    kg = KnowledgeGraph.open(args.store)
    shows = [r["n"] for r in kg.query("SELECT DISTINCT ?n WHERE { ?s a schema:PodcastSeries ; schema:name ?n }"
                                      " ORDER BY ?n")]
    print(f"store {args.store}: {len(kg)} quads, {len(shows)} shows; Chromium {args.chromium}; "
          f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}")
    figures: dict[str, float | list[float]] = {}
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=args.chromium, args=CHROMIUM_ARGS)
        browser.new_page().close()  # the browser's own start is not the dashboard's
        figures["bare Streamlit page, server up -> drawn"] = baseline(browser)
        with dashboard(args.store, free_port()) as (url, up):
            figures["kgraph dashboard: start -> server up"] = up
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            figures["first view (Overview), server up -> drawn"] = timed(lambda: (page.goto(url),
                                                                                   overview_drawn(page)))
            page.close()
        with dashboard(args.store, free_port()) as (url, _):
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            figures["first network view (?view=network), server up -> canvas drawn"] = timed(
                lambda: (page.goto(url + "/?view=network"), network_frame(page)))
            view = network_frame(page)
            changes = []
            sidebar = page.locator('[data-testid="stSidebar"]')
            number = sidebar.locator("[data-testid=stNumberInput] input")
            steps = [lambda: choose(page, "Shows", shows[0]),
                     lambda: page.get_by_role("slider", name="Hops around it").press("ArrowRight"),
                     lambda: (number.fill("2"), number.press("Enter")),
                     lambda: choose(page, "Shows", shows[-1]),
                     lambda: page.get_by_role("slider", name="Hops around it").press("ArrowLeft")]
            draws = []
            for step in steps:
                t = time.perf_counter()
                step()
                view = network_frame(page, not_view=view)
                changes.append(time.perf_counter() - t)
                drawn = page.frame_locator(FRAME).locator("body").evaluate("() => window.__kgraphDrawn")
                draws.append((drawn["at"] - drawn["started"]) / 1000)
            figures["filter change -> new canvas drawn"] = changes
            figures["  of which drawing in the frame (message in -> drawn)"] = draws
            page.close()
        browser.close()
    print(f"{'measure':<66} {'seconds':>8}")
    for name, value in figures.items():
        if isinstance(value, list):
            each = ", ".join(f"{v:.2f}" for v in value)
            print(f"{name:<66} {statistics.median(value):>8.2f}  (median; max {max(value):.2f}; each {each})")
        else:
            print(f"{name:<66} {value:>8.2f}")


if __name__ == "__main__":
    main()

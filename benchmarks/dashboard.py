"""How fast the dashboard draws, measured in a real headless Chromium; prints the figures.

    kgraph build /work/shared/corpus/kairos.fm --store /tmp/kg-real
    python benchmarks/dashboard.py --store /tmp/kg-real

"Server up" is the moment `kgraph dashboard`'s health endpoint answers; each figure runs until
the view is on screen (Overview: counters and all six charts drawn; network: the canvas has
drawn, read from the page inside the sandboxed frame).
- cold: a fresh `kgraph dashboard`; the first visitor pays for imports, the store and the caches;
- warmed: a fresh `kgraph dashboard` whose script ran once on start-up through Streamlit's
  script-health-check endpoint (what `kgraph dashboard` could do before printing its URL);
- filter change: on that server, pick a show, widen the hops, raise the minimum citations...
  until the new canvas has drawn; "of which drawing" is the part inside the frame.
A bare Streamlit page (one counter) is timed the same way: what Streamlit's own front end costs
on this machine, which no app can beat. The load average is printed: the figures scale with it.
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


def dashboard(store: str, port: int, warm: bool = False):
    cmd = [sys.executable, "-m", "kgraph.cli", "dashboard", "--store", store, "--port", str(port)]
    return server(cmd, port, env={"STREAMLIT_SERVER_SCRIPT_HEALTH_CHECK_ENABLED": "true"} if warm else None)


def warm_up(url: str) -> float:
    """Run the app script once on the server (imports, store, caches), as a start-up hook would."""
    return timed(lambda: urllib.request.urlopen(url + "/_stcore/script-health-check", timeout=120).read())


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


def open_choices(sidebar, label: str):
    """Open a sidebar multiselect; return its options (choosing one is what the user times)."""
    sidebar.locator('[data-testid="stMultiSelect"]').filter(has_text=label).locator("input").click()
    return sidebar.page.locator('[role="option"]')


PAGE = {"width": 1400, "height": 1000}


def filter_changes(page, shows: list[str], run: int) -> tuple[list[float], list[float]]:
    """Change the view one step at a time (each step gives a different view); seconds to each canvas.

    `shows` excludes the show of the episode the view starts on, so picking one moves the focus.
    """
    view = network_frame(page)
    sidebar = page.locator('[data-testid="stSidebar"]')
    hops = page.get_by_role("slider", name="Hops around it")
    cap = page.locator('[data-testid="stNumberInput"]').filter(has_text="Node cap").locator("input")

    def option(label: str, name: str):
        def open_it():
            found = open_choices(sidebar, label).filter(has_text=name).first
            found.wait_for()
            return found
        return open_it

    def click(found) -> None:
        found.click()

    # (what the user prepares, untimed; the action that changes the view, timed)
    steps = [(lambda: hops, lambda h: h.press("ArrowRight")),
             (lambda: cap.fill(str(100 + 10 * run)), lambda _: cap.press("Enter")),
             (option("Shows", shows[run % len(shows)]), click),
             (option("Entity types", "Episode"), click),
             (lambda: sidebar.locator('[data-testid="stMultiSelect"]').filter(has_text="Entity types"),
              lambda box: box.get_by_role("button", name="Clear all").click())]
    totals, draws = [], []
    for number, (prepare, act) in enumerate(steps, 1):
        target = prepare()
        t = time.perf_counter()
        act(target)
        try:
            view = network_frame(page, not_view=view)
        except TimeoutError:
            shot = Path(tempfile.gettempdir()) / "kgraph-benchmark-failure.png"
            page.screenshot(path=str(shot))
            raise TimeoutError(f"step {number} of the filter changes drew nothing new (see {shot})") from None
        totals.append(time.perf_counter() - t)
        drawn = page.frame_locator(FRAME).locator("body").evaluate("() => window.__kgraphDrawn")
        draws.append((drawn["at"] - drawn["started"]) / 1000)
        page.keyboard.press("Escape")
    return totals, draws


def one_run(browser, store: str, shows: list[str], run: int, figures: dict[str, list[float]]) -> None:
    def note(name: str, *values: float) -> None:
        figures.setdefault(name, []).extend(values)

    def visit(url: str, drawn) -> float:
        page = browser.new_page(viewport=PAGE)
        try:
            return timed(lambda: (page.goto(url), drawn(page)))
        finally:
            page.close()

    note("bare Streamlit page, server up -> drawn", baseline(browser))
    with dashboard(store, free_port()) as (url, up):
        note("kgraph dashboard: start -> server up", up)
        note("cold: first view (Overview), server up -> drawn", visit(url, overview_drawn))
    with dashboard(store, free_port()) as (url, _):
        note("cold: first network view (?view=network) -> canvas drawn",
             visit(url + "/?view=network", network_frame))
    with dashboard(store, free_port(), warm=True) as (url, _):
        note("warm-up: script run once after server up", warm_up(url))
        note("warmed: first view (Overview) -> drawn", visit(url, overview_drawn))
        note("warmed: first network view (?view=network) -> canvas drawn",
             visit(url + "/?view=network", network_frame))
        page = browser.new_page(viewport=PAGE)
        page.goto(url + "/?view=network")
        totals, draws = filter_changes(page, shows, run)
        page.close()
        note("filter change -> new canvas drawn", *totals)
        note("  of which drawing in the frame (message in -> drawn)", *draws)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--store", default=os.environ.get("KGRAPH_STORE", ".kgraph"))
    parser.add_argument("--chromium", default=CHROMIUM)
    parser.add_argument("--runs", type=int, default=3, help="repetitions (fresh servers each time)")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    from kgraph import KnowledgeGraph

    kg = KnowledgeGraph.open(args.store)
    shows = [r["n"] for r in kg.query(  # shows with episodes
        "SELECT DISTINCT ?n WHERE { ?s a schema:PodcastSeries ; schema:name ?n . ?e schema:partOfSeries ?s }"
        " ORDER BY ?n")]
    latest = kg.query("SELECT ?n WHERE { ?e a schema:PodcastEpisode ; schema:datePublished ?d ; "  # ties as
                      "schema:partOfSeries/schema:name ?n } ORDER BY DESC(?d) DESC(STR(?e)) LIMIT 1")  # default_focus
    others = [s for s in shows if not latest or s != latest[0]["n"]] or shows
    print(f"store {args.store}: {len(kg)} quads, {len(shows)} shows; Chromium {args.chromium}; "
          f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}; {args.runs} run(s)")
    figures: dict[str, list[float]] = {}
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=args.chromium, args=CHROMIUM_ARGS)
        browser.new_page().close()  # the browser's own start is not the dashboard's
        for run in range(args.runs):
            one_run(browser, args.store, others, run, figures)
        browser.close()
    print(f"load average after: {os.getloadavg()[0]:.1f}")
    print(f"{'seconds':<62} {'median':>7} {'min':>6} {'max':>6}  n")
    for name, values in figures.items():
        median = statistics.median(values)
        print(f"{name:<62} {median:>7.2f} {min(values):>6.2f} {max(values):>6.2f}  {len(values)}")


if __name__ == "__main__":
    main()

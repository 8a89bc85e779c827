"""The dashboard end to end: `kgraph dashboard` as a real server, driven by headless Chromium.

Offline (every request that leaves 127.0.0.1 is blocked and counted), the network canvas draws,
an entity is searched and opened, a query runs, GraphML downloads, and a site whose titles, tags
and link texts are HTML/JS payloads runs nothing. Screenshots go to docs/screenshots/.
"""

from __future__ import annotations

import io
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import networkx as nx
import pytest
from helpers import ROOT, tiny_site, write_page

from kgraph import KnowledgeGraph

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
FRAME = 'iframe[title="Network of the selected entities"]'
SHOTS = ROOT / "docs" / "screenshots"
WAIT = 90_000  # ms: generous, CI machines are slow and shared

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not Path(CHROMIUM).exists(),
                       reason=f"no Chromium at {CHROMIUM} (`make test` installs it)"),
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def serve(store: Path, tmp: Path) -> Iterator[str]:
    """`kgraph dashboard` on a free port of 127.0.0.1; yields its URL; stops it (and only it)."""
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "kgraph.cli", "dashboard", "--store", str(store), "--port", str(port)],
        cwd=tmp, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 90
    try:
        while True:
            if proc.poll() is not None:
                pytest.fail(f"kgraph dashboard exited: {proc.stdout.read().decode()[-3000:]}")
            if time.monotonic() > deadline:
                pytest.fail("kgraph dashboard did not answer within 90 s")
            try:
                with urllib.request.urlopen(url + "/_stcore/health", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                time.sleep(0.1)
        yield url
    finally:
        stop(proc)


def stop(proc: subprocess.Popen) -> None:
    """Stop a server started in its own session, and whatever it started."""
    os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(15)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


@pytest.fixture(scope="module")
def server(sample_kg, tmp_path_factory) -> Iterator[str]:
    yield from serve(sample_kg.path, tmp_path_factory.mktemp("cwd"))


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


class Page:
    """A tab on the dashboard that blocks and records every request leaving 127.0.0.1."""

    def __init__(self, browser, url: str):
        self.context = browser.new_context(viewport={"width": 1400, "height": 1000}, accept_downloads=True)
        self.page = self.context.new_page()
        self.outside: list[str] = []
        self.dialogs: list[str] = []
        self.page.on("dialog", lambda d: (self.dialogs.append(d.message), d.dismiss()))
        self.context.route("**/*", self._route)
        self.url = url

    def _route(self, route):
        if route.request.url.startswith(("http://127.0.0.1", "data:", "blob:", "about:")):
            route.continue_()
        else:
            self.outside.append(route.request.url)
            route.abort()

    def open(self, query: str = "") -> Page:
        self.page.goto(self.url + "/" + query)
        self.page.wait_for_selector('[data-testid="stSidebar"] h1', timeout=WAIT)
        return self

    def view(self, name: str) -> Page:
        self.page.locator('[data-testid="stSidebar"] label').filter(has_text=name).first.click()
        self.page.wait_for_timeout(300)
        self.idle()
        return self

    def idle(self) -> None:
        """Wait until Streamlit has finished running the script."""
        self.page.wait_for_function(
            "!document.querySelector('[data-testid=\"stStatusWidget\"]')", timeout=WAIT)

    def frame_body(self):
        return self.page.frame_locator(FRAME).locator("body[data-drawn]")

    def network_frame(self):
        self.frame_body().wait_for(timeout=WAIT)
        return next(f for f in self.page.frames if f.url == "about:srcdoc")

    def choose(self, label: str, text: str) -> None:
        """Type into a selectbox (found by its label) and take the first match."""
        box = self.page.locator('[data-testid="stSelectbox"]').filter(has_text=label).first
        box.locator("input").click()
        self.page.keyboard.type(text, delay=20)
        self.page.locator('[role="option"]').filter(has_text=text).first.click()
        self.page.wait_for_timeout(300)
        self.idle()

    def shot(self, name: str) -> None:
        SHOTS.mkdir(parents=True, exist_ok=True)
        self.page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=False)

    def close(self) -> None:
        assert self.outside == [], f"requests left the machine: {self.outside}"
        self.context.close()


@pytest.fixture
def tab(browser, server) -> Iterator[Page]:
    p = Page(browser, server)
    yield p
    p.close()


def test_overview_draws_offline(tab):
    tab.open()
    tab.page.wait_for_selector('[data-testid="stMetric"]', timeout=WAIT)
    tab.page.wait_for_function("document.querySelectorAll('[data-testid=\"stVegaLiteChart\"] canvas, "
                               "[data-testid=\"stVegaLiteChart\"] svg.marks').length >= 6", timeout=WAIT)
    assert tab.page.get_by_text("Deploy", exact=True).count() == 0  # a reader's view, not a developer's
    tab.shot("overview")


def test_network_canvas_draws_nodes_with_text_tooltips(tab):
    tab.open("?view=network")
    frame = tab.network_frame()
    drawn = frame.evaluate("""() => {
        const c = document.querySelector('#net canvas');
        const px = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
        let ink = 0;
        for (let i = 0; i < px.length; i += 4) {
            if (px[i + 3] > 0 && px[i] + px[i + 1] + px[i + 2] < 600) ink++;
        }
        return {nodes: window.kgraphNetwork.body.data.nodes.length, ink: ink};
    }""")
    assert drawn["nodes"] > 5 and drawn["ink"] > 2000
    # hover the focused episode: its tooltip is text
    box = tab.page.locator(FRAME).bounding_box()
    xy = frame.evaluate("""() => { const n = window.kgraphNetwork, id = n.getSelectedNodes()[0];
        return n.canvasToDOM(n.getPositions([id])[id]); }""")
    top = frame.evaluate("document.getElementById('net').getBoundingClientRect().top")
    tab.page.mouse.move(box["x"] + xy["x"], box["y"] + top + xy["y"])
    tip = tab.page.frame_locator(FRAME).locator("div.vis-tooltip")
    tip.wait_for(state="visible", timeout=WAIT)
    assert "Episode" in tip.inner_text() and tip.locator("*").count() == 1  # one text div, no markup
    tab.shot("network")


def test_network_filter_redraws_in_place(tab):
    tab.open("?view=network")
    body = tab.frame_body()
    body.wait_for(timeout=WAIT)
    before = body.get_attribute("data-view")
    box = tab.page.locator('[data-testid="stSidebar"] [data-testid="stMultiSelect"]').filter(has_text="Shows")
    box.locator("input").click()
    tab.page.locator('[role="option"]').filter(has_text="Alignment Hour").first.click()
    tab.page.keyboard.press("Escape")
    deadline = time.monotonic() + WAIT / 1000
    while body.get_attribute("data-view") == before and time.monotonic() < deadline:
        time.sleep(0.1)
    assert body.get_attribute("data-view") != before
    assert len([f for f in tab.page.frames if f.url == "about:srcdoc"]) == 1  # the same frame, redrawn
    with tab.page.expect_download(timeout=WAIT) as download:
        tab.page.frame_locator(FRAME).locator("#save").click()
    assert download.value.suggested_filename.endswith(".png")
    assert Path(download.value.path()).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    # away and back: the frame is rebuilt from the shell the page kept, and draws the same view
    shown = body.get_attribute("data-view")
    tab.view("Overview").view("Network")
    tab.frame_body().wait_for(timeout=WAIT)
    assert tab.frame_body().get_attribute("data-view") == shown


def test_search_an_entity_and_open_its_page(tab):
    tab.open("?view=entity")
    tab.choose("Search an entity", "Concrete Problems in AI Safety")
    heading = tab.page.locator('[data-testid="stHeadingWithActionElements"]').filter(
        has_text="Concrete Problems in AI Safety")
    heading.first.wait_for(timeout=WAIT)
    tab.page.get_by_text("Cited by").first.wait_for(timeout=WAIT)
    tab.shot("entity")
    tab.choose("Open a citing page", "Specification Gaming")
    tab.page.locator('[data-testid="stHeadingWithActionElements"]').filter(
        has_text="Specification Gaming").first.wait_for(timeout=WAIT)
    tab.page.get_by_text("Chapters (").first.wait_for(timeout=WAIT)
    tab.shot("episode")


def test_run_a_query_and_see_an_error(tab):
    tab.open("?view=sparql")
    tab.page.get_by_role("button", name="Run").click()
    tab.page.get_by_text("row(s)").first.wait_for(timeout=WAIT)
    tab.page.locator('[data-testid="stDataFrame"]').first.wait_for(timeout=WAIT)
    tab.shot("sparql")
    area = tab.page.locator('[data-testid="stTextArea"] textarea')
    area.fill("SELECT ?x WHERE { ?x")
    area.press("Control+Enter")
    tab.page.wait_for_timeout(500)
    tab.page.get_by_role("button", name="Run").click()
    tab.page.locator('[data-testid="stAlert"]').filter(has_text="line").first.wait_for(timeout=WAIT)


def test_download_graphml(tab):
    tab.open("?view=downloads")
    tab.page.get_by_text("Whole graph").first.wait_for(timeout=WAIT)
    tab.idle()
    with tab.page.expect_download(timeout=WAIT) as download:
        # the whole graph's button by its widget key (the first "GraphML" button in the page was
        # once the current filter's, seen mid-rerun in CI)
        tab.page.locator(".st-key-dl_all_graphml").get_by_role("button", name="GraphML", exact=True).click()
    g = nx.read_graphml(io.BytesIO(Path(download.value.path()).read_bytes()))
    assert download.value.suggested_filename == "kgraph.graphml"
    assert len(g) > 50 and {"label", "type", "x", "y"} <= set(next(iter(g.nodes.values())))


XSS = '<img src=x onerror="window.__xss=1;alert(1)">'


@pytest.fixture(scope="module")
def xss_server(tmp_path_factory) -> Iterator[str]:
    root = tiny_site(tmp_path_factory.mktemp("xss-site"))
    show = f"<script>window.__xss=1</script>{XSS}"
    write_page(root, "shows/evil/_index.md", f"---\nurl: /evil/\ntitle: '{show}'\n---\n")
    write_page(root, "posts/evil-episodes/evil-episode-001/index.md", (
        f"---\nurl: /evil/e001/\n"
        f"title: '{XSS} Payload <svg onload=window.__xss=1> [x](javascript:alert(1))'\n"
        f"summary: '{XSS} summary'\ndate: 2024-05-01\n"
        f"tags:\n  - '{XSS}'\n  - 'a href=\"javascript:window.__xss=1\"'\n---\n\n"
        "### Links\n\n"
        '- <a href="https://arxiv.org/abs/1606.06565">&lt;img src=x onerror="window.__xss=1;alert(2)"&gt; '
        "href payload paper</a>\n"
        '- <a href="https://example.org/p">"><script>window.__xss=1</script>'
        '<b onmouseover="alert(3)">b</b></a>\n'
        '- <a href="javascript:window.__xss=1">a javascript: link</a>\n'))
    store = tmp_path_factory.mktemp("xss") / "store"
    KnowledgeGraph.build([root], store=store)
    yield from serve(store, tmp_path_factory.mktemp("cwd"))


def test_html_in_page_text_runs_nothing(browser, xss_server):
    tab = Page(browser, xss_server)
    tab.open()
    tab.page.wait_for_selector('[data-testid="stMetric"]', timeout=WAIT)
    tab.view("Network")
    frame = tab.network_frame()
    # hover every node: tooltips hold the payloads (including 'href')
    box = tab.page.locator(FRAME).bounding_box()
    top = frame.evaluate("document.getElementById('net').getBoundingClientRect().top")
    points = frame.evaluate("""() => { const n = window.kgraphNetwork, pos = n.getPositions();
        return Object.keys(pos).map(id => n.canvasToDOM(pos[id])); }""")
    for xy in points:
        tab.page.mouse.move(box["x"] + xy["x"], box["y"] + top + xy["y"])
        tab.page.wait_for_timeout(250)
    # the payload episode is the focused node: its tooltip shows the payload as text
    xy = frame.evaluate("""() => { const n = window.kgraphNetwork, id = n.getSelectedNodes()[0];
        return n.canvasToDOM(n.getPositions([id])[id]); }""")
    tab.page.mouse.move(box["x"] + xy["x"], box["y"] + top + xy["y"])
    tip = tab.page.frame_locator(FRAME).locator("div.vis-tooltip")
    tip.wait_for(state="visible", timeout=WAIT)
    assert '<img src=x onerror="window.__xss=1;alert(1)">' in tip.inner_text()
    assert tip.locator("img, svg").count() == 0
    for name in ("Entity", "Episode", "SPARQL", "Downloads", "Overview"):
        tab.view(name)
        tab.page.wait_for_timeout(500)
    tab.view("Episode")
    tab.page.get_by_text("Payload", exact=False).first.wait_for(timeout=WAIT)
    assert "<img src=x onerror=" in tab.page.locator("h3").first.inner_text()  # shown as text
    tab.page.wait_for_timeout(1000)
    for f in tab.page.frames:
        assert f.evaluate("typeof window.__xss") == "undefined", f.url
    assert tab.dialogs == []
    tab.close()


def test_standalone_page_draws_and_an_empty_view_says_so(browser, tmp_path):
    from kgraph import viz

    g = nx.MultiDiGraph()
    g.add_node("a", label="A", type="Show")
    g.add_node("b", label="B", type="Episode")
    g.add_edge("b", "a", relation="partOfSeries")
    page = browser.new_page()
    try:
        for graph, count in ((g, "2"), (nx.MultiDiGraph(), "0")):
            path = tmp_path / f"net-{count}.html"
            path.write_text(viz.network_html(graph), encoding="utf-8")
            page.goto(path.as_uri())
            page.wait_for_selector(f'body[data-drawn="{count}"]', timeout=WAIT)
    finally:
        page.close()


def test_the_dashboard_reads_the_graph_before_the_first_visitor(sample_kg, tmp_path):
    """`kgraph dashboard` has its server run the script once as soon as it is up (Streamlit's
    script-health-check), which fills the caches every visitor uses, and says when it is done."""
    port = free_port()
    log = tmp_path / "dashboard.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "kgraph.cli", "dashboard", "--store", str(sample_kg.path), "--port", str(port)],
            cwd=tmp_path, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.monotonic() + 120
        while "ready, the graph read ahead of the first visitor" not in log.read_text(errors="replace"):
            assert proc.poll() is None, log.read_text(errors="replace")[-3000:]
            assert time.monotonic() < deadline, log.read_text(errors="replace")[-3000:]
            time.sleep(0.2)
    finally:
        stop(proc)

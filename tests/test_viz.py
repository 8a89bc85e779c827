"""kgraph.viz: the network page is self-contained, offline and script-safe; layout and payload."""

from __future__ import annotations

import base64
import hashlib
import html as html_lib
import json
import re
import time
import xml.etree.ElementTree as ET

import networkx as nx
import pytest

from kgraph import viz

PAYLOAD = ('<img src=x onerror="window.__xss=1"> a href="javascript:alert(1)" '
           "</script><script>alert(2)</script>")


def small_graph() -> nx.MultiDiGraph:
    g = nx.MultiDiGraph()
    g.add_node("s", label="A Show", type="Show")
    g.add_node("e1", label=PAYLOAD, type="Episode", show="A Show", date="2024-01-02", url="https://x.example/e1")
    g.add_node("e2", label="Second & last", type="Episode", show="A Show", date="2024-02-03")
    g.add_node("w", label="A paper", type="Paper", url="https://arxiv.org/abs/1606.06565", kind="paper")
    g.add_node("o", label="An org", type="Organization")
    for e in ("e1", "e2"):
        g.add_edge(e, "s", key="partOfSeries", relation="partOfSeries")
        g.add_edge(e, "w", key="citation", relation="citation")
    g.add_edge("e1", "o", key="mentions", relation="mentions")
    g.add_edge("w", "o", key="publisher", relation="publisher")
    return g


def inline_scripts(html: str) -> list[str]:
    return re.findall(r"<script>(.*?)</script>", html, re.S)


def test_page_loads_nothing_from_the_network_and_writes_no_files(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    html = viz.network_html(small_graph())
    assert list(tmp_path.iterdir()) == []  # pyvis' "local" mode writes lib/ into the working folder
    assert not re.search(r"<(script|link|img|iframe)[^>]+(src|href)=", html, re.I)
    for host in ("bootstrap", "cdnjs.cloudflare.com", "cdn.jsdelivr.net", "unpkg.com", "fonts.googleapis"):
        assert host not in html
    assert "vis.Network" in html  # vis-network is inlined


def test_csp_allows_exactly_the_inline_scripts():
    html = viz.network_html(small_graph())
    meta = re.search(r'<meta http-equiv="Content-Security-Policy" content="([^"]+)">', html)
    csp = html_lib.unescape(meta[1])
    assert "default-src 'none'" in csp and "unsafe-inline" not in csp.split("script-src")[1].split(";")[0]
    scripts = inline_scripts(html)
    assert len(scripts) == 2
    for script in scripts:
        digest = base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()
        assert f"'sha256-{digest}'" in csp


def test_page_text_is_never_markup():
    html = viz.network_html(small_graph())
    # the payload only appears JSON-escaped inside the data block: no tag, no script end
    assert "<img" not in html and "onerror=\"window" not in html
    assert html.count("</script>") == 3  # data block, vis-network, page script
    data = re.search(r'<script type="application/json" id="kgraph-data">(.*?)</script>', html, re.S).group(1)
    payload = json.loads(data)
    labels = [n["title"].splitlines()[0] for n in payload["nodes"]]
    assert any(label.startswith('<img src=x onerror="window.__xss=1">') for label in labels)


def test_tooltips_are_plain_text_without_href():
    payload = viz.network_payload(small_graph())
    titles = [n["title"] for n in payload["nodes"]] + [e["title"] for e in payload["edges"]]
    assert all(isinstance(t, str) and "href" not in t for t in titles)
    first = next(n for n in payload["nodes"] if n["title"].startswith("<img"))
    assert all(fact in first["title"] for fact in ("A Show", "2024-01-02", "https://x.example/e1"))
    assert viz.tooltip_text({"label": "HREF and href"}).lower().count("href") == 0


def test_colour_by_type_size_by_degree_and_legend():
    g = small_graph()
    payload = viz.network_payload(g, focus="e1")
    by_label = {n["label"]: n for n in payload["nodes"]}
    assert by_label["A Show"]["color"]["background"] == viz.hex_color("Show")
    assert by_label["An org"]["value"] == 2 and by_label["A paper"]["value"] == 3
    legend = dict(payload["legend"])
    assert legend == {"Show (1)": viz.hex_color("Show"), "Episode (2)": viz.hex_color("Episode"),
                      "Organization (1)": viz.hex_color("Organization"), "Paper (1)": viz.hex_color("Paper")}
    assert payload["focus"] == list(g.nodes).index("e1")
    whole = viz.network_payload(g, degrees={"w": 40})
    assert next(n for n in whole["nodes"] if n["label"] == "A paper")["value"] == 40


def test_positions_are_precomputed_and_physics_off_by_default():
    payload = viz.network_payload(small_graph())
    assert payload["options"]["physics"]["enabled"] is False
    assert all(isinstance(n["x"], float) and isinstance(n["y"], float) for n in payload["nodes"])
    with_physics = viz.network_payload(small_graph(), physics=True)
    assert with_physics["options"]["physics"]["stabilization"]["iterations"] <= 200
    assert with_physics["stopAfterMs"] <= 5000


def test_node_cap_refuses_big_graphs():
    g = nx.path_graph(viz.MAX_NODES + 1)
    with pytest.raises(ValueError, match="more than this view draws"):
        viz.network_payload(g)


def test_layout_is_deterministic_and_fast_beyond_the_spring_core():
    g = nx.barabasi_albert_graph(1500, 2, seed=3)  # more than networkx's dense layout takes without scipy
    start = time.perf_counter()
    pos = viz.layout_positions(g)
    assert time.perf_counter() - start < 5
    assert set(pos) == set(g) and pos == viz.layout_positions(g)
    assert len({p for p in pos.values()}) > 0.95 * len(g)
    assert viz.layout_positions(nx.Graph()) == {}
    lonely = nx.Graph()
    lonely.add_nodes_from(range(3))
    assert len(viz.layout_positions(lonely)) == 3


def test_shell_draws_posted_payloads_and_is_stable():
    shell, shell_id = viz.shell_html()
    assert viz.shell_html() == (shell, shell_id)
    assert '<script type="application/json" id="kgraph-data">null</script>' in shell
    assert 'addEventListener("message"' in shell and "event.source === window.parent" in shell
    assert "srcdoc" in viz.FRAME_HOST_JS and '"allow-scripts allow-downloads"' in viz.FRAME_HOST_JS
    assert "allow-same-origin" not in viz.FRAME_HOST_JS and "innerHTML" not in viz.FRAME_HOST_JS
    assert "innerHTML" not in inline_scripts(shell)[1]


def test_svg_image_is_escaped_xml():
    svg = viz.svg_image(small_graph())
    root = ET.fromstring(svg)
    texts = [t.text for t in root.iter("{http://www.w3.org/2000/svg}text")]
    assert any(t and t.startswith("<img src=x") for t in texts)  # shown as text, parsed back intact
    assert "<script" not in svg and "<img" not in svg


def test_data_url_round_trip():
    html = viz.network_html(small_graph())
    url = viz.data_url(html)
    assert url.startswith("data:text/html;charset=utf-8;base64,")
    assert base64.b64decode(url.split(",", 1)[1]).decode() == html

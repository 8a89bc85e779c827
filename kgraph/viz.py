"""networkx -> a self-contained vis-network page (data collected by pyvis): offline and script-safe.

The page is meant for an iframe whose document has an opaque origin (sandboxed without
allow-same-origin, or a ``data:`` URL), and it is built so that nothing a web page wrote can run:

- pyvis' own template is not used: it renders with autoescaping off, loads bootstrap (and, by
  default, vis-network) from CDNs, and switches every tooltip to ``innerHTML`` as soon as one
  title contains ``href``. pyvis collects the nodes and edges; a small template of ours, with
  autoescaping on, inlines the vis-network script shipped inside the pyvis package.
- Tooltips and the legend are plain text: made into DOM nodes with ``textContent`` in the page,
  never parsed as HTML; titles never contain the string ``href``. Labels are drawn on the canvas.
- Data travels as JSON with ``<``, ``>`` and ``&`` escaped (no string can close its script
  element), or as a posted message; it is never code.
- A Content-Security-Policy meta tag allows exactly the page's two scripts (by hash), no network
  at all, and no inline event handlers.

The page draws a *payload* (`network_payload`): embedded in it (`network_html(g)`), or posted by
its parent to the empty shell (`shell_html`, `FRAME_HOST_JS`), which then redraws without
reloading vis-network. Positions are computed here (a networkx spring layout of the best
connected nodes, the rest placed around their neighbours), so the browser draws at once with
physics off; with physics on, stabilisation starts from them, is capped, and stops once stable.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import json
import math
import re
from collections import Counter
from collections.abc import Hashable
from pathlib import Path
from xml.sax.saxutils import escape as xml_escape

import networkx as nx

from kgraph.export import ENTITY_TYPES, TYPE_COLORS, layout_positions

__all__ = ["NODE_CAP", "MAX_NODES", "FRAME_HOST_JS", "network_payload", "network_html", "shell_html",
           "data_url", "layout_positions", "legend", "tooltip_text", "svg_image", "hex_color"]

NODE_CAP = 250  # default number of nodes drawn: the layout and the browser stay well under a second
MAX_NODES = 600  # hard limit: the page must fit a data: URL (Chromium caps URLs at 2 MB)
_OTHER_COLOR = (120, 120, 120)
_EXTRA_COLORS = {"Post": (0, 105, 148)}  # the site's own posts (the dashboard tells them from cited blogs)
_TYPE_ORDER = ["Show", "Episode", "Post", *[t for t in ENTITY_TYPES.values() if t not in ("Show", "Episode")]]
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")
_HREF = re.compile("href", re.I)

_TEMPLATE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="{{ csp }}">
<meta name="referrer" content="no-referrer">
<title>kgraph network</title>
<style>
html, body { margin: 0; padding: 0; font: 13px system-ui, sans-serif; color: #222; background: #fff; }
#bar { display: flex; gap: 8px; align-items: center; flex-wrap: wrap; padding: 4px 6px; }
#bar button { font: inherit; padding: 2px 10px; cursor: pointer; }
#legend { display: flex; flex-wrap: wrap; gap: 4px 12px; margin: 0; padding: 0; list-style: none; }
#legend .dot { display: inline-block; width: 11px; height: 11px; border-radius: 50%; margin-right: 4px;
  vertical-align: -1px; }
#net { width: 100%; height: {{ height }}px; border-top: 1px solid #ddd; position: relative; }
div.vis-tooltip { position: absolute; visibility: hidden; padding: 5px 7px; white-space: pre-wrap;
  max-width: 420px; background: #fffef5; border: 1px solid #999; border-radius: 3px; font-size: 12px;
  box-shadow: 2px 2px 8px rgba(0,0,0,.2); pointer-events: none; z-index: 5; }
</style>
</head>
<body>
<div id="bar">
<span id="count"></span>
<button id="save" type="button" title="Save the view as a PNG image">Save PNG</button>
<button id="fit" type="button">Fit</button>
<ul id="legend"></ul>
</div>
<div id="net"></div>
<script type="application/json" id="kgraph-data">{{ payload }}</script>
<script>{{ vis_js }}</script>
<script>{{ app_js }}</script>
</body></html>
"""

# Runs in the page. Draws a payload (from the page itself, or posted by the parent page for a new
# view: no reload), makes tooltips and the legend with textContent, stops physics once stable,
# and saves the canvas with its legend as a PNG.
_APP_JS = """(function () {
"use strict";
var container = document.getElementById("net"), network = null, current = null, stopTimer = null;
function tip(text) { var d = document.createElement("div"); d.textContent = String(text); return d; }
function withTip(item) {
  var copy = Object.assign({}, item);
  if (copy.title) { copy.title = tip(copy.title); }
  return copy;
}
function setLegend(items) {
  var list = document.getElementById("legend");
  while (list.firstChild) { list.removeChild(list.firstChild); }
  items.forEach(function (item) {
    var li = document.createElement("li"), dot = document.createElement("span");
    dot.className = "dot";
    if (/^#[0-9a-f]{6}$/i.test(item[1])) { dot.style.background = item[1]; }
    li.appendChild(dot); li.appendChild(document.createTextNode(String(item[0])));
    list.appendChild(li);
  });
}
function draw(data) {
  if (!data || !Array.isArray(data.nodes) || !Array.isArray(data.edges)) { return; }
  current = data;
  var started = Date.now();
  document.body.removeAttribute("data-drawn");
  document.body.setAttribute("data-view", String(data.view));
  document.getElementById("count").textContent =
    data.nodes.length + " entities, " + data.edges.length + " links";
  setLegend(data.legend || []);
  var nodes = new vis.DataSet(data.nodes.map(withTip)), edges = new vis.DataSet(data.edges.map(withTip));
  if (network === null) {
    network = new vis.Network(container, {nodes: nodes, edges: edges}, data.options);
    window.kgraphNetwork = network;
  } else {
    network.setOptions(data.options);
    network.setData({nodes: nodes, edges: edges});
    if (!data.physics) { network.fit({animation: false}); }
  }
  var drawn = function () {
    if (current !== data) { return; }
    document.body.setAttribute("data-drawn", String(data.nodes.length));
    window.__kgraphDrawn = {view: data.view, nodes: data.nodes.length, started: started, at: Date.now()};
  };
  if (data.nodes.length) { network.once("afterDrawing", drawn); } else { drawn(); }
  if (data.focus !== null) { network.selectNodes([data.focus]); }
  clearTimeout(stopTimer);
  if (data.physics) {
    var stop = function () { if (current === data) { network.setOptions({physics: {enabled: false}}); } };
    network.once("stabilizationIterationsDone", stop);
    stopTimer = setTimeout(stop, data.stopAfterMs);
  }
}
window.addEventListener("message", function (event) {
  if (event.source === window.parent && event.data && event.data.kgraph === 1) { draw(event.data.payload); }
});
document.getElementById("fit").addEventListener("click", function () { if (network) { network.fit(); } });
document.getElementById("save").addEventListener("click", function () {
  var src = container.querySelector("canvas"), ratio = window.devicePixelRatio || 1;
  if (!src || !current) { return; }
  var out = document.createElement("canvas");
  out.width = src.width; out.height = src.height;
  var ctx = out.getContext("2d");
  ctx.fillStyle = "#ffffff"; ctx.fillRect(0, 0, out.width, out.height);
  ctx.drawImage(src, 0, 0);
  ctx.scale(ratio, ratio);
  ctx.font = "12px sans-serif"; ctx.textBaseline = "middle";
  (current.legend || []).forEach(function (item, i) {
    var y = 14 + i * 18;
    ctx.fillStyle = item[1]; ctx.beginPath(); ctx.arc(14, y, 6, 0, 2 * Math.PI); ctx.fill();
    ctx.fillStyle = "#222222"; ctx.fillText(String(item[0]), 26, y);
  });
  out.toBlob(function (blob) {
    var a = document.createElement("a");
    a.href = URL.createObjectURL(blob); a.download = current.filename || "kgraph-network.png";
    document.body.appendChild(a); a.click();
    setTimeout(function () { URL.revokeObjectURL(a.href); a.remove(); }, 2000);
  }, "image/png");
});
var initial = JSON.parse(document.getElementById("kgraph-data").textContent);
if (initial !== null) { draw(initial); }
})();"""

# Streamlit component (trusted code in the app page): keeps ONE sandboxed iframe whose document
# is `shell` (an opaque origin: sandbox without allow-same-origin), and posts each new payload
# into it, so a new view redraws without reloading vis-network. Page text only travels as data.
FRAME_HOST_JS = """export default function (component) {
  const { data, parentElement, setTriggerValue } = component;
  const shells = (window.kgraphShells = window.kgraphShells || {});
  if (data.shell) { shells[data.shell_id] = data.shell; }
  let frame = parentElement.querySelector("iframe");
  if (!frame || frame.dataset.shell !== data.shell_id) {
    if (!shells[data.shell_id]) { setTriggerValue("missing_shell", data.shell_id); return; }
    if (frame) { frame.remove(); }
    frame = document.createElement("iframe");
    frame.setAttribute("sandbox", "allow-scripts allow-downloads");
    frame.setAttribute("title", String(data.title));
    frame.setAttribute("referrerpolicy", "no-referrer");
    frame.dataset.shell = data.shell_id;
    frame.style.width = "100%";
    frame.style.border = "0";
    frame.style.height = Number(data.height) + "px";
    frame.addEventListener("load", () => {
      frame.kgraphReady = true;
      frame.contentWindow.postMessage({ kgraph: 1, payload: frame.kgraphPayload }, "*");
    });
    frame.srcdoc = shells[data.shell_id];
    parentElement.appendChild(frame);
  }
  frame.kgraphPayload = data.payload;
  if (frame.kgraphReady) {
    frame.contentWindow.postMessage({ kgraph: 1, payload: data.payload }, "*");
  }
}
"""


def hex_color(kind: str) -> str:
    """The colour of an entity type as #rrggbb (grey for types without one)."""
    r, g, b = TYPE_COLORS.get(kind) or _EXTRA_COLORS.get(kind, _OTHER_COLOR)
    return f"#{r:02x}{g:02x}{b:02x}"


def legend(g: nx.Graph) -> list[tuple[str, str]]:
    """(type, colour) for each entity type present in g, in ENTITY_TYPES order."""
    present = Counter(data.get("type", "") for _, data in g.nodes(data=True))
    order = _TYPE_ORDER
    kinds = sorted(present, key=lambda k: (order.index(k) if k in order else len(order), k))
    return [(f"{k or 'Other'} ({present[k]})", hex_color(k)) for k in kinds]


def tooltip_text(data: dict, degree: int | None = None) -> str:
    """A node's tooltip: plain text lines (name, type, show, date, URL), never containing 'href'."""
    lines = [str(data.get("label", ""))]
    facts = [str(data[k]) for k in ("type", "show", "date", "identifier") if data.get(k)]
    if facts:
        lines.append(" · ".join(facts))
    if data.get("url"):
        lines.append(str(data["url"]))
    if degree is not None:
        lines.append(f"{degree} link{'s' if degree != 1 else ''}")
    return _plain("\n".join(lines), 600)


def _plain(text: str, limit: int) -> str:
    """Text without control characters, 'href' broken by a zero-width space, at most limit chars."""
    text = _CONTROL.sub("", text)
    text = _HREF.sub(lambda m: m.group(0)[:2] + "\u200b" + m.group(0)[2:], text)
    return text if len(text) <= limit else text[: limit - 1] + "…"


@functools.cache
def _vis_js() -> str:
    import pyvis

    text = (Path(pyvis.__file__).parent / "templates" / "lib" / "vis-9.1.2" / "vis-network.min.js").read_text(
        encoding="utf-8")
    if "</script" in text.lower():  # it could not be inlined safely
        raise RuntimeError("vis-network.min.js contains '</script' and cannot be inlined")
    return text


@functools.cache
def _template():
    from jinja2 import Environment

    return Environment(autoescape=True).from_string(_TEMPLATE)


def _json_for_script(value: object) -> str:
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    for ch, esc in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"), ("\u2028", "\\u2028"),
                    ("\u2029", "\\u2029")):
        text = text.replace(ch, esc)
    return text


def _sha256(script: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(script.encode("utf-8")).digest()).decode() + "'"


def network_payload(
    g: nx.Graph,
    *,
    positions: dict[Hashable, tuple[float, float]] | None = None,
    focus: Hashable | None = None,
    physics: bool = False,
    max_nodes: int = MAX_NODES,
    degrees: dict[Hashable, int] | None = None,
    filename: str = "kgraph-network.png",
) -> dict:
    """What the page draws for g, as JSON-able data: colour by `type`, size by degree, text tooltips.

    Nodes carry the attributes of `kgraph.export.to_networkx` (label, type, show, date, url).
    Sizes use `degrees` (e.g. degrees in the whole graph) when given, else g's own degrees.
    Raises ValueError when g has more than max_nodes nodes: choose what to show before drawing.
    """
    from pyvis.network import Network

    if len(g) > max_nodes:
        raise ValueError(f"{len(g)} nodes is more than this view draws ({max_nodes}); filter or focus first")
    positions = positions if positions is not None else layout_positions(g)
    local_degree = dict(g.degree())
    degrees = degrees or local_degree
    net = Network(directed=True, cdn_resources="in_line")
    ids = {node: i for i, node in enumerate(g.nodes)}
    for node, data in g.nodes(data=True):
        color = hex_color(data.get("type", ""))
        x, y = positions.get(node, (0.0, 0.0))
        label = _plain(str(data.get("label", node)), 200)
        degree = degrees.get(node, local_degree[node])
        net.add_node(
            ids[node], label=label if len(label) <= 42 else label[:40] + "…", shape="dot",
            color={"background": color, "border": "#222222" if node == focus else color,
                   "highlight": {"background": color, "border": "#000000"}},
            borderWidth=4 if node == focus else 1, value=degree, title=tooltip_text(data, degree), x=x, y=y,
        )
    relations: dict[tuple[int, int], list[str]] = {}
    for s, o, data in g.edges(data=True):
        relations.setdefault((ids[s], ids[o]), []).append(str(data.get("relation", "")))
    for (s, o), rels in relations.items():
        net.add_edge(s, o, title=_plain(", ".join(sorted(set(rels))), 200))
    many = len(net.nodes) > 150
    options = {
        "autoResize": True,
        "layout": {"improvedLayout": False, "randomSeed": 7},
        "nodes": {"shape": "dot", "scaling": {"min": 8, "max": 42, "label": {
            "enabled": True, "min": 11, "max": 22, "drawThreshold": 6}},
            "font": {"size": 12, "face": "sans-serif", "color": "#222222"}},
        "edges": {"arrows": {"to": {"enabled": True, "scaleFactor": 0.4}}, "smooth": False,
                  "color": {"color": "#b0b0b0", "highlight": "#444444", "hover": "#444444"}, "width": 0.8},
        "interaction": {"hover": True, "tooltipDelay": 120, "hideEdgesOnDrag": many,
                        "navigationButtons": False, "keyboard": False},
        "physics": {"enabled": physics, "solver": "forceAtlas2Based",
                    "forceAtlas2Based": {"gravitationalConstant": -40, "springLength": 90},
                    "stabilization": {"enabled": physics, "iterations": 120 if many else 200, "fit": True}},
    }
    payload = {"nodes": net.nodes, "edges": net.edges, "options": options, "physics": physics,
               "stopAfterMs": 4000, "focus": ids.get(focus) if focus is not None else None,
               "legend": [list(item) for item in legend(g)], "filename": filename}
    payload["view"] = hashlib.sha1(_json_for_script(payload).encode("utf-8")).hexdigest()[:16]
    return payload


def network_html(g: nx.Graph | None = None, *, height: int = 620, **options) -> str:
    """A standalone page drawing g (see `network_payload` for the options); g=None gives the empty
    shell that draws whatever payload its parent page posts to it."""
    payload = None if g is None else network_payload(g, **options)
    return _page(_json_for_script(payload), height)


def _page(payload_json: str, height: int) -> str:
    from markupsafe import Markup

    vis_js = _vis_js()
    csp = ("default-src 'none'; script-src " + _sha256(vis_js) + " " + _sha256(_APP_JS)
           + "; style-src 'unsafe-inline'; img-src data: blob:; base-uri 'none'; form-action 'none'")
    return _template().render(csp=csp, height=int(height), payload=Markup(payload_json),
                              vis_js=Markup(vis_js), app_js=Markup(_APP_JS))


@functools.cache
def shell_html(height: int = 620) -> tuple[str, str]:
    """(the empty page, an id for it): what the dashboard loads once and then posts payloads to."""
    page = network_html(None, height=height)
    return page, hashlib.sha1(page.encode("utf-8")).hexdigest()[:16]


def data_url(html: str) -> str:
    """A page as a data: URL: loaded in an iframe, it has an opaque origin, away from the app's."""
    return "data:text/html;charset=utf-8;base64," + base64.b64encode(html.encode("utf-8")).decode("ascii")


def svg_image(g: nx.Graph, positions: dict[Hashable, tuple[float, float]] | None = None,
              degrees: dict[Hashable, int] | None = None) -> str:
    """The same drawing as a standalone SVG image (escaped text, no script), for 'save as image'."""
    positions = positions if positions is not None else layout_positions(g)
    degrees = degrees or dict(g.degree())
    if not len(g):
        return '<svg xmlns="http://www.w3.org/2000/svg" width="200" height="40"></svg>'
    xs = [positions[v][0] for v in g]
    ys = [positions[v][1] for v in g]
    pad = 60
    x0, y0 = min(xs) - pad, min(ys) - pad
    width, height = max(xs) - x0 + pad, max(ys) - y0 + pad
    top = 20 * len(legend(g)) + 10
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width:.0f}" height="{height + top:.0f}" '
             f'viewBox="{x0:.1f} {y0 - top:.1f} {width:.1f} {height + top:.1f}" font-family="sans-serif">',
             f'<rect x="{x0:.1f}" y="{y0 - top:.1f}" width="{width:.1f}" height="{height + top:.1f}" '
             'fill="#fff"/>']
    for s, o in {(s, o) for s, o in g.edges()}:
        (ax, ay), (bx, by) = positions[s], positions[o]
        parts.append(f'<line x1="{ax}" y1="{ay}" x2="{bx}" y2="{by}" stroke="#b0b0b0" stroke-width="0.8"/>')
    for v, data in g.nodes(data=True):
        x, y = positions[v]
        r = 4 + 3 * math.sqrt(degrees.get(v, 0))
        label = xml_escape(_plain(str(data.get("label", v)), 42), {'"': "&quot;"})
        parts.append(f'<circle cx="{x}" cy="{y}" r="{r:.1f}" fill="{hex_color(data.get("type", ""))}"/>'
                     f'<text x="{x}" y="{y + r + 11:.1f}" font-size="11" text-anchor="middle">{label}</text>')
    for i, (name, color) in enumerate(legend(g)):
        y = y0 - top + 16 + 20 * i
        parts.append(f'<circle cx="{x0 + 14:.1f}" cy="{y:.1f}" r="6" fill="{color}"/>'
                     f'<text x="{x0 + 26:.1f}" y="{y + 4:.1f}" font-size="12">{xml_escape(name)}</text>')
    parts.append("</svg>")
    return "\n".join(parts)

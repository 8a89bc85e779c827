"""kgraph dashboard: Streamlit widgets wired to kgraph.app.data and kgraph.viz, nothing more.

Started by `kgraph dashboard` (or `streamlit run streamlit_app.py` at the repository root) on the
store named by $KGRAPH_STORE (default .kgraph). The store is opened once per process and build;
every result is cached against the store's version. Text from pages is only ever shown as text:
tables, escaped markdown, canvas labels; the network is drawn in an iframe with an opaque origin.
Deep links: `?view=network`, `?entity=IRI`, `?episode=IRI`.
"""

from __future__ import annotations

import time
from pathlib import Path

import streamlit as st

from kgraph import KgraphError, KnowledgeGraph, viz
from kgraph.app import data
from kgraph.graph import default_store
from kgraph.query import bundled_queries
from kgraph.remote import is_remote

VIEWS = ["Overview", "Network", "Entity", "Episode", "SPARQL", "Downloads"]
NO_FOCUS = ""
NETWORK_HEIGHT = 620


# --- caches: the store once per build, results once per store version --------------------------

@st.cache_resource(show_spinner="Building the bundled sample…")
def _build_sample(path: str) -> str:
    KnowledgeGraph.build([], store=path)
    return path


@st.cache_resource(show_spinner=False, max_entries=4)
def _open(path: str, stamp: int) -> KnowledgeGraph:
    return KnowledgeGraph.open(path)


@st.cache_resource(show_spinner="Reading the graph…")
def _index(version: str, _kg: KnowledgeGraph) -> data.GraphIndex:
    return data.build_index(_kg)


@st.cache_data(show_spinner=False)
def _overview(version: str, _kg: KnowledgeGraph, _ix: data.GraphIndex) -> dict:
    activity = data.activity_by_show(data.pages_frame(_ix))
    return {"counts": data.overview_counts(_kg, _ix), "activity": activity,
            "works": data.top_works(_ix), "domains": data.top_domains(_kg), "guests": data.top_guests(_kg),
            "orgs": data.top_organizations(_kg)}


@st.cache_data(show_spinner=False)
def _choices(version: str, _ix: data.GraphIndex) -> tuple:
    return data.filter_options(_ix), data.entity_labels(_ix), data.page_labels(_ix), data.default_focus(_ix)


@st.cache_data(show_spinner=False, max_entries=16)
def _filtered_nodes(version: str, filters: data.Filters, _ix: data.GraphIndex) -> frozenset[str]:
    return frozenset(data.filter_graph(_ix, filters))


@st.cache_data(show_spinner=False, max_entries=32)
def _network(version: str, filters: data.Filters, focus: str | None, hops: int, cap: int, physics: bool,
             _ix: data.GraphIndex) -> dict:
    view = data.focus_view(_ix, data.filter_graph(_ix, filters), focus, hops, cap)
    pos = viz.layout_positions(view.graph)
    payload = viz.network_payload(view.graph, positions=pos, focus=view.focus, physics=physics,
                                  degrees=_ix.degree)
    return {"payload": payload, "svg": viz.svg_image(view.graph, pos, _ix.degree), "total": view.total,
            "shown": len(view.graph), "focus_hidden": view.focus_hidden, "nodes": frozenset(view.graph)}


@st.cache_resource(show_spinner=False)
def _network_frame():
    """The component that keeps one sandboxed network iframe and posts each view into it."""
    return st.components.v2.component("kgraph_network", js=viz.FRAME_HOST_JS)


@st.cache_data(show_spinner=False, max_entries=64)
def _entity(version: str, iri: str, _kg: KnowledgeGraph, _ix: data.GraphIndex):
    return data.entity_details(_kg, _ix, iri)


@st.cache_data(show_spinner=False, max_entries=64)
def _episode(version: str, iri: str, _kg: KnowledgeGraph, _ix: data.GraphIndex):
    return data.episode_details(_kg, _ix, iri)


@st.cache_data(show_spinner=False, max_entries=32)
def _console(version: str, text: str, params: tuple, _kg: KnowledgeGraph) -> data.ConsoleResult:
    return data.run_console(_kg, text, dict(params))


@st.cache_data(show_spinner=False, max_entries=8)
def _export(version: str, fmt: str, nodes: frozenset[str] | None, _kg: KnowledgeGraph,
            _ix: data.GraphIndex) -> bytes:
    return data.export_bytes(_kg, _ix, fmt, None if nodes is None else set(nodes))


# --- navigation --------------------------------------------------------------------------------

def _go(view: str, **state: str) -> None:
    st.session_state.view = view
    for key, value in state.items():
        st.session_state[key] = value


def _go_from(widget: str, view: str, target: str) -> None:
    """on_change of a 'go to' selectbox: open its choice in a view, then clear it."""
    choice = st.session_state.get(widget)
    if choice:
        _go(view, **{target: choice})
    st.session_state[widget] = None


def _goto(label: str, options: dict[str, str], key: str, view: str, target: str) -> None:
    """A selectbox that opens the chosen IRI in a view (entity or episode page)."""
    if options:
        st.selectbox(label, list(options), index=None, key=key, format_func=options.get,
                     placeholder="Choose…", on_change=_go_from, args=(key, view, target))


def _picker(where, label: str, labels: dict[str, str], key: str, first: tuple[str, ...] = (),
            format_func=None, on_change=None) -> str | None:
    """A selectbox of the keys of labels (after `first`). Past data.LIST_ALL_UP_TO of them, a
    search box above it narrows the list to the matches (data.matching) and the current choice:
    sending every one of 30,000 entities to the browser slowed each rerun of the view by a second."""
    choices = list(labels)
    if len(choices) > data.LIST_ALL_UP_TO:
        text = where.text_input(f"Find among {len(choices):,}", key=f"{key}_search",
                                placeholder="words from the name, or an IRI",
                                help=f"The list below offers the first {data.MATCHES} matches.")
        current = st.session_state.get(key)
        found = data.matching(labels, text, data.MATCHES)
        if text.strip() and not found:
            where.caption("Nothing matches these words.")
        choices = list(dict.fromkeys([*([current] if current in labels else []), *found]))
    return where.selectbox(label, [*first, *choices], key=key, format_func=format_func or labels.get,
                           on_change=on_change)


def _deep_link() -> None:
    """Once per session: ?view=, ?entity=, ?episode= in the URL choose what opens first."""
    if st.session_state.get("_linked"):
        return
    st.session_state._linked = True
    q = st.query_params
    views = {v.lower(): v for v in VIEWS}
    for key, view in (("entity", "Entity"), ("episode", "Episode"), ("focus", "Network")):
        if q.get(key):
            _go(view, **{key: q[key]})
    if q.get("view", "").lower() in views:
        st.session_state.view = views[q["view"].lower()]


# --- views -------------------------------------------------------------------------------------

def _bar(frame, x: str, y: str, title: str, color: str | None = None) -> tuple:
    """A horizontal bar chart as a Vega-Lite spec (not altair: its import and validation cost a second)."""
    enc = {"x": {"field": x, "type": "quantitative", "title": x},
           "y": {"field": y, "type": "nominal", "sort": "-x", "title": None, "axis": {"labelLimit": 360}},
           "tooltip": [{"field": y, "type": "nominal"}, {"field": x, "type": "quantitative"}]}
    if color:
        enc["color"] = {"field": color, "type": "nominal"}
    return frame, {"title": title, "mark": "bar", "encoding": enc, "height": max(120, 22 * len(frame))}


def _per_quarter(frame, measure: str, title: str) -> tuple:
    return frame, {"title": title, "mark": "bar", "encoding": {
        "x": {"field": "period", "type": "temporal", "title": None},
        "y": {"field": measure, "type": "quantitative", "title": measure},
        "color": {"field": "show", "type": "nominal", "title": "show"},
        "tooltip": [{"field": "show", "type": "nominal"},
                    {"field": "period", "type": "temporal", "format": "%Y-%m"},
                    {"field": measure, "type": "quantitative"}]}}


def overview(kg: KnowledgeGraph, ix: data.GraphIndex, filters: data.Filters) -> None:
    o = _overview(kg.version, kg, ix)
    counts = dict(zip(o["counts"]["type"], o["counts"]["count"], strict=True))
    kinds = ["Show", "Episode", "Post", "Person", "Organization", "Citation link"]
    for col, kind in zip(st.columns(len(kinds)), kinds, strict=True):
        col.metric(kind, int(counts.get(kind, 0)))
    left, right = st.columns([1, 2])
    left.dataframe(o["counts"], hide_index=True, key="overview_counts")
    if not o["activity"].empty:
        for measure, title in (("pages", "Episodes and posts per quarter"),
                               ("references", "References per quarter")):
            right.vega_lite_chart(*_per_quarter(o["activity"], measure, title), width="stretch")
    a, b = st.columns(2)
    charts = ((a, o["works"], "citations", "name", "Most-cited works", "type"),
              (b, o["domains"], "citations", "domain", "Top linked domains", None),
              (a, o["guests"], "episodes", "name", "Most frequent guests", None),
              (b, o["orgs"], "pages", "name", "Most present organizations", None))
    for col, frame, x, y, title, color in charts:
        col.vega_lite_chart(*_bar(frame, x, y, title, color), width="stretch")


def sidebar_filters(opts: data.FilterOptions) -> data.Filters:
    with st.sidebar.expander("Network filters", expanded=True):
        shows = st.multiselect("Shows", opts.shows, key="f_shows")
        types = st.multiselect("Entity types", opts.types, key="f_types")
        dates = None
        if opts.first and opts.last and opts.first < opts.last:
            dates = st.slider("Dates", opts.first, opts.last, (opts.first, opts.last), key="f_dates",
                              format="YYYY-MM-DD")
            dates = None if tuple(dates) == (opts.first, opts.last) else tuple(dates)
        tags = st.multiselect("Tags", opts.tags, key="f_tags")
        least = st.number_input("Minimum citations of a work", 0, 100, 0, key="f_min_citations")
    return data.Filters(tuple(shows), tuple(types), dates, tuple(tags), int(least))


@st.fragment  # focus, hops, cap and physics rerun this view only; the sidebar filters rerun the app
def network(kg: KnowledgeGraph, ix: data.GraphIndex, filters: data.Filters) -> None:
    _, labels, _, default = _choices(kg.version, ix)
    if st.session_state.get("focus") not in labels and st.session_state.get("focus") != NO_FOCUS:
        st.session_state.focus, st.session_state.auto_focus = default or NO_FOCUS, True
    if st.session_state.get("auto_focus") and filters.on_pages:  # the default focus follows the filters
        kept = _filtered_nodes(kg.version, filters, ix)
        if st.session_state.focus not in kept:
            st.session_state.focus = data.default_focus(ix, kept) or NO_FOCUS
    c1, c2, c3, c4 = st.columns([6, 2, 2, 2])
    focus = _picker(c1, "Focus on an entity (type to search)", labels, "focus", first=(NO_FOCUS,),
                    format_func=lambda v: labels.get(v, "(none: everything the filters select)"),
                    on_change=lambda: st.session_state.update(auto_focus=False))
    hops = c2.slider("Hops around it", 1, 3, 1, key="hops")
    cap = c3.number_input("Node cap", 10, viz.MAX_NODES, viz.NODE_CAP, step=10, key="node_cap")
    physics = c4.toggle("Physics", False, key="physics",
                        help="Off: precomputed layout. On: settles (a few seconds at most), then stops.")
    net = _network(kg.version, filters, focus or None, hops, int(cap), physics, ix)
    where = f"within {hops} hop{'s' if hops > 1 else ''} of the focused entity" if focus else "by the filters"
    if net["focus_hidden"]:
        st.info("The focused entity is outside the filters; it is shown with its neighbours inside them.")
    if net["total"] > net["shown"]:
        st.warning(f"{net['total']} entities are selected {where}: too many to draw. Showing the "
                   f"{net['shown']} {'nearest' if focus else 'best connected'}. Narrow the filters, "
                   "lower the hops, focus on an entity or raise the node cap (up to "
                   f"{viz.MAX_NODES}) to see the rest.", icon="✂️")
    elif not net["shown"]:
        st.warning("Nothing matches these filters.")
    st.caption(f"{net['shown']} entities {where}. Colour: type; size: links in the whole graph. "
               "Hover for details; drag to move; scroll to zoom; 'Save PNG' saves what you see.")
    shell, shell_id = viz.shell_html(NETWORK_HEIGHT)
    sent = st.session_state.get("shell_sent") == shell_id  # the page keeps it: send it once per session
    _network_frame()(key="network_view", height=NETWORK_HEIGHT + 40, data={
        "shell": None if sent else shell, "shell_id": shell_id, "payload": net["payload"],
        "height": NETWORK_HEIGHT + 40, "title": "Network of the selected entities"},
        on_missing_shell_change=lambda: st.session_state.pop("shell_sent", None))
    st.session_state.shell_sent = shell_id
    nodes = net["nodes"]
    a, b = st.columns(2)
    a.download_button("Save view as image (SVG)", net["svg"], "kgraph-network.svg", "image/svg+xml",
                      key="dl_view_svg", on_click="ignore")
    b.download_button("Save view as GraphML", lambda: _export(kg.version, "graphml", nodes, kg, ix),
                      "kgraph-view.graphml", "application/graphml+xml", key="dl_view_graphml",
                      on_click="ignore")


def entity(kg: KnowledgeGraph, ix: data.GraphIndex, filters: data.Filters) -> None:
    _, labels, _, default = _choices(kg.version, ix)
    if st.session_state.get("entity") not in labels:
        st.session_state.entity = default
    iri = _picker(st, "Search an entity (type to search)", labels, "entity")
    details = _entity(kg.version, iri, kg, ix) if iri else None
    if details is None:
        st.warning("No such entity in the graph.")
        return
    st.subheader(data.md_escape(details.name))
    st.caption(data.md_escape(" · ".join(dict.fromkeys(details.types))))
    if iri in ix.pages:
        st.button("Open its episode page", key="open_episode", on_click=_go, args=("Episode",),
                  kwargs={"episode": iri})
    for i, (prop, url) in enumerate(details.links):
        st.link_button(f"{prop}: {url[:90]}", url, key=f"entity_link_{i}")
    if not details.facts.empty:
        st.dataframe(details.facts, hide_index=True, key="entity_facts")
    cites = details.citations
    st.markdown(f"**Cited by {details.citing_pages} page(s)**")
    if cites["page"].nunique() < details.citing_pages:
        st.caption(f"The links on the newest {cites['page'].nunique()} of them are listed.")
    if not cites.empty:
        st.dataframe(cites.drop(columns=["page"]), hide_index=True, key="entity_citations")
        _goto("Open a citing page", dict(zip(cites["page"], cites["title"], strict=True)),
              "entity_open_page", "Episode", "episode")
    nb = details.neighbours
    st.markdown(f"**Linked entities ({len(nb)})**")
    if not nb.empty:
        st.dataframe(nb.drop(columns=["iri"]), hide_index=True, key="entity_neighbours")
        _goto("Go to a linked entity", dict(zip(nb["iri"], nb["name"] + " · " + nb["type"], strict=True)),
              "entity_neighbour", "Entity", "entity")


def episode(kg: KnowledgeGraph, ix: data.GraphIndex, filters: data.Filters) -> None:
    pages = _choices(kg.version, ix)[2]
    if not pages:
        st.info("The graph has no episodes or posts.")
        return
    if st.session_state.get("episode") not in pages:
        st.session_state.episode = next(iter(pages))
    iri = _picker(st, "Episode or post (type to search)", pages, "episode")
    ep = _episode(kg.version, iri, kg, ix)
    st.subheader(data.md_escape(ep.title))
    st.caption(data.md_escape(" · ".join(x for x in (ep.type, ep.show, ep.date) if x)))
    links = [(label, data.safe_url(u)) for label, u in (("Page", ep.url), ("Audio", ep.audio),
                                                          ("Transcript", ep.transcript), ("Video", ep.video))]
    row = st.container(horizontal=True)
    for label, url in links:
        if url:
            row.link_button(label, url, key=f"episode_link_{label.lower()}")
    row.button("Open as entity", key="episode_as_entity", on_click=_go, args=("Entity",),
               kwargs={"entity": iri})
    if ep.summary:
        st.markdown(data.md_escape(ep.summary))
    if ep.tags or ep.categories:
        st.caption("Tags: " + data.md_escape(", ".join(ep.tags + ep.categories)))
    left, right = st.columns(2)
    with left:
        st.markdown("**Hosts and guests**")
        if not ep.people.empty:
            st.dataframe(ep.people.drop(columns=["person"]), hide_index=True, key="episode_people")
            names = ep.people["name"] + " · " + ep.people["role"]
            _goto("Go to a person", dict(zip(ep.people["person"], names, strict=True)), "episode_person",
                  "Entity", "entity")
    with right:
        st.markdown(f"**Chapters ({len(ep.chapters)})**")
        if not ep.chapters.empty:
            st.dataframe(ep.chapters.drop(columns=["seconds"]), hide_index=True, key="episode_chapters")
    st.markdown(f"**References ({sum(len(f) for f in ep.references.values())})**")
    link = st.column_config.LinkColumn("url")
    for kind, frame in ep.references.items():
        st.markdown(f"*{data.md_escape(kind)}* ({len(frame)})")
        shown = frame.assign(url=frame["url"].map(data.safe_url)).drop(columns=["work"])
        st.dataframe(shown, hide_index=True, column_config={"url": link}, key=f"episode_refs_{kind}")
    refs = {w: n for f in ep.references.values() for w, n in zip(f["work"], f["name"], strict=True)}
    _goto("Open a reference", refs, "episode_reference", "Entity", "entity")


def console(kg: KnowledgeGraph, ix: data.GraphIndex, filters: data.Filters) -> None:
    queries = bundled_queries()
    first = "most-cited-works" if "most-cited-works" in queries else next(iter(queries))
    st.session_state.setdefault("console_query", first)
    st.session_state.setdefault("sparql", queries[st.session_state.console_query].text)

    def load() -> None:
        st.session_state.sparql = queries[st.session_state.console_query].text
        st.session_state.pop("console_ran", None)

    st.selectbox("Start from a bundled query", list(queries), key="console_query", on_change=load,
                 format_func=lambda n: queries[n].title)
    st.caption(data.md_escape(queries[st.session_state.console_query].description))
    text = st.text_area("SPARQL (read-only; prefixes schema:, kg:, kgid:, rdf:, rdfs:, xsd: are declared)",
                        key="sparql", height=260,
                        help=f"A query is stopped after {data.CONSOLE_TIMEOUT:.0f} s; at most 10,000 rows.")
    params = tuple((p, st.text_input(f"Parameter ?{p}", key=f"param_{p}")) for p in data.query_params(text))
    if st.button("Run", key="run_query", type="primary"):
        st.session_state.console_ran = (text, params)
    ran = st.session_state.get("console_ran")
    if not ran:
        return
    try:
        result = _console(kg.version, ran[0], ran[1], kg)
    except KgraphError as e:
        st.error(data.md_escape(str(e)), icon="⚠️")
        return
    st.caption(f"{len(result.frame)} row(s)")
    st.dataframe(result.frame, hide_index=True, key="console_result")
    a, b = st.columns(2)
    a.download_button("Download CSV", result.csv, "query.csv", "text/csv", key="dl_csv", on_click="ignore")
    b.download_button("Download JSON", result.json, "query.json", "application/sparql-results+json",
                      key="dl_json", on_click="ignore")


def downloads(kg: KnowledgeGraph, ix: data.GraphIndex, filters: data.Filters) -> None:
    nodes = _filtered_nodes(kg.version, filters, ix)
    for title, scope, name in (("Whole graph", None, "kgraph"), ("Current filter", nodes, "kgraph-filtered")):
        st.subheader(title)
        if scope is not None:
            st.caption(f"The {len(nodes)} entities the sidebar filters select (not limited by the network's "
                       "focus or node cap), with their chapters and citations.")
        which = "all" if scope is None else "filter"
        for col, (fmt, (label, mime, suffix)) in zip(st.columns(len(data.EXPORT_FORMATS)),
                                                     data.EXPORT_FORMATS.items(), strict=True):
            col.download_button(label, lambda fmt=fmt, scope=scope: _export(kg.version, fmt, scope, kg, ix),
                                f"{name}{suffix}", mime, key=f"dl_{which}_{fmt}", on_click="ignore")


PAGES = {"Overview": overview, "Network": network, "Entity": entity, "Episode": episode, "SPARQL": console,
         "Downloads": downloads}


def _graph() -> KnowledgeGraph:
    store = default_store()
    if is_remote(store):  # a SPARQL endpoint: its build record is read again at most every 30 s
        return _open(store, int(time.time() // 30))
    path = Path(store)
    meta = path / "meta.json"
    if not meta.is_file() and not (path.exists() and any(path.iterdir())):
        _build_sample(str(path))
        st.info(f"There was no store at {data.md_escape(path)}: built the bundled sample there. "
                "Build your own with `kgraph build SOURCE --store PATH`.")
    return _open(str(path), meta.stat().st_mtime_ns if meta.is_file() else 0)  # rebuilt: opened afresh


def main() -> None:
    st.set_page_config(page_title="kgraph", page_icon="🕸️", layout="wide")
    try:
        kg = _graph()
        ix = _index(kg.version, kg)
    except KgraphError as e:
        st.error(data.md_escape(str(e)))
        st.stop()
    opts = _choices(kg.version, ix)[0]
    _deep_link()
    st.sidebar.title("kgraph")
    view = st.sidebar.radio("View", VIEWS, key="view")
    filters = sidebar_filters(opts)
    st.sidebar.caption(data.md_escape(f"Store {kg.path} · {len(kg)} triples"))
    PAGES[view](kg, ix, filters)


if __name__ == "__main__":
    main()

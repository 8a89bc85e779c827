"""kgraph dashboard: Streamlit widgets wired to kgraph.app.data and kgraph.viz, nothing more.

Started by `kgraph dashboard` (or `streamlit run streamlit_app.py` at the repository root) on the
store named by $KGRAPH_STORE (default .kgraph). The store is opened once per process and rebuild;
every result is cached against the store's version. Text from pages is only ever shown as text:
tables, escaped markdown, canvas labels; the network is drawn in an iframe with an opaque origin.
"""

from __future__ import annotations

from pathlib import Path

import altair as alt
import streamlit as st

from kgraph import KgraphError, KnowledgeGraph, viz
from kgraph.app import data
from kgraph.graph import default_store
from kgraph.query import bundled_queries

VIEWS = ["Overview", "Network", "Entity", "Episode", "SPARQL", "Downloads"]
NO_FOCUS = ""


# --- caches: the store once per build, results once per store version --------------------------

@st.cache_resource(show_spinner="Building the bundled sample…")
def _build_sample(path: str) -> str:
    KnowledgeGraph.build([], store=path)
    return path


@st.cache_resource(show_spinner=False)
def _open(path: str, stamp: int) -> KnowledgeGraph:
    return KnowledgeGraph.open(path)


@st.cache_resource(show_spinner="Reading the graph…")
def _index(version: str, _kg: KnowledgeGraph) -> data.GraphIndex:
    return data.build_index(_kg)


@st.cache_data(show_spinner=False)
def _overview(version: str, _kg: KnowledgeGraph, _ix: data.GraphIndex) -> dict:
    pages = data.pages_frame(_ix)
    return {"counts": data.overview_counts(_kg, _ix), "activity": data.activity_by_show(pages),
            "works": data.top_works(_kg), "domains": data.top_domains(_kg), "guests": data.top_guests(_kg),
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
    page = viz.network_html(view.graph, positions=pos, focus=view.focus, physics=physics, degrees=_ix.degree)
    return {"url": viz.data_url(page), "svg": viz.svg_image(view.graph, pos, _ix.degree), "total": view.total,
            "shown": len(view.graph), "focus_hidden": view.focus_hidden, "nodes": frozenset(view.graph)}


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


# --- navigation callbacks ----------------------------------------------------------------------

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


# --- views -------------------------------------------------------------------------------------

def _bar(frame, x: str, y: str, title: str, color: str | None = None, sort: str = "-x"):
    enc = {"x": alt.X(f"{x}:Q", title=x), "y": alt.Y(f"{y}:N", sort=sort, title=None,
                                                    axis=alt.Axis(labelLimit=360)),
           "tooltip": [alt.Tooltip(f"{y}:N"), alt.Tooltip(f"{x}:Q")]}
    if color:
        enc["color"] = alt.Color(f"{color}:N")
    return alt.Chart(frame, title=title).mark_bar().encode(**enc).properties(height=max(120, 22 * len(frame)))


def overview(kg: KnowledgeGraph, ix: data.GraphIndex, filters: data.Filters) -> None:
    o = _overview(kg.version, kg, ix)
    counts = dict(zip(o["counts"]["type"], o["counts"]["count"], strict=True))
    cols = st.columns(6)
    for col, kind in zip(cols, ["Show", "Episode", "Post", "Person", "Organization", "Citation link"], strict=True):
        col.metric(kind, int(counts.get(kind, 0)))
    left, right = st.columns([1, 2])
    left.dataframe(o["counts"], hide_index=True, key="overview_counts")
    activity = o["activity"]
    if not activity.empty:
        for measure, title in (("pages", "Episodes and posts per quarter"), ("references", "References per quarter")):
            right.altair_chart(alt.Chart(activity, title=title).mark_bar().encode(
                x=alt.X("period:T", title=None), y=alt.Y(f"{measure}:Q", title=measure),
                color=alt.Color("show:N", title="show"),
                tooltip=["show:N", alt.Tooltip("period:T", format="%Y-%m"), f"{measure}:Q"]), width="stretch")
    a, b = st.columns(2)
    a.altair_chart(_bar(o["works"], "citations", "name", "Most-cited works", color="type"), width="stretch")
    b.altair_chart(_bar(o["domains"], "pages", "domain", "Top linked domains"), width="stretch")
    a.altair_chart(_bar(o["guests"], "episodes", "name", "Most frequent guests"), width="stretch")
    b.altair_chart(_bar(o["orgs"], "pages", "name", "Most present organizations"), width="stretch")


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


def network(kg: KnowledgeGraph, ix: data.GraphIndex, filters: data.Filters) -> None:
    _, labels, _, default = _choices(kg.version, ix)
    st.session_state.setdefault("focus", default or NO_FOCUS)
    c1, c2, c3, c4 = st.columns([6, 2, 2, 1])
    focus = c1.selectbox("Focus on an entity (type to search)", [NO_FOCUS, *labels], key="focus",
                         format_func=lambda v: labels.get(v, "(none: everything the filters select)"))
    hops = c2.slider("Hops around it", 1, 3, 1, key="hops")
    cap = c3.number_input("Node cap", 10, viz.MAX_NODES, viz.NODE_CAP, step=10, key="node_cap")
    physics = c4.toggle("Physics", False, key="physics", help="Off: precomputed layout. On: settles, then stops.")
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
               "Hover for details; drag to move; scroll to zoom.")
    st.iframe(net["url"], height=700, alt="Network of the selected entities")
    a, b = st.columns(2)
    a.download_button("Save view as image (SVG)", net["svg"], "kgraph-network.svg", "image/svg+xml",
                      key="dl_view_svg", on_click="ignore")
    nodes = net["nodes"]
    b.download_button("Save view as GraphML", lambda: _export(kg.version, "graphml", nodes, kg, ix),
                      "kgraph-view.graphml", "application/graphml+xml", key="dl_view_graphml", on_click="ignore")


def entity(kg: KnowledgeGraph, ix: data.GraphIndex, filters: data.Filters) -> None:
    _, labels, _, default = _choices(kg.version, ix)
    if st.session_state.get("entity") not in labels:
        st.session_state.entity = default
    iri = st.selectbox("Search an entity (type to search)", list(labels), key="entity", format_func=labels.get)
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
    st.markdown(f"**Cited by {details.citations['page'].nunique()} page(s)**")
    if not details.citations.empty:
        st.dataframe(details.citations.drop(columns=["page"]), hide_index=True, key="entity_citations")
        pages = dict(zip(details.citations["page"], details.citations["title"].map(data.md_escape), strict=False))
        _goto("Open a citing page", pages, "entity_open_page", "Episode", "episode")
    st.markdown(f"**Linked entities ({len(details.neighbours)})**")
    if not details.neighbours.empty:
        st.dataframe(details.neighbours.drop(columns=["iri"]), hide_index=True, key="entity_neighbours")
        nb = details.neighbours
        _goto("Go to a linked entity", dict(zip(nb["iri"], nb["name"] + " · " + nb["type"], strict=True)),
              "entity_neighbour", "Entity", "entity")


def episode(kg: KnowledgeGraph, ix: data.GraphIndex, filters: data.Filters) -> None:
    _, _, pages, _ = _choices(kg.version, ix)
    if not pages:
        st.info("The graph has no episodes or posts.")
        return
    if st.session_state.get("episode") not in pages:
        st.session_state.episode = next(iter(pages))
    iri = st.selectbox("Episode or post (type to search)", list(pages), key="episode", format_func=pages.get)
    ep = _episode(kg.version, iri, kg, ix)
    st.subheader(data.md_escape(ep.title))
    st.caption(data.md_escape(" · ".join(x for x in (ep.type, ep.show, ep.date) if x)))
    links = [(label, data.safe_url(u)) for label, u in (("Page", ep.url), ("Audio", ep.audio),
                                                          ("Transcript", ep.transcript), ("Video", ep.video))]
    cols = st.columns(5)
    for col, (label, url) in zip(cols, [x for x in links if x[1]], strict=False):
        col.link_button(label, url, key=f"episode_link_{label.lower()}")
    cols[4].button("Open as entity", key="episode_as_entity", on_click=_go, args=("Entity",), kwargs={"entity": iri})
    if ep.summary:
        st.markdown(data.md_escape(ep.summary))
    if ep.tags or ep.categories:
        st.caption("Tags: " + data.md_escape(", ".join(ep.tags + ep.categories)))
    left, right = st.columns(2)
    left.markdown("**Hosts and guests**")
    if not ep.people.empty:
        left.dataframe(ep.people.drop(columns=["person"]), hide_index=True, key="episode_people")
    right.markdown(f"**Chapters ({len(ep.chapters)})**")
    if not ep.chapters.empty:
        right.dataframe(ep.chapters.drop(columns=["seconds"]), hide_index=True, key="episode_chapters")
    with left:
        people = dict(zip(ep.people["person"], ep.people["name"] + " · " + ep.people["role"], strict=True))
        _goto("Go to a person", people, "episode_person", "Entity", "entity")
    total = sum(len(f) for f in ep.references.values())
    st.markdown(f"**References ({total})**")
    link = st.column_config.LinkColumn("url")
    for kind, frame in ep.references.items():
        st.markdown(f"*{data.md_escape(kind)}* ({len(frame)})")
        shown = frame.assign(url=frame["url"].map(data.safe_url)).drop(columns=["work"])
        st.dataframe(shown, hide_index=True, column_config={"url": link}, key=f"episode_refs_{kind}")
    refs = {w: n for f in ep.references.values() for w, n in zip(f["work"], f["name"], strict=True)}
    _goto("Open a reference", refs, "episode_reference", "Entity", "entity")


def console(kg: KnowledgeGraph, ix: data.GraphIndex, filters: data.Filters) -> None:
    queries = bundled_queries()
    names = list(queries)
    st.session_state.setdefault("console_query", "most-cited-works" if "most-cited-works" in queries else names[0])
    st.session_state.setdefault("sparql", queries[st.session_state.console_query].text)

    def load() -> None:
        st.session_state.sparql = queries[st.session_state.console_query].text
        st.session_state.pop("console_ran", None)

    st.selectbox("Start from a bundled query", names, key="console_query", on_change=load,
                 format_func=lambda n: queries[n].title)
    st.caption(data.md_escape(queries[st.session_state.console_query].description))
    text = st.text_area("SPARQL (read-only; prefixes schema:, kg:, kgid:, rdf:, rdfs:, xsd: are declared)",
                        key="sparql", height=260)
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
        cols = st.columns(len(data.EXPORT_FORMATS))
        for col, (fmt, (label, mime, suffix)) in zip(cols, data.EXPORT_FORMATS.items(), strict=True):
            col.download_button(label, lambda fmt=fmt, scope=scope: _export(kg.version, fmt, scope, kg, ix),
                                f"{name}{suffix}", mime, key=f"dl_{'all' if scope is None else 'filter'}_{fmt}",
                                on_click="ignore")


PAGES = {"Overview": overview, "Network": network, "Entity": entity, "Episode": episode, "SPARQL": console,
         "Downloads": downloads}


def _graph() -> KnowledgeGraph:
    path = Path(default_store())
    meta = path / "meta.json"
    if not meta.is_file() and not (path.exists() and any(path.iterdir())):
        _build_sample(str(path))
        st.info(f"There was no store at {data.md_escape(path)}: built the bundled sample there. "
                "Build your own with `kgraph build SOURCE --store PATH`.")
    return _open(str(path), meta.stat().st_mtime_ns)


def main() -> None:
    st.set_page_config(page_title="kgraph", page_icon="🕸️", layout="wide")
    try:
        kg = _graph()
        ix = _index(kg.version, kg)
    except KgraphError as e:
        st.error(data.md_escape(str(e)))
        st.stop()
    opts = _choices(kg.version, ix)[0]
    st.sidebar.title("kgraph")
    view = st.sidebar.radio("View", VIEWS, key="view")
    filters = sidebar_filters(opts)
    st.sidebar.caption(data.md_escape(f"Store {kg.path} · {len(kg)} quads"))
    PAGES[view](kg, ix, filters)


if __name__ == "__main__":
    main()

"""The Streamlit dashboard through AppTest (each view, widgets found by key=) and its data layer."""

from __future__ import annotations

import io
import json
from collections import defaultdict
from pathlib import Path

import networkx as nx
import pytest
from helpers import SAMPLE, tiny_site, write_page
from rdflib import Graph
from streamlit.testing.v1 import AppTest

import kgraph.app
from kgraph import KnowledgeGraph, QueryError
from kgraph.app import data

APP = str(Path(kgraph.app.__file__).parent / "streamlit_app.py")
XSS = '<img src=x onerror="window.__xss=1">'


@pytest.fixture(scope="module")
def index(sample_kg) -> data.GraphIndex:
    return data.build_index(sample_kg)


def run_app(store: Path | str, monkeypatch, **query: str) -> AppTest:
    monkeypatch.setenv("KGRAPH_STORE", str(store))
    at = AppTest.from_file(APP, default_timeout=60)
    at.query_params.update(query)
    at.run()
    assert not at.exception, at.exception
    return at


@pytest.fixture
def app(sample_kg, monkeypatch) -> AppTest:
    return run_app(sample_kg.path, monkeypatch)


def view(at: AppTest, name: str) -> AppTest:
    at.radio(key="view").set_value(name).run()
    assert not at.exception, at.exception
    return at


def payload(at: AppTest) -> dict:
    return json.loads(at.get("bidi_component")[0].proto.json)["payload"]


def shown(at: AppTest) -> list[str]:
    """Full names of the nodes drawn (a tooltip's first line is the untruncated label)."""
    return [n["title"].splitlines()[0] for n in payload(at)["nodes"]]


def table(at: AppTest, *columns: str):
    """The first table showing these columns (tables are not widgets: AppTest does not keep their key)."""
    return next(d.value for d in at.dataframe if set(columns) <= set(d.value.columns))


def labels_of(index: data.GraphIndex, **attrs) -> set[str]:
    nodes = index.graph.nodes(data=True)
    return {d["label"] for _, d in nodes if all(d.get(k) == v for k, v in attrs.items())}


# --- Overview ----------------------------------------------------------------------------------

def test_overview_counts_and_charts(app, index):
    metrics = {m.label: m.value for m in app.metric}
    assert metrics["Episode"] == str(len(labels_of(index, type="Episode")))
    assert metrics["Show"] == "2"
    counts = table(app, "type", "count")
    assert {"Episode", "Paper", "Chapter", "Citation link"} <= set(counts["type"])
    assert len(app.get("vega_lite_chart")) == 6  # two time series, four top lists


# --- Network -----------------------------------------------------------------------------------

def test_network_starts_focused_on_the_latest_episode(app, index):
    view(app, "Network")
    latest = index.graph.nodes[data.default_focus(index)]["label"]
    assert app.selectbox(key="focus").value == data.default_focus(index)
    names = shown(app)
    assert latest in names and payload(app)["focus"] is not None
    assert len(names) == 1 + len(set(nx.all_neighbors(index.graph, data.default_focus(index))))
    assert payload(app)["options"]["physics"]["enabled"] is False


def test_show_filter_changes_what_is_drawn(app, index):
    view(app, "Network")
    app.multiselect(key="f_shows").set_value(["Alignment Hour"]).run()
    app.selectbox(key="focus").set_value("").run()  # everything the filters keep
    names = set(shown(app))
    assert labels_of(index, type="Episode", show="Alignment Hour") <= names
    assert not names & labels_of(index, type="Episode", show="Model Minds")
    assert "Alignment Hour" in names and "Model Minds" not in names


def test_type_and_min_citation_filters(app, index):
    view(app, "Network")
    app.selectbox(key="focus").set_value("").run()
    app.multiselect(key="f_types").set_value(["Paper"]).run()
    papers = shown(app)
    assert set(papers) == labels_of(index, type="Paper")
    assert [name for name, _ in payload(app)["legend"]] == [f"Paper ({len(papers)})"]
    app.number_input(key="f_min_citations").set_value(2).run()
    cited_twice = set(data.top_works(index, 1000).query("citations >= 2 and type == 'paper'")["name"])
    assert set(shown(app)) == cited_twice and len(cited_twice) < len(papers)


@pytest.mark.parametrize("show", [None, "Model Minds"])
def test_min_citations_counts_the_kept_pages_that_cite_a_work(sample_kg, index, show):
    shows = (show,) if show else ()
    rows = sample_kg.query("SELECT DISTINCT ?page ?work ?show WHERE { ?page schema:citation ?work . "
                           "OPTIONAL { ?page schema:partOfSeries/schema:name ?show } }")
    citers = defaultdict(set)
    for r in rows:
        if not show or r["show"] == show:
            citers[r["work"]].add(r["page"])
    kept = set(data.filter_graph(index, data.Filters(shows=shows)))
    works = {w for w in kept if "kind" in index.graph.nodes[w]}
    twice = set(data.filter_graph(index, data.Filters(shows=shows, min_citations=2)))
    assert {w for w in twice if "kind" in index.graph.nodes[w]} == {w for w in works if len(citers[w]) >= 2}
    assert any(len(citers[w]) == 1 for w in works)  # something was filtered out


def test_tag_and_date_filters(app, index):
    view(app, "Network")
    app.selectbox(key="focus").set_value("").run()
    app.multiselect(key="f_tags").set_value(["Interpretability"]).run()
    tagged = {index.graph.nodes[p]["label"] for p, tags in index.tags.items() if "Interpretability" in tags}
    episodes = set(shown(app)) & labels_of(index, type="Episode")
    assert episodes == tagged and tagged
    app.multiselect(key="f_tags").set_value([]).run()
    first = data.filter_options(index).first
    app.slider(key="f_dates").set_value((first, data.dt.date(2024, 5, 31))).run()
    dates = {index.graph.nodes[p]["label"]: index.graph.nodes[p].get("date", "") for p in index.pages}
    in_range = {title for title, date in dates.items() if first.isoformat() <= date <= "2024-05-31"}
    assert set(shown(app)) & set(dates) == in_range and in_range


def test_hops_cap_and_the_message_when_too_many(app):
    view(app, "Network")
    one = len(shown(app))
    app.slider(key="hops").set_value(2).run()
    assert len(shown(app)) > one
    app.selectbox(key="focus").set_value("").run()
    app.number_input(key="node_cap").set_value(10).run()
    assert len(shown(app)) == 10
    assert any("too many to draw" in w.value and "Showing the 10" in w.value for w in app.warning)


def test_search_focuses_any_entity(app, index):
    view(app, "Network")
    person = next(v for v, d in index.graph.nodes(data=True) if d["type"] == "Person")
    app.selectbox(key="focus").set_value(person).run()
    around = {person, *nx.all_neighbors(index.graph, person)}
    assert set(shown(app)) == {index.graph.nodes[v]["label"] for v in around}


def test_matching_finds_every_word_in_order_up_to_a_limit():
    labels = {"a": "Dr. Ada Lovelace · Person", "b": "Lovelace Prize · Organization", "c": "ADA · Paper",
              "d": "Grace Hopper · Person"}
    assert data.matching(labels, "lovelace") == ["a", "b"]
    assert data.matching(labels, "  ada   LOVELACE ") == ["a"]  # every word, any case, any order
    assert data.matching(labels, "person") == ["a", "d"]
    assert data.matching(labels, "", limit=2) == ["a", "b"]  # no words: the first choices
    assert data.matching(labels, "d") == ["d"]  # a key given whole is that choice
    assert data.matching(labels, "zebra") == []


def test_a_large_graph_is_searched_not_listed(sample_kg, index, monkeypatch):
    """Past LIST_ALL_UP_TO choices a search box narrows each picker to its matches (and the current
    choice), so the browser is not sent every entity on every rerun; picking still works."""
    monkeypatch.setattr(data, "LIST_ALL_UP_TO", 5)
    monkeypatch.setattr(data, "MATCHES", 10)
    at = view(run_app(sample_kg.path, monkeypatch), "Network")
    everything = len(index.graph)
    latest = data.entity_labels(index)[data.default_focus(index)]
    options = at.selectbox(key="focus").options
    assert latest in options and len(options) <= 2 + 10 < everything  # none, the current choice, 10 more
    person = next(v for v, d in index.graph.nodes(data=True) if d["type"] == "Person")
    name = index.graph.nodes[person]["label"]
    at.text_input(key="focus_search").set_value(name.upper()).run()
    assert not at.exception, at.exception
    assert data.entity_labels(index)[person] in at.selectbox(key="focus").options
    at.selectbox(key="focus").set_value(person).run()
    assert set(shown(at)) == {index.graph.nodes[v]["label"] for v in {person, *nx.all_neighbors(index.graph, person)}}
    at.text_input(key="focus_search").set_value("no entity is called this").run()
    assert at.selectbox(key="focus").value == person  # the current choice stays on offer
    assert at.selectbox(key="focus").options == ["(none: everything the filters select)",
                                                 data.entity_labels(index)[person]]
    assert any("Nothing matches" in c.value for c in at.caption)
    for key, picker in (("Entity", "entity"), ("Episode", "episode")):
        view(at, key)
        box = at.selectbox(key=picker)
        assert box.value is not None and len(box.options) <= 1 + 10  # the current choice, 10 more
        assert at.text_input(key=f"{picker}_search").value == ""


def test_a_small_graph_lists_every_choice(app, index):
    view(app, "Network")
    assert len(app.selectbox(key="focus").options) == 1 + len(index.graph)
    assert "focus_search" not in [t.key for t in app.text_input]


def test_physics_toggle_and_svg_download(app):
    view(app, "Network")
    app.toggle(key="physics").set_value(True).run()
    assert payload(app)["options"]["physics"]["enabled"] is True
    assert {b.key for b in app.get("download_button")} >= {"dl_view_svg", "dl_view_graphml"}


def test_deep_link_opens_a_view(sample_kg, monkeypatch):
    at = run_app(sample_kg.path, monkeypatch, view="network")
    assert at.radio(key="view").value == "Network" and at.get("bidi_component")


# --- Entity and Episode pages ------------------------------------------------------------------

def test_entity_page_shows_citations_with_provenance_and_goes_on_to_neighbours(app, index):
    work = data.top_works(index).iloc[0]
    view(app, "Entity")
    app.selectbox(key="entity").set_value(work["work"]).run()
    assert data.md_escape(work["name"]) in app.subheader[0].value
    cites = table(app, "title", "link text")
    assert {"title", "section", "link text", "context", "line"} <= set(cites.columns)
    assert cites["title"].nunique() == work["citations"]
    neighbours = table(app, "name", "relation", "direction")
    assert len(neighbours) >= work["citations"]
    target = next(iter(nx.all_neighbors(index.graph, work["work"])))
    app.selectbox(key="entity_neighbour").set_value(target).run()
    assert app.selectbox(key="entity").value == target
    assert data.md_escape(index.graph.nodes[target]["label"]) in app.subheader[0].value


def test_episode_page_metadata_people_chapters_and_references(app, index):
    episode = sorted(p for p in index.pages if index.graph.nodes[p]["type"] == "Episode")[0]
    view(app, "Episode")
    app.selectbox(key="episode").set_value(episode).run()
    assert data.md_escape(index.graph.nodes[episode]["label"]) in app.subheader[0].value
    chapters = table(app, "position", "time")
    assert list(chapters.columns) == ["position", "time", "title"] and chapters["time"].iloc[0] == "0:00"
    people = table(app, "role", "name")
    assert {"host", "guest"} <= set(people["role"])
    assert table(app, "name", "link text", "url")["link text"].notna().any()
    assert any(b.key == "episode_link_page" for b in app.get("link_button"))
    work = next(w for w, keys in index.graph.succ[episode].items() if "citation" in keys)
    app.selectbox(key="episode_reference").set_value(work).run()
    assert app.radio(key="view").value == "Entity" and app.selectbox(key="entity").value == work


# --- SPARQL console ----------------------------------------------------------------------------

def test_console_runs_bundled_queries_and_downloads(app, sample_kg):
    view(app, "SPARQL")
    app.selectbox(key="console_query").set_value("top-guests").run()
    assert "schema:actor" in app.text_area(key="sparql").value
    app.button(key="run_query").click().run()
    rows = table(app, "person", "name", "episodes")
    assert len(rows) == len(sample_kg.query("top-guests"))
    assert list(rows.columns) == ["person", "name", "episodes"]
    assert {b.key for b in app.get("download_button")} >= {"dl_csv", "dl_json"}


def test_console_binds_parameters(app):
    view(app, "SPARQL")
    app.selectbox(key="console_query").set_value("person-network").run()
    app.text_input(key="param_person").input("Maya").run()
    app.button(key="run_query").click().run()
    assert len(table(app, "name", "role", "episode", "title")) > 0


@pytest.mark.parametrize(("text", "message"), [
    ("SELECT ?x WHERE { ?x ", "line 1"),
    ("INSERT DATA { <urn:a> <urn:b> <urn:c> }", "refused"),
    ("SELECT * WHERE { SERVICE <http://example.org/sparql> { ?s ?p ?o } }", "refused"),
])
def test_console_shows_errors_with_their_position(app, text, message):
    view(app, "SPARQL")
    app.text_area(key="sparql").input(text).run()
    app.button(key="run_query").click().run()
    assert app.error and message in app.error[0].value.replace("\\", "")
    assert not app.dataframe


# --- Downloads ---------------------------------------------------------------------------------

def test_downloads_view_offers_whole_graph_and_current_filter(app):
    view(app, "Downloads")
    keys = {b.key for b in app.get("download_button")}
    formats = ("graphml", "turtle", "jsonld")
    assert keys == {f"dl_{scope}_{fmt}" for scope in ("all", "filter") for fmt in formats}


@pytest.mark.parametrize("fmt", ["graphml", "turtle", "jsonld"])
def test_exports_parse_back_whole_and_filtered(sample_kg, index, fmt):
    kept = set(data.filter_graph(index, data.Filters(shows=("Model Minds",))))
    whole, part = (data.export_bytes(sample_kg, index, fmt, nodes) for nodes in (None, kept))
    if fmt == "graphml":
        g_all, g_part = (nx.read_graphml(io.BytesIO(b)) for b in (whole, part))
        assert len(g_all) == len(index.graph) and set(g_part) == kept
        assert {"x", "y", "size", "r", "g", "b", "label", "type"} <= set(next(iter(g_part.nodes.values())))
    else:
        rdf = "json-ld" if fmt == "jsonld" else "turtle"
        g_all, g_part = (Graph().parse(data=b, format=rdf) for b in (whole, part))
        assert 0 < len(g_part) < len(g_all)
        subjects = {str(s) for s in g_part.subjects()}
        assert set(kept) <= subjects
        assert not subjects & (set(index.graph) - kept)


def test_a_filter_that_keeps_everything_downloads_the_whole_graph(sample_kg, index):
    """Without a filter every entity is kept: the download is the whole graph, written by
    Oxigraph (the part-of-the-graph way builds an rdflib Graph, several GB at 10,000 episodes)."""
    everything = set(data.filter_graph(index, data.Filters()))
    assert everything == set(index.graph)
    assert data.export_bytes(sample_kg, index, "turtle", everything) == data.export_bytes(sample_kg, index, "turtle")


# --- the store, and hostile text ---------------------------------------------------------------

def test_missing_store_builds_the_sample_and_says_so(tmp_path, monkeypatch):
    at = run_app(tmp_path / "nowhere", monkeypatch)
    assert any("built the bundled sample" in i.value for i in at.info)
    assert int({m.label: m.value for m in at.metric}["Episode"]) > 0


def test_not_a_store_is_a_one_line_error(tmp_path, monkeypatch):
    (tmp_path / "folder").mkdir()
    (tmp_path / "folder" / "notes.txt").write_text("mine")
    monkeypatch.setenv("KGRAPH_STORE", str(tmp_path / "folder"))
    at = AppTest.from_file(APP, default_timeout=60).run()
    assert at.error and "no kgraph store" in at.error[0].value


@pytest.fixture(scope="module")
def xss_site(tmp_path_factory) -> Path:
    root = tiny_site(tmp_path_factory.mktemp("xss-site"))
    write_page(root, "shows/evil/_index.md", f"---\nurl: /evil/\ntitle: '{XSS} Evil Show'\n---\n")
    write_page(root, "posts/evil-episodes/evil-episode-001/index.md", (
        f"---\nurl: /evil/e001/\ntitle: '{XSS} Payload [x](javascript:alert(1)) :red[y] $z$'\n"
        f"date: 2024-05-01\ntags:\n  - '{XSS}'\n  - 'a href=\"javascript:window.__xss=1\"'\n---\n\n"
        "### Links\n\n"
        f'- <a href="https://arxiv.org/abs/1606.06565">&lt;img src=x onerror="window.__xss=1"&gt; href</a>\n'
        '- <a href="https://example.org/p">"><script>window.__xss=1</script></a>\n'))
    return root


@pytest.fixture(scope="module")
def xss_store(xss_site, tmp_path_factory) -> Path:
    store = tmp_path_factory.mktemp("xss") / "store"
    KnowledgeGraph.build([xss_site], store=store)
    return store


def test_page_text_reaches_streamlit_only_as_escaped_text(xss_store, monkeypatch):
    at = run_app(xss_store, monkeypatch)
    for name in ("Overview", "Network", "Entity", "Episode", "SPARQL", "Downloads"):
        view(at, name)
        if name == "Episode":
            assert "\\<img" in at.subheader[0].value
        for element in [*at.markdown, *at.subheader, *at.caption, *at.info, *at.warning]:
            assert "<" not in element.value.replace("\\<", ""), element.value
    view(at, "Network")
    assert all("href" not in n["title"] for n in payload(at)["nodes"])


def test_console_stops_a_runaway_query(sample_kg):
    runaway = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }"
    with pytest.raises(QueryError, match="(?i)time"):
        data.run_console(sample_kg, runaway, timeout=1)


def test_md_escape_and_safe_url():
    escaped = r"\<b\>\*x\*\</b\> \[a\]\(javascript\:1\) \:red\[y\] \$z\$"
    assert data.md_escape("<b>*x*</b> [a](javascript:1) :red[y] $z$") == escaped
    assert data.safe_url("https://example.org/a") == "https://example.org/a"
    assert data.safe_url("javascript:alert(1)") is None and data.safe_url("https://a b") is None
    assert data.hms(3725) == "1:02:05" and data.hms(95) == "1:35" and data.hms(None) == ""


def test_a_rebuild_is_picked_up_on_the_next_run(tmp_path, monkeypatch, xss_site):
    store = tmp_path / "store"
    KnowledgeGraph.build([SAMPLE], store=store)
    at = run_app(store, monkeypatch)
    before = {m.label: m.value for m in at.metric}["Episode"]
    KnowledgeGraph.build([xss_site], store=store)
    at.run()
    assert not at.exception
    assert {m.label: m.value for m in at.metric}["Episode"] == "1" != before


def test_a_sparql_endpoint_store(tmp_path, monkeypatch):
    from helpers import oxigraph_server

    with oxigraph_server(tmp_path / "oxigraph") as url:
        KnowledgeGraph.build([SAMPLE], store=url)
        at = run_app(url, monkeypatch)
        assert int({m.label: m.value for m in at.metric}["Episode"]) > 0
        assert payload(view(at, "Network"))["nodes"]
        for name in ("Entity", "Episode", "SPARQL", "Downloads"):
            view(at, name)

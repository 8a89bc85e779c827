"""Property-based tests: page parsing and URL handling never raise on arbitrary text, canonical
URLs are fixed points, IRIs are always valid, and exports round-trip arbitrary names and URLs.

Example counts are bounded (see SETTINGS) so the file runs in well under a minute.
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import networkx as nx
import pyoxigraph as ox
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from lxml import etree
from rdflib import Graph, Literal, URIRef
from rdflib.compare import isomorphic

from kgraph import KnowledgeGraph
from kgraph.errors import QueryError
from kgraph.extract.chapters import find_chapters
from kgraph.extract.links import find_links
from kgraph.extract.urls import canonical_url, is_web_url, resolve
from kgraph.ingest.hugo import FrontMatterError, parse_front_matter
from kgraph.query import check_query
from kgraph.rdf import iri, safe_text

SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
SLOW_SETTINGS = settings(max_examples=25, deadline=None,
                         suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
GRAPHML = "{http://graphml.graphdrawing.org/xmlns}"

# Text that is mostly the characters markdown, YAML, HTML and URLs give meaning to.
SYNTAX = "-:#[](){}<>\"'`\\|^&%?=/.*_~!@$+,; \t\n\r0123456789aAzZ"
chars = st.characters(blacklist_categories=("Cs",))  # what a page can hold: it is decoded UTF-8
page_text = st.text(alphabet=chars)
syntax_text = st.text(alphabet=st.sampled_from(SYNTAX) | chars, max_size=300)
lines = st.lists(st.sampled_from([
    "---", "+++", "title: x", "date: 2024-02-30", "a: &a [1, 2]", "b: [*a, *a]", "- item", "  - nested",
    "? key", ": value", "!!python/object:os.system", "\ttab", "{", "}", "[", "]", '"', "'", "|", ">",
    "<a href='https://x.org/a'>x</a>", "[t](https://x.org/(a))", "https://x.org/b.", "## Links",
    "01:02 | Chapter", "(1:02:03) - Chapter", "[12:30] x", "<!--", "-->", "```",
    "{{< transistor src=\"x\" >}}",
]) | syntax_text, max_size=20).map("\n".join)

# URLs: every part drawn from odd and ordinary pieces.
schemes = st.sampled_from(["http", "https", "HTTPS", "ftp", "javascript", "mailto", "data", "file", ""])
hosts = st.sampled_from([
    "example.org", "www.Example.ORG", "m.example.org", "arxiv.org", "doi.org", "youtu.be", "www.youtube.com",
    "例え.jp", "xn--r8jz45g.jp", "127.0.0.1", "[::1]", "user:pw@example.org", "example.org:8080",
    "example.org:99999", "example.org.", "", "twitter.com", "openreview.net",
]) | st.text(alphabet="abc.-_%:@", max_size=12)
segments = st.text(alphabet=st.sampled_from("ab%20zZ9-._~!$&'()*+,;=:@ <>\"{}|\\^`éü/#?") | chars,
                   max_size=12)


def _url(scheme: str, host: str, path: list[str], query: str | None, fragment: str | None) -> str:
    return ((f"{scheme}://" if scheme else "//") + host + "/" + "/".join(path)
            + (f"?{query}" if query is not None else "") + (f"#{fragment}" if fragment is not None else ""))


urls = st.builds(
    _url, schemes, hosts, st.lists(segments, max_size=4),
    st.none() | st.text(alphabet="a=&%utm_sourcevfbclid;+ ", max_size=20), st.none() | segments,
) | st.sampled_from([
    "https://arxiv.org/abs/2103.03386v2", "https://arxiv.org/pdf/2103.03386.pdf", "https://youtu.be/abc?t=3",
    "https://doi.org/10.1000/XYZ.", "https://example.org/a%zz", "https://example.org/%", "http://[::1/x",
    "https://example.org/a b", "https://example.org/?utm_source=x&v=1",
]) | st.text(alphabet=chars, max_size=60)


def _syntax_error_free(text: str) -> None:
    try:
        check_query(text)
    except QueryError:
        pass


@SETTINGS
@given(lines | page_text)
@example("---\n" + "[" * 5000 + "\n---\n")
@example("\ufeff---\ntitle: x\n---\n")
@example("+++\n" + "a = [" * 200 + "\n+++\n")
@example("{" * 3000)
def test_parse_front_matter_returns_or_says_why(text):
    try:
        meta, body, line = parse_front_matter(text)
    except FrontMatterError as e:
        assert str(e)
        return
    assert isinstance(meta, dict) and all(isinstance(k, str) for k in meta)
    assert isinstance(body, str) and line >= 1
    json.dumps(meta, default=str)  # plain values, finite: no alias bombs left to expand


@SETTINGS
@given(lines | page_text)
def test_find_links_never_raises(text):
    for link in find_links(text, first_line=3):
        assert isinstance(link.url, str) and link.line >= 3
        assert link.line < 3 + text.count("\n") + 1 + text.count("\r") + 1


@SETTINGS
@given(lines | page_text)
def test_find_chapters_never_raises(text):
    for chapter in find_chapters(text):
        assert chapter.start >= 0 and chapter.title


@SETTINGS
@given(urls)
@example("https://youtu.be/abc?t=3")
def test_canonical_url_never_raises_and_is_idempotent(url):
    canon = canonical_url(url)
    assert canon == "" or is_web_url(canon)
    assert canonical_url(canon) == canon


@SETTINGS
@given(urls, urls)
@example("http://[::1/broken", "https://gen.example/")
def test_resolve_gives_a_web_url_or_nothing(url, base):
    target = resolve(url, base)
    assert target == "" or is_web_url(target)


@SETTINGS
@given(urls | st.text())
@example("http://a/%zz#b#c")
@example("relative/path")
@example("\ufffe\ud800")
def test_iri_is_always_valid_and_stable(text):
    value = str(iri(text))
    ox.NamedNode(value)  # raises on anything Oxigraph (and so the store) would refuse
    assert str(iri(value)) == value
    graph = Graph()
    graph.add((URIRef(value), URIRef("urn:p"), Literal(safe_text(text))))
    for fmt in ("nt", "turtle", "json-ld"):
        assert isomorphic(Graph().parse(data=graph.serialize(format=fmt), format=fmt), graph), fmt


@SETTINGS
@given(lines | st.text())
def test_check_query_refuses_or_keeps_the_lines(text):
    try:
        runnable = check_query(text)
    except QueryError as e:
        assert str(e)
        return
    assert runnable.count("\n") == text.count("\n") and len(runnable) == len(text)


# --- exports of a tiny site made of generated titles and links --------------------------------

titles = st.text(alphabet=chars, min_size=1, max_size=80).filter(lambda t: _expected_title(t) != "")
anchors = st.text(alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="[]\n\r"),
                  min_size=1, max_size=30)


def _expected_title(raw: str) -> str:
    """What the pipeline makes of a front matter title: whitespace collapsed, then unwritable characters
    dropped (in that order, so '0 \\x1b' keeps a trailing space)."""
    return safe_text(re.sub(r"\s+", " ", raw).strip())


_YAML_PRINTABLE = re.compile("[\t\n\r\x20-\x7e\x85\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _yaml_string(text: str) -> str:
    """A YAML double-quoted scalar for any text (astral characters as \\U, not as JSON's pairs)."""
    def char(c: str) -> str:
        if c in '"\\':
            return "\\" + c
        if c not in "\t\n\r" and _YAML_PRINTABLE.fullmatch(c):
            return c
        code = ord(c)
        return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"
    return '"' + "".join(char(c) for c in text) + '"'


def _write_site(root: Path, pages: list[tuple[str, list[tuple[str, str]]]]) -> None:
    (root / "config" / "_default").mkdir(parents=True)
    (root / "config" / "_default" / "hugo.yaml").write_text("title: Generated\nbaseURL: https://gen.example/\n")
    for n, (title, links) in enumerate(pages):
        body = "\n".join(f"- [{text}]({url})" if k % 2 else f'- <a href="{url}">{text}</a>'
                         for k, (text, url) in enumerate(links))
        page = root / "content" / "posts" / "gen-episodes" / f"ep{n}" / "index.md"
        page.parent.mkdir(parents=True)
        front = f"---\ntitle: {_yaml_string(title)}\ndate: 2024-01-0{n + 1}\n---\n"
        text = f"{front}\n### Links\n{body}\n".replace("\x00", "")  # a NUL makes it a binary file (skipped)
        page.write_bytes(text.encode("utf-8", "replace"))


@SLOW_SETTINGS
@given(st.lists(st.tuples(titles, st.lists(st.tuples(anchors, urls), max_size=4)), min_size=1, max_size=3))
@example([("<script>alert(1)</script> ]]> </node> \"' \\ {x} @prefix", [("a\"b", "https://x.org/a b\"<>")])])
def test_exports_round_trip_generated_names_and_urls(tmp_path_factory, pages):
    root = tmp_path_factory.mktemp("gen")
    _write_site(root / "site", pages)
    kg = KnowledgeGraph.build([root / "site"], store=root / "store")
    expected = {_expected_title(title) for title, _ in pages}
    graph = kg.to_rdflib()
    assert expected <= {str(o) for o in graph.objects(None, None) if isinstance(o, Literal)}
    for fmt, parser in (("nt", "nt"), ("turtle", "turtle"), ("jsonld", "json-ld")):
        back = Graph().parse(kg.export(fmt, root / f"g.{fmt}"), format=parser)
        assert isomorphic(back, graph), fmt
    path = kg.export("graphml", root / "g.graphml")
    g = nx.read_graphml(path)
    assert g.number_of_nodes() == kg.to_networkx().number_of_nodes()
    labels = {d.get("label") for _, d in g.nodes(data=True)}
    assert expected <= labels
    tree = etree.parse(str(path), etree.XMLParser(resolve_entities=False, no_network=True))
    lxml_labels = {d.text or "" for d in tree.iter(f"{GRAPHML}data") if d.get("key") == "label"}
    stdlib_labels = {d.text or "" for d in ET.parse(path).iter(f"{GRAPHML}data") if d.get("key") == "label"}
    assert lxml_labels == stdlib_labels == {label or "" for label in labels}
    assert len(list(tree.iter(f"{GRAPHML}node"))) == g.number_of_nodes()


def test_canonical_keeps_ipv6_brackets():
    assert canonical_url("http://[::1]:8080/x") == "https://[::1]:8080/x"


def test_canonical_refuses_a_host_of_dots():
    assert canonical_url("http://./x") in ("", "https://./x")


def test_canonical_encodes_youtube_ids():
    canon = canonical_url("https://youtu.be/%1B")
    assert canonical_url(canon) == canon

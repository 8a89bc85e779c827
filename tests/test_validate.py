"""SHACL: every graph kgraph builds conforms to ontology/shapes.ttl, and violations are caught.

kgraph validates by SPARQL (kgraph.shacl compiles the shapes); pyshacl is the reference: on a
graph that breaks every constraint of the shapes, both must report the same violations.
"""

import json

import pytest
from click.testing import CliRunner
from rdflib import BNode, Graph, Literal, URIRef

from kgraph.cli import cli
from kgraph.namespaces import ID, KG, RDF, RDFS, SDO, SHACL, XSD
from kgraph.shacl import ShapeError, compile_shapes
from kgraph.validate import load_shapes, run_checks, store_checks, validate_graph


def pyshacl_violations(data: Graph) -> set[tuple[str, str, str]]:
    """(focus, message, value) of every result pyshacl reports, with the ontology mixed in."""
    from pyshacl import validate

    shapes, onto = load_shapes()
    _, report, _ = validate(data, shacl_graph=shapes, ont_graph=onto, inference="none", allow_warnings=True)
    out = set()
    for result in report.subjects(SHACL.focusNode, None):
        value = report.value(result, SHACL.value)
        out.add((str(report.value(result, SHACL.focusNode)), str(report.value(result, SHACL.resultMessage)),
                 "" if value is None else str(value)))
    return out


def ours(data: Graph) -> set[tuple[str, str, str]]:
    return {(v.focus, v.message, v.value) for v in validate_graph(data)}


def n(name: str) -> URIRef:
    return ID[f"test/{name}"]


def break_every_shape(g: Graph) -> Graph:
    """Add nodes that, between them, break every constraint of shapes.ttl (and two typed only by
    a subclass, one of the ontology and one of the graph, to follow rdfs:subClassOf as SHACL does)."""
    untyped, lit = n("untyped"), Literal("not an IRI")
    triples = [
        # shows: two URLs (one a literal), a non-string name, a host that is no Person; one with no name
        (n("show"), RDF.type, SDO.PodcastSeries), (n("show"), SDO.name, Literal("Show", lang="en")),
        (n("show"), SDO.url, lit), (n("show"), SDO.url, URIRef("https://example.org/show")),
        (n("show"), SDO.author, untyped),
        (n("show2"), RDF.type, SDO.PodcastSeries),
        # episodes: two titles, a literal URL, two dates (one a string), two shows (one untyped)
        (n("ep"), RDF.type, SDO.PodcastEpisode), (n("ep"), SDO.name, Literal("a")), (n("ep"), SDO.name, Literal("b")),
        (n("ep"), SDO.url, lit), (n("ep"), SDO.datePublished, Literal("2024-01-01", datatype=XSD.date)),
        (n("ep"), SDO.datePublished, Literal("2024-01-02")), (n("ep"), SDO.partOfSeries, n("show")),
        (n("ep"), SDO.partOfSeries, untyped),
        (n("ep2"), RDF.type, SDO.PodcastEpisode), (n("ep2"), SDO.name, Literal(5)),
        (n("ep2"), SDO.citation, n("work-untyped")), (n("ep2"), SDO.citation, n("wiki")),
        # posts: no name, literal URL and two dateTimes; an article with a tagged name and two URLs
        (n("post"), RDF.type, SDO.BlogPosting), (n("post"), SDO.url, lit),
        (n("post"), SDO.datePublished, Literal("2024-01-01T00:00:00", datatype=XSD.dateTime)),
        (n("post"), SDO.datePublished, Literal("2024-01-02T00:00:00", datatype=XSD.dateTime)),
        (n("article"), RDF.type, SDO.Article), (n("article"), SDO.name, Literal("x", lang="en")),
        (n("article"), SDO.url, URIRef("https://example.org/a")),
        (n("article"), SDO.url, URIRef("https://example.org/b")),
        # a page read from a site with no page type, every field twice and of the wrong kind
        (n("page"), KG.pageKey, Literal(5)), (n("page"), KG.pageKey, Literal("k")),
        (n("page"), KG.sourceFile, Literal(1)), (n("page"), KG.sourceFile, Literal("f")),
        (n("page"), SDO.dateModified, Literal("2024")), (n("page"), SDO.dateModified, Literal("x")),
        (n("page"), KG.recordedDate, Literal("2024-01-01T00:00:00", datatype=XSD.dateTime)),
        (n("page"), KG.recordedDate, Literal("2024-01-01", datatype=XSD.date)),
        (n("page"), SDO.abstract, Literal("a", lang="en")), (n("page"), SDO.abstract, Literal("b")),
        (n("page"), SDO.keywords, Literal("t", lang="en")), (n("page"), KG.category, Literal(3)),
        (n("page"), SDO.author, untyped), (n("page"), SDO.actor, untyped), (n("page"), SDO.mentions, lit),
        (n("page"), SDO.hasPart, untyped), (n("page"), SDO.citation, Literal("cited text")),
        (n("page"), KG.audio, lit), (n("page"), KG.audio, URIRef("https://example.org/a.mp3")),
        (n("page"), KG.transcript, lit), (n("page"), KG.transcript, URIRef("https://example.org/t")),
        (n("page"), KG.videoVersion, lit), (n("page"), KG.videoVersion, URIRef("https://example.org/v")),
        # chapters: no title, two start times (negative, "mm:ss"), two positions (0, a decimal), no page;
        # one with a tagged title, no start time and two pages
        (n("clip"), RDF.type, SDO.Clip), (n("clip"), SDO.startOffset, Literal(-5)),
        (n("clip"), SDO.startOffset, Literal("1:30")), (n("clip"), SDO.position, Literal(0)),
        (n("clip"), SDO.position, Literal("1.5", datatype=XSD.decimal)),
        (n("clip2"), RDF.type, SDO.Clip), (n("clip2"), SDO.name, Literal("c", lang="en")),
        (n("clip2"), SDO.name, Literal("d")), (n("ep"), SDO.hasPart, n("clip2")), (n("ep2"), SDO.hasPart, n("clip2")),
        # people: an honorific, a tagged second name, an untyped affiliation, two URLs and roles; one nameless
        (n("person"), RDF.type, SDO.Person), (n("person"), SDO.name, Literal("Dr. Jane Doe")),
        (n("person"), SDO.name, Literal("Jane", lang="en")), (n("person"), SDO.affiliation, untyped),
        (n("person"), SDO.url, lit), (n("person"), SDO.url, URIRef("https://example.org/p")),
        (n("person"), SDO.jobTitle, Literal("a")), (n("person"), SDO.jobTitle, Literal("b")),
        (n("person2"), RDF.type, SDO.Person),
        # organizations: nameless with two URLs and kinds; one with a number for a name
        (n("org"), RDF.type, SDO.Organization), (n("org"), SDO.url, lit),
        (n("org"), SDO.url, URIRef("https://example.org/o")), (n("org"), KG.orgKind, Literal(1)),
        (n("org"), KG.orgKind, Literal("lab")),
        (n("org2"), RDF.type, SDO.Organization), (n("org2"), SDO.name, Literal(3)),
        # works: a paper breaking every field; a dataset with no name; a Wikipedia article typed
        # only by its subclass (targeted and accepted as a schema:WebPage) with no name
        (n("paper"), RDF.type, SDO.ScholarlyArticle), (n("paper"), SDO.name, Literal("a")),
        (n("paper"), SDO.name, Literal("b", lang="en")), (n("paper"), SDO.url, lit),
        (n("paper"), SDO.url, URIRef("https://arxiv.org/abs/2101.00001")),
        (n("paper"), SDO.identifier, Literal("arXiv:2101.00001v2")),
        (n("paper"), SDO.identifier, Literal("DOI:10.1/x")),
        (n("paper"), SDO.publisher, untyped), (n("paper"), KG.kind, Literal("podcast")),
        (n("paper"), KG.kind, Literal("paper")),
        (n("paper"), KG.venue, Literal("a")), (n("paper"), KG.venue, Literal("b")),
        (n("dataset"), RDF.type, SDO.Dataset), (n("dataset"), SDO.url, URIRef("https://example.org/d")),
        (n("MyPaper"), RDFS.subClassOf, SDO.ScholarlyArticle), (n("mine"), RDF.type, n("MyPaper")),
        (n("mine"), SDO.url, URIRef("https://example.org/mine")), (n("ep2"), SDO.citation, n("mine")),
        (n("wiki"), RDF.type, KG.WikipediaArticle), (n("wiki"), SDO.url, URIRef("https://en.wikipedia.org/wiki/X")),
        # citation records: one with nothing it needs and a schema:name; one with two of everything
        (n("cit"), RDF.type, KG.Citation), (n("cit"), SDO.name, Literal("named")),
        (n("cit2"), RDF.type, KG.Citation),
        (n("cit2"), KG.citingPage, n("ep")), (n("cit2"), KG.citingPage, n("person")),
        (n("cit2"), KG.cites, lit), (n("cit2"), KG.cites, n("paper")), (n("cit2"), KG.line, Literal(0)),
        (n("cit2"), KG.line, Literal("x", datatype=XSD.integer)), (n("cit2"), RDFS.label, Literal("a")),
        (n("cit2"), RDFS.label, Literal("b")),
        (n("cit2"), KG.section, Literal("a")), (n("cit2"), KG.section, Literal("b")),
        (n("cit2"), KG.anchorText, Literal("a")), (n("cit2"), KG.anchorText, Literal("b")),
        (n("cit2"), KG.context, Literal("a")), (n("cit2"), KG.context, Literal("b")),
    ]
    for t in triples:
        g.add(t)
    return g


def test_sample_conforms(sample_kg):
    assert sample_kg.validate() == []


def test_every_constraint_is_caught_as_pyshacl_catches_it(sample_kg):
    g = break_every_shape(sample_kg.to_rdflib())
    found = ours(g)
    assert found == pyshacl_violations(g)
    shapes, _ = load_shapes()
    assert {m for _, m, _ in found} == {str(m) for m in shapes.objects(None, SHACL.message)}  # each one fired
    by_focus = {f for f, _, _ in found}
    assert {str(n("wiki")), str(n("mine"))} <= by_focus  # instances of subclasses (the ontology's, the
    # graph's own) are targets (they have no name) ...
    assert not any(f == str(n("ep2")) and "cited" in m for f, m, _ in found)  # ... and a valid cited thing


def test_a_broken_graph_is_reported(sample_kg):
    g = sample_kg.to_rdflib()
    episode = next(g.subjects(predicate=None, object=SDO.PodcastEpisode))
    g.add((episode, SDO.name, Literal("A second name")))
    g.remove((episode, SDO.url, None))
    g.add((episode, SDO.url, Literal("not an IRI")))
    violations = validate_graph(g)
    assert {v.path for v in violations if v.focus == str(episode)} >= {str(SDO.name), str(SDO.url)}
    assert all(v.message for v in violations)
    assert any(v.value == "not an IRI" for v in violations)


def test_a_store_is_checked_in_place(sample_kg):
    """The store's own checks: one per constraint of the shapes, none needing an rdflib copy."""
    shapes, _ = load_shapes()
    checks = store_checks(sample_kg._store)
    parameters = (SHACL.minCount, SHACL.maxCount, SHACL["class"], SHACL.datatype, SHACL.nodeKind, SHACL.pattern,
                  SHACL.minInclusive, SHACL["or"], SHACL["not"])
    assert len(checks) == sum(1 for p in parameters for _ in shapes.subject_objects(p) if _is_checked(shapes, _[0]))
    assert all(c.query.startswith("SELECT") for c in checks)


def _is_checked(shapes: Graph, shape) -> bool:
    """Constraints inside sh:or / sh:not shapes are part of their parent's check."""
    return (None, RDF.first, shape) not in shapes and (None, SHACL["not"], shape) not in shapes


def test_what_cannot_be_compiled_is_named():
    g = Graph()
    shape = n("shape")
    g.add((shape, RDF.type, SHACL.NodeShape))
    g.add((shape, SHACL.targetClass, SDO.Person))
    prop = BNode()
    g.add((shape, SHACL.property, prop))
    g.add((prop, SHACL.path, SDO.name))
    g.add((prop, SHACL.uniqueLang, Literal(True)))
    with pytest.raises(ShapeError, match="uniqueLang"):
        compile_shapes(g)


def test_logical_and_path_forms_match_pyshacl():
    """Shapes beyond the bundled ones: sequence and alternative paths, sh:in, sh:xone, sh:and,
    lengths, a count above one, and a class hierarchy in the data."""
    shapes = Graph().parse(format="turtle", data="""
        @prefix sh: <http://www.w3.org/ns/shacl#> . @prefix ex: <http://example.org/> .
        @prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
        ex:S a sh:NodeShape ; sh:targetClass ex:C ;
          sh:property [ sh:path ( ex:p ex:q ) ; sh:minCount 2 ; sh:message "seq" ] ;
          sh:property [ sh:path [ sh:alternativePath ( ex:p ex:r ) ] ; sh:in ( ex:a ex:b ) ; sh:message "alt-in" ] ;
          sh:property [ sh:path ex:s ; sh:xone ( [ sh:datatype xsd:integer ] [ sh:minInclusive 10 ] ) ;
                        sh:message "xone" ] ;
          sh:property [ sh:path ex:t ; sh:and ( [ sh:minLength 2 ] [ sh:maxLength 3 ] ) ; sh:message "and" ] ;
          sh:property [ sh:path [ sh:oneOrMorePath ex:u ] ; sh:class ex:D ; sh:message "class+" ] .
    """)
    data = Graph().parse(format="turtle", data="""
        @prefix ex: <http://example.org/> . @prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
        ex:Sub rdfs:subClassOf ex:C .
        ex:x a ex:Sub ; ex:p ex:m ; ex:r ex:c ; ex:s 12, 5, "20"^^<http://www.w3.org/2001/XMLSchema#decimal> ;
             ex:t "a", "ab", "abcd" ; ex:u ex:y .
        ex:m ex:q ex:k .
        ex:y a ex:D ; ex:u ex:z .
        ex:w a ex:C ; ex:p ex:a .
    """)
    from pyshacl import validate

    _, report, _ = validate(data, shacl_graph=shapes, inference="none", allow_warnings=True)
    expected = set()
    for result in report.subjects(SHACL.focusNode, None):
        value = report.value(result, SHACL.value)
        expected.add((str(report.value(result, SHACL.focusNode)), str(report.value(result, SHACL.resultMessage)),
                      "" if value is None else str(value)))
    import pyoxigraph as ox

    store = ox.Store()
    store.load(data.serialize(format="nt", encoding="utf-8"), format=ox.RdfFormat.N_TRIPLES)
    violations = run_checks(store, compile_shapes(shapes, data.subject_objects(RDFS.subClassOf)))
    found = {(v.focus, v.message, v.value) for v in violations}
    assert found == expected
    assert {m for _, m, _ in found} == {"seq", "alt-in", "xone", "and", "class+"}


def test_cli_validate_exit_codes(sample_kg):
    ok = CliRunner().invoke(cli, ["validate", "--store", str(sample_kg.path)])
    assert ok.exit_code == 0 and "Valid" in ok.output


def test_cli_lists_violations_by_kind(sample_kg, tmp_path):
    """A store with 25 nameless people: one kind, 20 of them listed and a count, all with --all."""
    import shutil

    import pyoxigraph as ox

    store = tmp_path / "store"
    shutil.copytree(sample_kg.path, store)
    db = ox.Store(str(store / "oxigraph"))
    people = [str(n(f"nameless-{i:02}")) for i in range(25)]
    for iri in people:
        db.add(ox.Quad(ox.NamedNode(iri), ox.NamedNode(str(RDF.type)), ox.NamedNode(str(SDO.Person))))
    db.flush()
    del db
    short = CliRunner().invoke(cli, ["validate", "--store", str(store)])
    assert short.exit_code == 1
    lines = short.output.splitlines()
    assert lines[0] == "Violation (25): A person (schema:Person) must have exactly one name (schema:name); " \
                       "this one has none or several."
    assert lines[1:21] == [f"  {iri} https://schema.org/name" for iri in people[:20]]
    assert lines[21] == "  ... and 5 more (--all lists every one)"
    assert "25 violation(s) of 1 kind(s)" in short.output
    full = CliRunner().invoke(cli, ["validate", "--store", str(store), "--all"])
    assert full.exit_code == 1
    assert [line.split()[0] for line in full.output.splitlines()[1:26]] == people
    as_json = CliRunner().invoke(cli, ["validate", "--store", str(store), "--json"])
    assert as_json.exit_code == 1
    report = json.loads(as_json.stdout)
    assert report["conforms"] is False and [v["focus"] for v in report["violations"]] == people
    assert {v["path"] for v in report["violations"]} == {str(SDO.name)}
    clean = CliRunner().invoke(cli, ["validate", "--store", str(sample_kg.path), "--json"])
    assert clean.exit_code == 0 and json.loads(clean.stdout) == {"conforms": True, "violations": []}


@pytest.mark.corpus
def test_real_corpus_conforms(real_kg):
    assert real_kg.validate() == []


@pytest.mark.corpus
def test_real_corpus_as_pyshacl_sees_it(real_kg):
    g = real_kg.to_rdflib()
    assert ours(g) == pyshacl_violations(g) == set()

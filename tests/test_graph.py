"""The built graph follows the public contract (../shared/contract.md), on the bundled sample."""

import datetime as dt
from collections import Counter

import pytest
from helpers import SAMPLE, check_shared_references, statistics_mismatches, tiny_site, write_page
from rdflib import Literal, URIRef
from rdflib.compare import isomorphic

from kgraph import KnowledgeGraph
from kgraph.namespaces import SDO, XSD


def titles(kg):
    return {r["t"] for r in kg.query("SELECT ?t WHERE { ?e a schema:PodcastEpisode ; schema:name ?t }")}


def test_every_published_episode_once(sample_kg):
    assert titles(sample_kg) == {
        "Specification Gaming w/ Dr. Priya Raman",
        "Debate and Scalable Oversight w/ Hannah Adeyemi & Tomás Ferreira",
        "Sleeper Agents and Deceptive Alignment w/ Dr. Samuel Oduya",
        "Inside the Transformer w/ Dr. Rosa Delgado",
        "Benchmarks, Contamination, and Saturation w/ Dr. Kwame Mensah",
        "Evaluating Dangerous Capabilities w/ Dr. Ines Moreau",
    }
    skipped = {s["path"]: s["reason"] for s in sample_kg.summary["skipped"]}
    assert skipped["posts/alignmenthour-episodes/alignmenthour-episode-004/index.md"] == "draft"


def test_episode_triples_as_the_contract_says(sample_kg):
    rows = sample_kg.query("""
        SELECT ?url ?d ?show WHERE {
          ?e a schema:PodcastEpisode ; schema:name "Specification Gaming w/ Dr. Priya Raman" ;
             schema:url ?url ; schema:datePublished ?d ; schema:partOfSeries ?s .
          ?s a schema:PodcastSeries ; schema:name ?show .
        }""")
    assert rows == [
        {"url": "https://example-podcasts.org/alignmenthour/e001/", "d": dt.date(2024, 3, 4), "show": "Alignment Hour"}
    ]
    g = sample_kg.to_rdflib()
    dates = list(g.objects(None, SDO.datePublished))
    assert dates and all(isinstance(d, Literal) and d.datatype == XSD.date for d in dates)
    assert all(isinstance(u, URIRef) for u in g.objects(None, SDO.url))


def test_hosts_and_guests(sample_kg):
    rows = sample_kg.query("""
        SELECT ?role ?name WHERE {
          ?e schema:name "Debate and Scalable Oversight w/ Hannah Adeyemi & Tomás Ferreira" .
          { ?e schema:actor ?p BIND("guest" AS ?role) } UNION { ?e schema:author ?p BIND("host" AS ?role) }
          ?p a schema:Person ; schema:name ?name .
        } ORDER BY ?role ?name""")
    assert [(r["role"], r["name"]) for r in rows] == [
        ("guest", "Hannah Adeyemi"),
        ("guest", "Tomás Ferreira"),
        ("host", "Maya Okafor"),
    ]


def test_one_node_per_person_and_no_honorifics(sample_kg):
    names = [r["n"] for r in sample_kg.query("SELECT ?n WHERE { ?p a schema:Person ; schema:name ?n }")]
    assert len(names) == len(set(names))
    assert not [n for n in names if n.startswith(("Dr.", "Dr ", "Prof"))]


def test_chapters(sample_kg):
    rows = sample_kg.query("""
        SELECT ?t ?s WHERE {
          ?e schema:name "Specification Gaming w/ Dr. Priya Raman" ; schema:hasPart ?c .
          ?c a schema:Clip ; schema:name ?t ; schema:startOffset ?s ; schema:position ?n .
        } ORDER BY ?n""")
    assert len(rows) == 7
    assert rows[0]["s"] == 0 and all(isinstance(r["s"], int) for r in rows)
    assert [r["s"] for r in rows] == sorted(r["s"] for r in rows)


def test_papers_are_one_node_per_arxiv_id(sample_kg):
    rows = sample_kg.query("""
        SELECT ?id (COUNT(DISTINCT ?e) AS ?n) WHERE {
          ?w a schema:ScholarlyArticle ; schema:identifier ?id . ?e schema:citation ?w .
        } GROUP BY ?id""")
    ids = {r["id"]: r["n"] for r in rows}
    # cited as /pdf/2203.02155v1 on one page and /abs/2203.02155 on another
    assert ids["arXiv:2203.02155"] == 2
    assert "arXiv:1706.03762" in ids and not [i for i in ids if i.startswith("arXiv:") and "v" in i.split(".")[-1]]
    assert "doi:10.1038/s41586-024-07566-y" in ids


def test_same_video_in_two_url_forms_is_one_node(sample_kg):
    rows = sample_kg.query("""
        SELECT ?w (COUNT(DISTINCT ?e) AS ?n) WHERE { ?w a schema:VideoObject . ?e schema:citation ?w } GROUP BY ?w""")
    assert max(r["n"] for r in rows) == 2


def test_link_to_another_episode_points_at_its_node(sample_kg):
    rows = sample_kg.query("""
        SELECT DISTINCT ?citing WHERE {
          ?target schema:url <https://example-podcasts.org/alignmenthour/e001/> .
          ?e schema:citation ?target ; schema:name ?citing .
        } ORDER BY ?citing""")
    assert [r["citing"] for r in rows] == [
        "Debate and Scalable Oversight w/ Hannah Adeyemi & Tomás Ferreira",
        "Sleeper Agents and Deceptive Alignment w/ Dr. Samuel Oduya",
    ]


def test_work_kinds_and_organizations(sample_kg):
    kinds = {r["k"] for r in sample_kg.query("SELECT DISTINCT ?k WHERE { ?w kg:kind ?k }")}
    assert {"paper", "dataset", "code", "video", "news", "wikipedia"} <= kinds
    pubs = {
        r["n"]
        for r in sample_kg.query(
            "SELECT DISTINCT ?n WHERE { ?w schema:publisher ?o . ?o a schema:Organization ; schema:name ?n }"
        )
    }
    assert {"Reuters", "Anthropic"} <= pubs
    mentioned = {
        r["n"] for r in sample_kg.query("SELECT DISTINCT ?n WHERE { ?e schema:mentions ?o . ?o schema:name ?n }")
    }
    assert "Anthropic" in mentioned


def test_provenance_of_a_citation(sample_kg):
    rows = sample_kg.query("""
        SELECT ?section ?text ?line WHERE {
          ?c a kg:Citation ; kg:cites ?w ; kg:citingPage ?e ; kg:line ?line ; kg:anchorText ?text .
          OPTIONAL { ?c kg:section ?section }
          ?w schema:identifier "arXiv:2401.05566" .
        }""")
    assert rows and all(isinstance(r["line"], int) and r["line"] > 1 for r in rows)


def test_every_entity_has_exactly_one_name(sample_kg):
    rows = sample_kg.query("""
        SELECT ?e (COUNT(DISTINCT ?n) AS ?names) WHERE {
          ?e a ?t . FILTER NOT EXISTS { ?e a kg:Citation } OPTIONAL { ?e schema:name ?n }
        }
        GROUP BY ?e HAVING (COUNT(DISTINCT ?n) != 1)""")
    assert rows == []


def test_citation_records_have_a_label_and_no_name(sample_kg):
    """A citation's label is rdfs:label, so that entity search, which reads every schema:name,
    does not wade through one label per link."""
    rows = sample_kg.query("""
        SELECT ?labels ?names (COUNT(*) AS ?n) WHERE {
          { SELECT ?c (COUNT(?l) AS ?labels) (COUNT(?nm) AS ?names) WHERE {
              ?c a kg:Citation . OPTIONAL { ?c rdfs:label ?l } OPTIONAL { ?c schema:name ?nm }
            } GROUP BY ?c }
        } GROUP BY ?labels ?names""")
    assert [(r["labels"], r["names"]) for r in rows] == [(1, 0)]
    assert rows[0]["n"] > 20


def test_iris_are_stable_across_builds_and_file_order(tmp_path):
    a = KnowledgeGraph.build([SAMPLE], store=tmp_path / "a").to_rdflib()
    b = KnowledgeGraph.build([SAMPLE / "content"], store=tmp_path / "b").to_rdflib()
    assert isomorphic(a, b)
    assert set(a.subjects()) == set(b.subjects())


def test_duplicate_urls_stay_two_episodes_with_a_warning(tmp_path):
    site = tiny_site(tmp_path / "site")
    for n in (1, 2):
        write_page(
            site,
            f"posts/show-episodes/e{n}/index.md",
            f"---\ntitle: Episode {n}\nurl: /show/e001/\ndate: 2024-01-0{n}\ncategories: [Podcast]\n---\nBody\n",
        )
    kg = KnowledgeGraph.build([site], store=tmp_path / "store")
    assert titles(kg) == {"Episode 1", "Episode 2"}
    assert any("share the url" in w for w in kg.summary["warnings"])


@pytest.mark.parametrize("front", ["draft: true", "_build:\n  render: never", "build:\n  render: never"])
def test_unpublished_pages_are_left_out(tmp_path, front):
    site = tiny_site(tmp_path / "site")
    write_page(
        site, "posts/show-episodes/e1/index.md", "---\ntitle: Kept\ndate: 2024-01-01\ncategories: [Podcast]\n---\n"
    )
    write_page(site, "posts/show-episodes/e2/index.md", f"---\ntitle: Hidden\n{front}\ndate: 2024-01-01\n---\n")
    write_page(site, "posts/show-episodes/e3/index.md", "---\ntitle: ''\ndate: 2024-01-01\n---\n")
    kg = KnowledgeGraph.build([site], store=tmp_path / "store")
    assert titles(kg) == {"Kept"}
    assert len(kg.summary["skipped"]) == 2


def test_page_tags_lists_each_pages_tags_once_with_white_space_made_plain(tmp_path):
    site = tiny_site(tmp_path / "site")
    front = "tags:\n  - \"AI\\tSafety\"\n  - '  Evals   and\n    benchmarks '\n  - Interpretability\n  - ''"
    write_page(site, "posts/show-episodes/e1/index.md", f"---\ntitle: One\ndate: 2024-01-01\n{front}\n---\n")
    write_page(site, "posts/show-episodes/e2/index.md", "---\ntitle: Two\ndate: 2024-01-02\ntags: Evals\n---\n")
    write_page(site, "posts/show-episodes/e3/index.md", "---\ntitle: Three\ndate: 2024-01-03\n---\n")
    kg = KnowledgeGraph.build([site], store=tmp_path / "store")
    names = {r["page"]: r["name"] for r in kg.query("SELECT ?page ?name WHERE { ?page schema:name ?name }")}
    by_title = {names[r["page"]]: sorted(r["tags"].split("\t")) for r in kg.query("page-tags")}
    assert by_title == {"One": ["AI Safety", "Evals and benchmarks", "Interpretability"], "Two": ["Evals"]}


def test_references_over_time_counts_every_citation_of_a_dated_page(sample_kg):
    year = {r["p"]: r["d"].year for r in sample_kg.query("SELECT ?p ?d WHERE { ?p schema:datePublished ?d }")}
    kind = {r["w"]: r["k"] for r in sample_kg.query("SELECT ?w ?k WHERE { ?w kg:kind ?k }")}
    truth = Counter()
    for r in sample_kg.query("SELECT ?p ?w WHERE { ?p schema:citation ?w }"):
        if r["p"] in year and r["w"] in kind:
            truth[(year[r["p"]], kind[r["w"]])] += 1
    rows = sample_kg.query("references-over-time")
    assert {(r["year"], r["type"]): r["references"] for r in rows} == truth and len(rows) == len(truth) > 3
    assert [r["year"] for r in rows] == sorted(r["year"] for r in rows)


def test_query_df_and_networkx(sample_kg):
    df = sample_kg.query_df(
        "SELECT ?t ?d WHERE { ?e a schema:PodcastEpisode ; schema:name ?t ; schema:datePublished ?d }"
    )
    assert list(df.columns) == ["t", "d"] and len(df) == 6
    g = sample_kg.to_networkx()
    types = {d["type"] for _, d in g.nodes(data=True)}
    assert {"Show", "Episode", "Person", "Paper", "Organization"} <= types
    assert all(isinstance(d["label"], str) and d["label"] for _, d in g.nodes(data=True))
    relations = {d["relation"] for _, _, d in g.edges(data=True)}
    assert {"citation", "actor", "author", "partOfSeries"} <= relations


def test_construct_gives_pyoxigraph_triples_as_query_does_rdflib_ones(sample_kg):
    import pyoxigraph as ox

    from kgraph.errors import QueryError, QueryRefused

    text = "CONSTRUCT { ?e schema:name ?t } WHERE { ?e a schema:PodcastEpisode ; schema:name ?t }"  # prefixes given
    triples = list(sample_kg.construct(text))
    assert all(isinstance(t, ox.Triple) for t in triples) and len(triples) == 6
    as_rdflib = {(str(s), str(o)) for s, _, o in sample_kg.query(text)}
    assert {(t.subject.value, t.object.value) for t in triples} == as_rdflib
    with pytest.raises(QueryError, match="CONSTRUCT or DESCRIBE"):
        list(sample_kg.construct("SELECT ?s WHERE { ?s ?p ?o }"))
    with pytest.raises(QueryError, match="syntax error"):
        list(sample_kg.construct("CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p "))
    with pytest.raises(QueryRefused):
        sample_kg.construct("CONSTRUCT { ?s ?p ?o } WHERE { SERVICE <http://example.org/sparql> { ?s ?p ?o } }")


def test_counts_stored_at_build_time_match_the_graph(sample_kg):
    assert statistics_mismatches(sample_kg) == []
    top = sample_kg.query("most-cited-works")[0]
    assert top["citations"] == 2  # the sample's most-cited works are each cited by two pages


@pytest.mark.parametrize("words", ["Specification Gaming", "e", "no such title"])
def test_shared_references_against_the_citations(sample_kg, words):
    """Counted per matching page ("e" matches every page), checked against Python's count."""
    rows = check_shared_references(sample_kg, words)
    assert bool(rows) == (words != "no such title")


def test_shared_references_keeps_the_fifty_with_most_in_common(tmp_path):
    """An episode sharing works with more than 50 others: the 50 with most in common are kept."""
    from collections import Counter

    from helpers import load_synth, shared_references_truth

    from kgraph import KnowledgeGraph
    from kgraph.build import build_store

    load_synth().main(["150", str(tmp_path / "site"), "--seed", "3"])
    build_store([tmp_path / "site"], tmp_path / "store", incremental=False)
    kg = KnowledgeGraph.open(tmp_path / "store")
    partners = Counter(page for page, _ in shared_references_truth(kg, ""))
    page, n = partners.most_common(1)[0]
    assert n > 50
    title = kg.query(f"SELECT ?t WHERE {{ <{page}> schema:name ?t }}")
    rows = check_shared_references(kg, title[0]["t"])
    assert len(rows) == 50 and {r["page"] for r in rows} == {page}


def test_entity_roles_are_taken_role_by_role_past_1000(tmp_path):
    """Roles sort as they are named, and the 1,000 rows are the first of that order: an
    organization named on 1,005 pages never reaches its last role (publisher of a cited work,
    which the query then skips), one named on 600 fills the rest with it."""
    from collections import Counter

    from kgraph.explain import ROLE_ROWS
    from kgraph.query import bundled_queries

    assert f"?earlier < {ROLE_ROWS}" in bundled_queries()["entity-roles"].text
    site = tiny_site(tmp_path / "site")
    for i in range(1005):
        openai = "We talked about OpenAI." if i < 600 else ""
        write_page(site, f"posts/show-episodes/e{i:04d}/index.md", (
            f"---\ntitle: Episode {i:04d}\ndate: 2021-01-01\ncategories: [Podcast]\n---\n\n{openai}\n\n"
            "## Links\n- [A post](https://openai.com/index/a-post/)\n"
            "- [Reuters article](https://www.reuters.com/technology/a-story-2024-01-01/)\n"
        ))
    kg = KnowledgeGraph.build([site], store=tmp_path / "store")
    roles = {org: Counter(r["role"] for r in kg.query("entity-roles", {"entity": f"https://w3id.org/kgraph/id/org/{org}"}))
             for org in ("openai", "reuters")}
    assert roles["openai"] == {"named on the page": 600, "publisher of a cited work": ROLE_ROWS - 600}
    assert roles["reuters"] == {"named on the page": ROLE_ROWS}
    publishes = "SELECT (COUNT(*) AS ?n) WHERE { ?w schema:publisher <https://w3id.org/kgraph/id/org/reuters> }"
    assert kg.query(publishes)[0]["n"] == 1  # so it had a last role to skip


def test_entity_pages_list_the_newest_1000_links_and_count_them_all(tmp_path):
    """A work linked from more pages than the entity queries list (1,000 links; 1,000 page and
    role rows): the newest are listed, and the total is still right."""
    from click.testing import CliRunner

    from kgraph.cli import cli
    from kgraph.explain import ROLE_ROWS
    from kgraph.query import bundled_queries

    assert f"LIMIT {ROLE_ROWS}" in bundled_queries()["entity-roles"].text
    site = tiny_site(tmp_path / "site")
    start, n = dt.date(2020, 1, 1), 1005
    for i in range(n):
        day = start + dt.timedelta(days=i)
        write_page(site, f"posts/show-episodes/e{i:04d}/index.md", (
            f"---\ntitle: Episode {i:04d}\ndate: {day.isoformat()}\ncategories: [Podcast]\n---\n\n"
            "## Links\n- [A Common Paper](https://arxiv.org/abs/2401.05566)\n"
        ))
    kg = KnowledgeGraph.build([site], store=tmp_path / "store")
    work = kg.query("SELECT ?w WHERE { ?w schema:identifier \"arXiv:2401.05566\" }")[0]["w"]
    rows = kg.query("entity-citations", {"entity": work})
    assert len(rows) == 1000 and {r["pages"] for r in rows} == {n}
    dates = [r["date"] for r in rows]
    assert dates == sorted(dates, reverse=True) and min(dates) == start + dt.timedelta(days=n - 1000)
    roles = kg.query("entity-roles", {"entity": "https://w3id.org/kgraph/id/org/arxiv"})
    assert len(roles) == ROLE_ROWS
    assert {(r["role"], r["via"]) for r in roles} == {("publisher of a cited work", "A Common Paper")}
    from kgraph.app import data

    details = data.entity_details(kg, data.build_index(kg), work)  # what the entity page shows
    assert details.citing_pages == n and len(details.citations) == 1000
    said = CliRunner().invoke(cli, ["explain", work, "--store", str(tmp_path / "store")]).output
    assert f"cited by {n} page(s) (the newest 1000 listed):" in said
    assert f"named on (the first {ROLE_ROWS} pages and roles):" not in said  # a work is named by no page
    said = CliRunner().invoke(cli, ["explain", "https://w3id.org/kgraph/id/org/arxiv", "--store",
                                    str(tmp_path / "store")]).output
    assert f"named on (the first {ROLE_ROWS} pages and roles):" in said

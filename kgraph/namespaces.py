"""The only place IRIs are spelled: schema.org, the project's ontology, instance IRIs.

Closed namespaces, so a typo in a term fails at import rather than producing a silent,
unqueryable predicate.
"""

from __future__ import annotations

from rdflib import RDF, RDFS, XSD, Namespace
from rdflib.namespace import SDO, DefinedNamespace

__all__ = ["SDO", "KG", "ID", "RDF", "RDFS", "XSD", "PREFIXES", "SHACL", "ENTITY_LINKS"]

ID = Namespace("https://w3id.org/kgraph/id/")
SHACL = Namespace("http://www.w3.org/ns/shacl#")


class KG(DefinedNamespace):
    """kgraph's own terms (ontology/kgraph.ttl describes each)."""

    _NS = Namespace("https://w3id.org/kgraph/ontology#")
    _fail = True

    Citation: object  # provenance of one link on one page
    WikipediaArticle: object
    SocialMediaPost: object
    citingPage: object
    cites: object
    section: object
    anchorText: object
    context: object
    line: object
    sourceFile: object
    kind: object
    venue: object
    orgKind: object
    audio: object
    transcript: object
    videoVersion: object
    recordedDate: object
    category: object
    pageKey: object
    host: object
    citationCount: object  # statistics, counted at build time
    pageCount: object
    referenceCount: object
    domain: object


# The predicates by which one entity (show, episode or post, person, organization, work) names
# another: the edges of the entity graph (export.to_networkx: GraphML, the dashboard's
# network). Reading these few is much faster than finding every triple between two entities
# (10,000 episodes: 42 -> 5 s); tests/test_export.py checks that nothing else links two entities.
ENTITY_LINKS = (
    SDO.citation, SDO.mentions, SDO.actor, SDO.author, SDO.publisher, SDO.affiliation, SDO.partOfSeries,
)

PREFIXES = {
    "schema": str(SDO),
    "kg": str(KG._NS),
    "kgid": str(ID),
    "rdf": str(RDF),
    "rdfs": str(RDFS),
    "xsd": str(XSD),
    "owl": "http://www.w3.org/2002/07/owl#",
    "sh": str(SHACL),
}

"""SHACL validation of a graph against ontology/shapes.ttl, run as SPARQL where the graph lives.

The shapes are compiled to one query per constraint (kgraph.shacl) and run on the store itself:
an Oxigraph store on disk, a SPARQL server, or an rdflib Graph loaded into an in-memory Oxigraph
store. Nothing copies the graph into rdflib, which at 10,000 episodes would need about 10 GB.
The tests hold the results to pyshacl's on graphs that break every constraint.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from importlib import resources

import pyoxigraph as ox
from rdflib import RDFS, Graph, URIRef

from kgraph.query import run_query
from kgraph.shacl import Check, compile_shapes

__all__ = ["Violation", "validate_store", "validate_graph", "load_shapes", "store_checks", "run_checks"]

MAX_RESULTS = 10_000_000  # rows one check may return: far above any real graph's violations
MAX_PARALLEL = 4  # checks at once: each query worker holds its own view of the store in memory
CHECK_TIMEOUT = 3600.0  # seconds for one check; a check that runs longer says the store is in trouble
_SUBCLASSES = f"SELECT ?sub ?super WHERE {{ ?sub <{RDFS.subClassOf}> ?super }}"


@dataclass(frozen=True)
class Violation:
    focus: str
    path: str
    message: str
    severity: str
    value: str = ""  # the value that fails a value constraint ("" for counts and node constraints)


def load_shapes() -> tuple[Graph, Graph]:
    """(shapes, ontology) as shipped with the package."""
    base = resources.files("kgraph").joinpath("ontology")
    shapes, onto = Graph(), Graph()
    shapes.parse(data=base.joinpath("shapes.ttl").read_text(encoding="utf-8"), format="turtle")
    onto.parse(data=base.joinpath("kgraph.ttl").read_text(encoding="utf-8"), format="turtle")
    return shapes, onto


def store_checks(store) -> list[Check]:
    """The bundled shapes' checks, with classes followed down the ontology's and the store's own
    rdfs:subClassOf statements (as pyshacl does with the ontology mixed into the data)."""
    shapes, onto = load_shapes()
    own = run_query(store, _SUBCLASSES, max_rows=MAX_RESULTS, timeout=None).raw
    pairs = [(URIRef(s[1]), URIRef(o[1])) for s, o in own if _iri(s) and _iri(o)]
    return compile_shapes(shapes, [*onto.subject_objects(RDFS.subClassOf), *pairs])


def _iri(raw: tuple | None) -> bool:
    """An encoded IRI that can go into query text as it is (a server may hold IRIs that
    Oxigraph would refuse, with characters that would end an <...>)."""
    if not raw or raw[0] != "u":
        return False
    try:
        ox.NamedNode(raw[1])
    except ValueError:
        return False
    return True


def validate_store(store, progress: Callable[[str, int, int], None] | None = None) -> list[Violation]:
    """Every SHACL violation in a store (a kgraph Store, RemoteStore or pyoxigraph Store); an
    empty list means the graph conforms. progress(stage, done, total) follows the checks."""
    return run_checks(store, store_checks(store), progress)


def run_checks(store, checks: list[Check], progress: Callable[[str, int, int], None] | None = None) -> list[Violation]:
    """The violations the checks find in a store, sorted by focus node.

    A kgraph or remote store runs up to MAX_PARALLEL checks at once (query worker processes,
    or requests to the server): at 10,000 episodes 21 s on two cores instead of 43 s. A bare
    pyoxigraph store runs them here, one after the other.
    """
    local = isinstance(store, ox.Store)

    def run(check: Check) -> list[tuple]:
        return run_query(store, check.query, max_rows=MAX_RESULTS, timeout=None if local else CHECK_TIMEOUT).raw

    out = set()
    with ThreadPoolExecutor(1 if local else min(os.cpu_count() or 1, MAX_PARALLEL)) as pool:
        for done, (check, rows) in enumerate(zip(checks, pool.map(run, checks), strict=True), start=1):
            if progress:
                progress("checking shapes", done, len(checks))
            for this, value in rows:
                out.add(Violation(_text(this), check.path, check.message, check.severity, _text(value)))
    return sorted(out, key=lambda v: (v.focus, v.path, v.message, v.value))


def validate_graph(data: Graph) -> list[Violation]:
    """validate_store for an rdflib Graph (all its triples, in an in-memory Oxigraph store)."""
    store = ox.Store()
    store.load(data.serialize(format="nt", encoding="utf-8"), format=ox.RdfFormat.N_TRIPLES)
    return validate_store(store)


def _text(raw: tuple | None) -> str:
    """An encoded term (kgraph.query_worker.encode) as text: the IRI, blank node id or value."""
    return "" if raw is None else str(raw[1])


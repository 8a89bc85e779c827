"""SHACL validation of a built graph against ontology/shapes.ttl (with pyshacl)."""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources

from rdflib import Graph

__all__ = ["Violation", "validate_graph", "load_shapes"]


@dataclass(frozen=True)
class Violation:
    focus: str
    path: str
    message: str
    severity: str


def load_shapes() -> tuple[Graph, Graph]:
    """(shapes, ontology) as shipped with the package."""
    base = resources.files("kgraph").joinpath("ontology")
    shapes, onto = Graph(), Graph()
    shapes.parse(data=base.joinpath("shapes.ttl").read_text(encoding="utf-8"), format="turtle")
    onto.parse(data=base.joinpath("kgraph.ttl").read_text(encoding="utf-8"), format="turtle")
    return shapes, onto


def validate_graph(data: Graph) -> list[Violation]:
    """Every SHACL result for data; an empty list means the graph conforms."""
    from pyshacl import validate

    shapes, onto = load_shapes()
    _, report, _ = validate(data, shacl_graph=shapes, ont_graph=onto, inference="none", allow_warnings=True)
    sh = "http://www.w3.org/ns/shacl#"
    out = []
    for result in report.subjects(predicate=None, object=None):
        focus = report.value(result, predicate=_u(sh + "focusNode"))
        if focus is None:
            continue
        path = report.value(result, predicate=_u(sh + "resultPath"))
        msg = report.value(result, predicate=_u(sh + "resultMessage"))
        sev = report.value(result, predicate=_u(sh + "resultSeverity"))
        out.append(Violation(str(focus), str(path or ""), str(msg or ""), str(sev or "").rsplit("#", 1)[-1]))
    return sorted(set(out), key=lambda v: (v.focus, v.path, v.message))


def _u(s: str):
    from rdflib import URIRef

    return URIRef(s)

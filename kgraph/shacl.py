"""SHACL shapes -> SPARQL queries that list their violations, so a graph is checked where it lives.

pyshacl checks an rdflib Graph in memory: at 1,000 episodes that took 127 s and 1 GB, and at
10,000 it would take about 20 minutes and 10 GB. Compiled to SPARQL, each constraint is one
query that Oxigraph (or any SPARQL 1.1 server) answers from its indexes.

Compiled: the SHACL Core that kgraph's shapes use, and its close relatives:
- targets: sh:targetClass (and a shape that is itself a class), sh:targetNode,
  sh:targetSubjectsOf, sh:targetObjectsOf;
- paths: predicate, sh:inversePath, sequence, sh:alternativePath, sh:zeroOrMorePath,
  sh:oneOrMorePath, sh:zeroOrOnePath;
- sh:minCount, sh:maxCount; sh:class, sh:datatype, sh:nodeKind, sh:pattern (+ sh:flags),
  sh:minInclusive, sh:maxInclusive, sh:minExclusive, sh:maxExclusive, sh:minLength,
  sh:maxLength, sh:in; and sh:or, sh:and, sh:not, sh:xone, sh:node of shapes made of those.
Anything else is a ShapeError naming the shape and the constraint, never a constraint that is
silently left out. "Instance of a class" follows rdfs:subClassOf, as SHACL says, through the
class hierarchy the caller passes (kgraph's ontology and the graph's own statements).

Every query is SELECT ?this ?value: the focus node and, for value constraints, the value that
fails. Values a test cannot be evaluated on (a string compared with a number) fail the test,
as in SHACL: each test is wrapped in COALESCE(test, false).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from rdflib import RDF, RDFS, BNode, Graph, Literal, URIRef
from rdflib.collection import Collection
from rdflib.term import Node

from kgraph.errors import KgraphError
from kgraph.namespaces import SHACL as SH

__all__ = ["Check", "ShapeError", "compile_shapes", "class_closure"]

_XSD = "http://www.w3.org/2001/XMLSchema#"


class ShapeError(KgraphError):
    """A shape uses a part of SHACL that kgraph cannot compile to SPARQL."""


@dataclass(frozen=True)
class Check:
    """One constraint of one shape, and the query that lists the nodes breaking it."""

    shape: str
    path: str  # "" for a constraint on the focus node itself
    component: str  # the constraint's SHACL name: "minCount", "class", "or", ...
    message: str
    severity: str  # Violation, Warning or Info
    query: str  # SELECT ?this ?value


# Lexical forms of the datatypes a shape is likely to ask for: a value "abc"^^xsd:integer has the
# datatype asked for but is not an integer, and SHACL counts it as a violation.
_LEXICAL = {
    "integer": r"^[+-]?[0-9]+$",
    "decimal": r"^[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)$",
    "boolean": r"^(true|false|1|0)$",
    "date": r"^-?[0-9]{4,}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])(Z|[+-][0-9]{2}:[0-9]{2})?$",
    "dateTime": r"^-?[0-9]{4,}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?"
    r"(Z|[+-][0-9]{2}:[0-9]{2})?$",
}
_NODE_KINDS = {
    SH.IRI: "isIRI({v})",
    SH.BlankNode: "isBlank({v})",
    SH.Literal: "isLiteral({v})",
    SH.BlankNodeOrIRI: "!isLiteral({v})",
    SH.BlankNodeOrLiteral: "!isIRI({v})",
    SH.IRIOrLiteral: "!isBlank({v})",
}
_COMPARISONS = {SH.minInclusive: ">=", SH.maxInclusive: "<=", SH.minExclusive: ">", SH.maxExclusive: "<"}
_LENGTHS = {SH.minLength: ">=", SH.maxLength: "<="}
_LOGICAL = (SH["or"], SH["and"], SH["xone"], SH["not"], SH.node)
_VALUE_PARTS = (SH["class"], SH.datatype, SH.nodeKind, SH.pattern, SH["in"], *_COMPARISONS, *_LENGTHS, *_LOGICAL)
_COUNTS = (SH.minCount, SH.maxCount)
# Parameters of other components, and what a shape may say about itself
_IGNORED = {
    SH.path, SH.message, SH.severity, SH.name, SH.description, SH.order, SH.group, SH.defaultValue,
    SH.flags, SH.deactivated, SH.targetClass, SH.targetNode, SH.targetSubjectsOf,
    SH.targetObjectsOf, RDF.type, RDFS.comment, RDFS.label, RDFS.seeAlso,
}


def compile_shapes(shapes: Graph, hierarchy: Iterable[tuple[Node, Node]] = ()) -> list[Check]:
    """One Check per constraint of every shape with targets. hierarchy: (subclass, superclass)
    pairs besides the shapes graph's own; a ShapeError names what cannot be compiled."""
    closure = class_closure([*hierarchy, *shapes.subject_objects(RDFS.subClassOf)])
    compiler = _Compiler(shapes, closure)
    checks: list[Check] = []
    for shape in sorted(_shapes_with_targets(shapes), key=str):
        if shapes.value(shape, SH.deactivated) == Literal(True):
            continue
        targets = compiler.targets(shape)
        checks += compiler.shape_checks(shape, targets, nested=True)
        for prop in sorted(shapes.objects(shape, SH.property), key=str):
            if shapes.value(prop, SH.deactivated) != Literal(True):
                checks += compiler.shape_checks(prop, targets, owner=shape)
    return checks


def class_closure(pairs: Iterable[tuple[Node, Node]]) -> dict[Node, set[Node]]:
    """Class -> itself and every class below it (rdfs:subClassOf, followed transitively)."""
    below: dict[Node, set[Node]] = {}
    for sub, sup in pairs:
        below.setdefault(sup, set()).add(sub)
    closure: dict[Node, set[Node]] = {}
    for cls in below:
        seen, todo = {cls}, [cls]
        while todo:
            for sub in below.get(todo.pop(), ()):
                if sub not in seen:
                    seen.add(sub)
                    todo.append(sub)
        closure[cls] = seen
    return closure


def _shapes_with_targets(g: Graph) -> set[Node]:
    found = {s for p in (SH.targetClass, SH.targetNode, SH.targetSubjectsOf, SH.targetObjectsOf) for s in g.subjects(p)}
    # a shape that is also a class targets that class's instances (implicit class target)
    found |= {s for s in g.subjects(RDF.type, SH.NodeShape) if (s, RDF.type, RDFS.Class) in g}
    return found


class _Compiler:
    """Turns one shapes graph into SPARQL; holds the class hierarchy and fresh variable names."""

    def __init__(self, g: Graph, closure: dict[Node, set[Node]]):
        self.g = g
        self.closure = closure
        self._names = itertools.count()

    # --- targets and paths ---------------------------------------------------------------

    def targets(self, shape: Node) -> str:
        """A pattern that binds ?this to the focus nodes of the shape (one of them possibly more
        than once: _focus_nodes makes them a set)."""
        g = self.g
        parts = [f"{{ {self.instance('?this', [c])} }}" for c in g.objects(shape, SH.targetClass)]
        if (shape, RDF.type, RDFS.Class) in g:
            parts.append(f"{{ {self.instance('?this', [shape])} }}")
        nodes = list(g.objects(shape, SH.targetNode))
        if nodes:
            parts.append(f"{{ VALUES ?this {{ {' '.join(_term(n) for n in nodes)} }} }}")
        parts += [f"{{ ?this {_term(p)} [] }}" for p in g.objects(shape, SH.targetSubjectsOf)]
        parts += [f"{{ [] {_term(p)} ?this }}" for p in g.objects(shape, SH.targetObjectsOf)]
        return " UNION ".join(sorted(parts))

    def instance(self, var: str, classes: Iterable[Node]) -> str:
        """A pattern that holds when var is a SHACL instance of one of classes."""
        types = sorted({_term(c) for cls in classes for c in self.closure.get(cls, {cls}) if not isinstance(c, BNode)})
        name = self.fresh("class")
        return f"{var} <{RDF.type}> {name} . VALUES {name} {{ {' '.join(types)} }}"

    def path(self, node: Node) -> str:
        """A SHACL path as a SPARQL property path."""
        g = self.g
        if isinstance(node, URIRef):
            return _term(node)
        if (node, RDF.first, None) in g:
            return "(" + "/".join(self.path(p) for p in Collection(g, node)) + ")"
        for predicate, form in ((SH.inversePath, "^({})"), (SH.zeroOrMorePath, "({})*"),
                                (SH.oneOrMorePath, "({})+"), (SH.zeroOrOnePath, "({})?")):
            inner = g.value(node, predicate)
            if inner is not None:
                return form.format(self.path(inner))
        alternatives = g.value(node, SH.alternativePath)
        if alternatives is not None:
            return "(" + "|".join(self.path(p) for p in Collection(g, alternatives)) + ")"
        raise ShapeError(f"SHACL shapes: a path kgraph cannot read ({node!r})")

    def fresh(self, stem: str) -> str:
        return f"?{stem}{next(self._names)}"

    # --- one shape's checks --------------------------------------------------------------

    def shape_checks(
        self, shape: Node, targets: str, nested: bool = False, owner: Node | None = None
    ) -> Iterator[Check]:
        """The checks of a shape's own constraints (nested: its sh:property shapes are compiled
        by the caller, with the same targets; owner: the node shape a property shape is of)."""
        g = self.g
        path_node = g.value(shape, SH.path)
        path = self.path(path_node) if path_node is not None else None
        shown = "" if path_node is None else str(path_node) if isinstance(path_node, URIRef) else path
        message = g.value(shape, SH.message)
        severity = str(g.value(shape, SH.severity) or SH.Violation).rsplit("#", 1)[-1]
        allowed = (*_VALUE_PARTS, *(_COUNTS if path else ()), *((SH.property,) if nested else ()))
        self.check_known(shape, allowed)
        for component in sorted(set(g.predicates(shape)) & {*_VALUE_PARTS, *_COUNTS}, key=str):
            name = component.rsplit("#", 1)[-1]
            for value in g.objects(shape, component):
                query = self.query(shape, component, value, path, targets)
                text = str(message) if message is not None else f"{name} constraint of {_short(shape)} not met"
                yield Check(_short(owner if owner is not None else shape), shown, name, text, severity, query)

    def check_known(self, shape: Node, allowed: tuple) -> None:
        for p in set(self.g.predicates(shape)) - {*allowed, *_IGNORED}:
            raise ShapeError(f"SHACL shapes: {_short(shape)} uses {p}, which kgraph's validator does not support")

    def query(self, shape: Node, component: Node, value: Node, path: str | None, targets: str) -> str:
        if component == SH.minCount:
            return _min_count(int(value), path, targets)
        if component == SH.maxCount:
            return _max_count(int(value), path, targets)
        classes = self.class_alternatives(component, value)
        if classes is not None:  # a set of classes: one anti-join, not one look-up per value
            return _failing_values(path, targets, f"MINUS {{ {self.instance('?value', classes)} }}")
        test = self.value_test(shape, component, value, "?value")
        return _failing_values(path, targets, f"FILTER(!COALESCE({test}, false))")

    def class_alternatives(self, component: Node, value: Node) -> list[Node] | None:
        """The classes a value must be an instance of one of, when that is all the constraint says
        (sh:class C, or sh:or of shapes that each only say sh:class)."""
        if component == SH["class"]:
            return [value]
        if component != SH["or"]:
            return None
        classes = []
        for alternative in Collection(self.g, value):
            said = set(self.g.predicates(alternative)) - {RDF.type}
            if said != {SH["class"]}:
                return None
            classes += self.g.objects(alternative, SH["class"])
        return classes

    # --- value tests (SPARQL expressions true when the value conforms) ---------------------

    def value_test(self, shape: Node, component: Node, value: Node, v: str) -> str:
        if component == SH["class"]:
            return f"EXISTS {{ {self.instance(v, [value])} }}"
        if component == SH.datatype:
            return _datatype_test(value, v)
        if component == SH.nodeKind:
            if value not in _NODE_KINDS:
                raise ShapeError(f"SHACL shapes: {_short(shape)} has an unknown sh:nodeKind {value}")
            return _NODE_KINDS[value].format(v=v)
        if component == SH.pattern:
            flags = self.g.value(shape, SH.flags)
            extra = f", {_string(str(flags))}" if flags is not None else ""
            return f"(!isBlank({v}) && REGEX(STR({v}), {_string(str(value))}{extra}))"
        if component in _COMPARISONS:
            return f"({v} {_COMPARISONS[component]} {_term(value)})"
        if component in _LENGTHS:
            return f"(!isBlank({v}) && STRLEN(STR({v})) {_LENGTHS[component]} {int(value)})"
        if component == SH["in"]:
            return "(" + " || ".join(f"sameTerm({v}, {_term(t)})" for t in Collection(self.g, value)) + ")"
        if component == SH.node:
            return self.conforms(value, v)
        if component == SH["not"]:
            return f"!{self.conforms(value, v)}"
        parts = [self.conforms(s, v) for s in Collection(self.g, value)]
        if component == SH["or"]:
            return "(" + " || ".join(parts) + ")"
        if component == SH["and"]:
            return "(" + " && ".join(parts) + ")"
        return "(" + " + ".join(f"IF({p}, 1, 0)" for p in parts) + " = 1)"  # sh:xone

    def conforms(self, shape: Node, v: str) -> str:
        """True when the node v conforms to a shape made only of value constraints."""
        self.check_known(shape, allowed=_VALUE_PARTS)
        tests = [
            f"COALESCE({self.value_test(shape, c, value, v)}, false)"
            for c in sorted(set(self.g.predicates(shape)) & set(_VALUE_PARTS), key=str)
            for value in self.g.objects(shape, c)
        ]
        return "(" + (" && ".join(tests) or "true") + ")"


def _focus_nodes(targets: str) -> str:
    """A subquery binding ?this to each focus node once."""
    return f"{{ SELECT DISTINCT ?this WHERE {{ {targets} }} }}"


def _failing_values(path: str | None, targets: str, condition: str) -> str:
    """The focus nodes and values for which condition (a FILTER or MINUS on ?value) holds. The
    failing values are found first, and only those are checked to be of a focus node: in a
    graph that conforms there are none, and joining with all the targets read them all for
    nothing (300,000 citations at 10,000 episodes: 1.6 -> 0.4 s a check). The price is one
    look-up per failing value, where a hash join read the targets once: about 2.5 times as long
    when a constraint fails on all of them."""
    if path is None:  # a constraint on the focus node itself
        return f"SELECT ?this ?value WHERE {{ {_focus_nodes(targets)} BIND(?this AS ?value) {condition} }}"
    values = f"SELECT DISTINCT ?this ?value WHERE {{ ?this {path} ?value {condition} }}"
    return f"SELECT ?this ?value WHERE {{ {{ {values} }} FILTER EXISTS {{ {targets} }} }}"


def _min_count(n: int, path: str | None, targets: str) -> str:
    if n <= 0:
        return "SELECT ?this ?value WHERE { FILTER(false) }"
    focus = _focus_nodes(targets)
    if n == 1:
        return f"SELECT ?this ?value WHERE {{ {focus} MINUS {{ ?this {path} ?value }} }}"
    return (f"SELECT ?this ?value WHERE {{ {{ SELECT ?this WHERE {{ {focus} OPTIONAL {{ ?this {path} ?v }} }} "
            f"GROUP BY ?this HAVING (COUNT(DISTINCT ?v) < {n}) }} }}")


def _max_count(n: int, path: str | None, targets: str) -> str:
    """As _failing_values: the nodes with too many values first, then whether each is a focus
    node. Not for a maximum of 0 (a property the targets must not have): every node with the
    property is then a candidate, often many more than the targets (all 115,000 names against
    300,000 citations: 4.5 s in look-ups), so both sides are read once and joined by hashing."""
    if n == 0:
        holders = f"{{ SELECT DISTINCT ?this WHERE {{ ?this {path} ?v }} }}"
        return f"SELECT ?this ?value WHERE {{ {holders} {_focus_nodes(targets)} }}"
    return (f"SELECT ?this ?value WHERE {{ {{ SELECT ?this WHERE {{ ?this {path} ?v }} GROUP BY ?this "
            f"HAVING (COUNT(DISTINCT ?v) > {n}) }} FILTER EXISTS {{ {targets} }} }}")


def _datatype_test(datatype: Node, v: str) -> str:
    if datatype == RDF.langString:
        return f"(isLiteral({v}) && lang({v}) != \"\")"
    test = f"(isLiteral({v}) && datatype({v}) = {_term(datatype)}"
    lexical = _LEXICAL.get(str(datatype)[len(_XSD):]) if str(datatype).startswith(_XSD) else None
    if lexical:
        test += f" && REGEX(STR({v}), {_string(lexical)})"
    return test + ")"


def _term(node: Node) -> str:
    if isinstance(node, URIRef):
        return f"<{node}>"
    if isinstance(node, Literal):
        return node.n3()
    raise ShapeError(f"SHACL shapes: a blank node ({node}) where kgraph's validator needs an IRI or a literal")


def _string(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\r", "\\r")
    return f'"{escaped}"'


def _short(node: Node) -> str:
    return str(node) if isinstance(node, URIRef) else f"_:{node}"

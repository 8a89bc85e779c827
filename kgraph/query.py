"""SPARQL over the store: safety checks, bundled queries, results as Python values.

Queries are read-only and local: SPARQL Update, SERVICE, LOAD and FROM of anything but the
store's own graphs are refused before the query runs, so a query typed into the dashboard
cannot reach the network or change the graph. Bundled queries are data: `queries/*.rq`, each
with a header of `# key: value` lines (title, description, param).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

import pyoxigraph as ox

from kgraph.errors import QueryError
from kgraph.namespaces import ID, PREFIXES
from kgraph.store import from_ox

__all__ = ["Result", "BundledQuery", "bundled_queries", "resolve_query", "check_query", "run_query", "MAX_ROWS"]

MAX_ROWS = 100_000
_FORBIDDEN = {
    "SERVICE": "SERVICE (federated queries reach the network)",
    "LOAD": "LOAD (reads remote documents)",
    "INSERT": "updates (the graph is read-only here; rebuild it with `kgraph build`)",
    "DELETE": "updates (the graph is read-only here; rebuild it with `kgraph build`)",
    "CLEAR": "updates", "DROP": "updates", "CREATE": "updates", "ADD": "updates",
    "MOVE": "updates", "COPY": "updates",
}
_TOKEN = re.compile(
    r"(?P<comment>#[^\n]*)|(?P<string>'''.*?'''|\"\"\".*?\"\"\"|'(?:[^'\\\n]|\\.)*'|\"(?:[^\"\\\n]|\\.)*\")"
    r"|(?P<iri><[^<>\"{}|^`\\\s]*>)|(?P<word>[A-Za-z_][\w-]*)|(?P<other>\S)",
    re.S,
)


@dataclass
class Result:
    """A query's answer: kind is select, ask or graph; rows hold Python values."""

    kind: str
    variables: list[str] = field(default_factory=list)
    rows: list[dict] = field(default_factory=list)
    terms: list[list] = field(default_factory=list)  # rdflib terms, same order as rows
    boolean: bool | None = None
    triples: list[tuple] = field(default_factory=list)

    def to_csv(self) -> str:
        """W3C SPARQL 1.1 Query Results CSV (for ASK: one 'boolean' column)."""
        out = io.StringIO()
        w = csv.writer(out, lineterminator="\r\n")
        if self.kind == "ask":
            w.writerow(["boolean"])
            w.writerow(["true" if self.boolean else "false"])
        elif self.kind == "graph":
            w.writerow(["subject", "predicate", "object"])
            w.writerows([[str(t) for t in triple] for triple in self.triples])
        else:
            w.writerow(self.variables)
            for row in self.terms:
                w.writerow(["" if t is None else str(t) for t in row])
        return out.getvalue()

    def to_json(self) -> str:
        """W3C SPARQL 1.1 Query Results JSON (graph results: JSON-LD-free N-Triples list)."""
        if self.kind == "ask":
            return json.dumps({"head": {}, "boolean": bool(self.boolean)})
        if self.kind == "graph":
            return json.dumps({"triples": [[t.n3() for t in triple] for triple in self.triples]}, ensure_ascii=False)
        bindings = []
        for row in self.terms:
            b = {}
            for var, term in zip(self.variables, row, strict=True):
                if term is not None:
                    b[var] = _json_term(term)
            bindings.append(b)
        return json.dumps({"head": {"vars": self.variables}, "results": {"bindings": bindings}}, ensure_ascii=False)


def _json_term(term) -> dict:
    from rdflib import BNode, Literal

    if isinstance(term, Literal):
        d = {"type": "literal", "value": str(term)}
        if term.language:
            d["xml:lang"] = term.language
        elif term.datatype and str(term.datatype) != "http://www.w3.org/2001/XMLSchema#string":
            d["datatype"] = str(term.datatype)
        return d
    if isinstance(term, BNode):
        return {"type": "bnode", "value": str(term)}
    return {"type": "uri", "value": str(term)}


@dataclass(frozen=True)
class BundledQuery:
    name: str
    title: str
    description: str
    text: str
    params: dict[str, str]  # name -> what it means (and its default after '=')


def bundled_queries() -> dict[str, BundledQuery]:
    """The queries shipped in kgraph/queries, by name (the file name without .rq)."""
    found = {}
    for entry in sorted(resources.files("kgraph").joinpath("queries").iterdir(), key=lambda e: e.name):
        if entry.name.endswith(".rq"):
            found[entry.name[:-3]] = _parse_rq(entry.name[:-3], entry.read_text(encoding="utf-8"))
    return found


def _parse_rq(name: str, text: str) -> BundledQuery:
    header = {"title": name, "description": ""}
    params = {}
    for line in text.splitlines():
        m = re.match(r"^#\s*(\w+):\s*(.*)$", line)
        if not line.startswith("#"):
            break
        if m and m.group(1) == "param":
            pname, _, desc = m.group(2).partition(" ")
            params[pname] = desc.strip(" -")
        elif m:
            header[m.group(1)] = m.group(2).strip()
    return BundledQuery(name, header["title"], header["description"], text, params)


def resolve_query(query: str) -> tuple[str, BundledQuery | None]:
    """QUERY as the CLI takes it: a bundled query's name, a .rq file path, or SPARQL text."""
    bundled = bundled_queries()
    if query in bundled:
        return bundled[query].text, bundled[query]
    if query.endswith(".rq") or ("\n" not in query and len(query) < 4096 and Path(query).is_file()):
        try:
            return Path(query).read_text(encoding="utf-8"), None
        except (OSError, UnicodeDecodeError) as e:
            raise QueryError(f"{query}: cannot read query file: {e}") from None
    if re.fullmatch(r"[\w-]+", query.strip()):
        raise QueryError(f"{query}: no bundled query of that name (try `kgraph query --list`)")
    return query, None


def check_query(text: str) -> None:
    """Refuse what could write, reach the network or read outside the store."""
    words = []
    prev = ""
    for m in _TOKEN.finditer(text):
        if m.lastgroup == "word":
            w = m.group().upper()
            if w in _FORBIDDEN and prev not in (":",):
                raise QueryError(f"query refused: {_FORBIDDEN[w]} is not allowed")
            words.append(w)
        elif m.lastgroup == "iri" and words and (words[-1] == "FROM" or words[-2:] == ["FROM", "NAMED"]):
            iri = m.group()[1:-1]
            if not iri.startswith(str(ID)):
                raise QueryError(f"query refused: FROM <{iri}> names a graph outside this store")
            words.append("IRI")
        prev = m.group() if m.lastgroup == "other" else ""


def bind_params(text: str, params: dict[str, str]) -> str:
    """Bind parameters as string literals with a VALUES block at the top of the WHERE group.

    Values are escaped as SPARQL string literals (never spliced as query text), so a parameter
    cannot change the query's shape. Oxigraph's own substitutions only reach projected variables.
    """
    if not params:
        return text
    for name in params:
        if not re.fullmatch(r"[A-Za-z_]\w*", name):
            raise QueryError(f"parameter name {name!r}: use letters, digits and _")
    values = " ".join(f"VALUES ?{k} {{ {json.dumps(str(v), ensure_ascii=False)} }}" for k, v in params.items())
    tokens = list(_TOKEN.finditer(text))
    has_where = any(m.lastgroup == "word" and m.group().upper() == "WHERE" for m in tokens)
    seen_where = not has_where  # "SELECT * { ... }" has no WHERE keyword
    for m in tokens:
        if m.lastgroup == "word" and m.group().upper() == "WHERE":
            seen_where = True
        elif seen_where and m.lastgroup == "other" and m.group() == "{":
            return text[: m.end()] + " " + values + " " + text[m.end():]
    raise QueryError("cannot bind parameters: the query has no WHERE { ... } group")


def _prefix_block(text: str) -> str:
    declared = {m.group(1) for m in re.finditer(r"PREFIX\s+([\w-]*):", text, re.I)}
    return "".join(f"PREFIX {p}: <{iri}>\n" for p, iri in PREFIXES.items() if p not in declared)


def run_query(db: ox.Store, text: str, params: dict[str, str] | None = None, max_rows: int = MAX_ROWS) -> Result:
    """Run a read-only SPARQL query against the store, all graphs seen as one."""
    check_query(text)
    full = _prefix_block(text) + text
    offset = full.count("\n") - text.count("\n")
    full = bind_params(full, params or {})
    try:
        answer = db.query(full, use_default_graph_as_union=True)
    except SyntaxError as e:
        raise QueryError(f"SPARQL syntax error: {_shift_position(str(e), offset)}") from None
    except (OSError, ValueError, RuntimeError) as e:
        raise QueryError(f"query failed: {e}") from None
    if isinstance(answer, ox.QueryBoolean):
        return Result("ask", boolean=bool(answer))
    if isinstance(answer, ox.QueryTriples):
        triples = []
        for t in answer:
            triples.append((from_ox(t.subject), from_ox(t.predicate), from_ox(t.object)))
            if len(triples) > max_rows:
                raise QueryError(f"query returned more than {max_rows} triples; add a LIMIT")
        return Result("graph", triples=triples)
    variables = [v.value for v in answer.variables]
    result = Result("select", variables=variables)
    try:
        for solution in answer:
            terms = [from_ox(solution[v]) for v in variables]
            result.terms.append(terms)
            result.rows.append({v: _py(t) for v, t in zip(variables, terms, strict=True)})
            if len(result.rows) > max_rows:
                raise QueryError(f"query returned more than {max_rows} rows; add a LIMIT")
    except (OSError, ValueError, RuntimeError) as e:
        raise QueryError(f"query failed: {e}") from None
    return result


def _shift_position(message: str, offset: int) -> str:
    """Report error positions against the user's text, not the text with prefixes added."""
    def fix(m: re.Match) -> str:
        return f"line {max(1, int(m.group(1)) - offset)}, column {m.group(2)}"
    return re.sub(r"\b(\d+):(\d+)\b", fix, message, count=1)


def _py(term):
    if term is None:
        return None
    from rdflib import Literal

    if isinstance(term, Literal):
        value = term.toPython()
        if isinstance(value, Literal):
            return str(value)
        return value
    return str(term)


def jsonable(value):
    """A Python value from a row, as JSON can hold it."""
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    return value

"""SPARQL over the store: safety checks, bundled queries, results as Python values.

Queries are read-only and local: SPARQL Update, SERVICE, LOAD and FROM of anything but the
store's own graphs are refused before the query runs, so a query typed into the dashboard
cannot reach the network or change the graph. The check reads the query with the lexical rules
of SPARQL (strings, IRIs with \\u escapes, comments, escaped local names), and the text that
runs is the checked text with its comments removed, so nothing can hide behind a `#` that the
check and Oxigraph would read differently.

Time and size: a query runs in a worker process (kgraph.query_worker) that is killed when it
passes its time limit (DEFAULT_TIMEOUT seconds unless the caller says otherwise; timeout=None
or 0 runs it in this process, without a limit), and it fails with a clear message past
max_rows result rows. Bundled queries are data: `queries/*.rq`, each with a header of
`# key: value` lines (title, description, param).
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

from kgraph.errors import QueryError, QueryRefused, QueryTimeout, TooManyRows
from kgraph.namespaces import ID, PREFIXES
from kgraph.query_worker import WorkerDied, WorkerPool, WorkerTimeout, answer_rows, execute
from kgraph.rdf import has_surrogate
from kgraph.remote import RemoteStore
from kgraph.store import Store

__all__ = [
    "Result", "BundledQuery", "bundled_queries", "resolve_query", "check_query", "prepared_query", "run_query",
    "bind_params", "MAX_ROWS", "DEFAULT_TIMEOUT",
]

MAX_ROWS = 100_000
DEFAULT_TIMEOUT = 30.0  # seconds; the CLI's --timeout and the API's timeout= change it, 0/None removes it
_XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"
_FORBIDDEN = {
    "SERVICE": "SERVICE (federated queries reach the network)",
    "LOAD": "LOAD (reads remote documents)",
    "INSERT": "updates (the graph is read-only here; rebuild it with `kgraph build`)",
    "DELETE": "updates (the graph is read-only here; rebuild it with `kgraph build`)",
    "CLEAR": "updates", "DROP": "updates", "CREATE": "updates", "ADD": "updates",
    "MOVE": "updates", "COPY": "updates",
}
# SPARQL's lexical rules, close enough that anything read here as a string, an IRI or a comment
# is one for Oxigraph too (and comments are removed before the query runs). An `escape` is a
# backslash outside strings and IRIs: legal only in local names (ex:a\'b), so it must not start
# a string here.
_TOKEN = re.compile(
    r"(?P<comment>#[^\n\r]*)"
    r"|(?P<string>'''(?:(?:'|'')?(?:[^'\\]|\\.))*'''|\"\"\"(?:(?:\"|\"\")?(?:[^\"\\]|\\.))*\"\"\""
    r"|'(?:[^'\\\n\r]|\\.)*'|\"(?:[^\"\\\n\r]|\\.)*\")"
    r"|(?P<iri><(?:[^<>\"{}|^`\\\x00-\x20\x7f]|\\u[0-9A-Fa-f]{4}|\\U[0-9A-Fa-f]{8})*>)"
    r"|(?P<escape>\\.)"
    r"|(?P<word>[^\W\d][\w-]*)"
    r"|(?P<other>\S)",
    re.S,
)


@dataclass
class Result:
    """A query's answer: kind is select, ask or graph; rows hold Python values."""

    kind: str
    variables: list[str] = field(default_factory=list)
    raw: list[tuple] = field(default_factory=list)  # query_worker.encode() tuples, same order as rows
    boolean: bool | None = None
    triples: list[tuple] = field(default_factory=list)
    _rows: list[dict] | None = field(default=None, repr=False, compare=False)

    @property
    def rows(self) -> list[dict]:
        """The rows as dicts of Python values, made when first asked for: callers that read the
        raw tuples (validate, the entity graph) need not pay for them (456,000 edges: 1.5 s)."""
        if self._rows is None:
            self._rows = [{v: _value(t) for v, t in zip(self.variables, raw, strict=True)} for raw in self.raw]
        return self._rows

    @property
    def terms(self) -> list[list]:
        """The rows as rdflib terms, for the W3C result formats: built only when asked for, as
        building them costs more than the query on a large result."""
        return [[_term(t) for t in row] for row in self.raw]

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
            triples = [[t.n3() for t in triple] for triple in self.triples]
            return json.dumps({"triples": triples}, ensure_ascii=False)
        bindings = []
        for row in self.terms:
            b = {}
            for var, term in zip(self.variables, row, strict=True):
                if term is not None:
                    b[var] = _json_term(term)
            bindings.append(b)
        head = {"vars": self.variables}
        return json.dumps({"head": head, "results": {"bindings": bindings}}, ensure_ascii=False)


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
    path = Path(query) if "\n" not in query and len(query) < 4096 else None
    if path is not None and (query.endswith(".rq") or path.is_file()):
        if not path.is_file():  # a pipe or device would block the read; a folder is not a query
            raise QueryError(f"{query}: not a query file")
        try:
            return Path(query).read_text(encoding="utf-8"), None
        except (OSError, UnicodeDecodeError) as e:
            raise QueryError(f"{query}: cannot read query file: {e}") from None
    if re.fullmatch(r"[\w-]+", query.strip()):
        raise QueryError(f"{query}: no bundled query of that name (try `kgraph query --list`)")
    return query, None


def check_query(text: str) -> str:
    """Refuse what could write, reach the network or read outside the store; return the text to run.

    The text to run is the query with its comments blanked out (line numbers kept), so the text
    that was checked is the text Oxigraph reads. Raises QueryRefused naming what was refused.
    """
    if has_surrogate(text):
        raise QueryError("query text is not valid Unicode (it holds a lone surrogate)")
    tokens = list(_TOKEN.finditer(text))
    prefixes = dict(PREFIXES)
    for i, m in enumerate(tokens):
        if m.lastgroup != "word" or text[m.start() - 1:m.start()] in ("?", "$", ":", "\\"):
            continue  # a variable, or the local part of a prefixed name
        word = m.group().upper()
        if word.startswith("PREFIX"):
            name, value = _prefix_declaration(tokens, i)
            if name is not None:
                prefixes[name] = value
        if not _is_keyword(text, m):
            continue
        # Oxigraph needs no space between keywords ("SERVICESILENT <...>" runs SERVICE SILENT), and no
        # bare word of SPARQL contains these, so a keyword inside a longer word counts too.
        forbidden = next((k for k in _FORBIDDEN if k in word), None)
        if forbidden:
            raise QueryRefused(f"query refused: {_FORBIDDEN[forbidden]} is not allowed")
        if word.startswith("FROM"):
            _check_from(text, tokens, i, prefixes)
    return _without_comments(text, tokens)


def _without_comments(text: str, tokens: list[re.Match]) -> str:
    pieces, pos = [], 0
    for m in tokens:
        if m.lastgroup == "comment":
            pieces += [text[pos:m.start()], " " * len(m.group())]
            pos = m.end()
    return "".join(pieces) + text[pos:]


def _is_keyword(text: str, m: re.Match) -> bool:
    """A bare word is a keyword unless it is part of a variable or a prefixed name (no space between)."""
    before = text[m.start() - 1] if m.start() else " "
    after = text[m.end()] if m.end() < len(text) else " "
    return before not in "?$:\\" and after != ":"


def _prefix_declaration(tokens: list[re.Match], i: int) -> tuple[str | None, str]:
    """PREFIX name: <iri> at token i -> (name, iri); also glued, as Oxigraph reads "PREFIXex:<iri>"."""
    word, rest = tokens[i].group(), tokens[i + 1:i + 4]
    glued = word[6:]
    if glued and (i == 0 or tokens[i - 1].group().upper() != "PREFIX"):
        if len(rest) >= 2 and rest[0].group() == ":" and rest[0].start() == tokens[i].end() \
                and rest[1].lastgroup == "iri":
            return glued, _iri_value(rest[1].group())
        return None, ""
    if glued:
        return None, ""
    if len(rest) >= 2 and rest[0].group() == ":" and rest[1].lastgroup == "iri":
        return "", _iri_value(rest[1].group())
    if len(rest) == 3 and rest[0].lastgroup == "word" and rest[1].group() == ":" \
            and rest[2].lastgroup == "iri":
        return rest[0].group(), _iri_value(rest[2].group())
    return None, ""


def _check_from(text: str, tokens: list[re.Match], i: int, prefixes: dict[str, str]) -> None:
    """FROM [NAMED] must name one of this store's own graphs (an IRI in kgraph's namespace).

    Oxigraph reads keywords glued together ("FROMNAMED"), so only the plain forms are accepted.
    """
    head, j = tokens[i].group().upper(), i + 1
    if head == "FROM" and j < len(tokens) and tokens[j].group().upper() == "NAMED":
        j += 1
    elif head not in ("FROM", "FROMNAMED"):
        raise QueryRefused("query refused: FROM must name one of this store's graphs by IRI")
    target = tokens[j] if j < len(tokens) else None
    if target is not None and target.lastgroup == "word" and target.group().upper().startswith("NAMED"):
        raise QueryRefused("query refused: FROM must name one of this store's graphs by IRI")
    if target is not None and target.lastgroup == "iri":
        iri = _iri_value(target.group())
    elif target is not None and (target.group() == ":" or target.lastgroup == "word"):
        name = "" if target.group() == ":" else target.group()
        colon = tokens[j + (0 if target.group() == ":" else 1)] if j + 1 < len(tokens) else None
        if colon is None or colon.group() != ":" or name not in prefixes:
            raise QueryRefused("query refused: FROM must name one of this store's graphs by IRI")
        local = tokens[j + (1 if target.group() == ":" else 2)] if j + 2 < len(tokens) else None
        adjacent = local is not None and local.start() == colon.end() and local.lastgroup == "word"
        iri = prefixes[name] + (local.group() if adjacent else "")
    else:
        raise QueryRefused("query refused: FROM must name one of this store's graphs by IRI")
    if not iri.startswith(str(ID)) or "/../" in iri or "\\" in iri:
        raise QueryRefused(f"query refused: FROM <{iri}> names a graph outside this store "
                           f"(only graphs under <{ID}> can be named)")


def _iri_value(token: str) -> str:
    """The IRI an <...> token stands for, with its \\u escapes decoded."""
    def char(m: re.Match) -> str:
        return chr(int(m.group(1) or m.group(2), 16))
    return re.sub(r"\\u([0-9A-Fa-f]{4})|\\U([0-9A-Fa-f]{8})", char, token[1:-1])


def bind_params(text: str, params: dict[str, str]) -> str:
    """Bind parameters as string literals with a VALUES block at the top of the WHERE group.

    Values are escaped as SPARQL string literals (never spliced as query text), so a parameter
    cannot change the query's shape. Oxigraph's own substitutions only reach projected variables.
    """
    if not params:
        return text
    for name, value in params.items():
        if not re.fullmatch(r"[A-Za-z_]\w*", name):
            raise QueryError(f"parameter name {name!r}: use letters, digits and _")
        if has_surrogate(str(value)):
            raise QueryError(f"parameter {name}: the value is not valid Unicode text")
    values = " ".join(f"VALUES ?{k} {{ {json.dumps(str(v), ensure_ascii=False)} }}"
                      for k, v in params.items())
    tokens = list(_TOKEN.finditer(text))
    has_where = any(m.lastgroup == "word" and m.group().upper() == "WHERE" for m in tokens)
    seen_where = not has_where  # "SELECT * { ... }" has no WHERE keyword
    for m in tokens:
        if m.lastgroup == "word" and m.group().upper() == "WHERE":
            seen_where = True
        elif seen_where and m.lastgroup == "other" and m.group() == "{":
            return text[: m.end()] + " " + values + " " + text[m.end():]
    raise QueryError("cannot bind parameters: the query has no WHERE { ... } group")


def prepared_query(text: str) -> tuple[str, int]:
    """(the text Oxigraph runs for a user's query, how many lines the prefixes put before it):
    checked by check_query, with the common prefixes it does not declare itself."""
    runnable = check_query(text)
    full = _prefix_block(runnable) + runnable
    return full, full.count("\n") - runnable.count("\n")


def _prefix_block(text: str) -> str:
    declared = {m.group(1) for m in re.finditer(r"PREFIX\s+([\w-]*):", text, re.I)}
    return "".join(f"PREFIX {p}: <{iri}>\n" for p, iri in PREFIXES.items() if p not in declared)


_POOL = WorkerPool()


def run_query(db: Store | ox.Store, text: str, params: dict[str, str] | None = None, max_rows: int = MAX_ROWS,
              timeout: float | None = None) -> Result:
    """Run a read-only SPARQL query against the store, all graphs seen as one.

    With a timeout (seconds) the query runs in a worker process that is killed when time is up
    (QueryTimeout); that needs a kgraph Store, whose files the worker opens read-only. Without
    one it runs here, on db. More than max_rows rows or triples raise TooManyRows.
    """
    full, offset = prepared_query(text)
    full = bind_params(full, params or {})
    max_rows = max(1, int(max_rows))
    if isinstance(db, RemoteStore):  # server mode: the SPARQL 1.1 Protocol, timeout as the HTTP timeout
        try:
            answer = db.execute(full, max_rows, timeout or None)
        except TimeoutError:
            raise QueryTimeout(f"query stopped: {db.url} did not answer within the time limit of "
                               f"{timeout:g} s (simplify it, add a LIMIT, or raise the limit: --timeout / "
                               "timeout=)") from None
    elif timeout:
        if not isinstance(db, Store):
            raise QueryError("a time limit needs a kgraph store (KnowledgeGraph.open); use timeout=None "
                             "to query a bare pyoxigraph store")
        request = {"db": str(db.db_path), "version": db.version, "query": full, "max_rows": max_rows,
                   "union": db.union}
        try:
            answer = _POOL.run(request, timeout)
        except WorkerTimeout:
            raise QueryTimeout(f"query stopped: it ran longer than the time limit of {timeout:g} s (simplify "
                               "it, add a LIMIT, or raise the limit: --timeout / timeout=)") from None
        except WorkerDied as e:
            raise QueryError(f"query failed: {e}") from None
    else:
        answer = execute(db.db if isinstance(db, Store) else db, full, max_rows, getattr(db, "union", True))
    return _result(answer, offset)


def _result(answer: dict, offset: int) -> Result:
    """Result from execute()'s plain answer, or the QueryError it stands for."""
    error = answer.get("error")
    if error == "syntax":
        raise QueryError(f"SPARQL syntax error: {_shift_position(answer['message'], offset)}")
    if error == "rows":
        raise TooManyRows(f"query returned more than {answer['limit']:,} {answer['what']} (the result cap); "
                          "add a LIMIT or raise the cap: --max-rows / max_rows=")
    if error:
        raise QueryError(f"query failed: {answer['message']}")
    if answer["kind"] == "ask":
        return Result("ask", boolean=answer["boolean"])
    if answer["kind"] == "graph":
        return Result("graph", triples=[tuple(_term(t) for t in triple) for triple in answer["triples"]])
    variables = answer["variables"]
    result = Result("select", variables=variables)
    try:
        result.raw = answer_rows(answer)
    except ValueError as e:
        raise QueryError(f"query failed: {e}") from None
    return result


_XSD = "http://www.w3.org/2001/XMLSchema#"
_INTEGER = re.compile(r"-?[0-9]+")
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def _value(raw: tuple | None):
    """The Python value of an encoded term, as rdflib's toPython gives it (`_py(_term(raw))`),
    with the common cases (IRIs, strings, integers, dates) done directly: through rdflib, 35,000
    rows took 0.6 s more than the query itself."""
    if raw is None:
        return None
    kind = raw[0]
    if kind in ("u", "b"):
        return raw[1]
    if kind == "l":
        value, datatype, lang = raw[1], raw[2], raw[3]
        if lang or datatype == _XSD_STRING:
            return value
        if datatype == _XSD + "integer" and _INTEGER.fullmatch(value):
            return int(value)
        if datatype == _XSD + "date" and _DATE.fullmatch(value):
            try:
                return dt.date.fromisoformat(value)
            except ValueError:
                pass
    return _py(_term(raw))


def _term(raw: tuple | None):
    """rdflib term from query_worker.encode()'s tuple (an RDF-star triple becomes its text)."""
    from rdflib import BNode, Literal, URIRef

    if raw is None:
        return None
    kind = raw[0]
    if kind == "u":
        return URIRef(raw[1])
    if kind == "b":
        return BNode(raw[1])
    if kind == "t":
        return Literal("<< " + " ".join(_term(t).n3() for t in raw[1:]) + " >>")
    value, datatype, lang = raw[1], raw[2], raw[3]
    if lang:
        return Literal(value, lang=lang)
    if datatype == _XSD_STRING:
        return Literal(value)
    return Literal(value, datatype=URIRef(datatype))


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

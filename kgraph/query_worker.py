"""Run SPARQL in a child process, so that a query past its time limit can be stopped.

pyoxigraph evaluates a query in Rust without releasing control to Python: a thread cannot
interrupt it and a signal handler only runs once it returns. A separate process can simply be
killed. This module is both sides of that arrangement:

* `execute()` runs one query on an open pyoxigraph store and returns plain, picklable values
  (the in-process path of kgraph.query uses it too, so both paths give the same answers): a
  SELECT's rows as Oxigraph's own SPARQL TSV, which `tsv_rows()` turns into encode()'s tuples;
* `WorkerPool` (parent side) keeps a few idle worker processes, sends each query to one of them
  and kills it when the time limit passes (a fresh worker is started for the next query);
* run as a script (`python -P query_worker.py`), it is the worker: it imports only pyoxigraph and
  the standard library (no kgraph, no rdflib) so it starts in about a tenth of a second, opens
  stores with `Store.read_only`, and before anything else moves itself into a new network
  namespace where the kernel allows it, so that even a query that slipped past
  kgraph.query.check_query could not reach the network.

Messages are length-prefixed pickles on the worker's stdin and stdout. Pickle is safe here
because both ends are this module and nothing else writes to those pipes.
"""

from __future__ import annotations

import atexit
import os
import pickle
import re
import select
import struct
import subprocess
import sys
import threading
import time

import pyoxigraph as ox

__all__ = ["execute", "encode", "answer_rows", "tsv_rows", "WorkerPool", "WorkerTimeout", "WorkerDied"]

_HEADER = struct.Struct("<Q")
_DATATYPES: dict[str, str] = {}  # at most _MAX_DATATYPES: a store may hold any number of them
_MAX_DATATYPES = 1024
STARTUP_TIMEOUT = 60.0  # seconds for a worker to start; not part of any query's time limit


class WorkerTimeout(Exception):
    """The query ran past its time limit; its worker was killed."""


class WorkerDied(Exception):
    """The worker process ended without answering (crash, out of memory, killed from outside)."""


def encode(term: object) -> tuple | None:
    """A pyoxigraph term as a plain tuple.

    ("u", iri), ("b", id), ("l", value, datatype, lang) or, for an RDF-star triple, ("t", s, p, o).
    """
    if term is None:
        return None
    if isinstance(term, ox.NamedNode):
        return ("u", term.value)
    if isinstance(term, ox.BlankNode):
        return ("b", term.value)
    if isinstance(term, ox.Literal):
        return ("l", term.value, _interned(term.datatype.value), term.language)
    if isinstance(term, ox.Triple):
        return ("t", encode(term.subject), encode(term.predicate), encode(term.object))
    return ("l", str(term), "http://www.w3.org/2001/XMLSchema#string", None)


def _interned(datatype: str) -> str:
    """One str object per datatype IRI: pickle writes each once and then refers to it
    (35,000 rows of tags: 6.1 -> 4.7 MB between worker and parent), and rows read from TSV
    share it."""
    if len(_DATATYPES) < _MAX_DATATYPES:
        return _DATATYPES.setdefault(datatype, datatype)
    return _DATATYPES.get(datatype, datatype)


def execute(db: ox.Store, text: str, max_rows: int, union: bool = True) -> dict:
    """Run one query; returns {"kind": select|ask|graph, ...} or {"error": syntax|failed|rows, ...}.

    union: the default graph is the union of all graphs (stores of version 1 kept each page in
    a named graph); a store with everything in its default graph answers 10-20% faster without."""
    try:
        answer = db.query(text, use_default_graph_as_union=union)
        if isinstance(answer, ox.QueryBoolean):
            return {"kind": "ask", "boolean": bool(answer)}
        if isinstance(answer, ox.QueryTriples):
            triples = []
            for t in answer:
                if len(triples) >= max_rows:
                    return {"error": "rows", "limit": max_rows, "what": "triples"}
                triples.append((encode(t.subject), encode(t.predicate), encode(t.object)))
            return {"kind": "graph", "triples": triples}
        variables = [v.value for v in answer.variables]
        sink = _RowSink(max_rows)
        try:
            answer.serialize(sink, format=ox.QueryResultsFormat.TSV)
        except _TooManyRows:
            return {"error": "rows", "limit": max_rows, "what": "rows"}
        return {"kind": "select", "variables": variables, "tsv": b"".join(sink.parts)}
    except SyntaxError as e:
        return {"error": "syntax", "message": str(e)}
    except (OSError, ValueError, RuntimeError, TypeError) as e:
        return {"error": "failed", "message": str(e) or type(e).__name__}


class _TooManyRows(Exception):
    pass


class _RowSink:
    """Where Oxigraph writes a SELECT's TSV, in blocks of about 8 KB: it stops the writer once
    past max_rows rows (one line each, after the header line)."""

    def __init__(self, max_rows: int) -> None:
        self.parts: list[bytes] = []
        self.lines, self.limit = 0, max_rows + 1

    def write(self, data: bytes) -> int:
        self.lines += data.count(b"\n")
        if self.lines > self.limit:
            raise _TooManyRows
        self.parts.append(bytes(data))
        return len(data)

    def flush(self) -> None:
        pass


_XSD = "http://www.w3.org/2001/XMLSchema#"
_LANG_STRING = "http://www.w3.org/1999/02/22-rdf-syntax-ns#langString"
_BARE = {"true": _XSD + "boolean", "false": _XSD + "boolean"}
_INTEGER = re.compile(r"-?[0-9]+")
_DECIMAL = re.compile(r"-?[0-9]*\.[0-9]+")
_ESCAPE = re.compile(r"\\(.)")
_UNESCAPE = {"t": "\t", "n": "\n", "r": "\r", '"': '"', "\\": "\\"}


def answer_rows(answer: dict) -> list[tuple]:
    """A SELECT answer's rows as encode() tuples, whether it came as TSV or as rows already."""
    return tsv_rows(answer["tsv"], len(answer["variables"])) if "tsv" in answer else answer["rows"]


def tsv_rows(data: bytes, width: int) -> list[tuple]:
    """The rows of Oxigraph's SPARQL TSV, as encode() gives them from its solutions (tested
    equal on every kind of term). Making a Python object per term was most of a large answer's
    cost (35,000 rows of page and tag: about 0.45 CPU-s, against 0.2 for the TSV and 0.1 to read
    it); terms written in an unusual way are read with Oxigraph's own parser."""
    body = data.decode("utf-8").partition("\n")[2]  # after the header line
    rows = body.count("\n")
    if width == 0:
        return [()] * rows
    # every cell in one split (half the time of splitting each line: 302,757 rows of citations
    # 1.3-1.7 -> 0.7-0.9 s). A tab or line break inside a term (only an IRI can hold one raw)
    # adds a cell, so a count off is that; an IRI cut in two cells no longer ends with '>'.
    cells = body.replace("\t", "\n").split("\n")
    cells.pop()  # the empty text after the last row
    if len(cells) != rows * width:
        raise ValueError("the answer holds a term that cannot be written as SPARQL TSV")
    # each distinct cell read once, and its tuple shared by the rows holding it: answers repeat
    # terms (a page, a show, a date): 35,000 (page, tag) rows hold 10,000 distinct cells in 70,000
    terms = {cell: _tsv_term(cell) for cell in set(cells)}
    return list(zip(*[map(terms.__getitem__, cells)] * width, strict=True))


def _tsv_term(cell: str) -> tuple | None:
    """One cell as encode() gives its term (None: unbound)."""
    if not cell:
        return None
    head = cell[0]
    if head == "<" and cell[-1] == ">" and not cell.startswith("<<"):
        return ("u", cell[1:-1])
    if head == '"':
        end = cell.rindex('"')  # neither a language tag nor a datatype IRI holds a quote
        value, rest = cell[1:end], cell[end + 1 :]
        if "\\" in value:
            try:
                value = _ESCAPE.sub(lambda m: _UNESCAPE[m.group(1)], value)
            except KeyError:
                return _parsed(cell)
        if not rest:
            return ("l", value, _XSD + "string", None)
        if rest.startswith("@") and "--" not in rest:
            return ("l", value, _LANG_STRING, rest[1:])
        if rest.startswith("^^<") and rest.endswith(">"):
            return ("l", value, _interned(rest[3:-1]), None)
        return _parsed(cell)
    if head == "_" and cell.startswith("_:"):
        return ("b", cell[2:])
    if cell in _BARE:
        return ("l", cell, _BARE[cell], None)
    if _INTEGER.fullmatch(cell):
        return ("l", cell, _XSD + "integer", None)
    if _DECIMAL.fullmatch(cell):
        return ("l", cell, _XSD + "decimal", None)
    return _parsed(cell)


def _parsed(cell: str) -> tuple | None:
    try:
        solutions = ox.parse_query_results(("?x\n" + cell + "\n").encode("utf-8"), format=ox.QueryResultsFormat.TSV)
        return encode(next(iter(solutions))[0])
    except (SyntaxError, StopIteration) as e:
        raise ValueError(f"the answer holds a term that cannot be read back from SPARQL TSV: {cell[:80]}") from e


# --- parent side -------------------------------------------------------------------------


class _Worker:
    """One worker process and the pipes to it."""

    def __init__(self) -> None:
        try:
            self.proc = subprocess.Popen(
                [sys.executable, "-P", os.path.abspath(__file__)],
                stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, close_fds=True,
            )
        except (OSError, ValueError) as e:
            raise WorkerDied(f"cannot start the query worker ({sys.executable!r}): {e}") from None
        self.hello: dict | None = None

    def started(self) -> dict:
        """The worker's greeting, waiting for it the first time (its start is not the query's time)."""
        if self.hello is None:
            try:
                self.hello = self._read(time.monotonic() + STARTUP_TIMEOUT)
            except WorkerTimeout:
                raise WorkerDied(f"the query worker did not start within {STARTUP_TIMEOUT:g} s") from None
        return self.hello

    def call(self, request: dict, timeout: float | None) -> dict:
        self.started()
        data = pickle.dumps(request, protocol=pickle.HIGHEST_PROTOCOL)
        try:
            self.proc.stdin.write(_HEADER.pack(len(data)) + data)
            self.proc.stdin.flush()
        except (BrokenPipeError, OSError):
            raise WorkerDied(self._died()) from None
        return self._read(time.monotonic() + timeout if timeout else None)

    def _read(self, deadline: float | None) -> dict:
        header = self._read_exactly(_HEADER.size, deadline)
        return pickle.loads(self._read_exactly(_HEADER.unpack(header)[0], deadline))

    def _read_exactly(self, size: int, deadline: float | None) -> bytes:
        fd = self.proc.stdout.fileno()
        chunks, got = [], 0
        while got < size:
            wait = None if deadline is None else deadline - time.monotonic()
            if wait is not None and wait <= 0:
                raise WorkerTimeout
            ready, _, _ = select.select([fd], [], [], wait)
            if not ready:
                raise WorkerTimeout
            chunk = os.read(fd, min(size - got, 1 << 20))
            if not chunk:
                raise WorkerDied(self._died())
            chunks.append(chunk)
            got += len(chunk)
        return b"".join(chunks)

    def _died(self) -> str:
        code = self.proc.wait()
        return f"the query worker stopped unexpectedly (exit code {code})"

    @property
    def alive(self) -> bool:
        return self.proc.poll() is None

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()
        self._close_pipes()

    def close(self) -> None:
        """Ask politely (end of input), then kill if it does not leave at once."""
        try:
            self.proc.stdin.close()
            self.proc.wait(timeout=1)
        except (OSError, subprocess.TimeoutExpired):
            self.kill()
        self._close_pipes()

    def _close_pipes(self) -> None:
        for pipe in (self.proc.stdin, self.proc.stdout):
            try:
                pipe.close()
            except OSError:
                pass


class WorkerPool:
    """Idle workers ready for the next query; a query takes one, and gives it back unless killed."""

    def __init__(self, max_idle: int = 2) -> None:
        self.max_idle = max_idle
        self._idle: list[_Worker] = []
        self._lock = threading.Lock()
        self._pid = os.getpid()
        atexit.register(self.close)

    def run(self, request: dict, timeout: float | None) -> dict:
        """Send request to a worker; raises WorkerTimeout (worker killed) or WorkerDied."""
        worker = self._take()
        try:
            answer = worker.call(request, timeout)
        except BaseException:
            worker.kill()
            raise
        self._give(worker)
        return answer

    def hello(self) -> dict:
        """What a worker reports when it starts (pid, whether its network is cut off)."""
        worker = self._take()
        try:
            hello = worker.started()
        except BaseException:
            worker.kill()
            raise
        self._give(worker)
        return dict(hello)

    def _take(self) -> _Worker:
        with self._lock:
            if self._pid != os.getpid():  # forked: those workers belong to the parent process
                self._idle, self._pid = [], os.getpid()
            while self._idle:
                worker = self._idle.pop()
                if worker.alive:
                    return worker
        return _Worker()

    def _give(self, worker: _Worker) -> None:
        with self._lock:
            if len(self._idle) < self.max_idle and self._pid == os.getpid():
                self._idle.append(worker)
                return
        worker.close()

    def close(self) -> None:
        """Stop every idle worker (at exit, or to release the store's files)."""
        with self._lock:
            idle, self._idle = self._idle, []
        if self._pid == os.getpid():
            for worker in idle:
                worker.close()


# --- worker side -------------------------------------------------------------------------


def _isolate_network() -> bool:
    """Move this process into a new, empty network namespace; True when that worked.

    Needs Linux, and either root (CAP_SYS_ADMIN) or unprivileged user namespaces. Must run
    while the process has a single thread.
    """
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        clone_newuser, clone_newnet = 0x10000000, 0x40000000
        return libc.unshare(clone_newnet) == 0 or libc.unshare(clone_newuser | clone_newnet) == 0
    except (OSError, AttributeError):
        return False


def _watch_parent(parent: int) -> None:
    """Leave when the parent is gone (its pipes close only when no query is running)."""
    while True:
        time.sleep(1.0)
        if os.getppid() != parent:
            os._exit(1)


def _main() -> None:
    parent = os.getppid()
    isolated = _isolate_network()
    threading.Thread(target=_watch_parent, args=(parent,), daemon=True).start()
    out = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)  # stray prints must not corrupt the answers
    inp = sys.stdin.buffer
    stores: dict[str, tuple[str, ox.Store]] = {}

    def send(obj: dict) -> None:
        data = pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL)
        out.write(_HEADER.pack(len(data)) + data)
        out.flush()

    send({"pid": os.getpid(), "isolated": isolated})
    while True:
        header = inp.read(_HEADER.size)
        if len(header) < _HEADER.size:
            return
        request = pickle.loads(inp.read(_HEADER.unpack(header)[0]))
        try:
            path, version = request["db"], request.get("version")
            if path not in stores or stores[path][0] != version:
                stores.pop(path, None)
                stores[path] = (version, ox.Store.read_only(path))
            answer = execute(stores[path][1], request["query"], request["max_rows"], request.get("union", True))
        except (OSError, ValueError, RuntimeError) as e:
            answer = {"error": "failed", "message": f"cannot open the store: {e}"}
        send(answer)


if __name__ == "__main__":
    _main()

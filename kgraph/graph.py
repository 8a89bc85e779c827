"""KnowledgeGraph: the public Python entry point over a built store (see contract.md)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

from kgraph.build import build_store
from kgraph.query import DEFAULT_TIMEOUT, Result, resolve_query, run_query
from kgraph.remote import open_store
from kgraph.store import Store

if TYPE_CHECKING:
    from collections.abc import Iterator

    import networkx as nx
    import pandas as pd
    import pyoxigraph as ox
    from rdflib import Graph

__all__ = ["KnowledgeGraph", "default_store"]


def default_store() -> str:
    """The store path when none is given: $KGRAPH_STORE, else .kgraph in the current folder."""
    return os.environ.get("KGRAPH_STORE") or ".kgraph"


class KnowledgeGraph:
    """A built graph on disk: query it, convert it, export it."""

    def __init__(self, store: Store, summary: dict | None = None):
        self._store = store
        self.summary = summary or store.meta.get("summary", {})

    @classmethod
    def build(
        cls, sources: list[str | Path] | None = None, store: str | Path | None = None, **options
    ) -> KnowledgeGraph:
        """Build from Hugo sites (root or content/ folders; none = the bundled sample) and open it."""
        path = store or default_store()
        summary = build_store(list(sources or []), path, **options)
        return cls(open_store(path), summary)

    @classmethod
    def open(cls, store: str | Path | None = None) -> KnowledgeGraph:
        """Open a store built earlier (a folder, or an http(s) SPARQL endpoint URL: kgraph.remote)."""
        return cls(open_store(store or default_store()))

    @property
    def path(self) -> Path:
        return self._store.path

    @property
    def version(self) -> str:
        """Changes on every rebuild: use it as a cache key."""
        return self._store.version

    @property
    def db(self):
        """The underlying pyoxigraph Store (read-only), for fast native SPARQL."""
        return self._store.db

    def run(
        self,
        query: str,
        params: dict[str, str] | None = None,
        max_rows: int | None = None,
        timeout: float | None = DEFAULT_TIMEOUT,
    ) -> Result:
        """Run SPARQL text, a .rq path or a bundled query name; returns the full Result.

        The query runs in a worker process stopped after `timeout` seconds (QueryTimeout);
        timeout=None or 0 runs it in this process without a limit. More than max_rows rows
        (default kgraph.query.MAX_ROWS) raise TooManyRows.
        """
        text, _ = resolve_query(query)
        kwargs = {"max_rows": max_rows} if max_rows else {}
        return run_query(self._store, text, params, timeout=timeout, **kwargs)

    def query(self, query: str, params: dict[str, str] | None = None, timeout: float | None = DEFAULT_TIMEOUT):
        """SELECT: a list of dicts (variable -> Python value); ASK: a bool; CONSTRUCT: triples."""
        result = self.run(query, params, timeout=timeout)
        if result.kind == "ask":
            return result.boolean
        if result.kind == "graph":
            return result.triples
        return result.rows

    def query_df(
        self, query: str, params: dict[str, str] | None = None, timeout: float | None = DEFAULT_TIMEOUT
    ) -> pd.DataFrame:
        """The same rows as a pandas DataFrame (columns in the query's variable order)."""
        import pandas as pd

        result = self.run(query, params, timeout=timeout)
        return pd.DataFrame(result.rows, columns=result.variables)

    def to_networkx(self) -> nx.MultiDiGraph:
        """Entities as nodes (label, type, show, date...), relations as edges (relation=...)."""
        from kgraph.export import to_networkx

        return to_networkx(self._store)

    def to_rdflib(self) -> Graph:
        """The whole graph (all named graphs merged) as an rdflib Graph."""
        from kgraph.export import _union_graph

        return _union_graph(self._store)

    def serialize(self, fmt: str) -> bytes:
        """The whole graph as turtle, nt or jsonld bytes (Oxigraph's serialisers: no rdflib Graph)."""
        from kgraph.export import rdf_bytes

        return rdf_bytes(self._store, fmt)

    def construct(self, query: str) -> Iterator[ox.Triple]:
        """A CONSTRUCT query's triples as pyoxigraph triples, as they come, for large answers: no
        rdflib terms, no row cap, no time limit. Checked and given the common prefixes as query()
        does; QueryError for another kind of query."""
        from kgraph.export import construct
        from kgraph.query import prepared_query

        return construct(self._store, prepared_query(query)[0])

    def export(self, fmt: str, path: str | Path) -> Path:
        """Write the graph as turtle, nt, jsonld or graphml."""
        from kgraph.export import export

        return export(self._store, fmt, path)

    def validate(self, progress=None) -> list:
        """SHACL violations against ontology/shapes.ttl; empty when the graph conforms.
        progress(stage, done, total) follows the checks, as in build."""
        from kgraph.validate import validate_store

        return validate_store(self._store, progress)

    def __len__(self) -> int:
        return len(self._store)

    def __repr__(self) -> str:
        return f"KnowledgeGraph({str(self.path)!r}, {len(self)} triples)"

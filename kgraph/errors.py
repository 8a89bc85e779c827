"""One exception family, so the CLI and the app can turn any of them into a one-line message."""

from __future__ import annotations

__all__ = [
    "KgraphError", "InputError", "QueryError", "QueryRefused", "QueryTimeout", "TooManyRows", "StoreError",
    "ExportError",
]


class KgraphError(Exception):
    """Base class: a user-facing problem whose message names the file, argument or query."""


class InputError(KgraphError):
    """A source path, page or argument that cannot be used."""


class QueryError(KgraphError):
    """A SPARQL query that cannot be parsed, is refused, or fails."""


class QueryRefused(QueryError):
    """A query that could write, reach the network or read outside the store (never run)."""


class QueryTimeout(QueryError):
    """A query stopped because it ran past its time limit."""


class TooManyRows(QueryError):
    """A query whose result passed the row cap."""


class StoreError(KgraphError):
    """A store that is missing, locked or unreadable."""


class ExportError(KgraphError):
    """An unknown export format or an output that cannot be written."""

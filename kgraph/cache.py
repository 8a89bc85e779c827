"""The build cache: what an incremental build needs to redo only what one edited page changes.

A SQLite file beside the database (`cache.sqlite`), swapped in with it, so it always describes
the graph next to it. It keeps, per markdown file, its size and mtime and what reading it gave;
per published page, its record (extract.site.PageRecord); per shared entity, every page's
version of it (the merge input) and the merged record (whose triples are in the graph). An
edit then costs a stat of every file, one page's extraction, and re-merging only the entities
that page touches, however large the corpus.

Pickled blobs are only read from a cache this user wrote and nobody else can change.
"""

from __future__ import annotations

import json
import os
import pickle
import sqlite3
import stat
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from kgraph.model import Organization, Person, Show, Skipped, Work

__all__ = ["Cache", "CACHE_FILE", "SCHEMA", "PageRow", "entity_id", "page_row", "row_counts", "summary_type",
           "version_blobs"]

CACHE_FILE = "cache.sqlite"
SCHEMA = 4  # bump when the tables, the pickled records or the triples made from them change: an older
# cache means a full build (4: a citation's label became rdfs:label, and a store of 3 holds schema:name)
_TABLES = """
CREATE TABLE info (name TEXT PRIMARY KEY, value TEXT);
CREATE TABLE files (source INTEGER, rel BLOB, mtime_ns INTEGER, size INTEGER, kind TEXT, skipped BLOB,
                    PRIMARY KEY (source, rel));
CREATE TABLE pages (key TEXT PRIMARY KEY, source INTEGER, rel TEXT, ord TEXT, url TEXT, show TEXT, named TEXT,
                    digest TEXT, kind TEXT, chapters INTEGER, citations INTEGER, warnings TEXT, record BLOB);
CREATE TABLE origins (id INTEGER PRIMARY KEY, key TEXT UNIQUE, ord TEXT);
CREATE TABLE versions (entity TEXT, origin INTEGER, records BLOB);
CREATE TABLE merged (entity TEXT PRIMARY KEY, type TEXT, record BLOB);
CREATE TABLE links (page TEXT, url TEXT);
"""
# made once a new cache is filled: building an index at the end costs less than keeping it up to date
_INDEXES = (
    "CREATE INDEX versions_entity ON versions (entity)",
    "CREATE INDEX versions_origin ON versions (origin)",
    "CREATE INDEX links_url ON links (url)",
    "CREATE INDEX links_page ON links (page)",
)
_DUMP = pickle.HIGHEST_PROTOCOL


@dataclass(frozen=True)
class PageRow:
    """A cached page without its facts: enough to redo the site-wide steps."""

    key: str
    source: int
    rel: str
    order: str
    url: str
    show: str
    named: frozenset[str]
    digest: str
    kind: str
    chapters: int
    citations: int
    warnings: tuple[str, ...]


def _ours(path: Path) -> bool:
    try:
        st = path.lstat()
    except OSError:
        return False
    return stat.S_ISREG(st.st_mode) and st.st_uid == os.getuid() and not st.st_mode & 0o022


def entity_id(record: Show | Person | Organization | Work) -> str:
    """A key unique across entity types ('work:arxiv:1706.03762', 'person:ada-lovelace')."""
    kind = {Work: "work", Person: "person", Organization: "org", Show: "show"}[type(record)]
    return f"{kind}:{record.key}"


class Cache:
    """One cache file, open for reading and writing (the build works on its own copy)."""

    def __init__(self, path: Path, create: bool = False):
        self.path = path
        self.new = create  # a new file: nothing to replace, indexes made at the end
        if create:
            path.unlink(missing_ok=True)
        self.db = sqlite3.connect(path, isolation_level=None)
        # A new cache is written in a folder swapped in only once complete: no journal. An
        # incremental build changes the store's own cache in place (copying it cost more than
        # the rest of the build: 300 MB at 10,000 episodes), and its journal undoes a build that
        # fails or is killed. synchronous=OFF: a killed process loses nothing the OS was given.
        self.db.execute("PRAGMA journal_mode=OFF" if create else "PRAGMA journal_mode=DELETE")
        self.db.execute("PRAGMA synchronous=OFF")
        if create:
            self.db.executescript(_TABLES)
        self.db.execute("BEGIN")
        if create:
            self.put("schema", SCHEMA)

    @classmethod
    def trusted(cls, path: Path) -> bool:
        """True when the file is ours to unpickle: owned by this user, writable by nobody else,
        and so is its journal if a killed build left one (SQLite plays it back on opening)."""
        journal = path.with_name(path.name + "-journal")
        return _ours(path) and (not os.path.lexists(journal) or _ours(journal))

    def commit(self) -> None:
        for statement in _INDEXES if self.new else ():
            self.db.execute(statement)
        self.db.execute("COMMIT")
        self.db.close()

    def close(self) -> None:
        """Close without committing: the file is as it was before this Cache was opened."""
        self.db.close()

    # --- info: identity and fingerprints

    def get(self, name: str) -> object:
        row = self.db.execute("SELECT value FROM info WHERE name = ?", (name,)).fetchone()
        return json.loads(row[0]) if row else None

    def put(self, name: str, value: object) -> None:
        self.db.execute("INSERT OR REPLACE INTO info VALUES (?, ?)", (name, json.dumps(value)))

    # --- files: what reading each markdown file gave

    def files(self) -> dict[tuple[int, str], tuple[int, int, str, Skipped | None]]:
        rows = self.db.execute("SELECT source, rel, mtime_ns, size, kind, skipped FROM files")
        return {(src, _text(rel)): (m, n, kind, pickle.loads(sk) if sk else None) for src, rel, m, n, kind, sk in rows}

    def put_files(self, rows: Iterable[tuple[int, str, int, int, str, Skipped | None]]) -> None:
        self.db.executemany(
            "INSERT OR REPLACE INTO files VALUES (?, ?, ?, ?, ?, ?)",
            (
                (src, _bytes(rel), m, n, kind, pickle.dumps(sk, _DUMP) if sk else None)
                for src, rel, m, n, kind, sk in rows
            ),
        )

    def drop_files(self, keys: Iterable[tuple[int, str]]) -> None:
        self.db.executemany("DELETE FROM files WHERE source = ? AND rel = ?", ((s, _bytes(r)) for s, r in keys))

    # --- pages: one PageRecord per published episode or post

    def page_index(self) -> dict[str, PageRow]:
        """key -> the cheap columns of every cached page, in page order."""
        rows = self.db.execute(
            "SELECT key, source, rel, ord, url, show, named, digest, kind, chapters, citations, warnings "
            "FROM pages ORDER BY ord"
        )
        named: dict[str, frozenset[str]] = {}  # most pages share a few lists (a show's hosts, no warnings):
        warnings: dict[str, tuple[str, ...]] = {}  # each is decoded once (10,000 pages: 0.14 -> 0.05 s)
        out = {}
        for r in rows:
            if (people := named.get(r[6])) is None:
                people = named[r[6]] = frozenset(json.loads(r[6]))
            if (said := warnings.get(r[11])) is None:
                said = warnings[r[11]] = tuple(json.loads(r[11]))
            out[r[0]] = PageRow(*r[:6], people, r[7], r[8], r[9], r[10], said)
        return out

    def records(self, keys: Iterable[str]) -> dict[str, object]:
        out = {}
        for chunk in _chunks(list(keys)):
            marks = ",".join("?" * len(chunk))
            for key, blob in self.db.execute(f"SELECT key, record FROM pages WHERE key IN ({marks})", chunk):
                out[key] = pickle.loads(zlib.decompress(blob))
        return out

    def put_page(self, source: int, record, citations: int, versions: dict[str, list], links: Iterable[str]) -> None:
        """Store a page's record, its versions of entities and the site URLs it links to."""
        self.put_page_rows(page_row(source, record, citations), version_blobs(versions), links)

    def put_page_rows(self, row: tuple, blobs: list[tuple[str, bytes]], links: Iterable[str]) -> None:
        """put_page from rows made beforehand (page_row, version_blobs), as a build's workers do."""
        key, order = row[0], row[3]
        if not self.new:
            self.drop_page(key)
        self.db.execute("INSERT INTO pages VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", row)
        self._put_blobs(key, order, blobs)
        self.db.executemany("INSERT INTO links VALUES (?, ?)", ((key, u) for u in links))

    def drop_page(self, key: str) -> None:
        self.db.execute("DELETE FROM pages WHERE key = ?", (key,))
        self.drop_versions(key)
        self.db.execute("DELETE FROM links WHERE page = ?", (key,))

    def linking_pages(self, urls: Iterable[str]) -> set[str]:
        """Pages that link to any of these canonical URLs of the same site."""
        out: set[str] = set()
        for chunk in _chunks(list(urls)):
            marks = ",".join("?" * len(chunk))
            out.update(k for (k,) in self.db.execute(f"SELECT page FROM links WHERE url IN ({marks})", chunk))
        return out

    # --- versions: every page's view of each entity, the input of the merge

    def put_versions(self, page: str, order: str, versions: dict[str, list]) -> None:
        """page: a page key, or 'dir:<base URL>' for a site's directory (order sorts it first)."""
        self._put_blobs(page, order, version_blobs(versions))

    def _put_blobs(self, page: str, order: str, blobs: list[tuple[str, bytes]]) -> None:
        origin = self.db.execute("INSERT OR REPLACE INTO origins (key, ord) VALUES (?, ?)", (page, order)).lastrowid
        self.db.executemany("INSERT INTO versions VALUES (?, ?, ?)", ((entity, origin, blob) for entity, blob in blobs))

    def drop_versions(self, page: str) -> None:
        self.db.execute("DELETE FROM versions WHERE origin IN (SELECT id FROM origins WHERE key = ?)", (page,))
        self.db.execute("DELETE FROM origins WHERE key = ?", (page,))

    def page_versions(self, page: str) -> dict[str, list]:
        """entity -> this page's versions of it."""
        rows = self.db.execute(
            "SELECT entity, records FROM versions JOIN origins ON origins.id = versions.origin WHERE origins.key = ?",
            (page,),
        )
        return {entity: pickle.loads(blob) for entity, blob in rows}

    def versions(self, entities: Iterable[str]) -> dict[str, list]:
        """entity -> all its versions, in page order."""
        out: dict[str, list] = {}
        for chunk in _chunks(sorted(entities)):
            marks = ",".join("?" * len(chunk))
            rows = self.db.execute(
                f"SELECT entity, records FROM versions JOIN origins ON origins.id = versions.origin "
                f"WHERE entity IN ({marks}) ORDER BY entity, origins.ord, origins.key",
                chunk,
            )
            for entity, blob in rows:
                out.setdefault(entity, []).extend(pickle.loads(blob))
        return out

    # --- merged: the record of each entity whose triples are in the graph

    def merged(self, entities: Iterable[str]) -> dict[str, object]:
        out = {}
        for chunk in _chunks(sorted(entities)):
            marks = ",".join("?" * len(chunk))
            for entity, blob in self.db.execute(f"SELECT entity, record FROM merged WHERE entity IN ({marks})", chunk):
                out[entity] = pickle.loads(blob)
        return out

    def put_merged(self, records: dict[str, object]) -> None:
        self.db.executemany(
            "INSERT OR REPLACE INTO merged VALUES (?, ?, ?)",
            ((e, summary_type(r), pickle.dumps(r, _DUMP)) for e, r in records.items()),
        )

    def drop_merged(self, entities: Iterable[str]) -> None:
        self.db.executemany("DELETE FROM merged WHERE entity = ?", ((e,) for e in entities))

    def page_counts(self) -> dict[str, tuple[int, int, int]]:
        """Page kind -> (pages, chapters, citations), for the build summary."""
        rows = self.db.execute("SELECT kind, COUNT(*), SUM(chapters), SUM(citations) FROM pages GROUP BY kind")
        return {kind: (n, ch, ci) for kind, n, ch, ci in rows}

    def merged_counts(self) -> dict[str, int]:
        """Entity type -> count, for the build summary."""
        return dict(self.db.execute("SELECT type, COUNT(*) FROM merged GROUP BY type"))


def page_row(source: int, record, citations: int) -> tuple:
    """A page's row of the pages table (record: an extract.site.PageRecord)."""
    ep = record.facts.episode
    return (
        record.key, source, record.rel, record.order, record.url, record.show,
        json.dumps(sorted(record.named)), record.digest, ep.kind, len(ep.chapters), citations,
        json.dumps(record.warnings), zlib.compress(pickle.dumps(record, _DUMP), 1),
    )  # fmt: skip


def row_counts(row: tuple) -> tuple[str, int, int]:
    """(kind, chapters, citations) of a page_row: what the build's summary counts."""
    return row[8], row[9], row[10]


def version_blobs(versions: dict[str, list]) -> list[tuple[str, bytes]]:
    """A page's rows of the versions table: (entity, its versions of it pickled)."""
    return [(entity, pickle.dumps(recs, _DUMP)) for entity, recs in versions.items()]


def summary_type(record: object) -> str:
    """How the build summary counts an entity: 'Person', 'Work:paper'..."""
    return f"Work:{record.kind}" if isinstance(record, Work) else type(record).__name__


def _bytes(name: str) -> bytes:
    """A file name as SQLite can hold it, undecodable bytes included."""
    return name.encode("utf-8", "surrogateescape")


def _text(name: bytes) -> str:
    return name.decode("utf-8", "surrogateescape")


def _chunks(items: list, size: int = 500) -> Iterator[list]:
    for i in range(0, len(items), size):
        yield items[i : i + size]

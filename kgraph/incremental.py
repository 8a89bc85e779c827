"""Incremental builds: from the previous build's cache, redo only what the changed files change.

A file whose size and mtime are unchanged is not read. A changed episode or post is extracted
again; its old triples are replaced by its new ones, and so are those of every entity it
names or named (re-merged from all pages' versions of it, kept in the cache). Pages that link
to a page that appeared, went or moved are re-emitted too, since their links resolve
differently. Whatever could change the site-wide steps (author or show pages, who recurs as
a host, the organization table, the kgraph version) makes this give up and return None: the
caller then does a full build. Either way the graph is the one a full build gives (tested).
"""

from __future__ import annotations

import json
import pickle
import shutil
import sqlite3
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from kgraph.build import check_strict, merge_entities, ordered_page_triples, page_versions, signature, skipped_of
from kgraph.cache import CACHE_FILE, SCHEMA, Cache, PageRow
from kgraph.errors import StoreError
from kgraph.extract.orgs import OrgTable
from kgraph.extract.site import (
    REF_KINDS,
    Directory,
    PageRecord,
    add_recurring_hosts,
    build_directory,
    directory_fingerprint,
    duplicate_url_warnings,
    episode_show,
    named_people,
    page_facts,
    page_hash,
    page_key,
    page_order,
    page_url,
    people_fingerprint,
    resolve_site_links,
    site_links,
    urls_of,
)
from kgraph.extract.urls import canonical_url
from kgraph.ingest.hugo import markdown_entries, page_warnings, read_file
from kgraph.model import Page, Site, Skipped
from kgraph.rdf import record_triples
from kgraph.store import update_store

__all__ = ["update"]


def update(store: Path, sites: list[Site], orgs: OrgTable, identity: dict, strict: bool = False,
           apply: Callable | None = None) -> dict | None:
    """Update store in place of a full build; the build summary, or None when a full build is needed.

    apply(store, remove, add, meta, extra=) writes the change: by default store.update_store; for
    a SPARQL server, the apply of kgraph.remote.server_build (store is then the server's mirror).

    The store's cache is changed where it is, in one transaction committed only once the new
    database is complete, and then moved into the new store. The cache names the build it
    describes (build_id, as in meta.json): a cache left committed but not moved by a killed
    build does not describe its store, and the next build is a full one."""
    cache_file = store / CACHE_FILE
    build_id = _build_id(store / "meta.json")
    if build_id is None or not Cache.trusted(cache_file):
        return None
    cache: Cache | None = None
    committed = False
    try:
        try:
            cache = Cache(cache_file)
            mine = cache.get("schema") == SCHEMA and cache.get("build_id") == build_id
            plan = _plan(cache, sites, orgs, identity) if mine else None
        except (sqlite3.Error, pickle.UnpicklingError, EOFError, AttributeError, ImportError, TypeError):
            plan = None  # a damaged or foreign cache: the full build rewrites it
        if plan is None:
            return None
        check_strict(plan.skipped, plan.warnings, strict)
        try:
            remove, add = _apply(cache, plan)
            summary = _summary(cache, plan)
            new_id = uuid.uuid4().hex
            cache.put("build_id", new_id)
        except sqlite3.Error as e:  # a full disk, a read-only folder: the cache is rolled back below
            raise StoreError(f"{store}: cannot update the build cache ({e}); the previous store was kept") from e

        def move_cache(folder: Path) -> None:
            nonlocal committed
            try:
                cache.commit()
            except sqlite3.Error as e:  # update_store keeps the previous store on OSError
                raise OSError(f"cannot update the build cache: {e}") from e
            committed = True
            shutil.move(cache_file, folder / CACHE_FILE)

        meta = (apply or update_store)(store, remove, add, {**identity, "summary": summary, "build_id": new_id},
                                       extra=move_cache)
    finally:
        if cache is not None and not committed:
            cache.close()  # not committed: the cache is as it was
    summary["triples"] = meta["quads"]
    summary["incremental"] = {"pages_extracted": len(plan.extracted), "pages_rewritten": len(plan.redo)}
    return summary


def _build_id(meta_file: Path) -> str | None:
    try:
        build_id = json.loads(meta_file.read_text(encoding="utf-8")).get("build_id")
    except (OSError, ValueError, AttributeError):
        return None
    return build_id if isinstance(build_id, str) else None


@dataclass
class _Plan:
    """What changed since the cached build, and the new state of every page."""

    files: list[tuple] = field(default_factory=list)  # new rows for the files table
    gone_files: list[tuple[int, str]] = field(default_factory=list)
    rows: dict[str, PageRow] = field(default_factory=dict)  # the cached pages
    new: dict[str, tuple[int, PageRecord]] = field(default_factory=dict)  # page key -> (source, record) read again
    gone: set[str] = field(default_factory=set)  # page keys no longer published
    extracted: set[str] = field(default_factory=set)
    redo: set[str] = field(default_factory=set)  # page keys whose triples are rewritten
    urls: dict[str, list[str]] = field(default_factory=dict)  # canonical URL -> page keys, after the change
    skipped: list[Skipped] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    pages_read: int = 0
    directory_pages: dict[str, list[Page]] = field(default_factory=dict)  # base URL -> published non-reference pages


def _plan(cache: Cache, sites: list[Site], orgs: OrgTable, identity: dict) -> _Plan | None:
    if cache.get("identity") != identity or sorted(cache.get("sites") or {}) != sorted({s.base_url for s in sites}):
        return None
    fingerprints = cache.get("sites")
    plan = _Plan()
    plan.rows = cache.page_index()
    by_file = {(r.source, r.rel): k for k, r in plan.rows.items()}
    changed = _read_changed(cache.files(), sites, plan)
    for i, rel in plan.gone_files:
        if (i, rel) in by_file:
            changed[by_file[i, rel]] = (i, None)
    directories: dict[str, Directory] = {}
    for site in sites:
        d = build_directory(plan.directory_pages.get(site.base_url, []))
        if people_fingerprint(d) != fingerprints[site.base_url][0]:
            return None  # an author or show page changed who is who
        directories[site.base_url] = d
    named: dict[str, tuple[int, str, frozenset[str]]] = {
        k: (r.source, r.show, r.named) for k, r in plan.rows.items() if k not in changed
    }
    for key, (i, page) in changed.items():
        if page is not None:
            d = directories[sites[i].base_url]
            named[key] = (i, episode_show(page, d), named_people(page, d.people))
    for base, d in directories.items():
        add_recurring_hosts(d, ((show, nm) for i, show, nm in named.values() if sites[i].base_url == base))
        if directory_fingerprint(d, orgs) != fingerprints[base][1]:
            return None  # who hosts a show changed: every page of it may read differently
    limit = max(50, len(plan.rows) // 10)  # past this, a full build on all cores is about as quick
    for key, (i, page) in changed.items():
        old = plan.rows.get(key)
        if page is None:
            if old:
                plan.gone.add(key)
            continue
        digest = page_hash(page)
        if old and old.digest == digest:
            continue  # touched, not changed
        if len(plan.extracted) >= limit:
            return None
        base = sites[i].base_url
        _, show, nm = named[key]
        record = PageRecord(
            key, page.rel, page_order(base, page.rel), canonical_url(page_url(page)), show, nm, digest,
            tuple(f"{page.rel}: {w}" for w in page_warnings(page)), page_facts(page, directories[base], orgs, key),
        )  # fmt: skip
        plan.new[key] = (i, record)
        plan.extracted.add(key)
    _resolve_urls(cache, plan)
    return plan


def _read_changed(known: dict, sites: list[Site], plan: _Plan) -> dict[str, tuple[int, Page | None]]:
    """Read every file that is new, changed, or not an episode or post (the site's directory is
    rebuilt from those each time: they are few). Returns page key -> (source, published page or
    None) for each episode or post read, or that was one."""
    changed: dict[str, tuple[int, Page | None]] = {}
    seen: set[tuple[int, str]] = set()
    skipped: list[tuple[str, Skipped]] = []
    for i, site in enumerate(sites):
        for rel, path in markdown_entries(site.content):
            seen.add((i, rel))
            sig = signature(path)
            old = known.get((i, rel))
            order = page_order(site.base_url, rel)
            if old and (old[0], old[1]) == sig and old[2] in REF_KINDS:
                plan.pages_read += 1
                if old[3] is not None:
                    skipped.append((order, old[3]))
                continue
            result = read_file(site, Path(path), rel)
            why = skipped_of(result)
            kind = result.kind if isinstance(result, Page) else ""
            plan.files.append((i, rel, *sig, kind, why))
            plan.pages_read += isinstance(result, Page)
            if why:
                skipped.append((order, why))
            if kind in REF_KINDS or old and old[2] in REF_KINDS:
                changed[page_key(site.base_url, rel)] = (i, result if why is None and kind in REF_KINDS else None)
            elif why is None:
                plan.directory_pages.setdefault(site.base_url, []).append(result)
    plan.gone_files = [k for k in known if k not in seen]
    plan.skipped = [s for _, s in sorted(skipped, key=lambda kv: kv[0])]
    return changed


def _resolve_urls(cache: Cache, plan: _Plan) -> None:
    """The new URL map, the pages to rewrite, and the warnings, once the changed pages are known."""
    old_urls = {k: r.url for k, r in plan.rows.items()}
    records = {k: (r.order, r.url, r.warnings) for k, r in plan.rows.items() if k not in plan.gone}
    records.update({k: (r.order, r.url, r.warnings) for k, (_, r) in plan.new.items()})
    for k, (_, url, warnings) in sorted(records.items(), key=lambda kv: kv[1][0]):
        plan.urls.setdefault(url, []).append(k)
        plan.warnings.extend(warnings)
    plan.warnings.extend(duplicate_url_warnings(plan.urls))
    moved = {old_urls[k] for k in plan.gone}
    for k, (_, r) in plan.new.items():
        if old_urls.get(k) != r.url:
            moved |= {r.url, old_urls[k]} if k in old_urls else {r.url}
    plan.redo = plan.extracted | plan.gone | (cache.linking_pages(moved) - plan.gone)


def _apply(cache: Cache, plan: _Plan) -> tuple[list, list]:
    """Update the cache to the new state; the triples to remove from the graph and to add."""
    old_urls = urls_of(sorted(plan.rows.values(), key=lambda r: r.order))
    redo_old = cache.records(k for k in plan.redo if k in plan.rows)
    remove: list[tuple] = []
    add: list[tuple] = []
    touched: set[str] = set()
    for key in sorted(plan.redo):
        old = redo_old.get(key)
        before: dict[str, list] = {}
        if old is not None:
            remove.extend(ordered_page_triples(old.facts.episode, resolve_site_links(old.facts, old_urls)[0]))
            before = cache.page_versions(key)
            cache.drop_page(key)
        if key in plan.gone:
            touched |= set(before)
            continue
        source, record = plan.new[key] if key in plan.new else (plan.rows[key].source, old)
        citations, site_works = resolve_site_links(record.facts, plan.urls)
        versions = page_versions(record.facts, site_works)
        # a merge depends only on the versions in page order: one that this page still gives
        # the same way (and at the same place) needs no new merge
        touched |= {e for e in before.keys() | versions.keys() if before.get(e) != versions.get(e)}
        cache.put_page(source, record, len(citations), versions, site_links(record.facts))
        add.extend(ordered_page_triples(record.facts.episode, citations))
    old_merged = cache.merged(touched)
    new_merged = merge_entities(cache.versions(touched))
    for e in touched:
        if old_merged.get(e) != new_merged.get(e):
            if e in old_merged:
                remove.extend(record_triples(old_merged[e]))
            if e in new_merged:
                add.extend(record_triples(new_merged[e]))
    cache.drop_merged(e for e in touched if e not in new_merged)
    cache.put_merged({e: r for e, r in new_merged.items() if old_merged.get(e) != r})
    cache.drop_files(plan.gone_files)
    cache.put_files(plan.files)
    removing, adding = set(remove), set(add)
    return [t for t in remove if t not in adding], [t for t in dict.fromkeys(add) if t not in removing]


def _summary(cache: Cache, plan: _Plan) -> dict:
    """The same summary a full build prints, from the cache."""
    entities = dict(cache.merged_counts())
    episodes = cache.page_counts()
    entities["Episode"] = episodes.get("episode", (0, 0, 0))[0]
    entities["Post"] = episodes.get("post", (0, 0, 0))[0]
    entities["Chapter"] = sum(n for _, n, _ in episodes.values())
    return {
        "pages_read": plan.pages_read,
        "skipped": [{"path": s.path, "reason": s.reason, "warning": s.warning} for s in plan.skipped],
        "warnings": plan.warnings,
        "entities": entities,
        "citations": sum(n for _, _, n in episodes.values()),
        "triples": 0,
        "seconds": 0,
    }

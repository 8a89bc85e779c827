"""The build pipeline: sources -> sites -> pages -> corpus -> triples -> store (and its build cache)."""

from __future__ import annotations

import contextlib
import gc
import hashlib
import os
import pickle
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from kgraph import __version__
from kgraph.cache import CACHE_FILE, Cache, entity_id, page_row, row_counts, version_blobs
from kgraph.errors import InputError
from kgraph.extract.orgs import OrgTable, load_org_table
from kgraph.extract.site import (
    PageFacts,
    PageJob,
    map_pages,
    merge_organization,
    merge_person,
    merge_work,
    page_key,
    page_record,
    plan_extraction,
    resolve_site_links,
    site_links,
)
from kgraph.ingest.hugo import markdown_entries, open_site, publish_status, read_file
from kgraph.model import Citation, Corpus, Episode, Organization, Page, Person, Site, Skipped, Work
from kgraph.rdf import entity_triples, ntriples, page_triples
from kgraph.remote import FullBuildNeeded, is_remote, server_build
from kgraph.store import building, write_store

__all__ = ["build_store", "sample_site", "scan", "open_sites"]

Progress = Callable[[str, int, int], None]  # (stage, done, total): total 0 when not known


def sample_site() -> Path:
    """The bundled sample site (data/ beside the package)."""
    here = Path(__file__).resolve().parent
    candidate = here.parent / "data"
    if candidate.is_dir():
        return candidate
    raise InputError("the bundled sample site (data/) is not installed; give a SOURCE")


@dataclass
class FileRead:
    """One markdown file of a source, as this build met it."""

    source: int  # index in the build's sources
    rel: str
    signature: tuple[int, int]  # (mtime_ns, size); (0, -1) when it cannot be stat'ed
    result: Page | Skipped


def open_sites(sources: list[str | Path]) -> list[Site]:
    """Each source as a site (the bundled sample when there is none); an InputError names a bad one."""
    return [open_site(s) for s in sources] if sources else [open_site(sample_site())]


def signature(path: str | Path) -> tuple[int, int]:
    """What tells a file changed without reading it."""
    try:
        st = os.stat(path)
    except OSError:
        return (0, -1)
    return (st.st_mtime_ns, st.st_size)


def scan(sites: list[Site], progress: Progress | None = None, workers: int = 1) -> Iterator[FileRead]:
    """Read every markdown file of every site, in order (on worker processes if workers > 1)."""
    listed = [(i, rel, path) for i, site in enumerate(sites) for rel, path in markdown_entries(site.content)]
    return map_pages(read_entry, listed, sites, workers, progress, stage="reading pages")


def read_entry(entry: tuple[int, str, str], sites: list[Site]) -> FileRead:
    """scan's work for one file: (source index, path in the content folder, absolute path)."""
    i, rel, path = entry
    return FileRead(i, rel, signature(path), read_file(sites[i], Path(path), rel))


def _summary(corpus: Corpus, pages: Counter, chapters: int, citations: int, triples: int, seconds: float) -> dict:
    """The numbers `kgraph build` prints and meta.json keeps, from counts of the pages (by kind),
    their chapters and citations, and the corpus's merged records (its episodes and citations
    need not be kept)."""
    types: Counter = Counter()
    types["Show"] = len(corpus.shows)
    types["Episode"] = pages["episode"]
    types["Post"] = pages["post"]
    types["Person"] = len(corpus.people)
    types["Organization"] = len(corpus.organizations)
    types["Chapter"] = chapters
    for w in corpus.works.values():
        types[f"Work:{w.kind}"] += 1
    return {
        "pages_read": corpus.pages_read,
        "skipped": [{"path": s.path, "reason": s.reason, "warning": s.warning} for s in corpus.skipped],
        "warnings": corpus.warnings,
        "entities": dict(types),
        "citations": citations,
        "triples": triples,
        "seconds": round(seconds, 2),
    }


def build_store(
    sources: list[str | Path],
    store: str | Path,
    orgs: list[str | Path] = (),
    progress: Progress | None = None,
    strict: bool = False,
    incremental: bool = True,
    workers: int | None = None,
) -> dict:
    """Build the graph from sources into store; returns the summary.

    With incremental (the default) and a store built earlier from the same sources, only pages
    whose files changed are read and extracted again, and only their triples and those of the
    entities they touch are rewritten (kgraph.incremental); the result is the graph a full
    build gives. A SPARQL server's URL works the same way, with the build cache in a local
    mirror folder (kgraph.remote.server_build).
    """
    from kgraph.incremental import update

    start = time.perf_counter()
    sites = open_sites(sources)
    table = load_org_table(list(orgs))
    identity = {
        "kgraph": __version__,
        "sources": [str(Path(s).resolve()) for s in sources] or ["<sample>"],
        "orgs": _files_digest(orgs),
    }
    # a SPARQL server's build cache lives in a local mirror folder; its graph goes to the server
    remote = is_remote(store)
    folder, writer, apply = server_build(str(store), progress) if remote else (Path(store), write_store, None)
    with building(folder):  # from the start: a second build fails now, not after its extraction
        summary = None
        if incremental:
            with contextlib.suppress(FullBuildNeeded):  # a change too large for one server update
                summary = update(folder, sites, table, identity, strict=strict, apply=apply)
        if summary is None:
            with _collector_paused():
                summary = full_build(sites, table, identity, folder, progress, strict, workers or (os.cpu_count() or 1),
                                     writer)
    summary["seconds"] = round(time.perf_counter() - start, 2)
    if remote:
        summary["mirror"] = str(folder)  # a folder on this machine the user should know of
    return summary


@contextlib.contextmanager
def _collector_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector. A full build keeps millions of objects to its
    end and makes no reference cycles worth collecting; the collector's passes over them took
    more than half the time the parent spent taking in the workers' results."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def full_build(
    sites: list[Site],
    table: OrgTable,
    identity: dict,
    store: str | Path,
    progress: Progress | None,
    strict: bool,
    workers: int,
    writer: Callable = write_store,
) -> dict:
    """Read every page, then extract them on all cores while the store and its cache are written.

    Each worker process turns a page into everything the build writes of it (page_output); the
    parent only writes that out and merges the shared entities, and Oxigraph loads the triples
    meanwhile (store.write_store). The summary keeps each stage's seconds.
    """
    clock = time.perf_counter()
    files = list(scan(sites, progress, workers))
    rows = file_rows(files)
    timings = {"read": time.perf_counter() - clock}
    clock = time.perf_counter()
    pages = [f.result for f in files]
    del files
    plan = plan_extraction(pages, table)
    del pages  # the jobs hold the published pages, each until it is extracted
    corpus = plan.corpus
    check_strict(corpus.skipped, corpus.warnings, strict)
    source_of = {page_key(sites[source].base_url, rel): source for source, rel, *_ in rows}
    summary: dict = {}
    build_id = uuid.uuid4().hex  # in meta.json and in the cache: the cache is of this store
    with writer(store, {**identity, "summary": summary, "build_id": build_id}) as out:
        cache = Cache(out.folder / CACHE_FILE, create=True)
        cache.put("build_id", build_id)
        cache.put("identity", identity)
        cache.put("sites", corpus.sites)
        cache.put_files(rows)
        versions: dict[str, list] = {}
        for base, people in corpus.directory_people.items():
            cache.put_versions("dir:" + base, "\x00" + base, {entity_id(p): [p] for p in people})
            for p in people:
                versions.setdefault(entity_id(p), []).append(p)
        kinds: Counter = Counter()
        chapters = citations = 0
        context = (plan.directories, table, plan.urls, source_of)
        for page in map_pages(page_output, plan.jobs, context, workers, progress):
            out.add(page.ntriples, page.lines)
            cache.put_page_rows(page.row, page.blobs, page.links)
            for entity, blob in page.blobs:  # the cache's rows are the merge's input too
                versions.setdefault(entity, []).extend(pickle.loads(blob))
            kind, n_chapters, n_citations = row_counts(page.row)
            kinds[kind] += 1
            chapters += n_chapters
            citations += n_citations
        timings["extract"], clock = time.perf_counter() - clock, time.perf_counter()
        if progress:
            progress("writing the store", 0, 0)
        merged = merge_entities(versions)
        del versions
        by_type = {Person: corpus.people, Organization: corpus.organizations, Work: corpus.works}
        for record in merged.values():
            by_type[type(record)][record.key] = record
        out.add_triples(entity_triples(corpus))
        cache.put_merged({**{entity_id(s): s for s in corpus.shows.values()}, **merged})
        cache.commit()
        timings["entities"] = time.perf_counter() - clock
        summary.update(_summary(corpus, kinds, chapters, citations, 0, 0))
        summary["timings"] = {k: round(v, 2) for k, v in timings.items()}  # write_store adds "load"
    summary["triples"] = out.count
    return summary


@dataclass
class PageOut:
    """One page as the build writes it, made in a worker process: its triples as N-Triples
    text and its rows of the build cache. Its versions of the entities it names travel only as
    the cache's pickled blobs, which the parent also unpickles for the merge: pickled once, not
    once for the cache and again for the way back. Ready-made text and blobs cost the parent,
    which writes them, next to nothing."""

    ntriples: bytes
    lines: int
    row: tuple  # cache.page_row
    blobs: list[tuple[str, bytes]]  # cache.version_blobs
    links: list[str]  # site_links


def page_output(job: PageJob, context: tuple) -> PageOut:
    """map_pages' work for a build: extract one page and make all that is written of it."""
    directories, table, urls, source_of = context
    record = page_record(job, directories[job.base], table)
    citations, site_works = resolve_site_links(record.facts, urls)
    versions = page_versions(record.facts, site_works)
    lines = list(ntriples(ordered_page_triples(record.facts.episode, citations)))
    return PageOut(
        "".join(lines).encode("utf-8"), len(lines), page_row(source_of[job.key], record, len(citations)),
        version_blobs(versions), sorted(site_links(record.facts)),
    )  # fmt: skip


def ordered_page_triples(episode: Episode, citations: list[Citation]) -> Iterator[tuple]:
    """A page's triples, its citations in the order a full build of the whole corpus sorts them
    (by line, then work): of two citations of one work on one line, the first gives the node."""
    return page_triples(episode, sorted(citations, key=lambda c: (c.line, c.work)))


_MERGE = {"work": merge_work, "person": merge_person, "org": merge_organization}


def merge_entities(versions: dict[str, list]) -> dict[str, Person | Organization | Work]:
    """Entity id -> its merged record, from all its versions in page order (directories first)."""
    return {entity: _MERGE[entity.split(":", 1)[0]](v) for entity, v in versions.items()}


def check_strict(skipped: list[Skipped], warnings: list[str], strict: bool) -> None:
    """With --strict, a page skipped with a warning or any warning fails the build."""
    problems = [f"{s.path}: {s.reason}" for s in skipped if s.warning] + warnings
    if strict and problems:
        raise InputError("strict build failed:\n  " + "\n  ".join(problems))


def file_rows(files: list[FileRead]) -> list[tuple]:
    """What the cache keeps of each file: (source, rel, mtime_ns, size, kind, why it is skipped)."""
    return [
        (f.source, f.rel, *f.signature, f.result.kind if isinstance(f.result, Page) else "", skipped_of(f.result))
        for f in files
    ]


def skipped_of(result: Page | Skipped) -> Skipped | None:
    """Why a file is not in the graph: unreadable, or read and not published (None: it is)."""
    if isinstance(result, Skipped):
        return result
    reason = publish_status(result)
    return Skipped(result.rel, reason) if reason else None


def page_versions(facts: PageFacts, site_works: list[Work]) -> dict[str, list]:
    """A page's view of each entity it names (the merge input), by entity id, in page order."""
    versions: dict[str, list] = {}
    for record in [*facts.works, *site_works, *facts.organizations, *facts.people]:
        versions.setdefault(entity_id(record), []).append(record)
    return versions


def _files_digest(paths: list[str | Path]) -> str:
    h = hashlib.sha1()
    for p in paths:
        try:
            h.update(Path(p).read_bytes())
        except OSError:
            h.update(str(p).encode())
    return h.hexdigest()

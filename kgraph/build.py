"""The build pipeline: sources -> sites -> pages -> corpus -> triples -> store (and its build cache)."""

from __future__ import annotations

import hashlib
import os
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from kgraph import __version__
from kgraph.cache import CACHE_FILE, Cache, entity_id
from kgraph.errors import InputError
from kgraph.extract.orgs import load_org_table
from kgraph.extract.site import PageFacts, extract, page_key, resolve_site_links, site_links, urls_of
from kgraph.ingest.hugo import markdown_entries, open_site, publish_status, read_file
from kgraph.model import Corpus, Page, Site, Skipped, Work
from kgraph.rdf import corpus_triples
from kgraph.remote import build_remote, is_remote
from kgraph.store import write_store

__all__ = ["build_store", "build_corpus", "sample_site", "summarize", "scan", "open_sites"]

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


def scan(sites: list[Site], progress: Progress | None = None) -> Iterator[FileRead]:
    """Read every markdown file of every site, in order."""
    listed = [(i, site, rel, path) for i, site in enumerate(sites) for rel, path in markdown_entries(site.content)]
    for n, (i, site, rel, path) in enumerate(listed, start=1):
        if progress and (n % 50 == 0 or n == len(listed)):
            progress("reading pages", n, len(listed))
        yield FileRead(i, rel, signature(path), read_file(site, Path(path), rel))


def build_corpus(
    sources: list[str | Path],
    orgs: list[str | Path] = (),
    progress: Progress | None = None,
    workers: int = 1,
) -> Corpus:
    """Read and extract every source; a source that is not a site is an InputError naming it."""
    sites = open_sites(sources)
    files = list(scan(sites, progress))
    return extract((f.result for f in files), load_org_table(list(orgs)), workers=workers, progress=progress)


def summarize(corpus: Corpus, triples: int, seconds: float) -> dict:
    """The numbers `kgraph build` prints and meta.json keeps."""
    types: Counter = Counter()
    types["Show"] = len(corpus.shows)
    types["Episode"] = sum(1 for e in corpus.episodes.values() if e.kind == "episode")
    types["Post"] = sum(1 for e in corpus.episodes.values() if e.kind == "post")
    types["Person"] = len(corpus.people)
    types["Organization"] = len(corpus.organizations)
    types["Chapter"] = sum(len(e.chapters) for e in corpus.episodes.values())
    for w in corpus.works.values():
        types[f"Work:{w.kind}"] += 1
    return {
        "pages_read": corpus.pages_read,
        "skipped": [{"path": s.path, "reason": s.reason, "warning": s.warning} for s in corpus.skipped],
        "warnings": corpus.warnings,
        "entities": dict(types),
        "citations": len(corpus.citations),
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
    build gives.
    """
    from kgraph.incremental import update

    if is_remote(store):  # server mode: always a full replace of the remote dataset
        return build_remote(sources, store, orgs=orgs, progress=progress, strict=strict)
    start = time.perf_counter()
    sites = open_sites(sources)
    table = load_org_table(list(orgs))
    identity = {
        "kgraph": __version__,
        "sources": [str(Path(s).resolve()) for s in sources] or ["<sample>"],
        "orgs": _files_digest(orgs),
    }
    summary = update(Path(store), sites, table, identity, strict=strict) if incremental else None
    if summary is None:
        clock = time.perf_counter()
        files = list(scan(sites, progress))
        rows = file_rows(files)
        timings = {"read": time.perf_counter() - clock}
        clock = time.perf_counter()
        pages = [f.result for f in files]
        del files  # the pages go once extracted: at 10,000 pages that is a few hundred MB less at the peak
        corpus = extract(_released(pages), table, workers=workers or (os.cpu_count() or 1), progress=progress)
        timings["extract"] = time.perf_counter() - clock
        check_strict(corpus.skipped, corpus.warnings, strict)
        summary = summarize(corpus, 0, 0)
        if progress:
            progress("writing the store", 0, 0)
        clock = time.perf_counter()
        held = {"corpus": corpus}  # let go of once the triples and the cache are written
        triples = corpus_triples(corpus)
        del corpus

        def cache(folder: Path) -> None:
            nonlocal clock
            timings["triples"], clock = time.perf_counter() - clock, time.perf_counter()
            write_cache(folder / CACHE_FILE, held.pop("corpus"), rows, sites, identity)
            timings["cache"] = time.perf_counter() - clock
            summary["timings"] = {k: round(v, 2) for k, v in timings.items()}  # write_store adds "load"

        meta = write_store(store, triples, {**identity, "summary": summary}, extra=cache)
        summary["triples"] = meta["quads"]
    summary["seconds"] = round(time.perf_counter() - start, 2)
    return summary


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


def _released(items: list) -> Iterator:
    """Yield the items of a list, dropping the list's hold on each as it goes."""
    for i in range(len(items)):
        item, items[i] = items[i], None
        yield item


def write_cache(path: Path, corpus: Corpus, rows: list[tuple], sites: list[Site], identity: dict) -> None:
    """Everything an incremental build starts from (kgraph.cache)."""
    cache = Cache(path, create=True)
    cache.put("identity", identity)
    cache.put("sites", corpus.sites)
    cache.put_files(rows)
    source_of = {page_key(sites[source].base_url, rel): source for source, rel, *_ in rows}
    records = sorted(corpus.pages.values(), key=lambda r: r.order)
    urls = urls_of(records)
    for base, people in corpus.directory_people.items():
        cache.put_versions("dir:" + base, "\x00" + base, {entity_id(p): [p] for p in people})
    for r in records:
        citations, site_works = resolve_site_links(r.facts, urls)
        cache.put_page(source_of[r.key], r, len(citations), page_versions(r.facts, site_works), site_links(r.facts))
    entities = [*corpus.shows.values(), *corpus.people.values(), *corpus.organizations.values(), *corpus.works.values()]
    cache.put_merged({entity_id(e): e for e in entities})
    cache.commit()


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

"""The build pipeline: sources -> sites -> pages -> corpus -> quads -> store."""

from __future__ import annotations

import hashlib
import os
import pickle
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path

from kgraph import __version__
from kgraph.errors import InputError
from kgraph.extract.orgs import load_org_table
from kgraph.extract.site import extract
from kgraph.extract.urls import canonical_url
from kgraph.ingest.hugo import open_site, read_pages
from kgraph.model import Corpus, Page, Skipped
from kgraph.namespaces import GRAPH_ENTITIES
from kgraph.rdf import corpus_quads, entity_quads, page_graph, page_quads
from kgraph.store import write_store

__all__ = ["build_store", "sample_site", "summarize"]

Progress = Callable[[int, str], None]


def sample_site() -> Path:
    """The bundled sample site (data/ beside the package)."""
    here = Path(__file__).resolve().parent
    candidate = here.parent / "data"
    if candidate.is_dir():
        return candidate
    raise InputError("the bundled sample site (data/) is not installed; give a SOURCE")


def build_corpus(
    sources: list[str | Path],
    orgs: list[str | Path] = (),
    progress: Progress | None = None,
    cache: dict | None = None,
    workers: int = 1,
) -> Corpus:
    """Read and extract every source; a source that is not a site is an InputError naming it."""
    sites = [open_site(s) for s in sources] if sources else [open_site(sample_site())]

    def pages() -> Iterator[Page | Skipped]:
        n = 0
        for site in sites:
            for page in read_pages(site):
                n += 1
                if progress:
                    progress(n, page.rel if isinstance(page, Page) else page.path)
                yield page

    return extract(pages(), load_org_table(list(orgs)), cache=cache, workers=workers)


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
    whose text changed are extracted again and only their named graphs (and the shared
    entities graph) are rewritten; the result is the same graph a full build gives.
    """
    from kgraph.remote import build_remote, is_remote

    if is_remote(store):  # server mode: always a full replace of the remote dataset
        return build_remote(sources, store, orgs=orgs, progress=progress, strict=strict)
    start = time.perf_counter()
    source_ids = [str(Path(s).resolve()) for s in sources] or ["<sample>"]
    identity = {"kgraph": __version__, "sources": source_ids, "orgs": _files_digest(orgs)}
    previous = _load_cache(Path(store), identity) if incremental else None
    corpus = build_corpus(
        sources, orgs, progress, cache=previous["facts"] if previous else None, workers=workers or (os.cpu_count() or 1)
    )
    if strict:
        problems = [f"{s.path}: {s.reason}" for s in corpus.skipped if s.warning] + corpus.warnings
        if problems:
            raise InputError("strict build failed:\n  " + "\n  ".join(problems))
    cache = pickle.dumps(
        {**identity, "facts": corpus.facts, "episode_urls": _episode_urls(corpus)}, protocol=pickle.HIGHEST_PROTOCOL
    )
    meta = {**identity, "summary": None}
    plan = _incremental_plan(corpus, previous) if previous else None
    if plan is None:
        quads = list(dict.fromkeys(corpus_quads(corpus)))
        summary = summarize(corpus, len(quads), 0)
        meta = write_store(store, quads, {**meta, "summary": summary}, files={CACHE: cache})
    else:
        pages, drop = plan
        cites: dict[str, list] = {}
        for c in corpus.citations:
            if c.page in pages:
                cites.setdefault(c.page, []).append(c)
        quads = list(entity_quads(corpus))
        for key in sorted(pages):
            quads.extend(page_quads(corpus.episodes[key], cites.get(key, [])))
        summary = summarize(corpus, 0, 0)
        meta = write_store(
            store, quads, {**meta, "summary": summary}, incremental=True, drop_graphs=drop, files={CACHE: cache}
        )
        summary["incremental"] = {"pages_extracted": len(corpus.changed), "graphs_rewritten": len(drop)}
    summary["triples"] = meta["quads"]
    summary["seconds"] = round(time.perf_counter() - start, 2)
    return summary


CACHE = "facts.pickle"


def _files_digest(paths: list[str | Path]) -> str:
    h = hashlib.sha1()
    for p in paths:
        try:
            h.update(Path(p).read_bytes())
        except OSError:
            h.update(str(p).encode())
    return h.hexdigest()


def _load_cache(store: Path, identity: dict) -> dict | None:
    """The previous build's cache, when that build used the same sources, tables and version."""
    path = store / CACHE
    if not path.is_file() or not (store / "meta.json").is_file():
        return None
    st = path.stat()
    if st.st_uid != os.getuid() or st.st_mode & 0o022:
        return None  # only a cache this user wrote and nobody else can change is unpickled
    try:
        data = pickle.loads(path.read_bytes())  # our own file, written by the build below
    except Exception:  # noqa: BLE001 - a stale or damaged cache only means a full build
        return None
    if not isinstance(data, dict) or any(data.get(k) != v for k, v in identity.items()):
        return None
    return data


def _episode_urls(corpus: Corpus) -> dict[str, str]:
    return {key: e.url for key, e in corpus.episodes.items()}


def _incremental_plan(corpus: Corpus, previous: dict) -> tuple[set[str], list[str]] | None:
    """(pages whose graphs to rewrite, graphs to drop), or None when a full build is simpler."""
    old_urls, new_urls = previous["episode_urls"], _episode_urls(corpus)
    removed = set(old_urls) - set(new_urls)
    moved = {u for k, u in old_urls.items() if new_urls.get(k) != u} | {
        u for k, u in new_urls.items() if old_urls.get(k) != u
    }
    pages = set(corpus.changed)
    if moved:  # pages linking to an added, removed or moved page resolve that link differently now
        canon = {canonical_url(u) for u in moved}
        for key, (_, _, facts) in corpus.facts.items():
            if any(c.work.startswith("site:") and c.work[5:] in canon for c in facts.citations):
                pages.add(key)
    if len(pages) + len(removed) > max(50, len(new_urls) // 4):
        return None
    drop = [str(GRAPH_ENTITIES)] + [str(page_graph(k)) for k in sorted(pages | removed)]
    return pages, drop

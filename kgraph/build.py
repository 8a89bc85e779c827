"""The build pipeline: sources -> sites -> pages -> corpus -> quads -> store."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path

from kgraph import __version__
from kgraph.errors import InputError
from kgraph.extract.orgs import load_org_table
from kgraph.extract.site import extract
from kgraph.ingest.hugo import open_site, read_pages
from kgraph.model import Corpus, Page, Skipped
from kgraph.rdf import corpus_quads
from kgraph.store import write_store

__all__ = ["build_store", "sample_site", "summarize"]

Progress = Callable[[int, str], None]


def sample_site() -> Path:
    """The bundled sample site (data/ beside the package)."""
    here = Path(__file__).resolve().parent
    for candidate in (here.parent / "data", here / "sample"):
        if candidate.is_dir():
            return candidate
    raise InputError("the bundled sample site (data/) is not installed; give a SOURCE")


def build_corpus(sources: list[str | Path], orgs: list[str | Path] = (), progress: Progress | None = None) -> Corpus:
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

    return extract(pages(), load_org_table(list(orgs)))


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


def build_store(sources: list[str | Path], store: str | Path, orgs: list[str | Path] = (),
                progress: Progress | None = None, strict: bool = False) -> dict:
    """Build the graph from sources into store; returns the summary."""
    start = time.perf_counter()
    corpus = build_corpus(sources, orgs, progress)
    if strict:
        problems = [f"{s.path}: {s.reason}" for s in corpus.skipped if s.warning] + corpus.warnings
        if problems:
            raise InputError("strict build failed:\n  " + "\n  ".join(problems))
    quads = list(dict.fromkeys(corpus_quads(corpus)))
    meta = {"kgraph": __version__, "sources": [str(Path(s).resolve()) for s in sources] or ["<sample>"]}
    summary = summarize(corpus, len(quads), 0)
    meta = write_store(store, quads, {**meta, "summary": summary})
    summary["seconds"] = round(time.perf_counter() - start, 2)
    return summary

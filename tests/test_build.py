"""A full build gives the same store however it is spread: over worker processes, over load chunks."""

from pathlib import Path

import pytest
from helpers import SAMPLE, load_synth

import kgraph.store
from kgraph.build import build_store
from kgraph.store import Store


def quad_set(path):
    return {tuple(str(t) for t in q) for q in Store(path).quads()}


@pytest.fixture(scope="module")
def big_site(tmp_path_factory) -> Path:
    """Enough pages (400 or more) for the build to use worker processes."""
    out = tmp_path_factory.mktemp("synth") / "site"
    load_synth().main(["420", str(out), "--seed", "5"])
    return out


def test_worker_processes_give_the_same_store_as_one_process(big_site, tmp_path):
    one = build_store([big_site], tmp_path / "one", workers=1, incremental=False)
    two = build_store([big_site], tmp_path / "two", workers=2, incremental=False)
    assert quad_set(tmp_path / "one") == quad_set(tmp_path / "two")
    for summary in (one, two):
        del summary["seconds"], summary["timings"]
    assert one == two and one["entities"]["Episode"] == 420
    # and an incremental build starts from either cache alike
    page = sorted((big_site / "content" / "posts").rglob("index.md"))[7]
    page.write_text(page.read_text(encoding="utf-8").replace("title: ", "title: Edited ", 1), encoding="utf-8")
    assert build_store([big_site], tmp_path / "two", workers=2)["incremental"]["pages_extracted"] == 1
    build_store([big_site], tmp_path / "one", workers=1, incremental=False)
    assert quad_set(tmp_path / "one") == quad_set(tmp_path / "two")


def test_loading_in_many_chunks_gives_the_same_store(tmp_path, monkeypatch):
    build_store([SAMPLE], tmp_path / "whole", incremental=False)
    monkeypatch.setattr(kgraph.store, "_CHUNK", 50)  # some 30 chunks, loaded while the next is written
    build_store([SAMPLE], tmp_path / "chunks", incremental=False)
    assert quad_set(tmp_path / "whole") == quad_set(tmp_path / "chunks")
    assert Store(tmp_path / "chunks").meta["quads"] == len(quad_set(tmp_path / "whole"))
    assert not list((tmp_path / "chunks").glob("*.nt"))

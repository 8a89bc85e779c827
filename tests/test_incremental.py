"""Incremental builds give exactly the graph a full build gives, re-extracting only what changed."""

import shutil

import pytest
from helpers import SAMPLE

from kgraph.build import build_store
from kgraph.store import Store


def quad_set(path):
    return {tuple(str(t) for t in q) for q in Store(path).quads()}


@pytest.fixture
def site(tmp_path):
    dst = tmp_path / "site"
    shutil.copytree(SAMPLE, dst)
    return dst


def episode(site, n):
    return site / "content" / "posts" / "alignmenthour-episodes" / f"alignmenthour-episode-00{n}" / "index.md"


def rebuild_and_compare(site, tmp_path, store):
    summary = build_store([site], store)
    full = tmp_path / "full"
    build_store([site], full, incremental=False)
    assert quad_set(store) == quad_set(full)
    assert Store(store).meta["quads"] == Store(full).meta["quads"] == len(quad_set(full))
    return summary


def test_editing_one_page_re_extracts_only_that_page(site, tmp_path):
    store = tmp_path / "store"
    first = build_store([site], store)
    assert "incremental" not in first
    page = episode(site, 1)
    page.write_text(page.read_text().replace("Specification Gaming", "Specification Gaming, Revisited"))
    summary = rebuild_and_compare(site, tmp_path, store)
    assert summary["incremental"]["pages_extracted"] == 1


def test_nothing_changed_extracts_nothing(site, tmp_path):
    store = tmp_path / "store"
    build_store([site], store)
    summary = rebuild_and_compare(site, tmp_path, store)
    assert summary["incremental"]["pages_extracted"] == 0


def test_removing_and_adding_pages(site, tmp_path):
    store = tmp_path / "store"
    build_store([site], store)
    # e001 is linked from two other episodes: removing it changes how their links resolve
    shutil.rmtree(episode(site, 1).parent)
    rebuild_and_compare(site, tmp_path, store)
    new = episode(site, 9)
    new.parent.mkdir(parents=True)
    new.write_text(
        "---\ntitle: A New One w/ Dr. Ada Lovelace\nurl: /alignmenthour/e009/\ndate: 2025-01-01\n"
        "categories: [Podcast]\n---\n- [paper](https://arxiv.org/abs/1706.03762) - Attention\n"
    )
    summary = rebuild_and_compare(site, tmp_path, store)
    assert summary["incremental"]["pages_extracted"] == 1


def test_a_changed_author_page_re_extracts_every_page(site, tmp_path):
    store = tmp_path / "store"
    build_store([site], store)
    author = site / "content" / "authors" / "mayaokafor" / "_index.md"
    author.write_text(author.read_text().replace("Maya Okafor", "Maya O. Okafor"))
    summary = rebuild_and_compare(site, tmp_path, store)
    assert summary["incremental"]["pages_extracted"] == 7  # hosts come from author pages

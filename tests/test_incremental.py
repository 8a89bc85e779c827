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


def test_a_changed_author_page_rebuilds_everything(site, tmp_path):
    store = tmp_path / "store"
    build_store([site], store)
    author = site / "content" / "authors" / "mayaokafor" / "_index.md"
    author.write_text(author.read_text().replace("Maya Okafor", "Maya O. Okafor"))
    summary = rebuild_and_compare(site, tmp_path, store)
    assert "incremental" not in summary  # hosts come from author pages: every page may read differently


def test_a_touched_file_is_read_but_not_extracted(site, tmp_path):
    store = tmp_path / "store"
    build_store([site], store)
    page = episode(site, 2)
    page.write_text(page.read_text())  # new mtime, same text
    summary = rebuild_and_compare(site, tmp_path, store)
    assert summary["incremental"] == {"pages_extracted": 0, "pages_rewritten": 0}


def test_edits_that_change_shared_entities(site, tmp_path):
    """A work's name, kind and publisher are merged from every page citing it: an edit on one
    page re-merges it; a work only that page cited goes; a new guest appears."""
    store = tmp_path / "store"
    build_store([site], store)
    page = episode(site, 2)
    text = page.read_text()
    assert "arxiv.org" in text
    text = text.replace("title: ", "title: Changed w/ Dr. Grace Hopper and ", 1)
    text = "\n".join(line for line in text.split("\n") if "1805.00899" not in line)  # only this page cites it
    page.write_text(text + "\n- [dataset](https://huggingface.co/datasets/new/thing) - A New Thing\n")
    summary = rebuild_and_compare(site, tmp_path, store)
    assert summary["incremental"]["pages_extracted"] == 1
    triples = quad_set(store)
    assert any("Grace Hopper" in str(q) for q in triples)
    assert any("huggingface.co/datasets/new/thing" in str(q) for q in triples)
    assert not any("1805.00899" in str(q) for q in triples)


def test_a_page_becoming_a_draft_leaves_the_graph(site, tmp_path):
    store = tmp_path / "store"
    build_store([site], store)
    page = episode(site, 3)
    page.write_text(page.read_text().replace("---\n", "---\ndraft: true\n", 1))
    summary = rebuild_and_compare(site, tmp_path, store)
    assert summary["incremental"]["pages_extracted"] == 0
    assert any(s["reason"].startswith("draft") for s in summary["skipped"])


def test_a_page_moving_to_another_url(site, tmp_path):
    store = tmp_path / "store"
    build_store([site], store)
    page = episode(site, 1)
    page.write_text(page.read_text().replace("url: /alignmenthour/e001/", "url: /alignmenthour/first/"))
    summary = rebuild_and_compare(site, tmp_path, store)
    assert summary["incremental"]["pages_extracted"] == 1
    assert summary["incremental"]["pages_rewritten"] > 1  # the pages that linked to its old url


def test_a_build_cache_written_by_someone_else_is_not_trusted(site, tmp_path):
    store = tmp_path / "store"
    build_store([site], store)
    (store / "cache.sqlite").chmod(0o666)
    summary = build_store([site], store)
    assert "incremental" not in summary


def test_a_cache_journal_writable_by_others_is_not_trusted(site, tmp_path):
    """SQLite plays a left-over journal back into the cache on opening: it must be ours too."""
    store = tmp_path / "store"
    build_store([site], store)
    journal = store / "cache.sqlite-journal"
    journal.write_bytes(b"")
    journal.chmod(0o666)
    assert "incremental" not in build_store([site], store)
    assert "incremental" in build_store([site], store)  # the full build's store has no journal


def test_a_damaged_build_cache_means_a_full_build(site, tmp_path):
    store = tmp_path / "store"
    build_store([site], store)
    (store / "cache.sqlite").write_bytes(b"not a database at all" * 100)
    summary = build_store([site], store)
    assert "incremental" not in summary
    again = rebuild_and_compare(site, tmp_path, store)  # and the rewritten cache works again
    assert again["incremental"]["pages_extracted"] == 0


def test_a_cache_that_cannot_be_written_is_a_clear_error_and_nothing_is_lost(site, tmp_path, monkeypatch):
    import sqlite3

    from kgraph import StoreError
    from kgraph.cache import Cache

    store = tmp_path / "store"
    build_store([site], store)
    before = sorted(Store(store).quads())
    page = episode(site, 1)
    page.write_text(page.read_text(encoding="utf-8") + "\nOne more line.\n", encoding="utf-8")

    def full_disk(*args, **kwargs):
        raise sqlite3.OperationalError("database or disk is full")

    monkeypatch.setattr(Cache, "put_page", full_disk)
    with pytest.raises(StoreError, match="cannot update the build cache.*disk is full.*previous store was kept"):
        build_store([site], store)
    monkeypatch.undo()
    assert sorted(Store(store).quads()) == before
    summary = rebuild_and_compare(site, tmp_path, store)  # the cache was rolled back: still incremental
    assert summary["incremental"]["pages_extracted"] == 1

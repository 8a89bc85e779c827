"""No lost data: a build that fails or is killed leaves the previous store as it was, and two
builds at once cannot corrupt it. Builds run as real processes killed with SIGKILL."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner
from helpers import SAMPLE, load_synth

from kgraph import KnowledgeGraph, StoreError
from kgraph.build import build_store
from kgraph.cli import cli
from kgraph.store import Store

# A build in a child process that prints WRITING when it starts writing the store, and can be
# told to stop (sleep) at one of its steps so the parent can kill it exactly there.
CHILD = r"""
import os, sys, time
import kgraph.build as build, kgraph.incremental as incremental, kgraph.store as store
source, path, pause = sys.argv[1], sys.argv[2], sys.argv[3]

def announce(name, original):
    def wrapper(*args, **kwargs):
        print(name, flush=True)
        if pause == name:
            time.sleep(600)
        return original(*args, **kwargs)
    return wrapper

build.write_store = announce("WRITING", build.write_store)
build.full_build = announce("EXTRACTING", build.full_build)
incremental.update_store = announce("UPDATING", incremental.update_store)
store._swap = announce("SWAPPING", store._swap)
if pause == "BETWEEN-RENAMES":  # the two-rename swap used where renameat2 is missing
    store._exchange = lambda a, b: False
    rename = os.rename
    def slow_rename(src, dst):
        rename(src, dst)
        if ".old-" in str(dst):
            print("BETWEEN-RENAMES", flush=True)
            time.sleep(600)
    os.rename = slow_rename
build.build_store([source], path)
print("DONE", flush=True)
"""


def quad_set(path: Path) -> set:
    return {tuple(str(t) for t in q) for q in Store(path).quads()}


def content(path: Path) -> tuple[str, set]:
    store = Store(path)
    return store.meta["build_id"], set(store.quads())


@pytest.fixture(scope="module")
def synth_site(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("synth") / "site"
    load_synth().main(["60", str(out), "--seed", "3"])
    return out


@pytest.fixture
def old_store(tmp_path) -> tuple[Path, tuple]:
    path = tmp_path / "store"
    KnowledgeGraph.build([SAMPLE], store=path)
    return path, content(path)


def start_build(source: Path, path: Path, pause: str = "") -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", CHILD, str(source), str(path), pause or "-"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)


def wait_for(proc: subprocess.Popen, marker: str, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    for line in proc.stdout:
        if line.strip() == marker:
            return
        assert time.monotonic() < deadline
    raise AssertionError(f"the build ended before {marker}: {proc.stderr.read()[-2000:]}")


def kill(proc: subprocess.Popen) -> None:
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    try:  # and whatever helper processes the build had started
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    proc.stdout.close()
    proc.stderr.close()


def leftovers(path: Path) -> list[str]:
    """What builds left beside the store: folders being built or swapped, incremental scratch."""
    return sorted(p.name for p in path.parent.iterdir() if p.name.startswith((f"{path.name}.", f".{path.name}."))
                  and not p.name.endswith(".lock"))


@pytest.mark.parametrize("step", ["WRITING", "SWAPPING", "BETWEEN-RENAMES"])
def test_a_build_killed_at_each_step_leaves_the_old_store(old_store, synth_site, step):
    path, before = old_store
    proc = start_build(synth_site, path, pause=step)
    wait_for(proc, step)
    kill(proc)
    assert content(path) == before  # opening the store also repairs a half-done two-rename swap
    kg = KnowledgeGraph.build([synth_site], store=path)  # the next build works and cleans up
    assert len(kg) > len(before[1]) and leftovers(path) == []


@pytest.mark.parametrize("delay", [0.0, 0.1, 0.3, 0.6, 1.0])
def test_a_build_killed_while_writing_the_database_leaves_the_old_store(old_store, synth_site, delay):
    path, before = old_store
    proc = start_build(synth_site, path)
    wait_for(proc, "WRITING")
    time.sleep(delay)
    kill(proc)
    after = content(path)
    if after != before:  # it finished before the kill: then it must be the whole new graph
        assert len(after[1]) > 10 * len(before[1]) and after[0] != before[0]
    assert KnowledgeGraph.open(path).query("ASK { ?e a schema:PodcastEpisode }") is True


def test_a_build_that_fails_leaves_the_old_store(old_store, synth_site, monkeypatch):
    import kgraph.store

    path, before = old_store

    def broken_swap(new, target):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(kgraph.store, "_swap", broken_swap)
    with pytest.raises(RuntimeError, match="disk on fire"):
        KnowledgeGraph.build([synth_site], store=path)
    assert content(path) == before and leftovers(path) == []


def test_a_build_that_cannot_write_is_a_clear_error(old_store, synth_site, monkeypatch):
    import kgraph.store

    path, before = old_store

    class Unwritable:
        def __init__(self, *args, **kwargs):
            raise OSError(28, "No space left on device")

        read_only = __init__

    fake = type(kgraph.store.ox)("pyoxigraph")
    fake.__dict__.update({k: v for k, v in vars(kgraph.store.ox).items() if not k.startswith("__")})
    fake.Store = Unwritable
    monkeypatch.setattr(kgraph.store, "ox", fake)
    with pytest.raises(StoreError, match="previous store was kept.*No space left"):
        KnowledgeGraph.build([synth_site], store=path)
    monkeypatch.undo()
    assert content(path) == before and leftovers(path) == []


def test_a_second_build_while_one_holds_the_lock_gets_a_clear_message(old_store):
    path, before = old_store
    hold = ("import sys, time; from pathlib import Path; from kgraph.store import build_lock\n"
            "with build_lock(Path(sys.argv[1])):\n    print('LOCKED', flush=True); time.sleep(600)")
    holder = subprocess.Popen([sys.executable, "-c", hold, str(path)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "LOCKED"
        second = subprocess.run([sys.executable, "-m", "kgraph.cli", "build", "--store", str(path)],
                                capture_output=True, text=True, timeout=120)
    finally:
        holder.kill()
        holder.wait()
        holder.stdout.close()
    assert second.returncode == 1
    assert second.stderr.startswith("kgraph: error:")
    assert "another build is running on this store" in second.stderr
    assert "Traceback" not in second.stderr
    assert content(path) == before


def test_two_builds_at_once_never_corrupt_the_store(old_store, synth_site):
    path, _ = old_store
    for _ in range(3):
        command = [sys.executable, "-m", "kgraph.cli", "build", str(synth_site), "--store", str(path), "-q"]
        builds = [subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                  for _ in range(2)]
        results = [(p.wait(timeout=300), p.communicate()[1]) for p in builds]
        for code, err in results:
            refused = code == 1 and "another build is running" in err and "Traceback" not in err
            assert code == 0 or refused, err
        assert any(code == 0 for code, _ in results)
        kg = KnowledgeGraph.open(path)
        assert json.loads((path / "meta.json").read_text())["sources"] == [str(synth_site.resolve())]
        assert kg.query("SELECT (COUNT(*) AS ?n) WHERE { ?e a schema:PodcastEpisode }")[0]["n"] == 60
    assert leftovers(path) == []


def test_a_crashed_two_rename_swap_is_repaired_by_the_next_build(old_store):
    path, before = old_store
    os.rename(path, path.with_name(path.name + ".old-99999"))  # what a kill between the renames leaves
    result = CliRunner().invoke(cli, ["build", "--store", str(path), "-q"])
    assert result.exit_code == 0, result.output
    assert leftovers(path) == []
    assert len(Store(path)) == len(before[1])


def test_a_version_1_store_with_one_named_graph_per_page_still_answers(tmp_path):
    import pyoxigraph as ox

    store = tmp_path / "store"
    before = KnowledgeGraph.build([SAMPLE], store=store).query("most-cited-works")
    db = ox.Store(str(store / "oxigraph"))
    quads = list(db.quads_for_pattern(None, None, None, ox.DefaultGraph()))
    db.remove_graph(ox.DefaultGraph())
    graphs = [ox.NamedNode(f"urn:page:{i}") for i in range(7)]
    db.extend([ox.Quad(q.subject, q.predicate, q.object, graphs[i % 7]) for i, q in enumerate(quads)])
    del db
    meta = json.loads((store / "meta.json").read_text())
    meta["store_version"] = 1
    (store / "meta.json").write_text(json.dumps(meta))
    kg = KnowledgeGraph.open(store)
    assert kg.query("most-cited-works") == before  # through a query worker
    assert kg.query("most-cited-works", timeout=None) == before  # in this process


@pytest.mark.parametrize("step", ["UPDATING", "SWAPPING"])
def test_an_incremental_build_killed_leaves_a_cache_the_next_build_can_trust(tmp_path, synth_site, step):
    """Killed while it writes the new database (UPDATING), the build has changed the store's
    cache but not committed it: the next build undoes that and is incremental again. Killed
    at the swap, the committed cache has moved into the new folder: the next build is a full one."""
    site = tmp_path / "site"
    shutil.copytree(synth_site, site)
    path = tmp_path / "store"
    KnowledgeGraph.build([site], store=path)
    page = next((site / "content").rglob("index.md"))
    page.write_text(page.read_text(encoding="utf-8") + "\nOne more line.\n", encoding="utf-8")
    before = content(path)
    proc = start_build(site, path, pause=step)
    wait_for(proc, step)
    kill(proc)
    assert content(path) == before
    (tmp_path / f".{path.name}.cache-old_style").mkdir()  # what earlier versions' incremental builds left
    summary = build_store([site], path)
    assert ("incremental" in summary) == (step == "UPDATING")
    if step == "UPDATING":
        assert summary["incremental"]["pages_extracted"] == 1
    assert leftovers(path) == []
    build_store([site], tmp_path / "full", incremental=False)
    assert quad_set(path) == quad_set(tmp_path / "full")
    page.write_text(page.read_text(encoding="utf-8") + "\nAnd one more.\n", encoding="utf-8")
    assert build_store([site], path)["incremental"]["pages_extracted"] == 1  # and the next is incremental


def test_a_cache_of_another_build_of_the_store_means_a_full_build(tmp_path, synth_site):
    """What a build killed between committing the cache and moving it leaves: a cache that
    describes a graph the store does not hold. It must not be used."""
    import sqlite3

    site = tmp_path / "site"
    shutil.copytree(synth_site, site)
    path = tmp_path / "store"
    KnowledgeGraph.build([site], store=path)
    with sqlite3.connect(path / "cache.sqlite") as db:
        db.execute("UPDATE info SET value = ? WHERE name = 'build_id'", ('"another build"',))
    page = next((site / "content").rglob("index.md"))
    page.write_text(page.read_text(encoding="utf-8") + "\nOne more line.\n", encoding="utf-8")
    assert "incremental" not in build_store([site], path)
    assert "incremental" in build_store([site], path)  # the full build wrote a cache of its own


def test_a_second_build_is_refused_at_once_while_the_first_is_still_extracting(old_store, synth_site):
    path, before = old_store
    first = start_build(synth_site, path, pause="EXTRACTING")
    try:
        wait_for(first, "EXTRACTING")  # reading and extracting: the store is not written yet
        start = time.monotonic()
        second = subprocess.run([sys.executable, "-m", "kgraph.cli", "build", str(synth_site), "--store", str(path)],
                                capture_output=True, text=True, timeout=120)
        seconds = time.monotonic() - start
    finally:
        kill(first)
    assert second.returncode == 1, second.stderr
    lines = second.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"kgraph: error: {path}: another build is running on this store")
    assert seconds < 30 and content(path) == before
    kg = KnowledgeGraph.build([synth_site], store=path)  # the lock ended with the killed build
    assert len(kg) > len(before[1]) and leftovers(path) == []


def test_a_build_takes_its_own_lock_again_when_it_writes(tmp_path):
    """The whole build holds the lock, and writing the store takes it again in the same thread
    (flock alone would refuse that); another thread of the process is refused."""
    import threading

    from kgraph.store import build_lock

    path = tmp_path / "store"
    with build_lock(path):
        with build_lock(path):
            errors = []
            other = threading.Thread(target=lambda: errors.append(_try_lock(path)))
            other.start()
            other.join()
            assert errors == ["refused"]
        assert _try_lock_in_process(path) == "refused"
    assert _try_lock_in_process(path) == "locked"
    build_store([SAMPLE], path)  # takes it for the build, then again for the write
    assert Store(path).meta["summary"]["pages_read"] > 0


def _try_lock(path: Path) -> str:
    from kgraph.store import build_lock

    try:
        with build_lock(path):
            return "locked"
    except StoreError:
        return "refused"


def _try_lock_in_process(path: Path) -> str:
    code = ("import sys; from pathlib import Path; from kgraph.store import build_lock; from kgraph import StoreError\n"
            "try:\n    with build_lock(Path(sys.argv[1])): print('locked')\nexcept StoreError: print('refused')")
    return subprocess.run([sys.executable, "-c", code, str(path)], capture_output=True, text=True,
                          check=True).stdout.strip()


def test_worker_processes_forked_by_a_build_do_not_keep_its_lock(tmp_path):
    """A build killed with SIGKILL can leave its worker processes running for a while; the lock
    must end with the build, not with them."""
    path = tmp_path / "store"
    code = ("import os, sys, time; from pathlib import Path; from kgraph.store import build_lock\n"
            "with build_lock(Path(sys.argv[1])):\n"
            "    if os.fork() == 0:\n        time.sleep(600)\n"  # a worker outliving its build
            "    print('LOCKED', flush=True); time.sleep(600)")
    build = subprocess.Popen([sys.executable, "-c", code, str(path)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             text=True, start_new_session=True)
    try:
        wait_for(build, "LOCKED")
        os.kill(build.pid, signal.SIGKILL)
        build.wait()
        assert _try_lock_in_process(path) == "locked"
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(build.pid, signal.SIGKILL)  # the worker, and the build if the test failed early
        build.wait()
        build.stdout.close()
        build.stderr.close()

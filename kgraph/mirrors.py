"""This machine's mirrors of SPARQL servers: the build caches that make builds into a server
incremental (kgraph.remote.server_build), one folder per server URL.

A mirror is about 30 KB per episode (300 MB at 10,000) and nothing removes it by itself, so a
user who builds into a test server, a staging one and a shared one keeps three. `kgraph mirrors`
lists them; forgetting one costs only that the next build into its server is a full one, and
pruning removes those that could no longer make a build incremental anyway.
"""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from kgraph.errors import StoreError
from kgraph.remote import RemoteStore, is_remote, mirror_folder, mirrors_root
from kgraph.store import build_lock, building

__all__ = ["Mirror", "list_mirrors", "forget", "prune", "status"]


@dataclass
class Mirror:
    folder: Path
    server: str  # the server's URL; "" for a mirror written before kgraph recorded it
    build_id: str
    built: str
    quads: int
    size: int  # bytes on disk


def list_mirrors(root: Path | None = None) -> list[Mirror]:
    """Every mirror under root (the mirror folder of this machine), by server URL."""
    root = root or mirrors_root()
    if not root.is_dir():
        return []
    found = []
    for folder in sorted(p for p in root.iterdir() if p.is_dir() and (p / "meta.json").is_file()):
        try:
            meta = json.loads((folder / "meta.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            meta = {}
        meta = meta if isinstance(meta, dict) else {}  # a damaged mirror is still listed, to be forgotten
        quads = meta.get("quads")
        found.append(Mirror(folder, str(meta.get("server") or ""), str(meta.get("build_id") or ""),
                            str(meta.get("built") or ""), quads if isinstance(quads, int) else 0, _size(folder)))
    return sorted(found, key=lambda m: (m.server == "", m.server, m.folder.name))


def _size(folder: Path) -> int:
    total = 0
    for dirpath, _, files in os.walk(folder):
        for name in files:
            try:
                total += os.lstat(os.path.join(dirpath, name)).st_size
            except OSError:
                pass
    return total


def status(mirror: Mirror) -> str:
    """'current' while the server holds the graph the mirror describes (its next build can be
    incremental), 'stale' once it holds another build's graph or none, 'unreachable' when it
    does not answer, 'unknown' for a mirror that does not say its server."""
    if not mirror.server:
        return "unknown"
    try:
        held = RemoteStore(mirror.server).meta.get("build_id")
    except StoreError:
        return "unreachable"
    return "current" if held and held == mirror.build_id else "stale"


def forget(which: str, root: Path | None = None) -> Mirror:
    """Delete one mirror, named by its server's URL or its folder's name; the next build into
    that server is a full one. A StoreError when there is none, or a build is using it."""
    root = root or mirrors_root()
    mirrors = list_mirrors(root)
    wanted = mirror_folder(which).name if is_remote(which) else which
    match = [m for m in mirrors if m.folder.name == wanted]
    if not match:
        known = ", ".join(m.server or m.folder.name for m in mirrors) or "none"
        raise StoreError(f"{which}: no mirror of that server in {root} (mirrors: {known})")
    _remove(match[0].folder)
    return match[0]


def prune(root: Path | None = None) -> list[tuple[Mirror, str, bool]]:
    """Delete the stale mirrors; keep the current ones, those whose server did not answer or is
    not recorded (they may still be of use), and those a build is writing ('busy').
    (mirror, status, deleted) for each mirror."""
    done = []
    for mirror in list_mirrors(root):
        state = status(mirror)
        try:
            if state == "stale":
                _remove(mirror.folder)
            else:
                with building(mirror.folder):  # clears what killed builds left beside it
                    pass
        except StoreError:  # a build is writing it: not this one's to delete
            state = "busy"
        done.append((mirror, state, state == "stale"))
    return done


def _remove(folder: Path) -> None:
    with build_lock(folder):  # refused while a build writes it
        try:
            shutil.rmtree(folder)
        except OSError as e:
            raise StoreError(f"{folder}: cannot delete this mirror: {e.strerror or e}") from None
        for left in folder.parent.glob(f"{folder.name}.building-*"):
            shutil.rmtree(left, ignore_errors=True)

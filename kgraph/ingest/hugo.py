"""Read a Hugo site: its config (for baseURL) and every page's front matter and body.

Pages come from people's editors, so nothing here trusts them: front matter is parsed with
the YAML safe loader behind guards for nesting depth and alias bombs, files are size-capped,
links out of the site and symlink loops are not followed. A page that cannot be read becomes
a `Skipped` record with a reason naming the problem, never an exception.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import tomllib
from collections.abc import Iterator
from pathlib import Path

import yaml

from kgraph.errors import InputError
from kgraph.model import Page, Site, Skipped

__all__ = ["open_site", "read_pages", "parse_front_matter", "FrontMatterError", "MAX_PAGE_BYTES"]

MAX_PAGE_BYTES = 2 * 1024 * 1024
MAX_NESTING = 64
MAX_NODES = 50_000

CONFIG_NAMES = (
    "config/_default/hugo.yaml", "config/_default/hugo.yml", "config/_default/hugo.toml",
    "config/_default/config.yaml", "config/_default/config.yml", "config/_default/config.toml",
    "hugo.yaml", "hugo.yml", "hugo.toml", "hugo.json", "config.yaml", "config.yml", "config.toml",
    "config.json",
)

_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class FrontMatterError(ValueError):
    """Front matter that cannot be used; the message says why (and the line when known)."""


def open_site(path: str | Path) -> Site:
    """Locate a Hugo site from its root or its content/ folder and read its baseURL."""
    p = Path(path).expanduser()
    if not p.exists():
        raise InputError(f"{path}: no such file or directory")
    if not p.is_dir():
        raise InputError(f"{path}: not a folder (give a Hugo site root or its content/ folder)")
    p = p.resolve()
    if (p / "content").is_dir():
        root, content = p, p / "content"
    elif p.name == "content" or _find_config(p.parent):
        root, content = p.parent, p
    else:
        root, content = p, p
    config = _read_config(root)
    base = str(config.get("baseURL") or config.get("baseurl") or "").strip()
    if not re.match(r"^https?://[^\s/]+", base):
        base = f"https://{root.name}/" if "." in root.name else f"https://{root.name or 'site'}.invalid/"
    if not base.endswith("/"):
        base += "/"
    title = config.get("title")
    return Site(root=root, content=content, base_url=base, title=title if isinstance(title, str) else "")


def _find_config(root: Path) -> Path | None:
    for name in CONFIG_NAMES:
        if (root / name).is_file():
            return root / name
    return None


def _read_config(root: Path) -> dict:
    path = _find_config(root)
    if path is None:
        return {}
    try:
        text = path.read_text(encoding="utf-8-sig")
        if path.suffix == ".toml":
            data = tomllib.loads(text)
        elif path.suffix == ".json":
            data = json.loads(text)
        else:
            _check_nesting(text)
            data = yaml.load(text, Loader=_Loader)
    except (OSError, ValueError, yaml.YAMLError, tomllib.TOMLDecodeError):
        return {}
    return data if isinstance(data, dict) else {}


def read_pages(site: Site) -> Iterator[Page | Skipped]:
    """Yield every markdown page under the content folder, in a stable (sorted) order."""
    for path in _markdown_files(site.content):
        rel = path.relative_to(site.content).as_posix()
        yield _read_page(site, path, rel)


def _markdown_files(content: Path) -> list[Path]:
    """All .md files below content, not following symlinked folders (no loops, no escapes)."""
    found = []
    for folder, dirs, files in os.walk(content, followlinks=False):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(files):
            if name.lower().endswith(".md") and not name.startswith("."):
                found.append(Path(folder) / name)
    return found


def _read_page(site: Site, path: Path, rel: str) -> Page | Skipped:
    if path.is_symlink():
        target = path.resolve()
        if not target.is_relative_to(site.root):
            return Skipped(rel, "symlink pointing outside the site", warning=True)
    try:
        size = path.stat().st_size
        if size > MAX_PAGE_BYTES:
            return Skipped(rel, f"file too large ({size} bytes > {MAX_PAGE_BYTES})", warning=True)
        raw = path.read_bytes()
    except OSError as e:
        return Skipped(rel, f"cannot read file: {e.strerror or e}", warning=True)
    if b"\x00" in raw:
        return Skipped(rel, "binary file (contains NUL bytes)", warning=True)
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        return Skipped(rel, f"not UTF-8 text (byte {e.start})", warning=True)
    try:
        meta, body, body_line = parse_front_matter(text)
    except FrontMatterError as e:
        return Skipped(rel, f"bad front matter: {e}", warning=True)
    return Page(site=site, path=path, rel=rel, meta=meta, body=body, body_line=body_line,
                kind=page_kind(rel, meta))


def parse_front_matter(text: str) -> tuple[dict, str, int]:
    """Split a page into (metadata, body, line number of the body's first line).

    YAML (---) and TOML (+++) front matter are read; a page without front matter has empty
    metadata. Raises FrontMatterError for front matter that is broken or not a mapping.
    """
    text = text.replace("\r\n", "\n")
    lines = text.split("\n")
    if not lines or lines[0].strip() not in ("---", "+++"):
        return {}, text, 1
    fence = lines[0].strip()
    for end in range(1, len(lines)):
        if lines[end].rstrip() == fence:
            break
    else:
        raise FrontMatterError(f"front matter opened with {fence!r} on line 1 is never closed")
    head = "\n".join(lines[1:end])
    body = "\n".join(lines[end + 1:])
    meta = _parse_toml(head) if fence == "+++" else _parse_yaml(head)
    return meta, body, end + 2


def _parse_toml(head: str) -> dict:
    try:
        return _plain(tomllib.loads(head))
    except tomllib.TOMLDecodeError as e:
        raise FrontMatterError(f"TOML: {e}") from None


def _parse_yaml(head: str) -> dict:
    _check_nesting(head)
    try:
        data = yaml.load(head, Loader=_Loader)
    except yaml.MarkedYAMLError as e:
        line = e.problem_mark.line + 2 if e.problem_mark else None
        where = f" at line {line}" if line else ""
        raise FrontMatterError(f"YAML{where}: {e.problem or e}") from None
    except (yaml.YAMLError, ValueError, TypeError, OverflowError) as e:
        raise FrontMatterError(f"YAML: {str(e).splitlines()[0] if str(e) else type(e).__name__}") from None
    except RecursionError:
        raise FrontMatterError("YAML nested too deeply") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise FrontMatterError(f"expected a mapping of keys to values, got a {type(data).__name__}")
    return _plain(data)


def _check_nesting(text: str) -> None:
    """Refuse front matter nested deeper than any real page, before the C parser can crash."""
    depth = deepest = 0
    for ch in text:
        if ch in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif ch in "]}":
            depth = max(0, depth - 1)
    if deepest > MAX_NESTING:
        raise FrontMatterError(f"nested more than {MAX_NESTING} levels deep")
    for line in text.split("\n"):
        if re.match(r"^\s*(?:-\s+){%d,}" % MAX_NESTING, line) or len(line) - len(line.lstrip()) > 4 * MAX_NESTING:
            raise FrontMatterError(f"nested more than {MAX_NESTING} levels deep")


def _plain(data: object) -> dict:
    """Copy parsed YAML into plain values, refusing alias bombs (too many nodes to walk)."""
    budget = [MAX_NODES]

    def walk(value: object, depth: int) -> object:
        budget[0] -= 1
        if budget[0] < 0 or depth > MAX_NESTING:
            raise FrontMatterError("front matter too large once aliases are expanded")
        if isinstance(value, dict):
            return {str(k): walk(v, depth + 1) for k, v in value.items()}
        if isinstance(value, (list, tuple)):
            return [walk(v, depth + 1) for v in value]
        if isinstance(value, (str, int, float, bool, dt.date, dt.time)) or value is None:
            return value
        return str(value)

    return walk(data, 0)  # type: ignore[return-value]


def page_kind(rel: str, meta: dict) -> str:
    """What kind of page Hugo makes of this file: episode, post, author, show, section, other."""
    parts = rel.split("/")
    name = parts[-1]
    if name == "_index.md":
        if parts[0] == "authors" and len(parts) == 3:
            return "author"
        if parts[0] == "shows" and len(parts) == 3:
            return "show"
        return "section"
    if parts[0] == "posts" and len(parts) > 1:
        cats = meta.get("categories")
        cats = [str(c).lower() for c in cats] if isinstance(cats, list) else []
        if "episodes" in parts[1] or "podcast" in cats:
            return "episode"
        return "post"
    return "other"


def publish_status(page: Page) -> str | None:
    """Why Hugo would not publish this page (draft, never rendered, template), or None."""
    meta = page.meta
    if meta.get("draft") in (True, "true", "True", "yes"):
        return "draft"
    for key in ("_build", "build"):
        opts = meta.get(key)
        if isinstance(opts, dict) and str(opts.get("render", "")).lower() in ("never", "false"):
            return "not rendered (build.render: never)"
    if page.kind in ("episode", "post") and not str(meta.get("title") or "").strip():
        return "template (empty title)"
    return None

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
import stat
import tomllib
from collections.abc import Iterator
from pathlib import Path

import yaml

from kgraph.errors import InputError
from kgraph.model import Page, Site, Skipped

__all__ = [
    "open_site", "read_pages", "parse_front_matter", "page_kind", "publish_status", "page_warnings",
    "FrontMatterError", "MAX_PAGE_BYTES",
]

MAX_PAGE_BYTES = 2 * 1024 * 1024  # far above any real page; a bigger .md file is a mistake or an attack
MAX_CONFIG_BYTES = 1024 * 1024
MAX_NESTING = 64
MAX_NODES = 50_000

CONFIG_NAMES = (
    "config/_default/hugo.yaml", "config/_default/hugo.yml", "config/_default/hugo.toml",
    "config/_default/config.yaml", "config/_default/config.yml", "config/_default/config.toml",
    "hugo.yaml", "hugo.yml", "hugo.toml", "hugo.json", "config.yaml", "config.yml", "config.toml",
    "config.json",
)

class _Loader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    """The (C) safe loader, reporting values it cannot build (2023-02-29, huge ints) with their line."""

    def construct_object(self, node, deep=False):
        try:
            return super().construct_object(node, deep)
        except (ValueError, OverflowError) as e:
            is_date = node.tag.endswith(":timestamp")
            what = f"invalid date {node.value!r}" if is_date else f"bad value {str(node.value)[:40]!r}"
            raise yaml.constructor.ConstructorError(None, None, f"{what}: {e}", node.start_mark) from None


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
    base = config.get("baseURL") or config.get("baseurl") or ""
    base = base.strip() if isinstance(base, str) else ""
    if not re.fullmatch(r"https?://[^\s/<>\"'\\{}|^`@]+(/[^\s<>\"'\\{}|^`]*)?", base):
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
        if path.stat().st_size > MAX_CONFIG_BYTES:
            return {}
        text = path.read_text(encoding="utf-8-sig")
        _check_nesting(text)
        if path.suffix == ".toml":
            data = tomllib.loads(text)
        elif path.suffix == ".json":
            data = json.loads(text)
        else:
            data = yaml.load(text, Loader=_Loader)
        return _plain(data) if isinstance(data, dict) else {}
    except (OSError, ValueError, yaml.YAMLError, RecursionError):
        return {}


def read_pages(site: Site) -> Iterator[Page | Skipped]:
    """Yield every markdown page under the content folder, in a stable (sorted) order."""
    for path in _markdown_files(site.content):
        rel = path.relative_to(site.content).as_posix()
        if path.is_dir():
            yield Skipped(_display(rel), "symlinked folder, not followed (its pages are not in the graph)",
                          warning=True)
            continue
        yield _read_page(site, path, rel)


def _markdown_files(content: Path) -> list[Path]:
    """All .md files below content, not following symlinked folders (no loops, no escapes).

    Symlinks to folders are listed too (as folders), so the build can say it left them out.
    """
    return [Path(path) for _, path in markdown_entries(content)]


def markdown_entries(content: Path) -> list[tuple[str, str]]:
    """(path relative to content with '/', absolute path) of every entry _markdown_files lists,
    in its order: in each folder its symlinked folders, then its .md files, then each real
    subfolder's entries, all sorted by name (as os.walk gives them). Plain strings and one
    scandir per folder: an incremental build lists 10,000 episode folders before it knows
    what changed."""
    found: list[tuple[str, str]] = []
    stack = [(str(content), "")]
    while stack:
        folder, prefix = stack.pop()
        try:
            with os.scandir(folder) as it:
                entries = sorted(it, key=lambda e: e.name)
        except OSError:
            continue
        dirs = [e for e in entries if not e.name.startswith(".") and _is_dir(e)]
        found.extend((prefix + e.name, e.path) for e in dirs if e.is_symlink())
        found.extend(
            (prefix + e.name, e.path)
            for e in entries
            if e.name.lower().endswith(".md") and not e.name.startswith(".") and not _is_dir(e)
        )
        stack.extend((e.path, prefix + e.name + "/") for e in reversed(dirs) if not e.is_symlink())
    return found


def _is_dir(entry: os.DirEntry) -> bool:
    try:
        return entry.is_dir()
    except OSError:
        return False


def _display(rel: str) -> str:
    """A file name as it can be printed: undecodable bytes and control characters made visible."""
    rel = rel.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    return re.sub(r"[\x00-\x1f\x7f]", lambda m: f"\\x{ord(m.group()):02x}", rel)


def _read_page(site: Site, path: Path, rel: str) -> Page | Skipped:
    shown = _display(rel)
    if shown != rel:
        return Skipped(shown, "file name is not valid UTF-8 text or holds control characters", warning=True)
    if path.is_symlink():
        try:
            target = path.resolve(strict=True)
        except (OSError, RuntimeError):
            return Skipped(rel, "broken symlink or symlink loop", warning=True)
        if not target.is_relative_to(site.root):
            return Skipped(rel, "symlink pointing outside the site", warning=True)
    raw = _read_bytes(path)
    if isinstance(raw, str):
        return Skipped(rel, raw, warning=True)
    text = _decode(raw)
    if text is None:
        return Skipped(rel, _decode_problem(raw), warning=True)
    if not text.strip():
        return Skipped(rel, "empty file", warning=True)
    try:
        meta, body, body_line = parse_front_matter(text)
    except FrontMatterError as e:
        return Skipped(rel, f"bad front matter: {e}", warning=True)
    kind = page_kind(rel, meta)
    problem = _title_problem(kind, meta)
    if problem:
        return Skipped(rel, problem, warning=True)
    return Page(site=site, path=path, rel=rel, meta=meta, body=body, body_line=body_line, kind=kind)


def _read_bytes(path: Path) -> bytes | str:
    """The file's bytes, or why it cannot be read (never blocks on a pipe, never reads past the cap)."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except OSError as e:
        return f"cannot read file: {e.strerror or e}"
    with os.fdopen(fd, "rb") as fh:
        try:
            info = os.fstat(fd)
            if not stat.S_ISREG(info.st_mode):
                return "not a regular file (a pipe, socket or device)"
            if info.st_size > MAX_PAGE_BYTES:
                return _too_large(info.st_size)
            raw = fh.read(MAX_PAGE_BYTES + 1)
        except OSError as e:
            return f"cannot read file: {e.strerror or e}"
    return _too_large(len(raw)) if len(raw) > MAX_PAGE_BYTES else raw


def _too_large(size: int) -> str:
    return f"file too large ({size:,} bytes; the limit is {MAX_PAGE_BYTES:,} bytes)"


def _decode(raw: bytes) -> str | None:
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")) or b"\x00" in raw:
        return None
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return None


def _decode_problem(raw: bytes) -> str:
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "UTF-16 text (Hugo reads UTF-8 only; save the file as UTF-8)"
    if b"\x00" in raw:
        return "binary file (contains NUL bytes), not markdown"
    try:
        raw.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        line = raw[: e.start].count(b"\n") + 1
        return f"not UTF-8 text (line {line}, byte {e.start}: {raw[e.start:e.start + 1]!r})"
    return "cannot decode file"


def _title_problem(kind: str, meta: dict) -> str:
    """Why an episode or post cannot be named: no title key, or a title that is not text."""
    if kind not in ("episode", "post") or meta.get("draft") in (True, "true", "True", "yes"):
        return ""
    if "title" not in meta:
        return "no title in front matter (an episode or post needs one)"
    title = meta["title"]
    if isinstance(title, dict | list):
        return f"title is a {'mapping' if isinstance(title, dict) else 'list'}, not text"
    return ""


def page_warnings(page: Page) -> list[str]:
    """Problems of a page that still loads (no date, a date that is not one), for the build's warnings."""
    if page.kind not in ("episode", "post"):
        return []
    date = page.meta.get("date")
    if date is None or date == "":
        return ["no date in front matter (the page is in the graph without schema:datePublished)"]
    if isinstance(date, dt.date) or isinstance(date, str) and re.match(r"\s*\d{4}-\d{1,2}-\d{1,2}", date):
        return []
    return [f"date {str(date)[:40]!r} is not a date (YYYY-MM-DD); the page is in the graph without one"]


def parse_front_matter(text: str) -> tuple[dict, str, int]:
    """Split a page into (metadata, body, line number of the body's first line).

    YAML (---), TOML (+++) and JSON ({...}) front matter are read, as Hugo does; a page without
    front matter has empty metadata. Raises FrontMatterError for front matter that is broken or
    not a mapping, naming the line when it is known.
    """
    text = text.lstrip("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    lines = text.split("\n")
    if lines[0].startswith("{"):
        return _parse_json(text)
    if lines[0].strip() not in ("---", "+++"):
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


def _parse_json(text: str) -> tuple[dict, str, int]:
    try:
        data, end = json.JSONDecoder().raw_decode(text)
    except ValueError as e:
        raise FrontMatterError(f"JSON: {e}") from None
    except RecursionError:
        raise FrontMatterError(f"nested more than {MAX_NESTING} levels deep") from None
    if not isinstance(data, dict):
        raise FrontMatterError(f"front matter is a {_kind(data)}, not a mapping of keys to values")
    rest = text[end:].lstrip(" \t")
    newline = rest.startswith("\n")
    return _plain(data), rest[newline:], text[:end].count("\n") + 1 + newline


def _parse_toml(head: str) -> dict:
    _check_nesting(head)
    try:
        return _plain(tomllib.loads(head))
    except tomllib.TOMLDecodeError as e:
        # tomllib counts lines from the front matter's first line; report file lines
        message = re.sub(r"\(at line (\d+)", lambda m: f"(at line {int(m.group(1)) + 1}", str(e))
        raise FrontMatterError(f"TOML: {message}") from None
    except RecursionError:
        raise FrontMatterError(f"nested more than {MAX_NESTING} levels deep") from None


def _parse_yaml(head: str) -> dict:
    _check_nesting(head)
    try:
        data = yaml.load(head, Loader=_Loader)
    except yaml.MarkedYAMLError as e:
        raise FrontMatterError(_yaml_message(e)) from None
    except (yaml.YAMLError, ValueError, TypeError, OverflowError) as e:
        raise FrontMatterError(f"YAML: {str(e).splitlines()[0] if str(e) else type(e).__name__}") from None
    except RecursionError:
        raise FrontMatterError(f"nested more than {MAX_NESTING} levels deep") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise FrontMatterError(f"front matter is a {_kind(data)}, not a mapping of keys to values")
    return _plain(data)


def _kind(value: object) -> str:
    return {"list": "list", "str": "plain string", "int": "number", "float": "number"}.get(
        type(value).__name__, type(value).__name__)


def _yaml_message(e: yaml.MarkedYAMLError) -> str:
    """'YAML at line 5: found unexpected end of stream (while scanning a quoted scalar from line 4)'."""
    def line(mark) -> int:
        return mark.line + 2  # the front matter starts on the file's second line
    where = f" at line {line(e.problem_mark)}" if e.problem_mark else ""
    text = f"YAML{where}: {e.problem or e.context or 'invalid'}"
    if e.context and e.problem and e.context_mark:
        text += f" ({e.context} from line {line(e.context_mark)})"
    return text


_BLOCK_NESTING = re.compile(r"^[ \t]*(?:[-?:][ \t]+){%d,}" % MAX_NESTING)  # noqa: UP031
_BRACKETS = re.compile(r"[\[\]{}]")


def _check_nesting(text: str) -> None:
    """Refuse front matter nested deeper than any real page, before the C parser can crash.

    Counts flow brackets, block indicators starting a line ("- - - x", "? ? x") and indentation.
    """
    depth = deepest = 0
    if "[" in text or "{" in text:
        for ch in _BRACKETS.findall(text):  # the brackets only, not every character
            if ch in "[{":
                depth += 1
                deepest = max(deepest, depth)
            else:
                depth = max(0, depth - 1)
    # Either test needs a line of 2 * MAX_NESTING characters or more: most pages have none.
    long_lines = [line for line in text.split("\n") if len(line) >= 2 * MAX_NESTING]
    too_deep = deepest > MAX_NESTING or any(
        _BLOCK_NESTING.match(line) or len(line) - len(line.lstrip()) > 4 * MAX_NESTING for line in long_lines)
    if too_deep:
        raise FrontMatterError(f"nested more than {MAX_NESTING} levels deep")


def _plain(data: object) -> dict:
    """Copy parsed YAML into plain values, refusing alias bombs (too many nodes to walk)."""
    budget = [MAX_NODES]

    def walk(value: object, depth: int) -> object:
        budget[0] -= 1
        if budget[0] < 0:
            raise FrontMatterError(f"more than {MAX_NODES:,} values once YAML aliases are expanded")
        if depth > MAX_NESTING:
            raise FrontMatterError(f"nested more than {MAX_NESTING} levels deep")
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


def read_file(site: Site, path: Path, rel: str) -> Page | Skipped:
    """One entry of markdown_files as read_pages gives it (an incremental build reads only some)."""
    if path.is_dir():
        return Skipped(_display(rel), "symlinked folder, not followed (its pages are not in the graph)", warning=True)
    return _read_page(site, path, rel)

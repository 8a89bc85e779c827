"""Chapter timestamps: every form the pages use, to (seconds, title).

Seen forms: `03:15 ❙ Title<br>`, `1:02:03 | Title`, `•  (03:23) - Title`, `[12:30] Title`.
"""

from __future__ import annotations

import re

from kgraph.extract.links import strip_markup
from kgraph.model import Chapter

__all__ = ["find_chapters", "to_seconds"]

_STAMP = re.compile(
    r"^\s*(?:[-*+•]\s*)?[\(\[]?(?P<t>(?:\d{1,2}:)?\d{1,2}:\d{2})[\)\]]?\s*"
    r"(?:[❙|｜\-–—:•·]\s*)?(?P<title>\S.*)$"
)
_SEP_REQUIRED = re.compile(
    r"^\s*(?:[-*+•]\s*)?(?:[\(\[](?:\d{1,2}:)?\d{1,2}:\d{2}[\)\]]|(?:\d{1,2}:)?\d{1,2}:\d{2}\s*[❙|｜\-–—•·])"
)
_LINE_BREAK = re.compile(r"\n|<br\s*/?>", re.I)
_DIGIT_FIRST = re.compile(r"^\d")


def to_seconds(stamp: str) -> int:
    """'1:02:03' -> 3723, '03:15' -> 195."""
    total = 0
    for part in stamp.split(":"):
        total = total * 60 + int(part)
    return total


def find_chapters(body: str) -> tuple[Chapter, ...]:
    """Chapters in page order; a line counts when a timestamp starts it and a title follows."""
    chapters: list[Chapter] = []
    for raw in _LINE_BREAK.split(body):
        if ":" not in raw and "&" not in raw:
            continue  # strip_markup only removes characters, or makes them from entities: no stamp here
        line = strip_markup(raw)
        if not _SEP_REQUIRED.match(line):
            continue
        m = _STAMP.match(line)
        if not m:
            continue
        title = m.group("title").strip(" ❙|-–—")
        if not title or _DIGIT_FIRST.match(title) and ":" in title[:6]:
            continue
        chapters.append(Chapter(start=to_seconds(m.group("t")), title=title))
    return tuple(chapters)

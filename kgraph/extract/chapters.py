"""Chapter timestamps: every form the pages use, to (seconds, title).

Seen forms: `03:15 ❙ Title<br>`, `1:02:03 | Title`, `•  (03:23) - Title`, `[12:30] Title`.

Titles are the text a reader sees. Hugo renders Markdown with goldmark, which follows CommonMark:
inside a raw HTML block (a line starting with `<div ...>` runs until the next blank line) Markdown
is not interpreted, so `How *is* OpenAI making money?` shows its asterisks and the title keeps
them; outside one, emphasis marks are formatting and go.
"""

from __future__ import annotations

import re

from kgraph.extract.links import strip_html, strip_markup
from kgraph.model import Chapter

__all__ = ["find_chapters", "to_seconds", "html_block_lines"]

_STAMP = re.compile(
    r"^\s*(?:[-*+•]\s*)?[\(\[]?(?P<t>(?:\d{1,2}:)?\d{1,2}:\d{2})[\)\]]?\s*"
    r"(?:[❙|｜\-–—:•·]\s*)?(?P<title>\S.*)$"
)
_SEP_REQUIRED = re.compile(
    r"^\s*(?:[-*+•]\s*)?(?:[\(\[](?:\d{1,2}:)?\d{1,2}:\d{2}[\)\]]|(?:\d{1,2}:)?\d{1,2}:\d{2}\s*[❙|｜\-–—•·])"
)
_LINE_BREAK = re.compile(r"<br\s*/?>", re.I)
_DIGIT_FIRST = re.compile(r"^\d")
_DIGIT = re.compile(r"\d")

# CommonMark HTML blocks (spec 0.31, section 4.6). Type 1 (<pre>, <script>, <style>, <textarea>)
# runs to its closing tag; type 6 (a block-level tag) and type 7 (any other whole tag alone on its
# line, which cannot interrupt a paragraph) run to the next blank line. Types 2-5 (comments,
# <?...?>, <!X...>, CDATA) hold no visible text.
_HTML_BLOCK_1 = re.compile(r"^ {0,3}<(?:pre|script|style|textarea)(?:\s|>|$)", re.I)
_HTML_BLOCK_1_END = re.compile(r"</(?:pre|script|style|textarea)>", re.I)
_HTML_BLOCK_6 = re.compile(
    r"^ {0,3}</?(?:address|article|aside|base|basefont|blockquote|body|caption|center|col|colgroup|dd|"
    r"details|dialog|dir|div|dl|dt|fieldset|figcaption|figure|footer|form|frame|frameset|h[1-6]|head|"
    r"header|hr|html|iframe|legend|li|link|main|menu|menuitem|nav|noframes|ol|optgroup|option|p|param|"
    r"search|section|summary|table|tbody|td|tfoot|th|thead|title|tr|track|ul)(?:\s|/?>|$)",
    re.I,
)
_ATTRIBUTE = r"""\s+[A-Za-z_:][\w.:-]*(?:\s*=\s*(?:[^\s"'=<>`]+|'[^']*'|"[^"]*"))?"""
_HTML_BLOCK_7 = re.compile(
    rf"^ {{0,3}}(?:<[A-Za-z][A-Za-z0-9-]*(?:{_ATTRIBUTE})*\s*/?>|</[A-Za-z][A-Za-z0-9-]*\s*>)\s*$"
)
_ATX_HEADING = re.compile(r"^ {0,3}#{1,6}(?:\s|$)")


def to_seconds(stamp: str) -> int:
    """'1:02:03' -> 3723, '03:15' -> 195."""
    total = 0
    for part in stamp.split(":"):
        total = total * 60 + int(part)
    return total


def html_block_lines(lines: list[str]) -> list[bool]:
    """For each line, whether it sits in a raw HTML block, where Markdown is shown as written.

    Follows CommonMark's start and end conditions for the blocks that hold text (types 1, 6, 7).
    A type 7 block does not start in the middle of a paragraph: '<small>' right under a line of
    prose is inline HTML in that paragraph, and Markdown around it is rendered.
    """
    out: list[bool] = []
    until_blank = False
    closing: re.Pattern | None = None
    in_paragraph = False
    for line in lines:
        blank = not line.strip()
        if closing is not None:
            out.append(True)
            if closing.search(line):
                closing = None
            continue
        if until_blank:
            if blank:
                until_blank = False
                out.append(False)
            else:
                out.append(True)
            continue
        if _HTML_BLOCK_1.match(line):
            out.append(True)
            closing = None if _HTML_BLOCK_1_END.search(line) else _HTML_BLOCK_1_END
            in_paragraph = False
            continue
        if _HTML_BLOCK_6.match(line) or not in_paragraph and _HTML_BLOCK_7.match(line):
            out.append(True)
            until_blank = True
            in_paragraph = False
            continue
        out.append(False)
        in_paragraph = not blank and not _ATX_HEADING.match(line)
    return out


def find_chapters(body: str) -> tuple[Chapter, ...]:
    """Chapters in page order; a line counts when a timestamp starts it and a title follows."""
    chapters: list[Chapter] = []
    lines = body.split("\n")
    in_html = html_block_lines(lines) if "<" in body else [False] * len(lines)
    for source, literal in zip(lines, in_html, strict=True):
        for raw in _LINE_BREAK.split(source):
            if "&" not in raw and not _DIGIT.search(raw, 0, raw.rfind(":")):
                continue  # stripping only removes characters (entities aside): no digit before a colon, no stamp
            line = strip_html(raw) if literal else strip_markup(raw)
            chapter = _chapter(line)
            if chapter is not None:
                chapters.append(chapter)
    return tuple(chapters)


def _chapter(line: str) -> Chapter | None:
    """The chapter a line of visible text announces, or None."""
    if not _SEP_REQUIRED.match(line):
        return None
    m = _STAMP.match(line)
    if not m:
        return None
    title = m.group("title").strip(" ❙|-–—")
    if not title or _DIGIT_FIRST.match(title) and ":" in title[:6]:
        return None
    return Chapter(start=to_seconds(m.group("t")), title=title)

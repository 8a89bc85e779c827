"""Find every link in a page body, with the words around it.

Kairos.fm-style pages mix markdown and inline HTML: `[text](url)`, `<a href="url">text</a>`,
bare URLs, nested lists and headings in both syntaxes. For each link we keep the nearest
heading, the line's text, the words before and after it, and the parent list item, because
that is where a page says what a link is ("Reuters [article](...) - Title").
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass

from kgraph.model import Link

__all__ = ["find_links", "strip_markup", "headings"]

_MD_LINK = re.compile(
    r"(?<!!)\[((?:[^\[\]]|\[[^\[\]]*\])*)\]\(\s*<?((?:[^()\s<>]|\([^()\s]*\))+)>?(?:\s+\"[^\"]*\")?\s*\)"
)
# The anchor text stops at the next "<a": an unclosed anchor costs one scan to the next tag,
# not one to the end of the line per tag (quadratic on a line of thousands of "<a href=x>").
_HTML_LINK = re.compile(
    r"<a\s[^>]*?href\s*=\s*(\"[^\"]*\"|'[^']*'|[^\s>]+)[^>]*>((?:(?!<a[\s>]).)*?)</a\s*>", re.I | re.S
)
_AUTOLINK = re.compile(r"<(https?://[^\s<>]+)>")
_BARE = re.compile(r"(?<![\"'(=<\[\w/])(https?://[^\s<>\"'\])]+[^\s<>\"'\]).,;:!?])")
_MD_HEADING = re.compile(r"^\s{0,3}(#{1,6})\s+(.*?)\s*#*\s*$")
_HTML_HEADING = re.compile(r"<h([1-6])[^>]*>(.*?)</h\1\s*>", re.I | re.S)
_BULLET = re.compile(r"^(\s*)(?:[-*+•]|\d+[.)])\s+")
_TAG = re.compile(r"<[^>]+>")
_SHORTCODE = re.compile(r"\{\{[<%].*?[%>]\}\}", re.S)
_COMMENT = re.compile(r"<!--.*?-->", re.S)
_BR = re.compile(r"<br\s*/?>", re.I)
_EMPHASIS = re.compile(r"(\*\*|__|\*|`)")
_SPACES = re.compile(r"\s+")
# A paragraph that introduces the reference list on pages without a "Links" heading.
_LIST_INTRO = re.compile(r"\b(links?|references?|resources|sources|further reading)\b", re.I)


@dataclass
class _Item:
    indent: int
    text: str


def strip_markup(text: str) -> str:
    """Plain text of a markdown/HTML fragment: links become their text, tags and entities go."""
    if "{{" in text:
        text = _SHORTCODE.sub(" ", text)
    if "](" in text:
        text = _MD_LINK.sub(_first_group, text)
    if "<" in text:
        text = _TAG.sub("", _BR.sub(" ", text))
    if "&" in text:
        text = html.unescape(text)
    return _SPACES.sub(" ", _EMPHASIS.sub("", text)).strip()


def _first_group(m: re.Match) -> str:
    return m.group(1)


def _blank_comments(body: str) -> str:
    """Replace HTML comments and fenced code with spaces, keeping line numbers intact."""
    body = _COMMENT.sub(lambda m: re.sub(r"[^\n]", " ", m.group(0)), body)
    out, fenced = [], False
    for line in body.split("\n"):
        if line.lstrip().startswith(("```", "~~~")):
            fenced = not fenced
            out.append("")
        else:
            out.append("" if fenced else line)
    return "\n".join(out)


def headings(body: str) -> list[tuple[int, str]]:
    """(0-based line index, heading text) for every markdown or HTML heading."""
    found = []
    for i, line in enumerate(_blank_comments(body).split("\n")):
        m = _MD_HEADING.match(line)
        if m:
            found.append((i, strip_markup(m.group(2))))
            continue
        for hm in _HTML_HEADING.finditer(line):
            found.append((i, strip_markup(hm.group(2))))
    return found


def find_links(body: str, first_line: int = 1) -> list[Link]:
    """Every link in the body, in order, with its context. Line numbers count from first_line."""
    clean = _blank_comments(body)
    links: list[Link] = []
    section = ""
    stack: list[_Item] = []
    for i, line in enumerate(clean.split("\n")):
        m = _MD_HEADING.match(line)
        if m:
            section, stack = strip_markup(m.group(2)), []
            continue
        hm = _HTML_HEADING.search(line)
        if hm:
            section = strip_markup(hm.group(2))
        bullet = _BULLET.match(line)
        parent = ""
        if bullet:
            indent = len(bullet.group(1).expandtabs(4))
            while stack and stack[-1].indent >= indent:
                stack.pop()
            parent = stack[-1].text if stack else ""
            stack.append(_Item(indent, strip_markup(line[bullet.end() :])))
        elif line.strip() and not line.startswith((" ", "\t")):
            stack = []
            if _LIST_INTRO.search(line) and not _HTML_LINK.search(line) and not _MD_LINK.search(line):
                section = "Links"
        links.extend(_links_on_line(line, first_line + i, section, parent))
    return links


def _links_on_line(line: str, lineno: int, section: str, parent: str) -> list[Link]:
    text = _BULLET.sub("", line, count=1)
    spans: list[tuple[int, int, str, str]] = []
    for m in _MD_LINK.finditer(text):
        spans.append((m.start(), m.end(), m.group(2), strip_markup(m.group(1))))
    for m in _HTML_LINK.finditer(text):
        href = html.unescape(m.group(1).strip("\"'"))
        spans.append((m.start(), m.end(), href, strip_markup(m.group(2))))
    for m in _AUTOLINK.finditer(text):
        spans.append((m.start(), m.end(), m.group(1), m.group(1)))
    taken = [(s, e) for s, e, _, _ in spans]
    for m in _BARE.finditer(text):
        if not any(s <= m.start() < e for s, e in taken) and not _inside_tag(text, m.start()):
            spans.append((m.start(), m.end(), m.group(1), m.group(1)))
    for pattern, template in _TEXT_REFS:
        for m in pattern.finditer(text):
            taken = [(s, e) for s, e, _, _ in spans]
            if not any(s <= m.start() < e or s < m.end() <= e for s, e in taken):
                spans.append((m.start(), m.end(), template.format(m.group(1)), ""))
    spans.sort()
    context = strip_markup(text)
    out = []
    for start, end, url, anchor in spans:
        if _SHORTCODE.search(text[max(0, start - 40) : end + 5]):
            continue
        lead = strip_markup(text[:start])
        tail = strip_markup(text[end:])
        out.append(
            Link(
                url=url.strip(),
                text=anchor,
                line=lineno,
                section=section,
                context=context,
                parent=parent,
                lead=lead,
                tail=tail,
            )
        )
    return out


# Identifiers written as text in reference lists ("doi: 10.1126/…", "arXiv:2206.07682").
_TEXT_REFS = (
    (
        re.compile(r"(?<![\w/.])(?:doi:\s*|DOI:?\s+)?(10\.\d{4,9}/[^\s\"<>]*[^\s\"<>.,;:)\]])", re.I),
        "https://doi.org/{}",
    ),
    (re.compile(r"(?<![\w/.])arXiv:\s?(\d{4}\.\d{4,5})(?:v\d+)?\b", re.I), "https://arxiv.org/abs/{}"),
)


def _inside_tag(text: str, pos: int) -> bool:
    """True when pos falls inside an HTML tag or shortcode (an attribute value, not a link)."""
    before = text[:pos]
    return before.rfind("<") > before.rfind(">") or before.rfind("{{") > before.rfind("}}")

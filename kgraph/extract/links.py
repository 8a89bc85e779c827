"""Find every link in a page body, with the words around it.

Kairos.fm-style pages mix markdown and inline HTML: `[text](url)`, `<a href="url">text</a>`,
bare URLs, nested lists and headings in both syntaxes. For each link we keep the nearest
heading, the line's text, the words before and after it, and the parent list item, because
that is where a page says what a link is ("Reuters [article](...) - Title").
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache

from kgraph.model import Link

__all__ = ["find_links", "strip_markup", "strip_html", "headings"]

# Written to be fast, same matches as '(?<!!)\[((?:[^\[\]]|\[[^\[\]]*\])*)\]\(...': a pattern that starts with
# a literal lets the engine jump from '[' to '[' (the look-behind now follows it), and runs of plain
# characters are taken whole (++): giving some back could only leave a character that cannot end the
# text or URL, so no match is lost.
_MD_LINK = re.compile(
    r"\[(?<!!\[)((?:[^\[\]]++|\[[^\[\]]*\])*)\]\(\s*<?((?:[^()\s<>]++|\([^()\s]*\))+)>?(?:\s+\"[^\"]*\")?\s*\)"
)
# The anchor text stops at the next "<a": an unclosed anchor costs one scan to the next tag,
# not one to the end of the line per tag (quadratic on a line of thousands of "<a href=x>").
_HTML_LINK = re.compile(
    r"<a\s[^>]*?href\s*=\s*(\"[^\"]*\"|'[^']*'|[^\s>]+)[^>]*>((?:(?!<a[\s>]).)*?)</a\s*>", re.I | re.S
)
_AUTOLINK = re.compile(r"<(https?://[^\s<>]+)>")
_BARE = re.compile(
    r"(h(?<![\"'(=<\[\w/]h)ttps?://[^\s<>\"'\])]+[^\s<>\"'\]).,;:!?])"
)  # look-behind after the 'h', as above
_MD_HEADING = re.compile(r"^\s{0,3}(#{1,6})\s+(.*?)\s*#*\s*$")
_HTML_HEADING = re.compile(r"<h([1-6])[^>]*>(.*?)</h\1\s*>", re.I | re.S)
_BULLET = re.compile(r"^(\s*)(?:[-*+•]|\d+[.)])\s+")
_TAG = re.compile(r"<[^>]+>")
# Tags that end a block or cell: '<li>A</li><li>B</li>' reads 'A B', not 'AB' (which would hide
# 'Google DeepMind' in '...to Google DeepMind</li><li>Warning...')
_BLOCK_TAG = re.compile(
    r"</?(?:p|div|li|ul|ol|dl|dt|dd|tr|td|th|table|thead|tbody|h[1-6]|blockquote|section|article|"
    r"figure|figcaption|header|footer|aside|nav|pre|hr)\b[^>]*>",
    re.I,
)
_SHORTCODE = re.compile(r"\{\{[<%].*?[%>]\}\}", re.S)
_COMMENT = re.compile(r"<!--.*?-->", re.S)
_BR = re.compile(r"<br\s*/?>", re.I)
_EMPHASIS = re.compile(r"(\*\*|__|\*|`)")  # what _without_emphasis removes
# A paragraph that introduces the reference list on pages without a "Links" heading.
_LIST_INTRO = re.compile(r"\b(links?|references?|resources|sources|further reading)\b", re.I)


@dataclass
class _Item:
    indent: int
    text: str


def strip_markup(text: str) -> str:
    """Plain text of a markdown/HTML fragment: links become their text, tags and entities go."""
    if len(text) <= _CACHED_LENGTH:
        return _strip_short(text)
    return _strip(text)


def strip_html(text: str) -> str:
    """Plain text of a line of raw HTML: shortcodes and tags go, entities are decoded, Markdown
    stays as written (inside an HTML block it is not interpreted, see chapters.html_block_lines)."""
    if "{{" in text:
        text = _SHORTCODE.sub(" ", text)
    if "<" in text:
        text = _TAG.sub("", _BLOCK_TAG.sub(" ", _BR.sub(" ", text)))
    if "&" in text:
        text = html.unescape(text)
    return " ".join(text.split())


_CACHED_LENGTH = 400  # lines and fragments repeat (a list item is also its line's context); bodies do not


@lru_cache(maxsize=8192)
def _strip_short(text: str) -> str:
    return _strip(text)


def _strip(text: str) -> str:
    # Each step only where its markup can be: most fragments are plain words.
    if "{{" in text:
        text = _SHORTCODE.sub(" ", text)
    if "](" in text:
        text = _MD_LINK.sub(_link_text, text)
    if "<" in text:
        if "<b" in text or "<B" in text:
            text = _BR.sub(" ", text)
        text = _TAG.sub("", _BLOCK_TAG.sub(" ", text))
    if "&" in text:
        text = html.unescape(text)
    if "*" in text or "__" in text or "`" in text:
        text = _without_emphasis(text)
    return " ".join(text.split())  # str.split() and re's \s agree on every Unicode space


def _without_emphasis(text: str) -> str:
    """_EMPHASIS.sub("", text) by str.replace, several times faster on a whole body. Pairs of
    underscores go first, taken from left to right in the text as written, as the regex takes
    them; removing '*' or '`' first could join two lone ones ('_*_')."""
    return text.replace("__", "").replace("*", "").replace("`", "")


def _link_text(m: re.Match) -> str:
    """A markdown link's text: what _MD_LINK.sub(r"\\1", ...) puts in its place, without re's
    template expansion, which costs several times more per link."""
    return m.group(1)


def _blank_comments(body: str) -> str:
    """Replace HTML comments and fenced code with spaces, keeping line numbers intact."""
    if "<!--" in body:
        body = _COMMENT.sub(lambda m: re.sub(r"[^\n]", " ", m.group(0)), body)
    if "```" not in body and "~~~" not in body:
        return body  # no fence: every line stays as it is
    out, fenced = [], False
    for line in body.split("\n"):
        if line.lstrip().startswith(("```", "~~~")):
            fenced = not fenced
            out.append("")
        else:
            out.append("" if fenced else line)
    return "\n".join(out)


# An HTML anchor left open at the end of a line: '<a href="…">Filling Gaps in … of AI' + newline + '</a> (…)'.
_OPEN_ANCHOR = re.compile(r"<a\s[^>]*href[^>]*>(?:(?!</a\s*>|<a[\s>]).)*$", re.I)


def _join_split_anchors(body: str) -> str:
    """Join a line whose last HTML anchor is still open to the next line when that line closes it,
    so a title that wraps inside <a>…</a> is one link; the next line is left blank (line numbers
    stay) and the joined text keeps the rest of that line as the link's tail."""
    if "<a" not in body and "<A" not in body:
        return body
    lines = body.split("\n")
    for i in range(len(lines) - 1):
        line = lines[i]
        if ("<a" in line or "<A" in line) and _OPEN_ANCHOR.search(line) and "</a" in lines[i + 1].lower():
            lines[i] = line.rstrip() + " " + lines[i + 1].strip()
            lines[i + 1] = ""
    return "\n".join(lines)


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
    clean = _join_split_anchors(_blank_comments(body))
    links: list[Link] = []
    section = ""
    stack: list[_Item] = []
    for i, line in enumerate(clean.split("\n")):
        if not line or line.isspace():
            continue  # no heading, no link, and it neither opens nor closes a list
        m = _MD_HEADING.match(line) if "#" in line else None
        if m:
            section, stack = strip_markup(m.group(2)), []
            continue
        hm = _HTML_HEADING.search(line) if "<h" in line or "<H" in line else None
        if hm:
            section = strip_markup(hm.group(2))
        bullet = _BULLET.match(line)
        parent = ""
        text = line
        if bullet:
            indent = len(bullet.group(1).expandtabs(4))
            while stack and stack[-1].indent >= indent:
                stack.pop()
            parent = stack[-1].text if stack else ""
            text = line[bullet.end() :]
            stack.append(_Item(indent, strip_markup(text)))
        elif not line.startswith((" ", "\t")):
            stack = []
            if _may_hold(line, _INTRO_WORDS) and _LIST_INTRO.search(line) and not _has_link_markup(line):
                section = "Links"
        links.extend(_links_on_line(text, first_line + i, section, parent))
    return links


def _may_hold(text: str, words: tuple[str, ...]) -> bool:
    """False only when no case-insensitive regex for one of these lower-case ASCII words can match.

    A cheap test before a regex with re.I: lower case, plus the three non-ASCII letters that
    re.I also matches to ASCII ones (dotted and dotless i, long s; the Kelvin sign lowers to k).
    """
    folded = text.lower()
    if not folded.isascii():
        folded = folded.replace("\u0307", "").replace("ı", "i").replace("ſ", "s")
    return any(w in folded for w in words)


_INTRO_WORDS = ("link", "reference", "resources", "sources", "further reading")


def _has_link_markup(line: str) -> bool:
    return bool(("<a" in line or "<A" in line) and _HTML_LINK.search(line) or "](" in line and _MD_LINK.search(line))


def _links_on_line(text: str, lineno: int, section: str, parent: str) -> list[Link]:
    """The links on one line (its list bullet already removed). Each regex runs only when the
    line holds the literal text it needs ('](', '<a', '://', '10.'): most lines hold none, which
    one scan for all of them tells."""
    if not _LINK_HINT.search(text):
        return []
    spans: list[tuple[int, int, str, str]] = []
    if "](" in text:
        for m in _MD_LINK.finditer(text):
            spans.append((m.start(), m.end(), m.group(2), strip_markup(m.group(1))))
    if "<a" in text or "<A" in text:
        for m in _HTML_LINK.finditer(text):
            href = html.unescape(m.group(1).strip("\"'"))
            spans.append((m.start(), m.end(), href, strip_markup(m.group(2))))
    if "<http" in text:
        for m in _AUTOLINK.finditer(text):
            spans.append((m.start(), m.end(), m.group(1), m.group(1)))
    if "://" in text:
        taken = [(s, e) for s, e, _, _ in spans]
        for m in _BARE.finditer(text):
            if not any(s <= m.start() < e for s, e in taken) and not _inside_tag(text, m.start()):
                spans.append((m.start(), m.end(), m.group(1), m.group(1)))
    for needs, pattern, template, before in _TEXT_REFS:
        for m in _text_refs(text, pattern, needs, before):
            taken = [(s, e) for s, e, _, _ in spans]
            if not any(s <= m.start() < e or s < m.end() <= e for s, e in taken):
                spans.append((m.start(), m.end(), template.format(m.group(1)), ""))
    if not spans:
        return []
    spans.sort()
    context = strip_markup(text)
    shortcodes = "{{" in text
    out = []
    for start, end, url, anchor in spans:
        if shortcodes and _SHORTCODE.search(text[max(0, start - 40) : end + 5]):
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


# Every literal text some link on a line holds: '](' (markdown), '<a' (HTML), '<http' and '://' (bare), and
# those of _TEXT_REFS ('10.', 'v:'). Each alternative starts with a literal, so the engine skips to their first
# characters.
_LINK_HINT = re.compile(r"\]\(|<a|<A|://|10\.|v:|V:")

# Identifiers written as text in reference lists ("doi: 10.1126/…", "arXiv:2206.07682").
# Each with literal texts one of which every match holds ('v' matches only 'v' and 'V' under re.I), and
# how far before it a match can start: 4 characters ('arXi'), or None for a DOI: 'doi:' or 'DOI' and
# the spaces after it.
_TEXT_REFS = (
    (
        ("10.",),
        re.compile(r"(?<![\w/.])(?:doi:\s*|DOI:?\s+)?(10\.\d{4,9}/[^\s\"<>]*[^\s\"<>.,;:)\]])", re.I),
        "https://doi.org/{}",
        None,
    ),
    (
        ("v:", "V:"),
        re.compile(r"(?<![\w/.])arXiv:\s?(\d{4}\.\d{4,5})(?:v\d+)?\b", re.I),
        "https://arxiv.org/abs/{}",
        4,
    ),
)


def _text_refs(text: str, pattern: re.Pattern, literals: tuple[str, ...], before: int | None) -> Iterator[re.Match]:
    """What pattern.finditer(text) finds, tried only where a match can start: up to `before`
    characters ahead of an occurrence of one of the literals, or (None) ahead of the spaces
    before it and four characters more ('doi:  10.'). A case-blind pattern cannot skip ahead by
    itself: scanning the whole line cost more than all the rest of the line's work."""
    starts: set[int] = set()
    for literal in literals:
        i = text.find(literal)
        while i >= 0:
            first = i
            if before is None:
                while first > 0 and text[first - 1].isspace():
                    first -= 1
            starts.update(range(max(0, first - (4 if before is None else before)), i + 1))
            i = text.find(literal, i + 1)
    end = 0
    for start in sorted(starts):
        if start >= end and (m := pattern.match(text, start)):
            end = m.end()
            yield m


def _inside_tag(text: str, pos: int) -> bool:
    """True when pos falls inside an HTML tag or shortcode (an attribute value, not a link)."""
    return text.rfind("<", 0, pos) > text.rfind(">", 0, pos) or text.rfind("{{", 0, pos) > text.rfind("}}", 0, pos)

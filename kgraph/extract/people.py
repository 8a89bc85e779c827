"""People: guests named in titles and summaries, hosts from author and show pages.

Names are normalised once (no honorifics, no possessive, single spaces) and keyed by slug, so
"Dr. Peter Park" in a title and "Peter Park's" in a body are one node across the site.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from importlib import resources

__all__ = [
    "looks_like_person",
    "clean_name",
    "person_key",
    "slug",
    "guests_from_title",
    "looks_like_name",
    "HONORIFICS",
]

HONORIFICS = re.compile(r"^(?:(?:dr|prof|professor|mr|mrs|ms|mx|sir|dame|rev|hon|st)\.?\s+)+", re.I)
_SUFFIX = re.compile(r",?\s+(?:phd|ph\.d\.|md|jr\.?|sr\.?|esq\.?)$", re.I)
_TITLE_GUESTS = re.compile(
    r"(?:\s|^)(?:w/|with|ft\.?|feat\.?|featuring)\s+(?P<names>.+?)\s*(?:\(\s*\d+\s*\)|\[\s*\d+\s*\])?\s*$", re.I
)
_NAME_TOKEN = re.compile(r"^(?:[A-Z][\w'’.\-]*|de|da|van|von|der|den|la|le|du|di|del|bin|al|ter)$", re.U)


def slug(text: str) -> str:
    """ASCII slug, stable across machines: 'Renée Good' -> 'renee-good'."""
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "x"


def clean_name(name: str) -> str:
    """'Dr. Jane  Doe's' -> 'Jane Doe'."""
    name = re.sub(r"\s+", " ", name).strip(" \t\"'“”‘’,;:()")
    name = HONORIFICS.sub("", name)
    name = _SUFFIX.sub("", name)
    name = re.sub(r"['’]s$", "", name)
    return name.strip(" .,")


def person_key(name: str) -> str:
    return slug(clean_name(name))


def looks_like_name(text: str, allow_single: bool = False) -> bool:
    """Capitalised words, 1-5 of them, no digits: a plausible person (or channel) name."""
    tokens = text.split()
    if not tokens or len(tokens) > 5 or any(ch.isdigit() for ch in text):
        return False
    if len(tokens) == 1 and not allow_single:
        return False
    return all(_NAME_TOKEN.match(t) for t in tokens) and tokens[0][0].isupper()


def guests_from_title(title: str, summary: str = "", intro: str = "") -> list[str]:
    """Guest names from titles like 'Topic w/ Dr. Jane Doe & John Roe (2)'.

    'w/' introduces guests even when a single word follows (a channel name); 'with' needs
    something that looks like a full name, a handle written like one ('TTotal'), or a word the
    summary repeats, so 'Playing with Fire' names nobody. A lone first name takes the full name
    the summary or intro (the page's opening text) gives it before borrowing another guest's surname.
    """
    m = _TITLE_GUESTS.search(title)
    if not m:
        return []
    explicit = m.group(0).strip().lower().startswith(("w/", "ft", "feat"))
    honorific = bool(HONORIFICS.match(m.group("names")))
    parts = [clean_name(p) for p in re.split(r"\s*(?:,|&|\band\b|\+)\s*", m.group("names")) if p.strip()]

    def single_ok(p: str) -> bool:
        return (
            explicit
            or honorific
            or bool(re.search(r"[A-Z]", p[1:]))
            or bool(summary and re.search(rf"\b{re.escape(p)}\b", summary))
        )

    names = [p for p in parts if looks_like_name(p, allow_single=single_ok(p))]
    if len(names) != len(parts):
        return []
    text = f"{summary} {intro}"
    full = [_full_name_in(n, text, names) if len(n.split()) == 1 and len(names) > 1 else n for n in names]
    return _share_surname(full)


# Capitalised words that start a sentence or clause, never a surname ('Jane. The' -> not 'Jane The').
_SENTENCE_WORDS = frozenset("The A An And But Or So Then This That These It He She They We I You In On At For".split())


def _full_name_in(first: str, text: str, names: list[str]) -> str:
    """'Tristan' from 'w/ Tristan & Felix de Simone' is 'Tristan Williams' when the page says
    'joined by Tristan Williams and Felix de Simone': two guests in one title need not share the
    last guest's surname, and the page's own full name beats the guess. The first such name wins;
    a name already in the title (the other guest's) does not count."""
    particle = r"de|da|van|von|der|den|la|le|du|di|del|bin|al|ter"
    pattern = rf"\b{re.escape(first)}((?:\s+(?:[A-Z][\w'’\-]+|{particle})){{0,3}}?\s+[A-Z][\w'’\-]+)"
    for m in re.finditer(pattern, text):
        name = clean_name(first + m.group(1))
        words = name.split()[1:]
        if (
            looks_like_name(name)
            and not _SENTENCE_WORDS.intersection(words)
            and name not in names
            and not name.endswith(tuple(" " + n for n in names))
        ):
            return name
    return first


def _share_surname(names: list[str]) -> list[str]:
    """'Tristan & Felix de Simone' -> Tristan de Simone, Felix de Simone."""
    if len(names) < 2:
        return names
    last = names[-1].split()
    if len(last) < 2:
        return names
    surname = " ".join(last[1:])
    return [f"{n} {surname}" if len(n.split()) == 1 else n for n in names[:-1]] + [names[-1]]


@lru_cache(maxsize=1)
def _first_names() -> frozenset[str]:
    text = resources.files("kgraph").joinpath("data/first_names.txt").read_text(encoding="utf-8")
    return frozenset(w.strip() for w in text.split() if w.strip() and not w.startswith("#"))


def looks_like_person(name: str) -> bool:
    """'Josh Steimle', 'Bernie Sanders': a common first name then one or two capitalised words."""
    tokens = name.split()
    return 2 <= len(tokens) <= 3 and tokens[0] in _first_names() and looks_like_name(name)

"""Datasets and benchmarks that pages name without linking ("we evaluated on TruthfulQA").

Two sources, both conservative: a curated table of well-known datasets (kgraph/data/
datasets.csv: name, aliases, url, match_text) and names written the way benchmarks are named
(a capitalised word ending in Bench, QA, Eval, Arena or DBs), a capitalised name right
before the word "dataset" or "benchmark", and a distinctive name a page introduces as data: "we
construct X", "X, a new benchmark of ...", "X is a dataset of ...".
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from itertools import product

from kgraph.extract.orgs import names_at_word_starts, names_regex
from kgraph.extract.people import slug

__all__ = [
    "NamedDataset", "named_datasets", "looks_like_dataset_name", "dataset_key", "known_dataset", "dataset_at_url"
]

# Alternatives that cannot overlap (a capital with lower case after it, or a possessive run of
# capitals), so a long run of capitals is one linear attempt, not a cubic backtracking search.
#
# Written to be fast, same matches as
#   (?<![\w/.#@-])((?:[A-Z][A-Za-z0-9]*+-)?(?:[A-Z][a-z0-9]++|[A-Z]++(?![a-z])){1,4}<suffix>)(?![\w/]):
# every match starts with a capital, so that capital comes first, with the look-behind after it, and the
# engine jumps from capital to capital; the rest tries the same alternatives in the same order.
_UNIT = r"(?:[A-Z][a-z0-9]++|[A-Z]++(?![a-z]))"
_SHAPED = re.compile(
    rf"([A-Z](?<![\w/.#@-][A-Z])(?:[A-Za-z0-9]*+-{_UNIT}{{1,4}}|(?:[a-z0-9]++|[A-Z]*+(?![a-z])){_UNIT}{{0,3}})"
    r"(?:Bench|BENCH|-bench|-Bench|QA|Eval|Arena|DBs)(?:\+\+|\+|-?\d+(?:\.\d+)?)?)(?![\w/])"
)
# One to three capitalised words. Each word's characters are taken whole (*+): what follows a name
# (a space, a comma, a look-ahead refusing word characters) never starts with one of them, so giving
# some back could not make a match. _NAME_ALONE is _NAME not glued to a word or hyphen before it
# ('(?<![\w-])' + _NAME) with the look-behind after the first capital, so the engine jumps from capital
# to capital: the same matches, 2-3x faster.
_NAME = r"((?:[A-Z][\w+\-]*+)(?:\s[A-Z][\w+\-]*+){0,2})"
_NAME_ALONE = r"([A-Z](?<![\w-][A-Z])[\w+\-]*+(?:\s[A-Z][\w+\-]*+){0,2})"
_BEFORE_WORD = re.compile(_NAME_ALONE + r"\s+(?:dataset|benchmark|corpus)\b")
# '\b(?:dataset|benchmark|corpus)' with the look-behind after each first letter, for the same reason
_AFTER_WORD = re.compile(
    r"(?:d(?<!\wd)ataset|b(?<!\wb)enchmark|c(?<!\wc)orpus)(?:,)?\s+(?:called\s+|named\s+)?" + _NAME + r"(?![\w-])"
)
# How papers introduce a dataset of their own: "we construct and release Retro-Misconceptions",
# "the newly constructed Retro-TruthfulQA", "WidgetQA, a new benchmark of ...", "X is a dataset of ...".
# Verbs that only make data ("construct", "curate"); "introduce" or "release" name models and
# methods as often, so those need the appositive that says what the thing is.
_DATA_VERBS = r"(?:construct|curat|compil|assembl|crowdsourc|collect)(?:e|es|ed|s)?"
_INTRODUCED = re.compile(
    r"\b(?:[Ww]e|authors?|[Tt]hey|newly)\s+(?:also\s+|then\s+|first\s+)?"
    + _DATA_VERBS
    + r"(?:\s+and\s+(?:release|publish|open-source)[ds]?)?\s+"
    + _NAME
    + r"(?=\s*[,.;:()]|\s+(?:which|that|to|for|from|with|as|on|in|by|and|is|was)\b)"
)
_FUNCTION_WORDS = r"of|for|with|on|in|by|from|to|that|which|whose|who|its|their|and|or|but|trained|used"
_FILLER = rf"(?:(?!(?:{_FUNCTION_WORDS})\b)[a-z][a-z0-9\-]*\s+)"
_APPOSITIVE = re.compile(
    _NAME_ALONE + r"(?:,|\s+\(|\s+(?:is|was))\s+(?:a|an)\s+" + _FILLER + r"{0,3}"
    r"(?:dataset|data\s+set|benchmark|corpus|test\s+set|evaluation\s+suite)\b"
)
_HYPHEN_LOWER = re.compile(r"-[a-z]")
_CAPITAL_OR_DIGIT = re.compile(r"[A-Z0-9]")
_SUFFIX = re.compile(r"^(.*?)(Bench|QA|Eval|Arena|DBs)$")
_NOT_NAMES = {"The", "This", "That", "Our", "A", "An", "New", "Public", "Open", "Each", "Every", "Any", "LLM", "AI"}


@dataclass(frozen=True)
class NamedDataset:
    name: str
    key: str
    url: str = ""


def dataset_key(name: str) -> str:
    """'WorkArena++' and 'WorkArena' are different benchmarks: keep the pluses in the key."""
    return "dataset:" + slug(name.replace("+", " plus "))


_PART_SEPARATOR = re.compile(r"[\s_-]+")


def _squash(name: str) -> str:
    """'SWE Bench', 'SWE-bench' and 'swebench' -> 'swebench': one benchmark's name however its
    parts are joined or capitalised ('+' kept: 'WorkArena++' is another benchmark)."""
    return _PART_SEPARATOR.sub("", name).casefold()


def _written_variants(name: str) -> list[str]:
    """The ways pages write a multi-part name in running text: parts joined by a space, a hyphen
    or nothing, the parts after the first as written or capitalised ('SWE-bench': 'SWE Bench',
    'SWEBench', 'SWE-Bench'...). Nothing is lower-cased, so common words ('glue', 'The pile of
    ...') never read as the table's names."""
    parts = _PART_SEPARATOR.split(name.strip())
    if len(parts) < 2:
        return [name]
    rest_forms = {tuple(parts[1:]), tuple(p[:1].upper() + p[1:] for p in parts[1:])}
    gaps = len(parts) - 1
    joins = product(" -", repeat=gaps) if gaps <= 3 else [(" ",) * gaps, ("-",) * gaps]
    out = [name]
    for seps in [*joins, ("",) * gaps]:
        for rest in sorted(rest_forms):
            out.append(parts[0] + "".join(sep + part for sep, part in zip(seps, rest, strict=True)))
    return list(dict.fromkeys(out))


@lru_cache(maxsize=1)
def _rows() -> tuple[tuple[NamedDataset, tuple[str, ...], bool], ...]:
    """(dataset, its name and aliases, whether running text may name it) for each table row."""
    text = resources.files("kgraph").joinpath("data/datasets.csv").read_text(encoding="utf-8")
    rows = []
    for row in csv.DictReader(text.splitlines()):
        ds = NamedDataset(row["name"], dataset_key(row["name"]), (row.get("url") or "").strip())
        names = (row["name"], *[a for a in (row.get("aliases") or "").split("|") if a])
        rows.append((ds, names, (row.get("match_text") or "yes").strip().lower() != "no"))
    return tuple(rows)


@lru_cache(maxsize=1)
def _by_squashed() -> dict[str, tuple[NamedDataset, str]]:
    """(table dataset, the name as the table writes it) by squashed name; the first row giving a
    name keeps it."""
    out: dict[str, tuple[NamedDataset, str]] = {}
    for ds, names, _ in _rows():
        for n in names:
            out.setdefault(_squash(n), (ds, n))
    return out


@lru_cache(maxsize=1)
def _by_url() -> dict[str, NamedDataset]:
    """Table datasets by their canonical home URL."""
    from kgraph.extract.urls import canonical_url

    return {canonical_url(ds.url): ds for ds, _, _ in _rows() if ds.url}


@lru_cache(maxsize=16384)
def known_dataset(name: str) -> NamedDataset | None:
    """The table's dataset a name already picked out of a line stands for, ignoring spacing,
    hyphens and case ('SWE Bench' is SWE-bench), or None."""
    key = _squash(name.strip())
    found = _by_squashed().get(key) if len(key) >= 3 else None
    if found is None or _shouted(found[1]) and not _shouted(name):
        return None  # 'Glue' or 'Math' is a word; GLUE and MATH are written in capitals
    return found[0]


def _shouted(name: str) -> bool:
    """An all-capitals name ('GLUE', 'MMLU'): its case is what tells it from a word."""
    letters = [c for c in name if c.isalpha()]
    return bool(letters) and all(c.isupper() for c in letters)


def dataset_at_url(canon: str) -> NamedDataset | None:
    """The table's dataset whose home page is this canonical URL, or None."""
    return _by_url().get(canon)


@lru_cache(maxsize=1)
def _table() -> tuple[dict[str, NamedDataset], re.Pattern]:
    """(dataset by name, alias or a written variant of them; a names_regex finding them all as
    whole words: not glued to a word or hyphen before ('GPT-4' does not name a dataset '4'), nor
    going on into one after ('SQuAD' is not named in 'SQuAD2' or 'SQuAD-style'))."""
    by_alias: dict[str, NamedDataset] = {}
    for ds, names, match_text in _rows():
        if match_text:
            for n in names:
                by_alias[n] = ds
    for ds, names, match_text in _rows():
        if match_text:
            for n in names:
                for v in _written_variants(n):
                    by_alias.setdefault(v, ds)  # a variant never takes a name a row gives
    return by_alias, names_regex(tuple(by_alias), r"[\w-]", r"[\w+-]")


def _table_mentions(text: str) -> list[tuple[str, tuple[int, int]]]:
    """(name, span) of each table name in text as a whole word, longest name first, no overlaps."""
    return [(name, (start, stop)) for start, stop, name in names_at_word_starts(text, _table()[1])]


@lru_cache(maxsize=16384)
def looks_like_dataset_name(name: str) -> bool:
    """True for names written like benchmarks: 'WhodunitBench', 'SWE-Bench+', 'WikiDBs'."""
    return bool(_SHAPED.fullmatch(name.strip()))


def _distinctive(name: str) -> bool:
    """Two capitalised words, or one with a capital or digit inside ('WikiDBs'); not 'Instruct'
    or an adjective like 'LLM-assisted'."""
    tokens = name.split()
    if any(_HYPHEN_LOWER.search(t) for t in tokens):
        return False
    return len(tokens) >= 2 or bool(_CAPITAL_OR_DIGIT.search(tokens[0][1:]))


def _repeats_suffix(name: str) -> bool:
    """'EvalEval' is a name built from the suffix itself, not a benchmark."""
    m = _SUFFIX.match(name)
    return bool(m) and m.group(1) in ("", m.group(2))


# Each pattern with literal texts one of which all its matches hold: a text without any skips it.
_PASSES = (
    (_SHAPED, ("Bench", "BENCH", "-bench", "QA", "Eval", "Arena", "DBs")),
    (_BEFORE_WORD, ("dataset", "benchmark", "corpus")),
    (_AFTER_WORD, ("dataset", "benchmark", "corpus")),
    (_INTRODUCED, ("construct", "curat", "compil", "assembl", "crowdsourc", "collect")),
    (_APPOSITIVE, ("data", "benchmark", "corpus", "test", "evaluation")),
)


@lru_cache(maxsize=1)
def _scored_on() -> tuple[dict[str, NamedDataset], re.Pattern | None]:
    """(dataset by name, a regex finding them) for the table's names kept out of running text
    because they are also words (match_text 'no'), written in capitals and four letters or more
    (MATH, ETHICS, DROP). Shorter ones (ARC, C4) are as often an organization's acronym."""
    by_name = {
        n: ds
        for ds, names, match_text in _rows()
        if not match_text
        for n in names
        if _shouted(n) and len(n) >= 4 and " " not in n
    }
    if not by_name:
        return {}, None
    names = "|".join(map(re.escape, sorted(by_name, key=len, reverse=True)))
    return by_name, re.compile(r"(?<![\w-])(?:on|in)\s+(?:the\s+)?(" + names + r")(?![\w+-])")


def _scored_on_mentions(text: str) -> list[NamedDataset]:
    """Such a name in capitals after a lower-case 'on' or 'in', where a sentence or a paper's
    title says what models are scored on ('accuracy on MATH', 'Reasoning Over Speed in MATH'):
    the lower-case word shows the text around is not shouted, so the capitals are the name's."""
    by_name, pattern = _scored_on()
    if pattern is None or not any(n in text for n in by_name):
        return []
    return [by_name[m.group(1)] for m in pattern.finditer(text)]


def named_datasets(text: str) -> list[NamedDataset]:
    """Datasets named in text, each once, in order of first mention."""
    by_alias = _table()[0]
    found: dict[str, NamedDataset] = {}
    spans: list[tuple[int, int]] = []
    for name, span in _table_mentions(text):
        ds = by_alias[name]
        found.setdefault(ds.key, ds)
        spans.append(span)
    for ds in _scored_on_mentions(text):
        found.setdefault(ds.key, ds)
    for regex, needs in _PASSES:
        if not any(word in text for word in needs):
            continue
        for m in regex.finditer(text):
            name = m.group(1).strip()
            if name.split()[0] in _NOT_NAMES or any(s <= m.start(1) < e for s, e in spans):
                continue
            if regex is not _SHAPED and not _distinctive(name):
                continue
            if regex is _SHAPED and _repeats_suffix(name):
                continue
            ds = by_alias.get(name) or known_dataset(name) or NamedDataset(name, dataset_key(name))
            found.setdefault(ds.key, ds)
    return list(found.values())

"""Patterns rewritten for speed find what the plain ones they replace find."""

from __future__ import annotations

import random
import re

from kgraph.extract import datasets
from kgraph.extract.chapters import find_chapters

PLAIN_SHAPED = re.compile(
    r"(?<![\w/.#@-])((?:[A-Z][A-Za-z0-9]*+-)?(?:[A-Z][a-z0-9]++|[A-Z]++(?![a-z])){1,4}"
    r"(?:Bench|BENCH|-bench|-Bench|QA|Eval|Arena|DBs)(?:\+\+|\+|-?\d+(?:\.\d+)?)?)(?![\w/])"
)
PLAIN_AFTER_WORD = re.compile(
    r"\b(?:dataset|benchmark|corpus)(?:,)?\s+(?:called\s+|named\s+)?" + datasets._NAME + r"(?![\w-])"
)
PIECES = ["A", "Z", "a", "z", "0", "-", "+", ".", "/", "#", "@", " ", "Bench", "-bench", "QA", "Eval", "Arena",
          "DBs", "É", "_", "dataset", "benchmark", "corpus", ",", "called ", "MMLU", "2.5"]  # fmt: skip


def spans(pattern: re.Pattern, text: str) -> list:
    return [(m.span(), m.group(1)) for m in pattern.finditer(text)]


def test_dataset_patterns_match_as_the_plain_ones():
    rnd = random.Random(11)
    for _ in range(20000):
        text = "".join(rnd.choice(PIECES) for _ in range(rnd.randint(1, 20)))
        assert spans(datasets._SHAPED, text) == spans(PLAIN_SHAPED, text), text
        assert spans(datasets._AFTER_WORD, text) == spans(PLAIN_AFTER_WORD, text), text
        assert bool(datasets._SHAPED.fullmatch(text)) == bool(PLAIN_SHAPED.fullmatch(text)), text


def test_chapter_stamps_behind_markup_and_entities():
    body = "<b>1</b>2:30 ❙ Split stamp\n&#49;0:00 ❙ Entity stamp\n[x](https://a.b/1:2) no stamp\n03:15 | Plain"
    assert [(c.start, c.title) for c in find_chapters(body)] == [(750, "Split stamp"), (600, "Entity stamp"),
                                                                  (195, "Plain")]  # fmt: skip


def test_text_references_found_as_a_whole_line_scan_finds_them():
    from kgraph.extract.links import _TEXT_REFS, _text_refs

    pieces = ["doi: ", "DOI ", "DOİ:", "doi:\u2003", "10.1234/abc", "10.12", "arXiv:2206.07682", "arxiv: 2206.07682v2",
              "ARXİV:1234.5678", "v:", " ", "\t", "x", ".", "/", ")", "é"]  # fmt: skip
    rnd = random.Random(13)
    for _ in range(20000):
        text = "".join(rnd.choice(pieces) for _ in range(rnd.randint(1, 10)))
        for literals, pattern, _, before in _TEXT_REFS:
            expected = [m.span() for m in pattern.finditer(text)]
            assert [m.span() for m in _text_refs(text, pattern, literals, before)] == expected, text


def test_emphasis_marks_go_as_the_regex_took_them():
    from kgraph.extract.links import _EMPHASIS, _without_emphasis

    rnd = random.Random(17)
    for _ in range(20000):
        text = "".join(rnd.choice("_*`a ") for _ in range(rnd.randint(0, 12)))
        assert _without_emphasis(text) == _EMPHASIS.sub("", text), text
    assert _without_emphasis("_*_") == "__"

"""The fast name finders give what the plain regexes they replace give."""

from __future__ import annotations

import random
import re

from kgraph.extract.orgs import _MIXED_CASE_WORD, load_org_table, names_at_word_starts, names_regex

NAMES = ("AI", "AI Now", "AI Now Institute", "Apple", "App", "U.S. Senate", "(ISC)2", ".org", "x", "Élan", "A&M")


def plain(names: list[str], glued: str, goes_on: str) -> re.Pattern:
    """The alternation of every name, longest first: slow, plainly right."""
    alternation = "|".join(re.escape(n) for n in sorted(names, key=len, reverse=True))
    return re.compile(f"(?<!{glued})({alternation})(?!{goes_on})")


def test_names_regex_finds_what_the_alternation_finds():
    rnd = random.Random(7)
    pieces = [*NAMES, " ", "-", ".", "+", "s", "Institute", "'s", "\n", "İ", "2"]
    for glued, goes_on in ((r"[\w.]", r"\w"), (r"[\w-]", r"[\w+-]")):
        fast, slow = names_regex(NAMES, glued, goes_on), plain(NAMES, glued, goes_on)
        for _ in range(3000):
            text = "".join(rnd.choice(pieces) for _ in range(rnd.randint(0, 12)))
            expected = [(m.start(1), m.end(1), m.group(1)) for m in slow.finditer(text)]
            assert names_at_word_starts(text, fast) == expected, text


def test_longest_name_wins_and_words_stay_whole():
    finder = names_regex(NAMES, r"[\w.]", r"\w")
    assert names_at_word_starts("the AI Now Institute and AI Nowhere", finder) == [
        (4, 20, "AI Now Institute"),
        (25, 27, "AI"),
    ]
    assert names_at_word_starts("Apples and ax.org", finder) == []  # glued: a word goes on, or a letter before


def test_no_names_find_nothing():
    assert names_at_word_starts("anything at all", names_regex((), r"\w", r"\w")) == []


def test_camel_case_names_in_other_mixed_cases():
    table = load_org_table()
    found = [o.name for o in table.mentioned_in("eLeutherAI's model, built with deepMIND's help")]
    assert found == ["EleutherAI", "Google DeepMind"]
    # a letter whose lower case is two characters long shifts positions: still found
    assert "EleutherAI" in [o.name for o in table.mentioned_in("İstanbul team at eLeutherAI")]
    # inside a URL or path, or all in one case: left to the exact names
    assert "EleutherAI" not in [o.name for o in table.mentioned_in("see x.com/eLeutherAI and ELEUTHERAI")]


def test_camel_case_search_finds_what_the_plain_regex_finds():
    table = load_org_table()
    table.mentioned_in("")  # builds the camel-case names
    pieces = ["eLeutherAI", "OPENai", "OpenAI", "gitHub", "GitHub", "DeepMind", "deepMind", "xAI", "XAi", "İ", "K",
              "é", "a", "B", " ", ".", "/", "@", "#", "-", "_", "1", "'s"]  # fmt: skip
    rnd = random.Random(3)
    for _ in range(3000):
        text = "".join(rnd.choice(pieces) for _ in range(rnd.randint(0, 10)))
        words = _MIXED_CASE_WORD.findall(text)
        expected = [
            table._camel[w.casefold()] for w in words if w.casefold() in table._camel and w not in table._text_names
        ]
        assert table._camel_mentions(text) == expected, text

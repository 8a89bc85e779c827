"""Records as N-Triples text: the fast literal writer gives what json.dumps gave."""

from __future__ import annotations

import json
import random

from kgraph.namespaces import XSD
from kgraph.rdf import _integer, _lit, _typed, safe_text

ODD = [
    "a",
    "é",
    '"',
    "\\",
    "\n",
    "\t",
    "\r",
    "\x00",
    "\x1f",
    "\x7f",
    "\ud800",
    "\udfff",
    "\ufffe",
    "\uffff",
    "\u2028",
    "😀",
    " ",
]


def test_literal_is_the_json_string_of_the_safe_text():
    rnd = random.Random(5)
    for _ in range(5000):
        text = "".join(rnd.choice(ODD) for _ in range(rnd.randint(0, 8)))
        assert _lit(text) == json.dumps(safe_text(text), ensure_ascii=False), repr(text)


def test_safe_text_drops_controls_and_replaces_lone_surrogates():
    assert safe_text("plain text, é") == "plain text, é"
    assert safe_text("a\x00b\x7fc\ufffed\tn\n") == "abcd\tn\n"
    assert safe_text("x\ud800y") == "x?y"


def test_integer_literal_as_the_typed_one():
    for n in (0, 7, 12345, -3):
        assert _integer(n) == _typed(n, XSD.integer)

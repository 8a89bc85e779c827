"""General extraction rules added against the held-out sets' error kinds (one test per rule)."""

from __future__ import annotations

from kgraph.extract.links import strip_markup


def test_block_tags_separate_words_inline_tags_do_not():
    html = "<ul><li>a competitor to Google DeepMind</li><li>Warning that</li></ul><p>x</p><p>y</p>"
    assert strip_markup(html) == "a competitor to Google DeepMind Warning that x y"
    assert strip_markup("re<em>mark</em>able <b>bold</b>") == "remarkable bold"

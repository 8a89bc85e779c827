"""General extraction rules added against the held-out sets' error kinds (one test per rule)."""

from __future__ import annotations

from kgraph.extract.links import strip_markup


def test_block_tags_separate_words_inline_tags_do_not():
    html = "<ul><li>a competitor to Google DeepMind</li><li>Warning that</li></ul><p>x</p><p>y</p>"
    assert strip_markup(html) == "a competitor to Google DeepMind Warning that x y"
    assert strip_markup("re<em>mark</em>able <b>bold</b>") == "remarkable bold"


def test_a_short_name_without_its_country_is_another_body_after_another_qualifier():
    from kgraph.extract.orgs import OrgTable, is_home_alias

    table = OrgTable()
    table.add("US Senate", "government", ["senate.gov"], ["Senate", "U.S. Senate"])
    table.add("UK AI Security Institute", "government", [], ["AI Security Institute"])
    assert is_home_alias("Senate", "US Senate") and is_home_alias("AI Security Institute", "UK AI Security Institute")
    assert not is_home_alias("DeepMind", "Google DeepMind")  # 'Google' is not a country

    def names(text):
        return [o.name for o in table.mentioned_in(text)]

    assert names("the Senate voted; a Senate hearing") == ["US Senate"]
    assert names("The Republican Senate passed it") == ["US Senate"]
    assert names("Why Senate Democrats Balked") == ["US Senate"]  # a sentence word is no qualifier
    assert names("the Colorado Senate and the Utah Senate") == []
    assert names("the state Senate passed it") == []
    assert names("Japan AI Security Institute") == []
    assert names("the AI Security Institute said") == ["UK AI Security Institute"]


def test_a_short_chamber_name_in_a_numbered_bill_is_not_the_chamber():
    from kgraph.extract.orgs import OrgTable

    table = OrgTable()
    table.add("US Senate", "government", ["senate.gov"], ["Senate"])
    assert table.mentioned_in("Senate Bill 24-205 (Colorado AI Act)") == []
    assert table.mentioned_in("Senate Bill No. 149") == []
    assert [o.name for o in table.mentioned_in("Senate bill - Decoupling America's AI")] == ["US Senate"]
    assert [o.name for o in table.mentioned_in("US Senate Bill 12")] == ["US Senate"]  # full name: kept

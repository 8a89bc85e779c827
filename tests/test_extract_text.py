"""Links, chapters and people: the text-level extractors, on page fragments."""

from kgraph.extract.chapters import find_chapters, to_seconds
from kgraph.extract.links import find_links, strip_markup
from kgraph.extract.people import clean_name, guests_from_title, person_key

BODY = """Intro with <a href="https://www.stakeout.ai" target="_blank">StakeOut.AI</a>.
{{< transistor src="https://share.transistor.fm/e/81a6fb5c" >}}

## Chapters
00:54 ❙ Intro<br>
1:03:15 ❙ Dr. Park, x-risk, and AGI<br>

## Links
- EFF [report](https://www.eff.org/deeplinks/x) - ICE Using Palantir
- <a href="https://www.regulations.gov">Regulations.gov</a>
  - <a href="https://www.regulations.gov/comment/1">USCO Comment</a>
<!-- - [hidden](https://arxiv.org/abs/1111.11111) -->

### Papers
- ICLR [paper](https://arxiv.org/abs/1803.03635) - The Lottery Ticket Hypothesis
"""


def test_links_carry_their_context():
    links = find_links(BODY, first_line=10)
    urls = [link.url for link in links]
    assert "https://share.transistor.fm/e/81a6fb5c" not in urls
    assert "https://arxiv.org/abs/1111.11111" not in urls  # inside an HTML comment
    eff = next(link for link in links if "eff.org" in link.url)
    assert (eff.text, eff.lead, eff.section) == ("report", "EFF", "Links")
    assert eff.tail == "- ICE Using Palantir"
    assert eff.line == 10 + BODY.split("\n").index(
        "- EFF [report](https://www.eff.org/deeplinks/x) - ICE Using Palantir"
    )
    child = next(link for link in links if link.url.endswith("/comment/1"))
    assert child.parent == "Regulations.gov"
    paper = next(link for link in links if "1803.03635" in link.url)
    assert paper.section == "Papers"


def test_markdown_link_with_parentheses_in_url():
    (link,) = find_links("- Wikipedia [article](https://en.wikipedia.org/wiki/Praxis_(process)) - Praxis")
    assert link.url == "https://en.wikipedia.org/wiki/Praxis_(process)"


def test_chapters_every_form():
    chapters = find_chapters(BODY + "\n  •  (03:23) - Meeting Through the Course\n[12:30] Bracketed\n")
    assert [(c.start, c.title) for c in chapters] == [
        (54, "Intro"),
        (3795, "Dr. Park, x-risk, and AGI"),
        (203, "Meeting Through the Course"),
        (750, "Bracketed"),
    ]
    assert to_seconds("01:00:11") == 3611


def test_times_in_prose_are_not_chapters():
    assert find_chapters("Join us at 11:00am on Wednesdays!\nThe score was 3:2 today") == ()


def test_guests_from_titles():
    assert guests_from_title("StakeOut.AI w/ Dr. Peter Park (1)") == ["Peter Park"]
    assert guests_from_title("Making Your Voice Heard w/ Tristan & Felix de Simone") == [
        "Tristan de Simone",
        "Felix de Simone",
    ]
    assert guests_from_title("Governing Global Risks w/ Catherine Rhodes and Luke Kemp") == [
        "Catherine Rhodes",
        "Luke Kemp",
    ]
    assert guests_from_title("Playing with Fire") == []
    assert guests_from_title("The Heart of Effective Altruism with Dr. SJ Beard") == ["SJ Beard"]


def test_names_are_normalised_once():
    assert clean_name("Dr. Jane  Doe's") == "Jane Doe"
    assert clean_name("Prof. Sarah Kreps, PhD") == "Sarah Kreps"
    assert person_key("Dr. Renée Good") == person_key("Renée Good") == "renee-good"


def test_strip_markup():
    assert strip_markup('<a href="x">A &amp; B</a> **bold** [c](http://d)') == "A & B bold c"

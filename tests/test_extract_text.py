"""Links, chapters and people: the text-level extractors, on page fragments."""

import pytest

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


def _org_links(body: str):
    from kgraph.extract.classify import classify
    from kgraph.extract.orgs import load_org_table

    table = load_org_table()
    return [(link, *classify(link, link.url, table)) for link in find_links(body)]


def test_a_line_naming_the_sites_owner_mentions_it():
    body = (
        "- [Pause AI](https://pauseai.info)\n"
        "- Investors valued the start-up highly <a href='https://www.bloomberg.com/news/articles/x'>(Bloomberg)</a>\n"
        '- Time "Glossary" [page](https://time.com/collections/glossary/123/term) - A term\n'
        "- [blog](https://www.bloomberg.com/opinion/y) - Someone's column\n"
        "- Gary Marcus [substack](https://garymarcus.substack.com/p/z) - A post\n"
    )
    named = {
        link.url: (publisher.name if publisher else None, is_named)
        for link, _, publisher, is_named, _ in _org_links(body)
    }
    assert named["https://pauseai.info"] == ("PauseAI", True)  # the anchor is the owner's name, spaces aside
    assert named["https://www.bloomberg.com/news/articles/x"] == ("Bloomberg", True)
    assert named["https://time.com/collections/glossary/123/term"] == ("Time", True)  # the line begins with it
    assert named["https://www.bloomberg.com/opinion/y"] == ("Bloomberg", False)  # only the URL says Bloomberg
    assert named["https://garymarcus.substack.com/p/z"][1] is False  # 'substack' here is a kind word


def test_a_publisher_named_before_the_link_keeps_its_own_name():
    body = "- Georgetown Climate Center [article](https://commonhome.georgetown.edu/topics/x) - A history\n"
    ((_, _, publisher, is_named, said),) = _org_links(body)
    # the domain's owner stays the publisher, but the page's words name the Center, not the University
    assert (publisher.name, is_named, said) == ("Georgetown University", False, "Georgetown Climate Center")


def test_publisher_with_an_aside_and_a_policy_brief():
    body = (
        "- OpenLabX (a nonprofit research lab) [study page](https://openlabx.org/studies/one) - A cash study\n"
        "- Midtown Policy Forum [policy brief](https://www.midtownpolicy.org/insight/x) - Understanding X\n"
    )
    assert [said for *_, said in _org_links(body)] == ["OpenLabX", "Midtown Policy Forum"]


def test_possessive_owner_is_split_from_the_institution():
    from kgraph.extract.orgs import load_org_table, orgs_in_text

    table = load_org_table()
    text = "A clear definition comes from Georgetown’s Center for Security and Emerging Technology (CSET)."
    assert [o.name for o in orgs_in_text(text, table)] == ["Center for Security and Emerging Technology"]
    assert [o.name for o in orgs_in_text("Ann Lee's Center for Applied Widgets said so.", table)] == [
        "Center for Applied Widgets"
    ]
    # a bare unit without its owner would mean nothing: the phrase stays whole, and its known owner is named too
    assert [o.name for o in orgs_in_text("She studied at Stanford's Law School.", table)] == [
        "Stanford University",
        "Stanford's Law School",
    ]


def test_datasets_a_page_introduces_in_prose():
    from kgraph.extract.datasets import named_datasets

    def names(text):
        return [d.name for d in named_datasets(text)]

    assert names("Starting from MMLU, we construct and release Hold-Questions, on which ten models score lower.") == [
        "MMLU",
        "Hold-Questions",
    ]
    assert names("Scores drop on the newly curated Fresh-Trivia.") == ["Fresh-Trivia"]
    assert names("We introduce WidgetSet, a new benchmark of tool use.") == ["WidgetSet"]
    assert names("SafeChat is a dataset of 5,000 dialogues.") == ["SafeChat"]
    assert names("Our probe data (ToyProbes, a small synthetic dataset) is public.") == ["ToyProbes"]
    # introducing a method or a model is not introducing data; neither is a name near the word
    assert names("We introduce Constitutional AI, a method for training harmless assistants.") == []
    assert names("OpenAI, a company whose dataset is private, declined.") == []
    assert names("GPT-4, a model trained on a large dataset, was tested.") == []
    assert names("We construct LoRA adapters for each task.") == []


def test_a_journals_home_page_is_not_a_paper():
    from kgraph.extract.classify import kind_from_url

    assert kind_from_url("https://science.org") == ""  # '[Science](https://www.science.org)' names the journal
    assert kind_from_url("https://nature.com/") == ""
    assert kind_from_url("https://science.org/doi/10.1126/science.ade9097") == "paper"
    assert kind_from_url("https://nature.com/articles/s41586-020-1234-5") == "paper"


def test_mentioned_in_takes_the_longest_name_at_each_word_without_overlaps():
    from kgraph.extract.orgs import OrgTable

    table = OrgTable()
    table.add("Stanford University", aliases=["Stanford"])
    table.add("Stanford Law School")
    table.add("Apple Inc.", aliases=["Apple"])
    found = table.mentioned_in("Stanford Law School, not x.Stanford or Stanfordx; Apple Inc. and Apple")
    assert [o.name for o in found] == ["Stanford Law School", "Apple Inc."]
    table.add("(ISC)2")  # a name without a first word: the regex does the job, same answer
    assert [o.name for o in table.mentioned_in("(ISC)2 and Stanford")] == ["(ISC)2", "Stanford University"]


def test_may_hold_folds_case_as_re_ignorecase_does():
    from kgraph.extract.links import _may_hold

    assert _may_hold("See the LINKS below", ("link",))
    assert _may_hold("lınks (dotless i)", ("link",))  # re.I matches 'ı' to 'i'
    assert _may_hold("ſources", ("sources",))
    assert not _may_hold("nothing here", ("link", "sources"))


@pytest.mark.parametrize(
    ("text", "names"),
    [
        ("the Department of Commerce, the Institute said", ["Department of Commerce"]),
        ("the Department of Government Efficiency, Musk’s project", ["Department of Government Efficiency"]),
        ("House Committee on Science, Space, and Technology", ["House Committee on Science, Space, and Technology"]),
        ("the O'Neill Institute for Global Health Law", ["O'Neill Institute for Global Health Law"]),
        ("Georgetown’s Center for Security and Emerging Technology", ["Center for Security and Emerging Technology"]),
    ],
)
def test_institution_names_stop_at_an_apposition_or_a_possessive(text, names):
    from kgraph.extract.orgs import orgs_in_text

    assert [o.name for o in orgs_in_text(text)] == names


def test_chapter_titles_follow_commonmark_html_blocks():
    # a <div> line opens an HTML block (CommonMark type 6) that runs to the next blank line:
    # goldmark shows Markdown there as written, so the asterisks are part of the title;
    # tags and entities still go
    body = (
        "## Chapters\n"
        '<div style="text-align: left"><small>\n'
        "00:00:00 ❙ Intro<br>\n"
        "00:23:10 ❙ How *is* OpenAI making money?<br>\n"
        "01:07:53 ❙ Outcome 1*: <b>many</b> ways &amp; means<br>\n"
        "</small></div>\n"
        "\n"
        "01:10:00 ❙ After the block, *emphasis* is formatting<br>\n"
    )
    assert [(c.start, c.title) for c in find_chapters(body)] == [
        (0, "Intro"),
        (1390, "How *is* OpenAI making money?"),
        (4073, "Outcome 1*: many ways & means"),
        (4200, "After the block, emphasis is formatting"),
    ]
    # a lone inline tag right under prose does not open a block (type 7 cannot interrupt a paragraph)
    assert find_chapters("Chapters:\n<small>\n00:10 ❙ A *b* c\n")[0].title == "A b c"
    # but it does after a blank line
    assert find_chapters("Chapters:\n\n<small>\n00:10 ❙ A *b* c\n")[0].title == "A *b* c"
    # <pre> runs to its closing tag, blank lines included
    assert find_chapters("<pre>\n\n00:10 ❙ A *b*\n</pre>\n00:20 ❙ C *d*")[0].title == "A *b*"
    assert find_chapters("<pre>\n\n00:10 ❙ A *b*\n</pre>\n00:20 ❙ C *d*")[1].title == "C d"


def test_html_block_lines():
    from kgraph.extract.chapters import html_block_lines

    lines = ["text", "<div>", "*a*", "", "*b*", "<p class='x'>", "c"]
    assert html_block_lines(lines) == [False, True, True, False, False, True, True]


def test_a_lone_first_name_in_a_title_takes_the_full_name_the_page_gives():
    title = "Making Your Voice Heard w/ Tristan & Felix de Simone"
    assert guests_from_title(title, "Tristan and Felix de Simone join me") == ["Tristan de Simone", "Felix de Simone"]
    intro = "I am joined by Tristan Williams and Felix de Simone to discuss"
    assert guests_from_title(title, "", intro) == ["Tristan Williams", "Felix de Simone"]
    assert guests_from_title("X w/ Jane & John Doe", "", "Jane The said") == ["Jane Doe", "John Doe"]

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


def test_a_law_named_before_a_link_is_not_its_publisher():
    from kgraph.extract.classify import publisher_name
    from kgraph.model import Link

    def said(lead):
        return publisher_name(Link(url="https://example.org/a", text="article", line=1, lead=lead), "page")

    assert said("EU AI Act") == said("Utah Senate Bill 149") == said("Executive Order 14110") == ""
    assert said("CHIPS and Science Act of 2022") == said("Paris Agreement") == ""
    assert said("Reuters") == "Reuters" and said("Act Now Coalition") == "Act Now Coalition"


def test_investigation_standard_and_overview_say_what_a_link_is_so_the_words_before_name_its_publisher():
    from kgraph.extract.classify import classify, is_generic_anchor
    from kgraph.extract.links import find_links
    from kgraph.extract.orgs import OrgTable

    assert all(is_generic_anchor(w) for w in ("investigation", "standard", "overview", "fact sheet"))
    line = "- Lighthouse Reports [investigation](https://www.lighthousereports.com/investigation/x/) - Title"
    (link,) = find_links(line)
    work, _, _, said = classify(link, link.url, OrgTable())
    assert (work.kind, work.name, said) == ("news", "Title", "Lighthouse Reports")


def _classified(line: str, table):
    from kgraph.extract.classify import classify
    from kgraph.extract.links import find_links

    (link,) = find_links(line)
    return classify(link, link.url, table)


def test_a_lead_that_is_the_owners_name_in_any_case_names_it():
    from kgraph.extract.orgs import OrgTable

    table = OrgTable()
    table.add("Ars Technica", "news", ["arstechnica.com"])
    _, publisher, named, _ = _classified("- ars Technica [article](https://arstechnica.com/ai/x/) - Title", table)
    assert named and publisher.name == "Ars Technica"
    _, _, named, _ = _classified("- ars [article](https://arstechnica.com/ai/x/) - Title", table)
    assert not named


def test_a_misspelt_publisher_name_is_the_linked_sites_owner():
    from kgraph.extract.classify import misspells
    from kgraph.extract.orgs import OrgTable

    table = OrgTable()
    table.add("American Enterprise Institute", "think tank", ["aei.org"], ["AEI"])
    line = "- American Enterprise Intitute [blogpost](https://www.aei.org/x/) - Title"
    _, publisher, named, said = _classified(line, table)
    assert named and publisher.name == "American Enterprise Institute" and said == ""
    assert not misspells("American Economic Association", table.names_of("american-enterprise-institute"))
    assert not misspells("Wire", ("wired",))  # short names: one letter is another outlet


def test_a_file_under_a_universitys_publications_is_a_paper():
    from kgraph.extract.classify import kind_from_url

    assert kind_from_url("https://csc.ucdavis.edu/~cmg/compmech/pubs/CalcEmergTitlePage.htm") == "paper"
    assert kind_from_url("https://stat.duke.edu/~scs/Courses/Stat376/Papers/Kirkpatrick1983.pdf") == "paper"
    assert kind_from_url("https://www.cs.ox.ac.uk/people/x/publications/y.pdf") == "paper"
    assert kind_from_url("https://www.cs.ox.ac.uk/publications/") == ""  # the list, not a work
    assert kind_from_url("https://cset.georgetown.edu/publication/some-brief/") == ""
    assert kind_from_url("https://example.com/papers/x.pdf") == ""  # not a university


def test_a_university_pdf_cited_by_number_is_a_paper():
    from kgraph.extract.orgs import OrgTable

    line = "It decreases risk [[2](https://www.govtech.com/a.html),[3](https://economics.mit.edu/sites/files/Persistence.pdf)]."
    from kgraph.extract.classify import classify
    from kgraph.extract.links import find_links

    kinds = [classify(link, link.url, OrgTable())[0].kind for link in find_links(line)]
    assert kinds == ["page", "paper"]
    (budget,) = find_links("about 850 Billion USD [1](https://comptroller.defense.gov/Budget_Overview_Book.pdf).")
    assert classify(budget, budget.url, OrgTable())[0].kind == "page"  # a number, but not a university
    (slides,) = find_links("See the [slides](https://cs.stanford.edu/talk.pdf).")
    assert classify(slides, slides.url, OrgTable())[0].kind == "page"


def test_a_department_and_an_ization_name_have_their_usual_variants():
    from kgraph.extract.orgs import OrgTable

    table = OrgTable()
    table.add("Department of the Treasury", "government", ["treasury.gov"], ["US Department of the Treasury"])
    table.add("International Civil Aviation Organization", "intergovernmental", ["icao.int"], ["ICAO"])
    assert table.find_name("Treasury Department").name == "Department of the Treasury"
    assert table.find_name("US Treasury Department").name == "Department of the Treasury"
    assert [o.name for o in table.mentioned_in("the International Civil Aviation Organisation certifies")] == [
        "International Civil Aviation Organization"
    ]
    table.add("Energy Department Store", "company", [], ["Energy Department"])  # another row's own alias
    table.add("Department of Energy", "government", ["energy.gov"])
    assert table.find_name("Energy Department").name == "Energy Department Store"  # a variant never takes it


def test_an_organization_or_organisation_is_an_institution_head_word():
    from kgraph.extract.orgs import orgs_in_text

    text = "We need an equivalent of the World Meteorological Organisation, but for AI."
    assert [o.name for o in orgs_in_text(text)] == ["World Meteorological Organisation"]


def test_a_line_naming_the_owner_with_other_spacing_names_it():
    from kgraph.extract.orgs import OrgTable

    table = OrgTable()
    table.add("Grand View Research", "company", ["grandviewresearch.com"])
    table.add("Meta", "company", ["meta.com"])
    line = "- Grandview Research market trends - [RPA Market Trends](https://www.grandviewresearch.com/x)"
    assert _classified(line, table)[2]
    line = "- Metaculus forecasts - [A question](https://www.meta.com/x)"  # whole words only
    assert not _classified(line, table)[2]


def test_a_publication_edition_named_before_a_link_is_not_its_publisher():
    from kgraph.extract.classify import publisher_name
    from kgraph.model import Link

    def said(lead):
        return publisher_name(Link(url="https://example.org/a", text="report", line=1, lead=lead), "page")

    assert said("2024 AI Index") == said("2023 State of AI") == ""
    assert said("3Blue1Brown") == "3Blue1Brown" and said("1X Technologies") == "1X Technologies"


def _work(markdown: str):
    from kgraph.extract.classify import classify
    from kgraph.extract.links import find_links
    from kgraph.extract.orgs import load_org_table

    (link,) = find_links(markdown)
    return classify(link, link.url, load_org_table())[0]


def test_the_word_dataset_next_to_a_link_makes_it_a_dataset():
    # introduced as data ('a dataset like', 'benchmarks such as', 'a corpus called')
    work = _work("use an existing dataset like [PALMS sensitive questions](https://example.org/palms.pdf).")
    assert (work.kind, work.name) == ("dataset", "PALMS sensitive questions")
    assert _work("on benchmarks such as [Widget Trials](https://widgets.example/t)").kind == "dataset"
    # named, then the word: '[X] dataset'
    assert _work("we used the [Widget Logs](https://widgets.example/logs) dataset").kind == "dataset"
    # a name ending in Database, Dataset, Benchmark or Corpus, before a kind word
    work = _work("* AI Incident Database [website](https://incidentdatabase.ai)")
    assert (work.kind, work.name) == ("dataset", "AI Incident Database")
    # not: a page the words do not call data; a paper the URL names stays a paper
    assert _work("* Widget Foundation [website](https://widgets.example)").kind == "page"
    assert _work("a dataset like [X-Data](https://arxiv.org/abs/2106.10328)").kind == "paper"
    assert _work("the dataset [was released](https://widgets.example/news) in May").kind != "dataset"


def test_a_known_dataset_matches_however_it_is_spaced_hyphenated_or_capitalised():
    from kgraph.extract.datasets import known_dataset, named_datasets

    assert known_dataset("SWE Bench").name == "SWE-bench"
    assert known_dataset("swebench").name == "SWE-bench"
    assert known_dataset("Big-Bench").name == "BIG-bench"
    assert known_dataset("Glue") is None and known_dataset("GLUE").name == "GLUE"  # a word, unless in capitals
    # in running text: parts joined by a space, a hyphen or nothing, later parts capitalised or not
    names = [d.name for d in named_datasets("We ran SWE Bench, then SWE-Bench Verified.")]
    assert names == ["SWE-bench", "SWE-bench Verified"]
    # but nothing lower-cased: a common word is not the table's name
    assert named_datasets("a pile of glue and common crawl spaces") == []


def test_a_link_the_line_names_as_a_known_dataset_is_that_dataset():
    # the tail after ' - ' names it; the table's name is kept so one benchmark has one name
    work = _work("- Research [landing page](https://example.org/research) - SWE Bench")
    assert (work.kind, work.name) == ("dataset", "SWE-bench")
    # the link goes to a known dataset's home page
    work = _work("- see [their site](https://www.swebench.com/)")
    assert (work.kind, work.name) == ("dataset", "SWE-bench")
    # a paper about it stays a paper
    assert _work("- [SWE-bench](https://arxiv.org/abs/2310.06770)").kind == "paper"


def test_a_camel_case_name_is_found_with_its_inner_capital_dropped():
    from kgraph.extract.orgs import OrgTable

    table = OrgTable()
    table.add("Google DeepMind", "lab", [], ["DeepMind"])
    table.add("DoD", "government")
    assert [o.name for o in table.mentioned_in("Google Deepmind’s Gemma model")] == ["Google DeepMind"]
    assert [o.name for o in table.mentioned_in("as Deepmind said")] == ["Google DeepMind"]
    assert table.mentioned_in("the Dod and deepmind") == []  # short words and lower case are left alone


def test_a_comma_in_an_institution_name_needs_the_list_to_close_with_and():
    from kgraph.extract.orgs import orgs_in_text

    text = (
        "OLMo from the Allen Institute for AI, OpenELM from Apple; "
        "the Committee on Commerce, Science, and Transportation"
    )
    names = [o.name for o in orgs_in_text(text)]
    assert names == ["Allen Institute for AI", "Committee on Commerce, Science, and Transportation"]


def test_contests_and_analogies_are_not_publishers():
    from kgraph.extract.orgs import OrgTable

    table = OrgTable()
    table.add("CERN", "intergovernmental", ["home.cern"])
    table.add("Allen Institute for AI", "nonprofit", ["allenai.org"])
    _, _, _, said = _classified("* IBM Watson AI XPRIZE [website](https://www.xprize.org/x)", table)
    assert said == ""  # a contest by its name
    _, publisher, named, said = _classified("- CERN for AI [page](https://www.perplexity.ai/page/x)", table)
    assert (publisher, said) == (None, "")  # a proposal modelled on a known body
    _, publisher, named, said = _classified("- Allen Institute for AI [blog](https://allenai.org/blog/x)", table)
    assert publisher.name == "Allen Institute for AI" and named  # a real name of that shape is in the table
    _, _, _, said = _classified("- Center for AI Safety [report](https://example.org/r)", table)
    assert said == "Center for AI Safety"  # an unknown 'X for Y' whose X is no known body stays


def test_only_the_anchors_head_word_says_what_a_link_is():
    from kgraph.extract.classify import _anchor_kind, classify
    from kgraph.extract.links import Link
    from kgraph.extract.orgs import load_org_table

    assert _anchor_kind("arXiv Sanity Lite") == "" and _anchor_kind("Data Machina") == ""
    assert _anchor_kind("New paper shows truthfulness & instruction-following don't generalize") == ""
    assert _anchor_kind("Anthropic's paper") == "paper" and _anchor_kind("OpenAI blog post") == "blog"
    assert _anchor_kind("Reuters news article") == "news" and _anchor_kind("the preprint PDF") == "paper"
    orgs = load_org_table()

    def kind(url, text, tail=""):
        return classify(Link(url=url, text=text, line=1, tail=tail), url, orgs)[0].kind

    assert kind("https://arxiv-sanity-lite.com", "arXiv Sanity Lite") == "page"  # not arxiv.org
    assert kind("https://datamachina.com", "Data Machina", "newsletter") != "dataset"
    assert kind("https://arxiv.org/abs/2501.18576", "Preprint") == "paper"


def test_a_titled_forum_post_about_a_paper_is_a_post():
    from kgraph.extract.classify import classify
    from kgraph.extract.links import Link
    from kgraph.extract.orgs import load_org_table

    orgs = load_org_table()

    def kind(url, text, tail=""):
        return classify(Link(url=url, text=text, line=1, tail=tail), url, orgs)[0].kind

    post = "https://www.lesswrong.com/posts/Yio4nmD8JMttx9o9S/x"
    assert kind(post, "New paper shows truthfulness & instruction-following don't generalize by default") == "blog"
    assert kind(post, "Thoughts on the sleeper agents paper") == "blog"
    assert kind("https://medium.com/@a/x", "My notes on the scaling paper") == "blog"
    assert kind(post, "paper") == "paper"  # the page itself calls the link a paper
    assert kind("https://example.org/blog/x", "Our new paper") == "paper"  # a lab's own blog, not a forum


def test_a_capitalised_benchmark_that_is_also_a_word_counts_where_models_are_scored_on_it():
    from kgraph.extract.datasets import named_datasets

    def names(text):
        return [d.name for d in named_datasets(text)]

    assert names("DeepSeek R1 Highlights the Need for Multi-Step Reasoning Over Speed in MATH") == ["MATH"]
    assert names("accuracy on the ETHICS test") == ["ETHICS"]
    assert names("MATH IS HARD") == [] and names("good at math, in Math class") == []
    assert names("I worked in ARC for a year") == []  # short acronyms are as often organizations


def test_words_before_a_phrase_complete_a_known_name():
    from kgraph.extract.orgs import load_org_table, orgs_in_text

    table = load_org_table()
    text = "a senior research fellow at the Future of Humanity Institute at Oxford"
    names = [o.name for o in orgs_in_text(text, table)]
    assert names == ["Future of Humanity Institute"]


def test_a_known_owner_before_a_possessive_is_named_too():
    from kgraph.extract.orgs import load_org_table, orgs_in_text

    table = load_org_table()

    def names(text):
        return [o.name for o in orgs_in_text(text, table)]

    assert "Brown University" in names("Professor Arenberg from Brown University's Watson Institute")
    assert "Brown University" in names("a fellow at Brown's Watson Institute")  # a university's short name
    assert "Brown University" not in names("Chris Brown's Music Foundation")  # no possessive owner before a head


def test_a_camel_case_name_matches_in_any_mixed_case():
    from kgraph.extract.orgs import load_org_table

    table = load_org_table()

    def names(text):
        return [o.name for o in table.mentioned_in(text)]

    assert names("eLeutherAI's Model Evaluation Harness") == ["EleutherAI"]
    assert names("eleutherai and ELEUTHERAI") == []  # all-lower or all-capital words are not brands
    assert names("see example.org/eLeutherAI") == []  # inside a URL path


def test_two_institutions_joined_by_and_are_two():
    from kgraph.extract.orgs import joined_institutions, load_org_table, orgs_in_text

    table = load_org_table()
    assert joined_institutions("Columbia University and Fordham University", table) == [
        "Columbia University",
        "Fordham University",
    ]
    assert joined_institutions("Office of Science and Technology Policy", table) == [
        "Office of Science and Technology Policy"
    ]
    assert joined_institutions("Columbia and Fordham University", table) == ["Columbia and Fordham University"]
    text = "funded by the Department of Energy and Oak Ridge National Laboratory"
    names = [o.name for o in orgs_in_text(text, table)]
    assert "Oak Ridge National Laboratory" in names and not any(" and " in n for n in names)


def test_pauseai_us_and_afit_are_their_own_rows():
    from kgraph.extract.orgs import load_org_table

    table = load_org_table()
    assert table.find_name("PauseAI-US").name == "PauseAI US" and table.find_name("PauseAI").name == "PauseAI"
    assert table.find_name("AFIT").name == "Air Force Institute of Technology"
    assert table.find_url("scholar.afit.edu").name == "Air Force Institute of Technology"


def test_an_html_anchor_whose_title_wraps_to_the_next_line_is_one_link():
    from kgraph.extract.links import find_links

    body = (
        '- <a href="https://www.science.org/doi/full/10.1126/science.abi7176">Filling Gaps in AI\n</a>'
        " (an author)\n- next"
    )
    (link,) = find_links(body)
    assert link.text == "Filling Gaps in AI" and link.tail.strip() == "(an author)" and link.line == 1


def test_journal_platform_and_lab_paper_urls_are_papers():
    from kgraph.extract.classify import kind_from_url

    assert kind_from_url("https://firstmonday.org/ojs/index.php/fm/article/view/13636") == "paper"  # OJS
    assert kind_from_url("https://journal.example.org/index.php/jx/article/download/12/34") == "paper"
    assert kind_from_url("https://hindawi.com/journals/complexity/2022/8210732") == "paper"
    url = "https://governance.ai/research-paper/open-sourcing-highly-capable-foundation-models"
    assert kind_from_url(url) == "paper"
    assert kind_from_url("https://firstmonday.org/ojs/index.php/fm/issue/view/12") == ""  # an issue, not an article
    assert kind_from_url("https://science.org/doi/full/10.1126/science.abi7176") == "paper"


def test_a_how_to_title_about_papers_is_not_a_paper():
    from kgraph.extract.classify import _anchor_kind, classify
    from kgraph.extract.orgs import OrgTable
    from kgraph.model import Link

    assert _anchor_kind("How to read a scientific paper") == ""
    assert _anchor_kind("#GradHacks: A guide to reading research papers") == ""
    assert _anchor_kind("Anthropic's paper") == "paper" and _anchor_kind("the scheming paper") == "paper"
    pdf = "https://lib.purdue.edu/Tutorials/Scientific%20Paper.pdf"
    guide = Link(
        url=pdf, text="How to read a scientific paper", line=1, context="How to read a paper (slides)", tail=" (slides)"
    )
    assert classify(guide, pdf, OrgTable())[0].kind == "page"
    cited = Link(url=pdf, text="A Causal Framework", line=1, context="A Causal Framework paper", tail=" paper")
    assert classify(cited, pdf, OrgTable())[0].kind == "paper"  # the line's own word still counts


def test_an_acronym_hyphenated_to_another_is_one_compound_name():
    from kgraph.extract.orgs import OrgTable

    table = OrgTable()
    table.add("Associated Press", "news", ["apnews.com"], ["AP"])
    table.add("OpenAI", "company", ["openai.com"], [])
    table.add("Microsoft", "company", ["microsoft.com"], [])

    def names(text):
        return [o.name for o in table.mentioned_in(text)]

    assert names("AP-NORC report") == [] and names("a NORC-AP poll") == []
    assert names("the AP said") == ["Associated Press"]
    assert names("the OpenAI-Microsoft deal") == ["OpenAI", "Microsoft"]  # not acronyms


def test_a_publisher_named_before_a_description_of_its_tracker():
    from kgraph.extract.classify import _without_description, publisher_name
    from kgraph.model import Link

    def said(lead, url):
        return publisher_name(Link(url=url, text="tracker", line=1, lead=lead + " "), "page")

    assert said("Holistic AI global regulatory", "https://tracker.holisticai.com/feed") == "Holistic AI"
    assert said("White & Case global regulatory", "https://www.whitecase.com/ai-watch") == "White & Case"
    assert said("Steptoe US AI legislation", "https://www.steptoe.com/en/x.html") == "Steptoe"
    assert said("Manatt US AIxHealth legislation", "https://www.manatt.com/insights/x") == "Manatt"
    # without the domain's own word the cut is only a guess: the lead stays whole (and is no name)
    assert _without_description("Layoff tracker", "layoffs.fyi") == "Layoff tracker"
    assert _without_description("AI policy in Africa", "perplexity.ai") == "AI policy in Africa"
    assert _without_description("PauseAI US", "pauseai-us.org") == "PauseAI US"


def test_shanghai_jiao_tong_university_is_in_the_table():
    from kgraph.extract.orgs import load_org_table

    table = load_org_table()
    assert [o.name for o in table.mentioned_in("LeapLab, Tsinghua University and Shanghai Jiao Tong University")] == [
        "Tsinghua University",
        "Shanghai Jiao Tong University",
    ]


def test_a_doubled_letter_in_a_publisher_name_is_a_typo_of_the_domain_owner():
    from kgraph.extract.classify import misspells

    assert misspells("Bloommberg", ("Bloomberg", "Bloomberg News"))
    assert not misspells("Wire", ("Wired",))  # another outlet, not a slip
    assert not misspells("Boomberg", ("Bloomberg",))  # short names need the exact letters


def test_an_anchor_opening_with_the_domain_owner_in_the_possessive_names_it():
    from kgraph.extract.classify import names_on_line
    from kgraph.model import Link

    url = "https://time.com/7012783/elizabeth-kelly/"
    assert names_on_line(Link(url=url, text="Time’s 100 Most Influential People in AI", line=1), ("Time", "TIME"))
    assert not names_on_line(Link(url=url, text="The time’s come for AI rules", line=1), ("Time", "TIME"))
    assert not names_on_line(Link(url=url, text="Kelly’s 100 days", line=1), ("Time", "TIME"))

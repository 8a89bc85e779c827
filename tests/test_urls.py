import pytest

from kgraph.extract.urls import arxiv_id, canonical_url, doi_of, path_of, resolve


@pytest.mark.parametrize(
    ("url", "canonical"),
    [
        ("https://arxiv.org/abs/2103.03386", "https://arxiv.org/abs/2103.03386"),
        ("http://www.arxiv.org/pdf/2103.03386v2", "https://arxiv.org/abs/2103.03386"),
        ("https://arxiv.org/pdf/2103.03386v2.pdf", "https://arxiv.org/abs/2103.03386"),
        ("https://arxiv.org/html/2103.03386v1/", "https://arxiv.org/abs/2103.03386"),
        ("https://arxiv.org/abs/hep-th/9901001v1", "https://arxiv.org/abs/hep-th/9901001"),
        ("https://youtu.be/dQw4w9WgXcQ?t=42", "https://youtube.com/watch?v=dQw4w9WgXcQ"),
        ("https://m.youtube.com/watch?v=dQw4w9WgXcQ&feature=share", "https://youtube.com/watch?v=dQw4w9WgXcQ"),
        ("https://www.youtube.com/embed/dQw4w9WgXcQ", "https://youtube.com/watch?v=dQw4w9WgXcQ"),
        ("https://dx.doi.org/10.1038/S41586-024-07566-Y", "https://doi.org/10.1038/s41586-024-07566-y"),
        ("https://openreview.net/pdf?id=abc_DEF", "https://openreview.net/forum?id=abc_DEF"),
        ("HTTP://Example.COM:443/a/b/?utm_source=x&z=1&a=2#top", "https://example.com/a/b?a=2&z=1"),
        ("https://twitter.com/someone/status/1", "https://x.com/someone/status/1"),
        ("https://en.wikipedia.org/wiki/Praxis_(process)", "https://en.wikipedia.org/wiki/Praxis_(process)"),
        ("https://en.wikipedia.org/wiki/Ren%C3%A9e", "https://en.wikipedia.org/wiki/Ren%C3%A9e"),
        ("https://en.wikipedia.org/wiki/Renée", "https://en.wikipedia.org/wiki/Ren%C3%A9e"),
        ("https://example.com/a b\"c", "https://example.com/a%20b%22c"),
    ],
)
def test_canonical_forms(url, canonical):
    assert canonical_url(url) == canonical
    assert canonical_url(canonical) == canonical


@pytest.mark.parametrize("url", ["mailto:a@b.c", "javascript:alert(1)", "#frag", "", "ftp://x.y/z", "/relative"])
def test_non_web_links_have_no_canonical_form(url):
    assert canonical_url(url) == ""


def test_resolve_relative_links_against_the_page():
    page = "https://kairos.fm/muckraikers/e002/"
    assert resolve("/intoaisafety/e001/", page) == "https://kairos.fm/intoaisafety/e001/"
    assert resolve("../e001/", page) == "https://kairos.fm/muckraikers/e001/"
    assert resolve("www.example.org/x", page) == "https://www.example.org/x"
    assert resolve("mailto:x@y.z", page) == ""
    assert resolve("javascript:alert(1)", page) == ""
    assert resolve("#section", page) == ""


def test_identifiers():
    assert arxiv_id("https://arxiv.org/pdf/2310.06009v3") == "2310.06009"
    assert arxiv_id("https://example.com/abs/2310.06009") == ""
    assert doi_of("https://doi.org/10.1145/3442188.3445922") == "10.1145/3442188.3445922"
    assert doi_of("https://dl.acm.org/doi/abs/10.1145/3442188.3445922") == "10.1145/3442188.3445922"


def test_path_of():
    assert path_of("https://arxiv.org/abs/2206.07682?x=1#y") == "/abs/2206.07682"
    assert path_of("https://example.com") == ""
    with pytest.raises(ValueError):
        path_of("https://[::1/x")  # malformed, as urlsplit says

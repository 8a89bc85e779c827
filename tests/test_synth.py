"""Tests for benchmarks/synth.py, the synthetic Hugo site generator."""

import collections
import re
from pathlib import Path

import frontmatter
import pytest
from helpers import load_synth

N = 20

# One reference list item, in either link style the real site uses.
REFERENCE = re.compile(
    r'^\s*- (?:<a href="[^"]+" target="_blank" rel="noreferrer noopener">([^<]+)</a>'
    r"|.*?\[[^\]]+\]\(\S+\) - (.+))$",
    re.MULTILINE,
)


@pytest.fixture(scope="module")
def synth():
    return load_synth()


@pytest.fixture(scope="module")
def site(synth, tmp_path_factory):
    out = tmp_path_factory.mktemp("synth") / "site"
    synth.main([str(N), str(out), "--seed", "7"])
    return out


def episode_files(root: Path) -> list:
    return sorted((root / "content" / "posts").glob("*-episodes/*-episode-*/index.md"))


def all_files(root: Path) -> dict:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_writes_n_episode_pages(site):
    assert len(episode_files(site)) == N
    assert (site / "config" / "_default" / "hugo.yaml").is_file()
    assert "baseURL: https://synth.example.org" in (site / "config" / "_default" / "hugo.yaml").read_text()


def test_front_matter_parses(site):
    for path in episode_files(site):
        post = frontmatter.load(path)
        for key in ("url", "title", "date"):
            assert post.get(key), f"{path}: missing {key}"
        assert post["categories"] == ["Podcast"]
        assert re.fullmatch(r"/[a-z0-9]+/e\d{5}/", post["url"])


def test_body_has_real_page_sections(site):
    text = episode_files(site)[0].read_text(encoding="utf-8")
    assert '{{< transistor src="https://share.transistor.fm/e/' in text
    assert re.search(r"EPISODE RECORDED \d{4}\.\d{2}\.\d{2}; <a href=\"[^\"]+/transcript\.txt\"", text)
    assert "## Chapters" in text and "## Links" in text
    assert len(re.findall(r"^\d{2}:\d{2} \u2759 ", text, re.MULTILINE)) >= 5


def test_show_and_author_pages(site):
    shows = sorted(p.parent.name for p in (site / "content" / "shows").glob("*/_index.md"))
    assert len(shows) == 3
    for slug in shows:
        author = frontmatter.load(site / "content" / "authors" / slug / "_index.md")
        assert author["user_groups"] == ["Show"]
    hosts = [frontmatter.load(p) for p in (site / "content" / "authors").glob("*/_index.md")]
    host_bios = [h.content for h in hosts if h.get("user_groups") == ["Hosts"]]
    assert host_bios and all(re.search(r'href="/[a-z0-9]+"', bio) for bio in host_bios)


def test_same_seed_is_byte_identical(synth, tmp_path):
    synth.generate(N, str(tmp_path / "a"), seed=3)
    synth.generate(N, str(tmp_path / "b"), seed=3)
    synth.generate(N, str(tmp_path / "c"), seed=4)
    first, second = all_files(tmp_path / "a"), all_files(tmp_path / "b")
    assert first == second
    assert first != all_files(tmp_path / "c")


def test_citations_are_zipf_skewed(site):
    """The most cited work appears in more episodes than the median work."""
    episodes_per_work = collections.Counter()
    for path in episode_files(site):
        body = frontmatter.load(path).content
        episodes_per_work.update({a or b for a, b in REFERENCE.findall(body)})
    counts = sorted(episodes_per_work.values(), reverse=True)
    assert len(counts) > 50
    assert counts[0] > counts[len(counts) // 2]


def test_guests_recur(site):
    titles = [frontmatter.load(p)["title"] for p in episode_files(site)]
    guests = collections.Counter(
        name for t in titles if " w/ " in t for name in t.split(" w/ ", 1)[1].split(" & ")
    )
    assert guests and max(guests.values()) > 1


def test_refuses_non_empty_out(synth, tmp_path):
    (tmp_path / "keep.txt").write_text("x")
    with pytest.raises(SystemExit):
        synth.main(["1", str(tmp_path)])
    assert (tmp_path / "keep.txt").exists()

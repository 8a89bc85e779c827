"""Paths and tiny-site builders shared by tests."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "data"
CORPUS = ROOT.parent / "shared" / "corpus" / "kairos.fm"
def write_page(root: Path, rel: str, text: str) -> Path:
    """Write one page under root/content (a test's tiny Hugo site)."""
    path = root / "content" / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def tiny_site(root: Path, base: str = "https://tiny.example") -> Path:
    (root / "config" / "_default").mkdir(parents=True, exist_ok=True)
    (root / "config" / "_default" / "hugo.yaml").write_text(f"title: Tiny\nbaseURL: {base}\n")
    return root

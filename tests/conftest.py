"""Shared fixtures: the bundled sample built once, and the real corpus when it is present."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import CORPUS, SAMPLE

from kgraph import KnowledgeGraph


@pytest.fixture(scope="session")
def sample_kg(tmp_path_factory) -> KnowledgeGraph:
    return KnowledgeGraph.build([SAMPLE], store=tmp_path_factory.mktemp("sample") / "store")


@pytest.fixture(scope="session")
def corpus_path() -> Path:
    if not (CORPUS / "content").is_dir():
        pytest.skip("the real Kairos.fm corpus (../shared/corpus/kairos.fm) is not here")
    return CORPUS


@pytest.fixture(scope="session")
def real_kg(corpus_path, tmp_path_factory) -> KnowledgeGraph:
    return KnowledgeGraph.build([corpus_path], store=tmp_path_factory.mktemp("real") / "store")

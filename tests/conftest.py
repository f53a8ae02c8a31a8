"""Shared fixtures: the corpus of real flow JSON files."""

from __future__ import annotations

from pathlib import Path

import pytest

CORPUS = Path(__file__).parent / "corpus" / "pipelines"
CORPUS_FILES = sorted(CORPUS.glob("*.json"))


def corpus_params() -> list[pytest.param]:  # type: ignore[type-arg]
    """One pytest param per corpus file, with the file name as id."""
    return [pytest.param(path, id=path.stem) for path in CORPUS_FILES]

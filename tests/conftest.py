"""Shared test helpers: the corpus of real flow JSON files, and running generated Python."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from flowbuilder import Flow

CORPUS = Path(__file__).parent / "corpus" / "pipelines"
CORPUS_FILES = sorted(CORPUS.glob("*.json"))


def corpus_params() -> list[pytest.param]:  # type: ignore[type-arg]
    """One pytest param per corpus file, with the file name as id."""
    return [pytest.param(path, id=path.stem) for path in CORPUS_FILES]


def run_generated(source: str, environment: dict[str, str] | None = None) -> Flow:
    """Execute Python that ``to_python`` generated, with ``environment`` set (its secrets) only
    while it runs; the ``flow`` it binds."""
    namespace: dict[str, Any] = {}
    saved = dict(os.environ)
    os.environ.update(environment or {})
    try:
        exec(compile(source, "<generated>", "exec"), namespace)
    finally:
        os.environ.clear()
        os.environ.update(saved)
    flow = namespace["flow"]
    assert isinstance(flow, Flow)
    return flow

"""Every code example in docs/ runs: each page is a doctest (pycon blocks), in a scratch directory."""

from __future__ import annotations

import doctest
import io
import os
from pathlib import Path

import pytest

DOCS = Path(__file__).resolve().parent.parent / "docs"
# Pages run by their own tests (with fixtures they need): docs/flows.md runs against two backends.
OWN_TESTS = {"flows.md"}
PAGES = sorted(p for p in DOCS.rglob("*.md") if p.name not in OWN_TESTS)


@pytest.mark.parametrize("page", PAGES, ids=[str(p.relative_to(DOCS)) for p in PAGES])
def test_doc_page_examples_run(page: Path, tmp_path: Path) -> None:
    text = page.read_text(encoding="utf-8")
    test = doctest.DocTestParser().get_doctest(text, {}, page.name, str(page), 0)
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    report = io.StringIO()
    cwd = os.getcwd()
    os.chdir(tmp_path)
    try:
        runner.run(test, out=report.write)
    finally:
        os.chdir(cwd)
    assert runner.failures == 0, report.getvalue()

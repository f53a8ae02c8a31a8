"""docs/flows.md, the seed's Flows page as a walk-through, runs green against every real backend."""

from __future__ import annotations

import doctest
import io
from pathlib import Path

from flowbuilder.project import Project
from flowbuilder.server import ServerProcess

DOC = Path(__file__).resolve().parent.parent / "docs" / "flows.md"


def _run_doc(project: Project) -> None:
    text = DOC.read_text(encoding="utf-8")
    test = doctest.DocTestParser().get_doctest(text, {"project": project}, DOC.name, str(DOC), 0)
    report = io.StringIO()
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    runner.run(test, out=report.write)
    assert runner.failures == 0, report.getvalue()
    assert runner.tries >= 40, f"only {runner.tries} examples ran"


def test_flows_page_runs_against_the_local_store(tmp_path: Path) -> None:
    with Project.local(tmp_path / "store") as project:
        _run_doc(project)


def test_flows_page_runs_against_flowbuilder_serve(tmp_path: Path) -> None:
    with ServerProcess(tmp_path / "served") as server, server.connect() as project:
        _run_doc(project)

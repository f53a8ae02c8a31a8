"""The typed stage surface (``flowbuilder/_stages.pyi``), held to two type checkers and the runtime.

mypy and pyright both check a file of stage calls: each line marked ``# wrong`` must be flagged,
and no other line; every marked line must also fail when it runs, so the checkers flag only what
the runtime rejects. Every example and every flow in the docs must gain no error from the stub:
each is checked with and without it (a copy of the package lacking ``_stages.pyi``, typed as
before the stub existed), and the errors only the stub brings must be lines that the docs show
failing at run time (a session line followed by a traceback).
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from flowbuilder import FlowbuilderError
from scripts import build_typed
from tests.test_docs import blocks

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.slow

PREAMBLE = """\
from flowbuilder import Flow, custom, expression

flow = Flow("typed")
path = flow.source("Dev Raw Data Source", data_format="JSON", raw_data="{}")
"""

# One call per line; "# wrong" marks the mistakes (the four first).
CALLS = """\
path.to("Trash Can")  # wrong: unknown label
path.to("Local FS", directroy_template="/o")  # wrong: misspelled config
flow.source("Dev Raw Data Source", data_format="JSONN")  # wrong: not a choice
flow.source("Dev Raw Data Source", stop_after_first_batch="yes")  # wrong: not a bool
flow.source("Dev Raw Data Source", number_of_threads="4")  # wrong: not a number
path.to("Expression Evaluator", field_expressions=[{"fieldToSett": "/a"}])  # wrong: row field
path.to("Expression Evaluator", field_expressions=[{"fieldToSet": 1}])  # wrong: row value type
flow.add_stage("Trash Can")  # wrong: unknown label
flow.add_stage("Expression Evaluator").set_attributes(field_expresions=[])  # wrong: misspelled
flow.set_error_stage("Trash")  # wrong: not an error stage
path.on_error("Write to File", directroy="/errors")  # wrong: misspelled
path.to("Trash")
path.to("Trash", "Trash")
path.to("Local FS", directory_template="/out", data_format="JSON")
path.to("Expression Evaluator", field_expressions=[{"fieldToSet": "/a", "expression": "${1}"}])
path.to("Expression Evaluator", field_expressions={"fieldToSet": "/a", "expression": "${1}"})
path.to("Stream Selector").when("${record:value('/a') == 1}").to("Trash")
flow.source("Dev Raw Data Source", stop_after_first_batch=expression("${STOP}"))
flow.source("Dev Raw Data Source", on_record_error="Send to Error")
flow.source(custom("Dev Raw Data Source"), raw_data="{}")
flow.source(name="com_streamsets_pipeline_stage_devtest_rawdata_RawDataDSource")
path.to(custom("Dev Identity"))
flow.add_stage("HTTP Client", type="processor").set_attributes(on_record_error="DISCARD")
flow.add_stage("Expression Evaluator").set_attributes(preconditions=["${true}"])
flow.add_stage(custom("Trash"))
flow.set_error_stage("Write to File", directory="/errors")
flow.set_stats_aggregator_stage("Discard")
flow.set_start_event_stage("Shell")
path.on_error("Discard")
"""


@dataclass(frozen=True)
class Line:
    """A line of a checked file and where it comes from."""

    where: str  # page:line or file:line, for messages
    code: str
    fails: bool  # it fails when it runs (a # wrong call, a docs line followed by a traceback)


def _calls() -> list[Line]:
    return [
        Line(f"CALLS:{number}", code, "# wrong" in code)
        for number, code in enumerate(CALLS.splitlines(), start=1)
    ]


def _docs() -> dict[str, list[Line]]:
    """Every page's python and pycon code, in page order, as one module per page."""
    pages: dict[str, list[Line]] = {}
    for page in [*sorted((ROOT / "docs").rglob("*.md")), ROOT / "README.md"]:
        lines: list[Line] = []
        for block in blocks(page.read_text(encoding="utf-8")):
            where = f"{page.relative_to(ROOT)}:{block.line}"
            if block.lang == "python" and not block.code.startswith("--8<--"):
                lines += [Line(where, code, "# wrong" in code) for code in block.code.splitlines()]
            elif block.lang == "pycon":
                lines += _session(block.code, where)
        if lines:
            pages[re.sub(r"\W", "_", str(page.relative_to(ROOT).with_suffix("")))] = lines
    return pages


def _session(code: str, where: str) -> list[Line]:
    lines: list[Line] = []
    for text in code.splitlines():
        if text.startswith((">>> ", "... ")) or text in (">>>", "..."):
            lines.append(Line(where, text[4:], False))
        elif text.startswith("Traceback") and lines:
            # The statement just before a traceback fails at run time: a docs example of a mistake.
            start = len(lines) - 1
            while start > 0 and lines[start].code.startswith((" ", ")", "]", "}")):
                start -= 1
            lines[start:] = [Line(line.where, line.code, True) for line in lines[start:]]
    return lines


def _run_checkers(folder: Path, files: list[str]) -> dict[tuple[str, int], list[str]]:
    """Errors by (file stem, 1-based line) from mypy and pyright, run on ``files`` in ``folder``."""
    found: dict[tuple[str, int], list[str]] = {}
    options = ["--follow-imports=silent", "--no-error-summary", "--cache-dir", str(folder / ".mypy_cache")]
    command = [sys.executable, "-m", "mypy", *options, *files]
    mypy = subprocess.run(command, cwd=folder, capture_output=True, text=True, check=False)
    for match in re.finditer(r"^(\w+)\.py:(\d+): error: (.*)$", mypy.stdout, re.M):
        found.setdefault((match[1], int(match[2])), []).append(f"mypy: {match[3]}")
    assert mypy.returncode in (0, 1), mypy.stdout + mypy.stderr
    pyright = shutil.which("pyright")
    assert pyright is not None, "pyright is a test dependency (pip install -e '.[test]')"
    (folder / "pyrightconfig.json").write_text('{"pythonVersion": "3.10"}', encoding="utf-8")
    done = subprocess.run(
        [pyright, "--outputjson", *files], cwd=folder, capture_output=True, text=True, check=False
    )
    report = json.loads(done.stdout)
    for diagnostic in report["generalDiagnostics"]:
        if diagnostic["severity"] == "error":
            key = (Path(diagnostic["file"]).stem, diagnostic["range"]["start"]["line"] + 1)
            found.setdefault(key, []).append(f"pyright: {diagnostic['message']}")
    return found


@dataclass(frozen=True)
class Checked:
    """Each checked module's lines, and the errors the checkers gave with and without the stub."""

    modules: dict[str, list[Line]]
    offset: int  # lines of PREAMBLE before CALLS in the calls module
    typed: dict[tuple[str, int], list[str]]
    untyped: dict[tuple[str, int], list[str]]


@pytest.fixture(scope="module")
def checked(tmp_path_factory: pytest.TempPathFactory) -> Checked:
    modules: dict[str, list[Line]] = {"calls": [Line("PREAMBLE", c, False) for c in PREAMBLE.splitlines()]}
    offset = len(modules["calls"])
    modules["calls"] += _calls()
    for example in sorted((ROOT / "examples").glob("*.py")):
        lines = example.read_text(encoding="utf-8").splitlines()
        modules[f"example_{example.stem}"] = [
            Line(f"examples/{example.name}:{n}", code, False) for n, code in enumerate(lines, 1)
        ]
    modules.update(_docs())
    results = []
    for stub in (True, False):
        folder = tmp_path_factory.mktemp("typed" if stub else "untyped")
        ignore = (
            shutil.ignore_patterns("__pycache__", "*.pyc")
            if stub
            else shutil.ignore_patterns("__pycache__", "*.pyc", "_stages.pyi")
        )
        shutil.copytree(ROOT / "flowbuilder", folder / "flowbuilder", ignore=ignore)
        for name, lines in modules.items():
            (folder / f"{name}.py").write_text("\n".join(line.code for line in lines) + "\n", "utf-8")
        results.append(_run_checkers(folder, [f"{name}.py" for name in modules]))
    return Checked(modules, offset, results[0], results[1])


def test_the_checkers_flag_each_mistake_and_nothing_else(checked: Checked) -> None:
    lines = checked.modules["calls"]
    for checker in ("mypy", "pyright"):
        flagged = {
            number
            for (module, number), messages in checked.typed.items()
            if module == "calls" and any(m.startswith(checker) for m in messages)
        }
        wrong = {number for number, line in enumerate(lines, 1) if line.fails}
        missed = [lines[n - 1].code for n in sorted(wrong - flagged)]
        extra = [(lines[n - 1].code, checked.typed[("calls", n)]) for n in sorted(flagged - wrong)]
        assert not missed, f"{checker} accepts mistakes: {missed}"
        assert not extra, f"{checker} rejects correct calls: {extra}"


def test_without_the_stub_the_checkers_flag_none_of_them(checked: Checked) -> None:
    assert not [key for key in checked.untyped if key[0] == "calls"]


def test_each_mistake_the_checkers_flag_also_fails_at_run_time() -> None:
    namespace: dict[str, object] = {}
    exec(PREAMBLE, namespace)
    for line in _calls():
        if line.fails:
            with pytest.raises(FlowbuilderError):
                exec(line.code, dict(namespace))
        else:
            exec(line.code, namespace)


def test_examples_and_docs_flows_gain_no_error_from_the_stub(checked: Checked) -> None:
    gained = {
        key: [m for m in messages if m not in checked.untyped.get(key, [])]
        for key, messages in checked.typed.items()
        if key[0] != "calls"
    }
    problems = []
    for (module, number), messages in sorted(gained.items()):
        line = checked.modules[module][number - 1]
        if messages and not line.fails:
            problems.append(f"{line.where}: {line.code.strip()}: {messages}")
    assert not problems, "\n".join(problems)
    shown = [
        (line.where, line.code)
        for module, lines in checked.modules.items()
        if module != "calls"
        for number, line in enumerate(lines, 1)
        if "# wrong" in line.code
        for checker in ("mypy", "pyright")
        if not any(m.startswith(checker) for m in checked.typed.get((module, number), []))
    ]
    assert not shown, f"docs show a mistake a checker accepts: {shown}"
    assert any(line.fails for lines in checked.modules.values() for line in lines), "docs show mistakes"


def test_config_docstrings_give_label_default_and_choices() -> None:
    text = (ROOT / "flowbuilder" / "_stages.pyi").read_text(encoding="utf-8")
    block = text[text.index("class DevRawDataSourceConfig(") :].split("\n\n", 1)[0]
    assert "    stop_after_first_batch: bool | Expression\n" in block
    assert "'Stop After First Batch (stopAfterFirstBatch). Required. Default: False.'" in block


def test_the_stub_is_what_the_bundled_catalog_generates() -> None:
    from flowbuilder.catalog import Catalog

    assert build_typed.render(Catalog.default()) == (ROOT / "flowbuilder" / "_stages.pyi").read_text("utf-8")


def _names(text: str) -> Iterator[str]:
    yield from re.findall(r"^class (\w+)\(", text, re.M)


def test_stub_names_are_unique_and_every_call_has_an_escape() -> None:
    text = (ROOT / "flowbuilder" / "_stages.pyi").read_text(encoding="utf-8")
    names = list(_names(text))
    assert len(names) == len(set(names))
    for call in build_typed.CALLS:
        protocol = text[text.index(f"class {call.protocol}(Protocol):") :].split("\n\n", 1)[0]
        assert "CustomLabel" in protocol.splitlines()[-1], call.protocol

"""Every command that reads a file, given a hostile one, exits 1 or 2 with a short message and
never a traceback (issue 15: "every CLI command given a hostile file")."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from flowbuilder import Flow
from flowbuilder.cli import main

_GOOD = Flow("good").source("Dev Raw Data Source", raw_data='{"a": 1}').to("Trash").flow.to_json()

#: file name -> content: each a way a file found on disk can be wrong.
HOSTILE: dict[str, str | bytes] = {
    "not-json.json": "this is not JSON {",
    "not-utf8.json": b'{"pipelineConfig": {"title": "\xff\xfe"}}',
    "empty.json": "",
    "binary.json": bytes(range(256)) * 4,
    "deep.json": "[" * 5000 + "]" * 5000,
    "a-list.json": "[1, 2, 3]",
    "stages-not-a-list.json": '{"stages": {"a": 1}}',
    "stage-without-names.json": '{"stages": [{"configuration": []}]}',
    "bad-definitions.json": '{"pipelineConfig": {"stages": []}, "libraryDefinitions": {"stages": [{}]}}',
    "definitions-wrong-types.json": json.dumps(
        {"pipelineConfig": json.loads(_GOOD), "libraryDefinitions": {"stages": "x", "pipeline": [1]}}
    ),
    "lanes-not-strings.json": _GOOD.replace('"outputLanes": [', '"outputLanes": [7, '),
    "surrogate.json": '{"stages": [], "title": "\\ud800"}',
    "huge-number.json": '{"stages": [], "version": ' + "9" * 5000 + "}",
    "raises.py": "raise RuntimeError('boom at import')\n",
    "syntax.py": "def broken(:\n",
    "flows-not-flows.py": "def flows():\n    return [1, 'two']\n",
    "exits.py": "import sys\nsys.exit(3)\n",
}

#: Commands that read FILE (written as {}); a project store where they write.
COMMANDS = {
    "validate": ["validate", "{}"],
    "validate json": ["validate", "{}", "--format", "json"],
    "compile": ["compile", "{}"],
    "render": ["render", "{}", "-o", "{out}/drawn.dot"],
    "import": ["import", "{}"],
    "preview": ["preview", "{}"],
    "preview records": ["preview", "{good}", "--records", "{}"],
    "plan": ["plan", "{}", "--project", "{out}/store"],
    "apply": ["apply", "{}", "--yes", "--project", "{out}/store"],
}


#: Files that are not records at all (a JSON object or list is records, whatever it holds).
NOT_RECORDS = [
    "not-json.json",
    "not-utf8.json",
    "binary.json",
    "deep.json",
    "surrogate.json",
    "huge-number.json",
]
CASES = [
    (name, command)
    for command in sorted(COMMANDS)
    for name in (NOT_RECORDS if command == "preview records" else sorted(HOSTILE))
]


@pytest.mark.parametrize(("name", "command"), CASES)
def test_a_hostile_file_gives_exit_1_or_2_and_a_short_message(
    name: str, command: str, tmp_path: Path
) -> None:
    path = tmp_path / name
    content = HOSTILE[name]
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    good = tmp_path / "good.json"
    good.write_text(_GOOD, encoding="utf-8")
    args = [part.format(str(path), out=tmp_path, good=good) for part in COMMANDS[command]]
    result = CliRunner().invoke(main, args)
    shown = result.output
    assert not isinstance(result.exception, Exception) or isinstance(result.exception, SystemExit), (
        f"{type(result.exception).__name__}: {result.exception}"
    )
    assert result.exit_code in (1, 2), shown
    assert "Traceback" not in shown
    if "json" in args:  # for machines: the whole answer is JSON that names the failure
        report = json.loads(shown)
        assert report["valid"] is False
        assert report["file_errors"] or any(flow["errors"] for flow in report["flows"]), report
    else:
        assert len(shown.strip().splitlines()) <= 3, shown

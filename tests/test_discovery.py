"""Finding flows in files and folders: what is found, what is skipped, and the lines reported."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

import flowbuilder._json as json_reading
from flowbuilder import Flow, FlowbuilderError
from flowbuilder.discovery import discover, find_files

CHAIN = """\
from flowbuilder import Flow

orders = (
    Flow("orders")
    .source("Dev Raw Data Source", data_format="JSON")
    .to("Expression Evaluator")
    .to("Local FS", data_format="JSON")
    .on_error("Write to File", directory="/errors")
)
"""

CLASSIC = """\
from flowbuilder import Flow

flow = Flow("classic")
origin = flow.add_stage("Dev Raw Data Source")
first = flow.add_stage("Trash")
second = flow.add_stage("Trash")
origin >> [first, second]
"""

FACTORY = """\
from flowbuilder import Flow


def build(region):
    return Flow(f"export-{region}").source("Dev Raw Data Source").to("Trash").flow


def flows():
    return [build("eu"), build("us")]
"""


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_a_chained_flow_has_its_assignment_line_and_each_stage_the_line_that_added_it(tmp_path: Path) -> None:
    write(tmp_path / "orders.py", CHAIN)
    [source] = discover([tmp_path]).flows
    assert (source.name, source.line) == ("orders", 3)
    assert dict(source.stage_lines) == {
        "DevRawDataSource_01": 5,
        "ExpressionEvaluator_01": 6,
        "LocalFS_01": 7,
        "WritetoFile_ErrorStage": 8,
    }


def test_classic_api_stages_of_one_label_map_to_their_add_stage_calls_in_order(tmp_path: Path) -> None:
    write(tmp_path / "classic.py", CLASSIC)
    [source] = discover([tmp_path]).flows
    assert source.line == 3
    assert source.line_of("Trash_01") == 5
    assert source.line_of("Trash_02") == 6
    assert source.line_of(None) == 3


def test_flows_function_gives_every_flow_it_returns(tmp_path: Path) -> None:
    write(tmp_path / "exports.py", FACTORY)
    found = discover([tmp_path])
    assert [source.name for source in found.flows] == ["export-eu", "export-us"]
    assert {source.line for source in found.flows} == {8}  # def flows(): the names are f-strings
    assert found.errors == []


def test_a_chain_whose_flow_is_not_kept_is_an_error_not_a_silent_omission(tmp_path: Path) -> None:
    text = (
        "from flowbuilder import Flow\n"
        'kept = Flow("kept").source("Dev Raw Data Source").to("Trash").flow\n'
        'lost = Flow("lost").source("Dev Raw Data Source").to("Trash")\n'
    )
    path = write(tmp_path / "flows.py", text)
    found = discover([tmp_path])
    assert [source.name for source in found.flows] == ["kept"]
    [error] = found.errors
    assert error.location == f"{path}:3"
    assert "'lost' is a Path" in str(error)
    assert "End the chain with .flow" in str(error)
    assert found.files == [path]


def test_a_file_whose_only_chain_is_lost_is_read_and_reported_not_skipped(tmp_path: Path) -> None:
    path = write(
        tmp_path / "lost.py",
        'from flowbuilder import Flow\nlost = Flow("lost").source("Dev Raw Data Source")\n',
    )
    found = discover([tmp_path])
    assert found.flows == []
    assert [error.location for error in found.errors] == [f"{path}:2"]
    assert "defines no flows" not in str(found.errors[0])
    assert found.files == [path]


def test_json_stage_lines_are_those_of_their_instance_names(tmp_path: Path) -> None:
    flow = Flow("orders").source("Dev Raw Data Source").to("Trash").flow
    text = flow.to_json()
    path = write(tmp_path / "orders.json", text)
    [source] = discover([path]).flows
    lines = text.splitlines()
    for stage in ("DevRawDataSource_01", "Trash_01"):
        assert f'"instanceName": "{stage}"' in lines[source.line_of(stage) - 1]
    assert source.line == 1


def test_folders_are_searched_recursively_skipping_what_is_not_a_flow(tmp_path: Path) -> None:
    write(tmp_path / "a" / "orders.py", CHAIN)
    write(tmp_path / "b" / "deep" / "classic.py", CLASSIC)
    write(tmp_path / "helpers.py", "PREFIX = '/data'\n")  # defines no flow: a helper
    write(tmp_path / "test_orders.py", "raise RuntimeError('tests are not flows')\n")
    write(tmp_path / ".venv" / "x.py", "raise RuntimeError('hidden')\n")
    write(tmp_path / "package.json", json.dumps({"name": "not a flow"}))
    write(tmp_path / "notes.txt", "ignored")
    found = discover([tmp_path])
    assert [(source.name, source.file.relative_to(tmp_path).as_posix()) for source in found.flows] == [
        ("orders", "a/orders.py"),
        ("classic", "b/deep/classic.py"),
    ]
    assert found.errors == []
    assert [file.relative_to(tmp_path).as_posix() for file in found.files] == [
        "a/orders.py",
        "b/deep/classic.py",
    ]


def test_each_json_file_of_a_folder_is_parsed_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    flow_text = Flow("orders").source("Dev Raw Data Source").to("Trash").flow.to_json()
    other_text = json.dumps({"name": "not a flow"})
    write(tmp_path / "orders.json", flow_text)
    write(tmp_path / "package.json", other_text)
    parsed: list[str] = []
    real = json_reading.parse  # every JSON others wrote is parsed there

    def counted(data: str | bytes, *, limit: int) -> tuple[Any, int]:
        parsed.append(data.decode("utf-8", errors="replace") if isinstance(data, bytes) else data)
        return real(data, limit=limit)

    monkeypatch.setattr(json_reading, "parse", counted)
    found = discover([tmp_path])
    assert [source.name for source in found.flows] == ["orders"]
    assert sorted(text for text in parsed if text in (flow_text, other_text)) == sorted(
        [flow_text, other_text]
    )


def test_a_file_given_by_name_must_define_a_flow(tmp_path: Path) -> None:
    path = write(tmp_path / "helpers.py", "PREFIX = '/data'\n")
    found = discover([path])
    assert found.flows == []
    assert [error.location for error in found.errors] == [str(path)]
    assert "defines no flows" in str(found.errors[0])
    assert found.files == [path]


def test_a_broken_file_is_reported_with_its_line_and_does_not_hide_the_others(tmp_path: Path) -> None:
    write(tmp_path / "good.py", CHAIN)
    bad = write(tmp_path / "bad.py", "from flowbuilder import Flow\n\nx = Flow('x').source('No Such')\n")
    broken_json = write(tmp_path / "broken.json", '{"stages": [')
    found = discover([tmp_path])
    assert [source.name for source in found.flows] == ["orders"]
    messages = sorted(str(error) for error in found.errors)
    assert messages[0].startswith(f"{bad}:3: the file raised StageNotFoundError")
    assert messages[1].startswith(f"{broken_json}:1:")
    assert not bool(found)
    assert sorted(found.files) == sorted([bad, broken_json, tmp_path / "good.py"])


def test_duplicate_flow_names_are_an_error_naming_both_files(tmp_path: Path) -> None:
    first = write(tmp_path / "a.py", CHAIN)
    second = write(tmp_path / "b.py", CHAIN)
    found = discover([tmp_path])
    [error] = found.errors
    assert error.location == f"{second}:3"
    assert f"also defined at {first}:3" in str(error)
    assert len(found.flows) == 2


def test_a_file_named_twice_is_read_once(tmp_path: Path) -> None:
    path = write(tmp_path / "orders.py", CHAIN)
    found = discover([path, tmp_path, path])
    assert [source.name for source in found.flows] == ["orders"]
    assert found.errors == []
    assert found.files == [path]


def test_same_named_helper_modules_of_two_folders_do_not_leak_into_each_other(tmp_path: Path) -> None:
    for region in ("eu", "us"):
        write(tmp_path / region / "settings.py", f"REGION = {region!r}\n")
        write(
            tmp_path / region / "flow.py",
            "from flowbuilder import Flow\nfrom settings import REGION\n"
            "flow = Flow(f'export-{REGION}').source('Dev Raw Data Source').to('Trash').flow\n",
        )
    found = discover([tmp_path])
    assert [source.name for source in found.flows] == ["export-eu", "export-us"]


def test_missing_paths_and_other_suffixes_are_refused(tmp_path: Path) -> None:
    with pytest.raises(FlowbuilderError, match="no such file or folder"):
        find_files([tmp_path / "missing"])
    with pytest.raises(FlowbuilderError, match="not a flow file"):
        find_files([write(tmp_path / "notes.txt", "x")])


def test_an_oversized_json_file_in_a_folder_is_refused_by_its_size_without_being_read(tmp_path: Path) -> None:
    import tracemalloc

    from flowbuilder.compile import MAX_JSON_BYTES

    (tmp_path / "flows").mkdir()
    with (tmp_path / "flows" / "huge.json").open("wb") as huge:
        huge.truncate(MAX_JSON_BYTES + 1)  # sparse: nothing to read but its size
    tracemalloc.start()
    try:
        found = discover([tmp_path / "flows"])
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert len(found.errors) == 1
    assert "huge.json" in str(found.errors[0])
    assert "more than the limit" in str(found.errors[0])
    assert peak < 8 * 1024 * 1024

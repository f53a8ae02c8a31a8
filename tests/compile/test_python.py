"""Python generation: the generated source rebuilds every corpus flow exactly, reads secrets from
the environment, and is formatted."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from flowbuilder import Flow, FlowFormatError
from flowbuilder.compile import (
    from_file,
    from_json,
    restore_details,
    secret_variable,
    to_dict,
    to_json,
    to_python,
)
from flowbuilder.compile._python import _secrets
from tests.conftest import CORPUS_FILES, corpus_params
from tests.conftest import run_generated as run


@pytest.mark.parametrize("path", corpus_params())
def test_generated_python_rebuilds_the_corpus_flow_exactly(path: Path) -> None:
    flow = from_file(path)
    rebuilt = run(to_python(flow), _secrets(flow))
    assert to_dict(rebuilt) == to_dict(flow)
    assert json.dumps(to_dict(rebuilt)) == json.dumps(to_dict(flow))


def test_generated_python_for_authored_flows_needs_no_restore_block() -> None:
    selector = (
        Flow("orders", description="routing")
        .source("Dev Raw Data Source", raw_data='{"a": 1}')
        .to("Stream Selector")
    )
    selector.when("${record:value('/a') > 1}").to("Local FS", directory_template="/out").events().to("Shell")
    selector.otherwise().to("Trash")
    flow = selector.flow
    flow.set_error_stage("Write to File", directory="/errors")
    flow.configuration["error_record_policy"] = "STAGE_RECORD"
    flow.parameters["OUT"] = "/out"
    flow.add_stage("Dev Identity")  # an isolated stage is kept too
    source = to_python(flow)
    assert "restore_details" not in source
    assert "add_stage_json" not in source
    assert 'flow.set_error_stage("Write to File", directory="/errors")' in source
    assert 'flow.configuration.update({"error_record_policy": "STAGE_RECORD"})' in source
    assert "local_fs_1 >= shell_1" in source
    assert to_json(run(source)) == to_json(flow)


def test_only_non_default_values_are_emitted() -> None:
    flow = Flow("x").source("Dev Raw Data Source").to("Local FS").flow
    source = to_python(flow)
    assert "set_attributes" not in source
    flow.stage("LocalFS_01").files_prefix = "out-"
    assert 'local_fs_1.set_attributes(files_prefix="out-")' in to_python(flow)


def test_secrets_are_read_from_the_environment_not_written_out() -> None:
    flow = (
        Flow("db")
        .source("JDBC Query Consumer", password="hunter2", username="${credential:get('u')}")
        .to("Trash")
        .flow
    )
    source = to_python(flow)
    assert "hunter2" not in source
    variable = secret_variable("JDBCQueryConsumer_01", "password")
    assert f'os.environ.get("{variable}", "")' in source
    assert "credential:get" in source  # expressions are not secrets
    assert run(source, {variable: "hunter2"}).stage("JDBCQueryConsumer_01").password == "hunter2"


def test_generating_python_never_changes_the_process_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    # An imported flow with a secret: its generated code is run to find what restore_details
    # must hold, with the secret supplied to it. Another thread must never see it in os.environ.
    imported = Flow.from_json(
        Flow("db").source("JDBC Query Consumer", password="hunter2").to("Trash").flow.to_dict()
    )

    written: list[object] = []

    class Watched(dict[str, str]):
        def __setitem__(self, key: str, value: str) -> None:
            if not key.startswith("PYTEST_"):  # pytest's own bookkeeping
                written.append(key)
            super().__setitem__(key, value)

        def update(self, *args: object, **kwargs: object) -> None:
            written.append((args, kwargs))

    monkeypatch.setattr("os.environ", Watched())
    source = to_python(imported)
    assert "hunter2" not in source
    assert written == []


def test_generating_python_runs_no_code(monkeypatch: pytest.MonkeyPatch) -> None:
    # What restore_details must hold is found by making the generated calls on a flow of its own,
    # not by running the source: exec is never called (and the result is the same).
    imported = from_file(next(p for p in CORPUS_FILES if p.name.startswith("050_")))
    expected = to_python(imported)
    import builtins

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("to_python ran code")

    monkeypatch.setattr(builtins, "exec", refuse)
    assert to_python(imported) == expected
    monkeypatch.undo()
    assert run(expected, _secrets(imported)).to_json() == imported.to_json()


@pytest.mark.skipif(shutil.which("ruff") is None, reason="ruff is not installed")
def test_generated_python_is_ruff_formatted(tmp_path: Path) -> None:
    for path in CORPUS_FILES:
        (tmp_path / f"{path.stem.replace('-', '_')}.py").write_text(to_python(from_file(path)))
    result = subprocess.run(
        ["ruff", "format", "--check", "--line-length", "88", "--no-cache", str(tmp_path)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout


def test_imported_stages_without_positions_and_flows_without_configuration_rebuild_exactly() -> None:
    definition = Flow("bare").source("Dev Raw Data Source").to("Trash").flow.to_dict()
    for stage in definition["stages"]:
        del stage["uiInfo"]["xPos"], stage["uiInfo"]["yPos"]
    del definition["configuration"]
    flow = Flow.from_json(definition)
    assert to_dict(flow) == definition
    rebuilt = run(to_python(flow))
    assert json.dumps(to_dict(rebuilt)) == json.dumps(definition)


def test_stages_sharing_a_label_get_the_first_free_numbered_variable() -> None:
    flow = Flow("x").source("Dev Raw Data Source").flow
    sinks = [flow.add_stage("Trash") for _ in range(4)]
    for stage, label in zip(sinks, ["Sink 2", "Sink", "Sink", "Sink"], strict=True):
        stage.label = label
    flow.stage("DevRawDataSource_01") >> sinks
    source = to_python(flow)
    for line in ("sink_2 = ", "sink = ", "sink_3 = ", "sink_4 = "):
        assert f"\n{line}flow.add_stage(" in source
    assert "dev_raw_data_source_1 >> sink_4" in source
    assert to_json(run(source)) == to_json(flow)


def test_restore_details_reads_special_slots_as_the_reader_does() -> None:
    shell = Flow("t").add_stage("Shell").flow.to_dict()["stages"][0]
    flow = Flow("x").source("Dev Raw Data Source").to("Trash").flow
    restore_details(flow, {"special": {"startEventStages": [dict(shell, instanceName="Start_01")]}})
    assert [s["instanceName"] for s in to_dict(flow)["startEventStages"]] == ["Start_01"]
    assert from_json(to_dict(flow)).to_dict() == to_dict(flow)
    with pytest.raises(FlowFormatError, match="'startEventStages' must be a list; got dict"):
        restore_details(flow, {"special": {"startEventStages": shell}})
    with pytest.raises(FlowFormatError, match="'errorStage' must be an object or null; got list"):
        restore_details(flow, {"special": {"errorStage": [shell]}})
    restore_details(flow, {"special": {"startEventStages": None}})
    assert to_dict(flow)["startEventStages"] == []


def test_imported_instance_names_whose_suffix_is_no_plain_number_rebuild_exactly() -> None:
    document = Flow("odd").source("Dev Raw Data Source").to("Trash").flow.to_dict()
    trash = document["stages"][1]
    trash["instanceName"], trash["uiInfo"]["label"] = "Trash_²", "Trash ²"
    flow = from_json(document)
    assert to_dict(run(to_python(flow))) == to_dict(flow)

"""The commands' output and files, run in-process (fast); test_installed_command.py runs the executable."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from flowbuilder import Flow, Project
from flowbuilder.backends import LocalBackend, documents
from flowbuilder.cli import main
from flowbuilder.configuration import SECRET_MASK

DATABASE = """\
from flowbuilder import Flow

db = (
    Flow("db")
    .source("JDBC Query Consumer", password="s3cr3t", username="me", jdbc_connection_string="jdbc:x")
    .to("Trash")
    .flow
)
"""

BROKEN = """\
from flowbuilder import Flow

orders = (
    Flow("broken")
    .source("Dev Raw Data Source", data_format="JSON")
    .to("Local FS")
    .flow
)
"""

TWO = """\
from flowbuilder import Flow

a = Flow("a").source("Dev Raw Data Source", data_format="JSON").to("Trash").flow
b = Flow("b b").source("Dev Raw Data Source", data_format="JSON").to("Trash").flow
"""


@pytest.fixture(autouse=True)
def _isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    for name in ("FLOWBUILDER_PROJECT", "FLOWBUILDER_PROJECT_ID", "FLOWBUILDER_API_KEY", "FLOWBUILDER_TOKEN"):
        monkeypatch.delenv(name, raising=False)


def run(*args: str) -> Result:
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def stored(*flows: Flow) -> Project:
    project = Project.local(".flowbuilder")
    for flow in flows:
        project.create_flow(name=flow.name, description=f"{flow.name} flow", flow=flow)
    return project


def simple(name: str) -> Flow:
    return Flow(name).source("Dev Raw Data Source", data_format="JSON").to("Trash").flow


# -- validate / plan as JSON ----------------------------------------------------------------------


def test_validate_json_lists_every_issue_with_file_line_code_and_hint(tmp_path: Path) -> None:
    write(tmp_path / "bad.py", BROKEN)
    write(tmp_path / "two.py", TWO)
    result = run("validate", "--format", "json", "bad.py", "two.py")
    assert result.exit_code == 1
    report = json.loads(result.output)
    assert report["valid"] is False
    assert [(flow["name"], flow["line"], flow["errors"]) for flow in report["flows"]] == [
        ("broken", 3, 1),
        ("a", 3, 0),
        ("b b", 4, 0),
    ]
    [issue] = report["flows"][0]["issues"]
    assert issue == {
        "file": "bad.py",
        "line": 6,
        "code": "CONFIG_REQUIRED",
        "severity": "error",
        "stage": "LocalFS_01",
        "config": "data_format",
        "message": "is required",
        "hint": "Set it, e.g. data_format=...",
        "engine_code": "VALIDATION_0007",
    }


def test_plan_json_describes_each_change_for_machines(tmp_path: Path) -> None:
    write(tmp_path / "two.py", TWO)
    result = run("plan", "--format", "json", "--no-validate", "two.py")
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert [(c["action"], c["name"], c["file"], c["line"]) for c in report["changes"]] == [
        ("create", "a", "two.py", 3),
        ("create", "b b", "two.py", 4),
    ]
    assert report["summary"]["create"] == 2


def test_a_broken_file_stops_plan_before_anything_is_planned(tmp_path: Path) -> None:
    write(tmp_path / "flows" / "ok.py", TWO)
    write(tmp_path / "flows" / "bad.py", "x = (\n")
    result = run("plan", "flows")
    assert result.exit_code == 1
    assert "flows/bad.py:1: invalid Python" in result.output
    assert "nothing was planned" in result.output


def test_apply_prune_of_a_folder_with_no_flows_deletes_nothing(tmp_path: Path) -> None:
    write(tmp_path / "flows" / "m.py", TWO)
    assert run("apply", "flows", "--yes", "--no-validate").exit_code == 0
    (tmp_path / "empty").mkdir()
    result = run("apply", "empty", "--prune", "--yes")
    assert result.exit_code == 1
    assert "no flows were given, so prune would delete every flow that apply stored" in result.output
    assert "flowbuilder flows delete" in result.output
    listed = json.loads(run("flows", "list", "--format", "json").output)
    assert sorted(row["name"] for row in listed) == ["a", "b b"]


# -- compile / import ---------------------------------------------------------------------------


def test_compile_to_standard_output_masks_secrets(tmp_path: Path) -> None:
    write(tmp_path / "db.py", DATABASE)
    result = run("compile", "db.py")
    assert result.exit_code == 0, result.output
    document = json.loads(result.output)
    assert document["title"] == "db"
    assert "s3cr3t" not in result.output
    assert SECRET_MASK in result.output


def test_compile_to_a_folder_writes_the_exact_json_of_each_flow(tmp_path: Path) -> None:
    write(tmp_path / "two.py", TWO)
    result = run("compile", "two.py", "-o", "out")
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == ["out/a.json", "out/b_b.json"]
    assert Flow.from_file(tmp_path / "out" / "b_b.json").to_dict() == json.loads(
        (tmp_path / "out" / "b_b.json").read_text()
    )
    assert json.loads((tmp_path / "out" / "a.json").read_text()) == simple("a").to_dict()


def test_compile_of_several_flows_needs_a_folder(tmp_path: Path) -> None:
    write(tmp_path / "two.py", TWO)
    assert run("compile", "two.py").exit_code == 2
    assert run("compile", "two.py", "-o", "one.json").exit_code == 2


def test_import_writes_python_that_rebuilds_the_flow(tmp_path: Path) -> None:
    flow = Flow("orders").source("Dev Raw Data Source", raw_data='{"a": 1}').to("Trash").flow
    write(tmp_path / "orders.json", flow.to_json())
    result = run("import", "orders.json", "-o", "flows/orders.py")
    assert result.exit_code == 0, result.output
    namespace: dict[str, object] = {}
    exec((tmp_path / "flows" / "orders.py").read_text(), namespace)
    rebuilt = namespace["flow"]
    assert isinstance(rebuilt, Flow)
    assert rebuilt.to_dict() == flow.to_dict()


def test_import_of_a_file_that_is_not_a_flow_exits_1_naming_it(tmp_path: Path) -> None:
    write(tmp_path / "x.json", '{"name": "package"}')
    result = run("import", "x.json")
    assert result.exit_code == 1
    assert result.output.startswith("Error: x.json")


# -- flows ------------------------------------------------------------------------------------------


def test_flows_list_shows_names_ids_stage_counts_and_who_manages_them(tmp_path: Path) -> None:
    with stored(simple("hand")) as project:
        write(tmp_path / "flows" / "m.py", TWO.replace('"b b"', '"b"'))
        assert run("apply", "flows", "--yes", "--no-validate").exit_code == 0
        ids = {flow.name: flow.flow_id for flow in project.flows}
    result = run("flows", "list")
    assert result.exit_code == 0, result.output
    assert [line.split()[:4] for line in result.output.splitlines()] == [
        ["NAME", "FLOW", "ID", "STAGES"],
        ["hand", ids["hand"], "2", "no"],
        ["a", ids["a"], "2", "yes"],
        ["b", ids["b"], "2", "yes"],
    ]
    listed = json.loads(run("flows", "list", "--format", "json").output)
    assert [(row["name"], row["managed"]) for row in listed] == [("hand", False), ("a", True), ("b", True)]


def test_flows_show_summarises_one_flow_and_masks_secrets_in_json() -> None:
    database = Flow("db").source("JDBC Query Consumer", password="s3cr3t").to("Trash").flow
    with stored(database) as project:
        flow_id = project.flows.get(name="db").flow_id
    text = run("flows", "show", "db")
    assert text.exit_code == 0, text.output
    assert f"flow id:      {flow_id}" in text.output
    assert "  JDBCQueryConsumer_01 -> Trash_01" in text.output
    by_id = run("flows", "show", flow_id, "--format", "json")
    assert json.loads(by_id.output)["flow"]["metadata"]["name"] == "db"
    assert "s3cr3t" not in by_id.output + text.output


def test_flows_export_writes_a_zip_or_one_file_per_flow_without_secrets(tmp_path: Path) -> None:
    database = Flow("db").source("JDBC Query Consumer", password="s3cr3t").to("Trash").flow
    with stored(database, simple("plain")) as project:
        plain = project.flows.get(name="plain").to_dict()
    archive = run("flows", "export", "--all", "-o", "flows.zip")
    assert archive.exit_code == 0, archive.output
    with zipfile.ZipFile(tmp_path / "flows.zip") as opened:
        assert "s3cr3t" not in "".join(opened.read(name).decode() for name in opened.namelist())
    as_json = run("flows", "export", "db", "plain", "-o", "out")
    assert as_json.output.splitlines() == ["out/db.json", "out/plain.json"]
    assert "s3cr3t" not in (tmp_path / "out" / "db.json").read_text()
    assert json.loads((tmp_path / "out" / "plain.json").read_text()) == plain
    as_python = run("flows", "export", "db", "-o", "py", "--format", "py")
    assert as_python.output.splitlines() == ["py/db.py"]
    assert "s3cr3t" not in (tmp_path / "py" / "db.py").read_text()
    assert run("flows", "export", "-o", "x.zip").exit_code == 2


def test_flows_delete_and_duplicate_act_on_one_flow_by_name() -> None:
    with stored(simple("a")) as project:
        copied = run("flows", "duplicate", "a", "a copy", "--description", "the copy")
        assert copied.exit_code == 0, copied.output
        assert project.flows.get(name="a copy").description == "the copy"
        refused = run("flows", "delete", "a")
        assert refused.exit_code == 2
        deleted = run("flows", "delete", "a", "--yes")
        assert deleted.exit_code == 0, deleted.output
        assert [flow.name for flow in project.flows] == ["a copy"]
    missing = run("flows", "show", "nope")
    assert missing.exit_code == 1
    assert "no flow named 'nope'" in missing.output


# -- catalog ----------------------------------------------------------------------------------------


def test_catalog_search_lists_matching_stages_best_first() -> None:
    result = run("catalog", "search", "trash")
    assert result.exit_code == 0
    assert result.output.splitlines()[1].split()[:2] == ["Trash", "destination"]
    assert run("catalog", "search", "no such stage anywhere").exit_code == 1


def test_catalog_show_picks_among_kinds_with_type_and_finds_error_stages() -> None:
    ambiguous = run("catalog", "show", "Amazon S3")
    assert ambiguous.exit_code == 1
    assert "--type" in ambiguous.output
    origin = run("catalog", "show", "Amazon S3", "--type", "origin", "--format", "json")
    definition = json.loads(origin.output)
    assert definition["type"] == "origin"
    assert any(config["python_name"] == "bucket" for config in definition["configs"])
    error_stage = run("catalog", "show", "Write to File")
    assert error_stage.exit_code == 0
    assert error_stage.output.splitlines()[0] == "Write to File (error stage)"
    unknown = run("catalog", "show", "Local F")
    assert unknown.exit_code == 1
    assert "Did you mean 'Local FS'?" in unknown.output


# -- settings ---------------------------------------------------------------------------------------


def test_pyproject_settings_give_the_paths_and_the_project(tmp_path: Path) -> None:
    write(
        tmp_path / "pyproject.toml",
        '[tool.flowbuilder]\nproject = "state/store"\npaths = ["flows"]\n',
    )
    write(tmp_path / "flows" / "a.py", TWO.replace('"b b"', '"b"'))
    (tmp_path / "sub").mkdir()
    result = CliRunner().invoke(main, ["apply", "--yes", "--no-validate"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    with Project.local(tmp_path / "state" / "store") as project:
        assert sorted(flow.name for flow in project.flows) == ["a", "b"]


@pytest.mark.parametrize("command", [["plan"], ["apply", "--yes", "--no-validate"]])
def test_plan_and_apply_read_pyproject_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, command: list[str]
) -> None:
    from flowbuilder import _settings

    write(tmp_path / "pyproject.toml", '[tool.flowbuilder]\nenvironment = "local"\npaths = ["flows"]\n')
    write(tmp_path / "flows" / "a.py", TWO)
    loads: list[object] = []
    real = _settings.load_settings

    def counted(start: object = None) -> _settings.Settings:
        loads.append(start)
        return real()

    monkeypatch.setattr(_settings, "load_settings", counted)
    result = run(*command)
    assert result.exit_code == 0, result.output
    assert len(loads) == 1


def test_credentials_in_pyproject_are_refused_without_echoing_them(tmp_path: Path) -> None:
    write(tmp_path / "pyproject.toml", '[tool.flowbuilder]\napi_key = "k3y-value"\n')
    result = run("plan", ".")
    assert result.exit_code == 2
    assert "FLOWBUILDER_API_KEY" in result.output
    assert "k3y-value" not in result.output


def test_an_unknown_environment_is_a_usage_error(tmp_path: Path) -> None:
    write(tmp_path / "a.py", TWO)
    result = run("apply", "a.py", "--yes", "--no-validate", "--environment", "prod")
    assert result.exit_code == 2
    assert "Environments: 'local'" in result.output


PAYMENTS = """\
from flowbuilder import Flow

payments = (
    Flow("payments")
    .source("Dev Raw Data Source", data_format="JSON", raw_data='{"id": 0, "amount": "1.00"}')
    .to(
        "Field Type Converter",
        field_type_converter_configs=[{"fields": ["/amount"], "targetType": "DECIMAL"}],
    )
    .to("Trash")
    .on_error("Write to File", directory="/data/errors")
)
"""


def test_preview_shows_records_in_and_out_per_stage_and_the_error_records(tmp_path: Path) -> None:
    write(tmp_path / "payments.py", PAYMENTS)
    write(tmp_path / "records.json", json.dumps([{"id": 1, "amount": "2.50"}, {"id": 2, "amount": "two"}]))
    result = run("preview", "payments.py", "--records", "records.json")
    assert result.exit_code == 0, result.output
    rows = {line.split()[0]: line.split() for line in result.output.splitlines()[2:] if line.strip()}
    assert rows["FieldTypeConverter_01"][-4:] == ["2", "1", "0", "1"]  # in, out, events, errors
    assert rows["Trash_01"][-4:] == ["1", "-", "0", "0"]
    assert "Error records (1, as the error stage gets them: ORIGINAL_RECORD):" in result.output
    assert "FieldTypeConverter_01: CONVERTER_00" in result.output
    assert '{"id": 2, "amount": "two"}' in result.output


def test_preview_json_gives_every_record_and_runs_the_origin_data_without_records(tmp_path: Path) -> None:
    write(tmp_path / "payments.py", PAYMENTS)
    result = run("preview", "payments.py", "--format", "json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    stages = {stage["instance_name"]: stage for stage in data["stages"]}
    assert list(stages) == ["DevRawDataSource_01", "FieldTypeConverter_01", "Trash_01"]
    assert stages["Trash_01"]["input"] == [{"id": 0, "amount": "1.00"}]  # the DECIMAL, as text
    assert data["error_records"] == []
    assert data["batches"] == 1


def test_preview_reads_json_lines_batches_them_and_names_a_bad_line(tmp_path: Path) -> None:
    write(tmp_path / "payments.py", PAYMENTS)
    write(tmp_path / "records.jsonl", "".join(f'{{"id": {n}, "amount": "1"}}\n' for n in range(5)) + "\n")
    result = run("preview", "payments.py", "-r", "records.jsonl", "--batch-size", "2", "--format", "json")
    data = json.loads(result.output)
    assert data["batches"] == 3
    assert [record["id"] for record in data["stages"][2]["input"]] == [0, 1, 2, 3, 4]
    write(tmp_path / "bad.jsonl", '{"id": 1}\n{"id": \n')
    result = CliRunner().invoke(main, ["preview", "payments.py", "-r", "bad.jsonl"])
    assert result.exit_code == 1
    assert "bad.jsonl:2: not valid JSON" in result.output
    assert "Traceback" not in result.output


def test_preview_overrides_parameters(tmp_path: Path) -> None:
    write(
        tmp_path / "greet.py",
        "from flowbuilder import Flow\n"
        "flow = Flow('greet')\n"
        "flow.parameters['WHO'] = 'world'\n"
        "flow.source('Dev Raw Data Source', data_format='JSON', raw_data='{}')"
        ".to('Expression Evaluator', field_expressions=[{'fieldToSet': '/hi', 'expression': '${WHO}'}])"
        ".to('Trash')\n",
    )
    shown = json.loads(run("preview", "greet.py", "-p", "WHO=you", "--format", "json").output)
    assert shown["stages"][-1]["input"] == [{"hi": "you"}]
    assert json.loads(run("preview", "greet.py", "--format", "json").output)["stages"][-1]["input"] == [
        {"hi": "world"}
    ]


def test_preview_asks_which_flow_and_refuses_bad_options_with_exit_2(tmp_path: Path) -> None:
    write(tmp_path / "two.py", TWO)
    runner = CliRunner()
    several = runner.invoke(main, ["preview", "two.py"])
    assert several.exit_code == 2
    assert "defines 2 flows ('a', 'b b'); choose one with --flow" in several.output
    assert runner.invoke(main, ["preview", "two.py", "--flow", "a"]).exit_code == 0
    unknown = runner.invoke(main, ["preview", "two.py", "--flow", "bb"])
    assert unknown.exit_code == 2
    assert "Did you mean 'b b'?" in unknown.output
    bad_param = runner.invoke(main, ["preview", "two.py", "--flow", "a", "-p", "WHO"])
    assert bad_param.exit_code == 2
    assert "'WHO' is not NAME=VALUE" in bad_param.output


def test_preview_of_a_stage_the_runner_does_not_support_exits_1_naming_it(tmp_path: Path) -> None:
    write(tmp_path / "db.py", DATABASE)
    result = CliRunner().invoke(main, ["preview", "db.py"])
    assert result.exit_code == 1
    assert "JDBC" in result.output
    assert "Traceback" not in result.output
    assert "s3cr3t" not in result.output


def test_preview_refuses_a_missing_or_oversized_records_file(tmp_path: Path) -> None:
    from flowbuilder.compile import MAX_JSON_BYTES

    write(tmp_path / "payments.py", PAYMENTS)
    missing = CliRunner().invoke(main, ["preview", "payments.py", "-r", "nope.json"])
    assert missing.exit_code == 2
    assert "does not exist" in missing.output
    with (tmp_path / "big.json").open("wb") as sparse:  # no disk used: refused by its size, unread
        sparse.truncate(MAX_JSON_BYTES + 1)
    big = CliRunner().invoke(main, ["preview", "payments.py", "-r", "big.json"])
    assert big.exit_code == 1
    assert f"more than the limit of {MAX_JSON_BYTES:,}" in big.output
    assert "Traceback" not in big.output


def test_flows_list_never_sends_control_characters_of_stored_names_to_the_terminal() -> None:
    # Stores written before names were checked (or other services) may hold any name; the CLI
    # shows each character escaped, in text and in JSON (which reads back to the stored name).
    hostile = "csi\x9b2J evil\u202egnp del\x7f [red]markup[/]"
    project = stored(simple("plain"))
    backend = project.backend
    assert isinstance(backend, LocalBackend)
    with backend._write() as tx:
        tx.insert(documents.new_document(backend.project_id, {"name": hostile, "description": "esc\x1b[2J"}))
    result = run("flows", "list")
    assert result.exit_code == 0, result.output
    assert result.output.isascii()
    assert "csi\\u009b2J evil\\u202egnp del\\u007f [red]markup[/]" in result.output
    assert "esc\\u001b[2J" in result.output
    listed = run("flows", "list", "--format", "json").output
    assert listed.isascii()
    assert hostile in [row["name"] for row in json.loads(listed)]


# -- fragments in plan and apply --------------------------------------------------------------------

PII = """
from flowbuilder import Flow, Fragment

mask = Fragment("mask pii")
mask.input("Field Masker", field_mask_configs=[{{"fields": ["/ssn"], "maskType": "{mask}"}}])
orders = Flow("orders").source("Dev Raw Data Source").to(mask).to("Trash").flow
customers = Flow("customers").source("Dev Raw Data Source").to(mask).to("Trash").flow
"""


def test_plan_and_apply_show_a_fragment_and_the_flows_it_touches(tmp_path: Path) -> None:
    write(tmp_path / "pii.py", PII.format(mask="FIXED_LENGTH"))
    first = run("plan", "pii.py")
    assert first.exit_code == 0, first.output
    assert "fragment used by 2 flows of the plan: customers, orders" in first.output
    assert run("apply", "--yes", "pii.py").exit_code == 0
    write(tmp_path / "pii.py", PII.format(mask="VARIABLE_LENGTH"))
    second = run("plan", "pii.py")
    assert second.exit_code == 0, second.output
    assert second.output.count("    fragment mask pii (maskp_01): version ") == 2
    assert "0 to create, 3 to update, 0 to delete, 0 unchanged." in second.output

"""The pytest plugin: fixtures, assert_valid, snapshots and record matchers, as users meet them."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from flowbuilder import Flow
from flowbuilder.preview import Record, preview
from flowbuilder.project import Project
from flowbuilder.testing import (
    RecordMatcher,
    assert_matches_snapshot,
    assert_records,
    assert_valid,
    record_with,
)


def _valid_flow() -> Flow:
    return (
        Flow("orders")
        .source("Dev Raw Data Source", data_format="JSON", raw_data='{"id": 1}')
        .to("Trash")
        .flow
    )


# -- assert_valid -------------------------------------------------------------------------------


def test_assert_valid_passes_a_valid_flow() -> None:
    assert_valid(_valid_flow())


def test_assert_valid_fails_listing_every_issue_with_stage_and_hint() -> None:
    flow = Flow("broken")
    flow.add_stage("Dev Raw Data Source")
    flow.add_stage("Dev Raw Data Source")
    flow.add_stage("Trash")
    expected = [issue for issue in flow.validate().issues if issue.severity == "error"]
    assert len(expected) >= 3
    with pytest.raises(AssertionError) as raised:
        assert_valid(flow)
    message = str(raised.value)
    assert message.startswith(f"Flow 'broken' is not valid: {len(expected)} errors")
    for issue in expected:
        assert f"error {issue.code}" in message
        assert issue.message in message
        if issue.stage:
            assert issue.stage in message
        if issue.hint:
            assert issue.hint in message


def test_assert_valid_can_fail_on_warnings_too() -> None:
    # A constant set while the action is REMOVE is inactive: a warning, not an error.
    path = Flow("warned").source("Dev Raw Data Source").to("Field Remover", fields=["/a"], constant="x")
    flow = path.to("Trash").flow
    assert_valid(flow)
    with pytest.raises(AssertionError) as raised:
        assert_valid(flow, warnings=True)
    assert "0 errors, 1 warning" in str(raised.value)
    assert "warning CONFIG_INACTIVE FieldRemover_01 config 'constant'" in str(raised.value)


# -- assert_matches_snapshot -------------------------------------------------------------------


def test_snapshot_is_written_on_update_and_then_matches(tmp_path: Path) -> None:
    snapshot = tmp_path / "snapshots" / "orders.json"
    flow = _valid_flow()
    assert_matches_snapshot(flow, snapshot, update=True)
    assert snapshot.read_text() == flow.to_json()
    assert_matches_snapshot(flow, snapshot)


def test_missing_snapshot_fails_saying_how_to_create_it(tmp_path: Path) -> None:
    with pytest.raises(AssertionError, match="--flowbuilder-update-snapshots"):
        assert_matches_snapshot(_valid_flow(), tmp_path / "none.json")


def test_changed_flow_fails_with_a_summary_and_a_unified_diff(tmp_path: Path) -> None:
    snapshot = tmp_path / "orders.json"
    assert_matches_snapshot(_valid_flow(), snapshot, update=True)
    changed = _valid_flow()
    changed.stage("DevRawDataSource_01").configuration["raw_data"] = '{"id": 2}'
    with pytest.raises(AssertionError) as raised:
        assert_matches_snapshot(changed, snapshot)
    message = str(raised.value)
    assert "does not match snapshot" in message
    # The summary is plan's diff (one diff engine for plans and snapshots): stage, config, old -> new.
    assert "  ~ stage DevRawDataSource_01 (Dev Raw Data Source)" in message.splitlines()
    assert '      raw_data: "{\\"id\\": 1}" -> "{\\"id\\": 2}"' in message.splitlines()
    assert "--- " in message
    assert "+++ flow" in message
    lines = message.splitlines()
    assert any(line.startswith("-") and line[1:].strip() == '"value": "{\\"id\\": 1}"' for line in lines)
    assert any(line.startswith("+") and line[1:].strip() == '"value": "{\\"id\\": 2}"' for line in lines)


def test_snapshot_failures_never_show_secrets(tmp_path: Path) -> None:
    def flow_with(password: str) -> Flow:
        path = Flow("secrets").source("Dev Raw Data Source").to("JDBC Lookup", password=password)
        return path.to("Trash").flow

    snapshot = tmp_path / "secrets.json"
    assert_matches_snapshot(flow_with("old-s3cret"), snapshot, update=True)
    with pytest.raises(AssertionError) as raised:
        assert_matches_snapshot(flow_with("new-s3cret"), snapshot)
    message = str(raised.value)
    assert "  ~ stage JDBCLookup_01 (JDBC Lookup)" in message.splitlines()
    assert "      password: (secret changed)" in message.splitlines()
    assert "old-s3cret" not in message
    assert "new-s3cret" not in message


def test_update_option_rewrites_snapshots_when_pytest_runs_with_it(tmp_path: Path) -> None:
    test_file = tmp_path / "test_snapshot_option.py"
    test_file.write_text(
        textwrap.dedent(
            """
            from pathlib import Path
            from flowbuilder import Flow
            from flowbuilder.testing import assert_matches_snapshot

            def test_snapshot():
                flow = Flow("orders").source("Dev Raw Data Source").to("Trash").flow
                assert_matches_snapshot(flow, Path(__file__).parent / "orders.json")
            """
        )
    )
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(test_file)]
    first = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert first.returncode == 1
    assert "does not exist" in first.stdout
    updated = subprocess.run(
        [*command, "--flowbuilder-update-snapshots"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert updated.returncode == 0, updated.stdout
    assert (tmp_path / "orders.json").exists()
    again = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert again.returncode == 0, again.stdout


# -- record matchers ----------------------------------------------------------------------------


def test_record_with_checks_only_what_it_is_given() -> None:
    record = Record({"a": 1, "b": {"c": "x"}}, attributes={"k": "v"})
    assert record == record_with({"/b/c": "x"}, attributes={"k": "v"}, types={"/a": "INTEGER"})
    assert record != record_with({"/b/c": "y"})
    assert record_with({"/missing": 1}).mismatches(record) == ["has no field '/missing' (expected 1)"]


@pytest.mark.parametrize(
    ("matcher", "shown"),
    [
        (record_with(), "record_with()"),
        (record_with(value=None), "record_with(value=None)"),
        (record_with(value={}), "record_with(value={})"),
        (record_with(value=0), "record_with(value=0)"),
        (record_with({"/a": 1}, error_code="EXPR_03"), "record_with({'/a': 1}, error_code='EXPR_03')"),
    ],
)
def test_record_with_repr_shows_every_value_asked_for_even_none_or_empty(
    matcher: RecordMatcher, shown: str
) -> None:
    assert repr(matcher) == shown


def test_assert_records_names_an_expected_empty_record_as_such() -> None:
    with pytest.raises(AssertionError, match=r"no record matches record_with\(value=None\)"):
        assert_records([Record({"a": 1})], [None], ordered=False)


def test_record_with_matches_error_records_of_a_preview() -> None:
    flow = (
        Flow("errors")
        .source("Dev Raw Data Source")
        .to("Dev Identity", required_fields=["/id"])
        .to("Trash")
        .flow
    )
    result = preview(flow, records=[{"x": 1}])
    assert result.error_records == [
        record_with(
            value={"x": 1}, error_code="CONTAINER_0050", error_stage="DevIdentity_01", error_message="[/id]"
        )
    ]


def test_assert_records_names_each_difference() -> None:
    records = [Record({"a": 1}), Record({"a": 2})]
    assert_records(records, [{"a": 1}, record_with({"/a": 2})])
    assert_records(records, [{"a": 2}, {"a": 1}], ordered=False)
    with pytest.raises(AssertionError) as raised:
        assert_records(records, [{"a": 1}, record_with({"/a": 3})])
    assert "record 1: field '/a' is 2, expected 3" in str(raised.value)
    with pytest.raises(AssertionError, match="got 2 records, expected 1"):
        assert_records(records, [{"a": 1}])
    with pytest.raises(AssertionError, match=r"no record matches record_with\(\{'/a': 5\}\)"):
        assert_records(records, [record_with({"/a": 5}), {"a": 1}], ordered=False)


# -- fixtures -----------------------------------------------------------------------------------


def test_flow_project_is_a_fresh_local_project(flow_project: Project, tmp_path: Path) -> None:
    assert len(flow_project.flows) == 0
    environment = flow_project.environments.get(name="local")
    stored = flow_project.create_flow(name="orders", environment=environment, flow=_valid_flow())
    assert flow_project.flows.get(name="orders").flow_id == stored.flow_id
    assert (tmp_path / ".flowbuilder").exists()


def test_flow_server_serves_the_rest_api_to_a_bound_client(flow_server: Project) -> None:
    environment = flow_server.environments.get(name="local")
    stored = flow_server.create_flow(name="served", environment=environment, flow=_valid_flow())
    fetched = flow_server.flows.get(flow_id=stored.flow_id)
    assert fetched.name == "served"
    assert flow_server.backend.url.startswith("http://127.0.0.1:")  # type: ignore[attr-defined]

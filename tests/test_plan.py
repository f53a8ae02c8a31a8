"""Plan and apply over a real local store: actions, readable diffs, idempotence, pruning, failures."""

from __future__ import annotations

import collections
import json
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from flowbuilder import Flow, FlowbuilderError, Project
from flowbuilder.discovery import FlowSource
from flowbuilder.plan import MANAGED_LABEL, apply, is_managed, plan


@pytest.fixture
def project(tmp_path: Path) -> Iterator[Project]:
    with Project.local(tmp_path / "store") as opened:
        yield opened


def orders(directory: str = "/data/orders", *, retry: bool = True) -> Flow:
    flow = (
        Flow("orders", description="orders to files")
        .source("Dev Raw Data Source", data_format="JSON", raw_data='{"id": 1}')
        .to("Expression Evaluator", field_expressions=[{"fieldToSet": "/seen", "expression": "${true}"}])
        .to("Local FS", data_format="JSON", directory_template=directory)
        .on_error("Write to File", directory="/data/errors")
    )
    flow.configuration["retry_pipeline_on_error"] = retry
    return flow


def simple(name: str) -> Flow:
    flow = Flow(name).source("Dev Raw Data Source", data_format="JSON").to("Trash").flow
    flow.set_error_stage("Discard")
    return flow


def revisions(project: Project) -> dict[str, int | None]:
    return {flow.name: flow.revision for flow in project.flows}


def test_first_apply_creates_every_flow_marked_as_managed(project: Project) -> None:
    planned = plan([orders(), simple("b")], project)
    assert [(change.action, change.name) for change in planned.changes] == [
        ("create", "orders"),
        ("create", "b"),
    ]
    result = apply(planned, project)
    assert result
    assert result.writes == 2
    stored = project.flows.get(name="orders")
    assert stored.description == "orders to files"
    assert is_managed(stored.to_dict())
    assert [stage.instance_name for stage in stored.stages] == [s.instance_name for s in orders().stages]


def test_a_second_apply_writes_nothing_and_leaves_revisions_alone(project: Project) -> None:
    apply(plan([orders(), simple("b")], project), project)
    before = revisions(project)
    again = plan([orders(), simple("b")], project)
    assert [change.action for change in again.changes] == ["unchanged", "unchanged"]
    assert not again.has_changes
    assert apply(again, project).writes == 0
    assert revisions(project) == before


def test_an_edited_config_shows_its_python_name_and_old_and_new_values(project: Project) -> None:
    apply(plan([orders()], project), project)
    planned = plan([orders("/data/orders-v2", retry=False)], project)
    [change] = planned.changes
    assert change.action == "update"
    assert change.diff.lines() == [
        "~ stage LocalFS_01 (Local FS)",
        '    directory_template: "/data/orders" -> "/data/orders-v2"',
        "~ flow configuration",
        "    retry_pipeline_on_error: true -> false",
    ]
    before = revisions(project)["orders"]
    assert apply(planned, project).writes == 1
    stored = project.flows.get(name="orders")
    assert stored.revision == (before or 0) + 1
    assert stored.stage("LocalFS_01").configuration["directory_template"] == "/data/orders-v2"
    assert not plan([orders("/data/orders-v2", retry=False)], project).has_changes


def test_stages_and_lanes_added_and_removed_are_named_by_instance(project: Project) -> None:
    before = Flow("f").source("Dev Raw Data Source", data_format="JSON").to("Trash").flow
    apply(plan([before], project, validate=False), project)
    after = Flow("f").source("Dev Raw Data Source", data_format="JSON").to("Dev Identity").to("Local FS").flow
    diff = plan([after], project, validate=False).changes[0].diff
    assert diff.stages_added == ("DevIdentity_01 (Dev Identity)", "LocalFS_01 (Local FS)")
    assert diff.stages_removed == ("Trash_01 (Trash)",)
    assert diff.lanes_added == ("DevRawDataSource_01 -> DevIdentity_01", "DevIdentity_01 -> LocalFS_01")
    assert diff.lanes_removed == ("DevRawDataSource_01 -> Trash_01",)


def test_a_changed_secret_shows_as_changed_without_its_value(project: Project) -> None:
    def database(password: str) -> Flow:
        return (
            Flow("db")
            .source("JDBC Query Consumer", password=password, username="u", jdbc_connection_string="jdbc:x")
            .to("Trash")
            .flow
        )

    apply(plan([database("first-s3cr3t")], project, validate=False), project)
    planned = plan([database("second-s3cr3t")], project, validate=False)
    [change] = planned.changes
    assert change.action == "update"
    assert "    password: (secret changed)" in change.diff.lines()
    text = "\n".join(planned.lines()) + json.dumps(planned.to_dict())
    assert "s3cr3t" not in text


def test_ids_positions_and_metadata_added_by_the_store_do_not_count_as_changes(project: Project) -> None:
    apply(plan([orders()], project), project)
    flow_id = project.flows.get(name="orders").flow_id
    document = project.backend.get_flow(flow_id)
    definition: dict[str, Any] = document["pipeline_definition"]
    definition["pipelineId"] = f"testRun__{flow_id}"
    definition["uuid"] = "0f0e0d0c-0000-4000-8000-000000000000"
    definition["info"]["lastModified"] = 1758061153670
    for stage in definition["stages"]:
        stage["uiInfo"]["xPos"] += 500
    project.backend.update_flow(
        flow_id, {"pipeline_definition": definition}, revision=document["flow"]["metadata"]["revision"]
    )
    assert [change.action for change in plan([orders()], project).changes] == ["unchanged"]


def test_prune_deletes_only_flows_that_apply_stored(project: Project) -> None:
    apply(plan([orders(), simple("gone")], project), project)
    project.create_flow(name="hand-made", flow=simple("hand-made"))
    without = plan([orders()], project)
    assert [change.action for change in without.changes] == ["unchanged"]
    planned = plan([orders()], project, prune=True)
    assert [(change.action, change.name) for change in planned.changes] == [
        ("unchanged", "orders"),
        ("delete", "gone"),
    ]
    assert planned.left_alone == ("hand-made",)
    apply(planned, project)
    assert sorted(flow.name for flow in project.flows) == ["hand-made", "orders"]


def test_prune_with_no_flows_is_refused(project: Project) -> None:
    apply(plan([orders()], project), project)
    with pytest.raises(FlowbuilderError, match="no flows were given, so prune would delete"):
        plan([], project, prune=True)
    assert plan([], project).changes == ()  # without prune, nothing given plans nothing


def test_prune_leaves_a_copy_of_a_managed_flow_alone(project: Project) -> None:
    apply(plan([orders()], project), project)
    stored = project.flows.get(name="orders")
    project.duplicate_flow(stored, name="orders copy")
    planned = plan([orders()], project, prune=True)
    assert [(change.action, change.name) for change in planned.changes] == [("unchanged", "orders")]
    assert planned.left_alone == ("orders copy",)


def test_a_stored_flow_not_made_by_apply_is_adopted_by_an_update(project: Project) -> None:
    project.create_flow(name="b", flow=simple("b"))
    [change] = plan([simple("b")], project).changes
    assert change.action == "update"
    assert change.diff.details == (
        f"adopt: not stored by flowbuilder before; gets the {MANAGED_LABEL!r} label",
    )
    apply(plan([simple("b")], project), project)
    assert is_managed(project.flows.get(name="b").to_dict())
    assert not plan([simple("b")], project).has_changes


def test_an_invalid_flow_is_not_applied_but_the_others_are(project: Project, tmp_path: Path) -> None:
    broken = Flow("broken").source("Dev Raw Data Source").flow  # output lane goes nowhere
    source = FlowSource(broken, tmp_path / "broken.py", 3, {"DevRawDataSource_01": 4})
    planned = plan([source, simple("fine")], project)
    invalid = planned.changes[0]
    assert invalid.action == "invalid"
    assert f"{tmp_path / 'broken.py'}:4: OUTPUT_UNCONNECTED DevRawDataSource_01" in invalid.reason
    result = apply(planned, project)
    assert [outcome.ok for outcome in result.outcomes] == [False, True]
    assert str(result.failures[0].error).startswith(f"{tmp_path / 'broken.py'}:3, Flow 'broken'")
    assert [flow.name for flow in project.flows] == ["fine"]


def test_a_flow_changed_since_the_plan_fails_alone_with_a_conflict(project: Project) -> None:
    apply(plan([orders(), simple("b")], project), project)
    planned = plan([orders("/elsewhere"), simple("b")], project)
    stored = project.flows.get(name="orders")
    stored.description = "edited by someone else"
    project.update_flow(stored)
    result = apply(planned, project)
    [failure] = result.failures
    assert failure.change.name == "orders"
    assert "changed since it was read" in str(failure.error)
    assert project.flows.get(name="orders").description == "edited by someone else"


def test_several_stored_flows_of_one_name_are_a_conflict_not_a_guess(project: Project) -> None:
    project.create_flow(name="b", flow=simple("b"))
    project.create_flow(name="b", flow=simple("b"))
    [change] = plan([simple("b")], project).changes
    assert change.action == "conflict"
    assert "2 flows named 'b'" in change.reason
    assert not apply(plan([simple("b")], project), project)


def test_one_name_given_twice_is_refused(project: Project) -> None:
    with pytest.raises(FlowbuilderError, match="defined twice"):
        plan([simple("b"), simple("b")], project)


def test_an_unchanged_flow_is_not_validated_since_applying_it_writes_nothing(project: Project) -> None:
    broken = Flow("broken").source("Dev Raw Data Source").flow  # output lane goes nowhere
    assert broken.validate().errors
    apply(plan([broken], project, validate=False), project)
    [change] = plan([Flow("broken").source("Dev Raw Data Source").flow], project).changes
    assert change.action == "unchanged"
    edited = Flow("broken", description="edited").source("Dev Raw Data Source").flow
    assert [change.action for change in plan([edited], project).changes] == ["invalid"]


def test_a_flow_created_by_someone_else_since_the_plan_is_a_conflict_not_a_duplicate(
    project: Project,
) -> None:
    planned = plan([simple("b"), simple("c")], project)
    project.create_flow(name="b", flow=simple("b"))
    result = apply(planned, project)
    [failure] = result.failures
    assert failure.change.name == "b"
    assert "created in the project since the plan" in str(failure.error)
    assert "Run plan again" in str(failure.error)
    assert sorted(flow.name for flow in project.flows) == ["b", "c"]
    assert not is_managed(project.flows.get(name="b").to_dict())


# -- concurrent writers ------------------------------------------------------------------------------

_MANY = 120
_FOLDER = """
from flowbuilder import Flow


def flows():
    return [
        Flow(f"flow {{n:03d}}").source("Dev Raw Data Source", raw_data=str(n)).to("Trash").flow
        for n in range({count})
    ]
"""


def _names_once(store: Path) -> collections.Counter[str]:
    with Project.local(store) as project:
        return collections.Counter(flow.name for flow in project.flows)


def test_two_apply_processes_at_once_create_each_flow_once_and_both_converge(tmp_path: Path) -> None:
    (tmp_path / "flows").mkdir()
    (tmp_path / "flows" / "many.py").write_text(_FOLDER.format(count=_MANY), encoding="utf-8")
    command = [sys.executable, "-m", "flowbuilder.cli", "apply", "flows", "--yes", "--project", "store"]
    Project.local(tmp_path / "store").close()  # the store exists before both start: they race on flows
    runs = [
        subprocess.Popen(command, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for _ in range(2)
    ]
    finished = [run.communicate(timeout=300) for run in runs]
    for run, (out, err) in zip(runs, finished, strict=True):
        assert run.returncode == 0, out + err  # the one that lost a race found the flow as it wanted it
        assert "Traceback" not in err
    created = [int(out.split(" created", 1)[0].rsplit(" ", 1)[-1]) for out, _ in finished]
    assert sum(created) == _MANY, finished
    assert min(created) > 0 or max(created) == _MANY  # both ran; the split depends on scheduling
    counts = _names_once(tmp_path / "store")
    assert len(counts) == _MANY
    assert set(counts.values()) == {1}, [name for name, n in counts.items() if n > 1]
    again = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, timeout=300)
    summary = f"0 to create, 0 to update, 0 to delete, {_MANY} unchanged."
    assert again.stdout.splitlines() == [summary, "No changes."]


def test_threads_applying_one_plan_to_one_store_never_duplicate_a_name(tmp_path: Path) -> None:
    wanted = [simple(f"flow {n:03d}") for n in range(60)]
    with Project.local(tmp_path / "store") as first:
        planned = plan(wanted, first)  # every thread applies the same plan, made before any wrote
    results: list[bool] = []

    def run() -> None:
        with Project.local(tmp_path / "store") as project:
            results.append(bool(apply(planned, project)))

    threads = [threading.Thread(target=run) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert results == [True] * 4
    counts = _names_once(tmp_path / "store")
    assert sorted(counts) == [flow.name for flow in wanted]
    assert set(counts.values()) == {1}


def test_a_create_raced_by_a_different_flow_of_that_name_is_still_a_conflict(project: Project) -> None:
    planned = plan([simple("b")], project)
    project.create_flow(name="b", flow=orders())  # another writer stored something else under "b"
    [failure] = apply(planned, project).failures
    assert "created in the project since the plan" in str(failure.error)
    assert len(project.flows.get_all(name="b")) == 1


# -- fragments: a folder with a fragment and its users ---------------------------------------------

_PII = """
from flowbuilder import Flow, Fragment

mask = Fragment("mask pii")
mask.parameters["SOURCE"] = "unknown"
mask.input("Field Masker", field_mask_configs=[{{"fields": ["/ssn"], "maskType": "{mask_type}"}}]).to(
    "Expression Evaluator", field_expressions=[{{"fieldToSet": "/source", "expression": "${{SOURCE}}"}}]
)
orders = Flow("orders").source("Dev Raw Data Source").to(mask, parameter_name_prefix="O_").to("Trash").flow
customers = Flow("customers").source("Dev Raw Data Source").to(mask, parameter_name_prefix="C_")
customers = customers.to("Trash").flow
"""
_PLAIN = (
    'from flowbuilder import Flow\nplain = Flow("plain").source("Dev Raw Data Source").to("Trash").flow\n'
)


def _folder(tmp_path: Path, mask_type: str = "FIXED_LENGTH") -> list[FlowSource]:
    from flowbuilder.discovery import discover

    (tmp_path / "pii").mkdir(exist_ok=True)
    (tmp_path / "pii" / "pii.py").write_text(_PII.format(mask_type=mask_type), encoding="utf-8")
    (tmp_path / "pii" / "plain.py").write_text(_PLAIN, encoding="utf-8")
    found = discover([tmp_path / "pii"])
    assert found.errors == []
    return found.flows


def test_a_folder_with_a_fragment_and_its_users_applies_and_records_the_fragment(
    project: Project, tmp_path: Path
) -> None:
    first = plan(_folder(tmp_path), project)
    assert [(c.action, c.name) for c in first.changes] == [
        ("create", "mask pii"),
        ("create", "orders"),
        ("create", "customers"),
        ("create", "plain"),
    ]
    assert first.changes[0].lines()[1] == "    fragment used by 2 flows of the plan: customers, orders"
    assert apply(first, project)
    fragment = project.fragments.get(name="mask pii")
    assert {f.name: f.fragment_ids for f in project.flows} == {
        "mask pii": [],
        "orders": [fragment.fragment_id],
        "customers": [fragment.fragment_id],
        "plain": [],
    }
    assert not plan(_folder(tmp_path), project).has_changes


def test_changing_the_fragment_plans_an_update_of_every_flow_that_uses_it(
    project: Project, tmp_path: Path
) -> None:
    assert apply(plan(_folder(tmp_path), project), project)
    old = project.fragments.get(name="mask pii").commit_id
    changed = plan(_folder(tmp_path, mask_type="VARIABLE_LENGTH"), project)
    assert [(c.action, c.name) for c in changed.changes] == [
        ("update", "mask pii"),
        ("update", "orders"),
        ("update", "customers"),
        ("unchanged", "plain"),
    ]
    new = changed.changes[0].flow.commit_id  # type: ignore[union-attr]
    assert changed.changes[1].diff.details == (f"fragment mask pii (maskp_01): version {old} -> {new}",)
    assert apply(changed, project)
    assert project.fragments.get(name="mask pii").commit_id == new
    assert not plan(_folder(tmp_path, mask_type="VARIABLE_LENGTH"), project).has_changes


def test_a_user_of_a_fragment_version_nobody_holds_is_invalid_not_applied(
    project: Project, tmp_path: Path
) -> None:
    assert apply(plan(_folder(tmp_path), project), project)
    users = [s for s in _folder(tmp_path, mask_type="VARIABLE_LENGTH") if s.flow.name != "mask pii"]
    planned = plan(users, project)
    assert [(c.action, c.name) for c in planned.changes] == [
        ("invalid", "orders"),
        ("invalid", "customers"),
        ("unchanged", "plain"),
    ]
    reason = planned.changes[0].reason
    assert reason.startswith("stage maskp_01_FragmentProcessor_01: fragment 'mask pii' version ")
    assert reason.endswith(
        "is missing: neither the files nor the project hold it; add the file that "
        "defines the fragment to the plan, or apply it first"
    )
    assert not apply(planned, project)

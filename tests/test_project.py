"""The Flows API of a Project, the same on the memory and the local (SQLite) backends."""

from __future__ import annotations

import io
import json
import re
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from flowbuilder import Catalog, Flow, Fragment
from flowbuilder.errors import (
    BackendError,
    ConfigError,
    ConflictError,
    FlowbuilderError,
    FragmentError,
    NotFoundError,
)
from flowbuilder.project import Environment, Project, StreamsetsFlow

REPR = re.compile(
    r"StreamsetsFlow\(name='(?P<name>[^']*)', description='(?P<description>[^']*)', "
    r"flow_id='(?P<flow_id>[0-9a-f-]{36})', engine_version='(?P<version>[^']+)'\)"
)


@pytest.fixture(params=["memory", "local"])
def project(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Project]:
    made = Project.memory() if request.param == "memory" else Project.local(tmp_path / "store")
    with made:
        yield made


@pytest.fixture
def local_env(project: Project) -> Environment:
    return project.environments.get(name="local")


def _authored(name: str = "orders") -> Flow:
    return (
        Flow(name, description="orders to files")
        .source("Dev Raw Data Source", data_format="JSON", raw_data='{"id": 1}')
        .to("Trash")
        .on_error("Write to File", directory="/data/errors")
    )


def test_created_flow_repr_matches_the_seed_format(project: Project, local_env: Environment) -> None:
    flow = project.create_flow(
        name="My first flow", description="optional description", environment=local_env
    )
    match = REPR.fullmatch(repr(flow))
    assert match is not None, repr(flow)
    assert match["flow_id"] == flow.flow_id
    assert match["version"] == Catalog.default().engine_version()
    assert repr(project.flows) == f"[{flow!r}]"


def test_local_environment_has_the_bundled_catalog_engine_version(project: Project) -> None:
    environment = project.environments.get(name="local")
    assert environment.engine_version == Catalog.default().engine_version()
    assert project.environments.get(environment_id=environment.environment_id) == environment
    with pytest.raises(NotFoundError, match="Environments: 'local'"):
        project.environments.get(name="production")


def test_environment_lookup_that_finds_nothing_reads_the_environments_once(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    read = project.backend.environments
    calls: list[None] = []

    def counted() -> list[dict[str, Any]]:
        calls.append(None)
        return read()

    monkeypatch.setattr(project.backend, "environments", counted)
    with pytest.raises(NotFoundError, match="Environments: 'local'"):
        project.environments.get(name="production")
    assert len(calls) == 1


def test_update_returns_200_and_stores_name_description_configuration_and_stages(
    project: Project, local_env: Environment
) -> None:
    flow = project.create_flow(name="orders", environment=local_env)
    flow.name = "orders v2"
    flow.description = "renamed"
    flow.configuration["retry_pipeline_on_error"] = False
    source = flow.add_stage("Dev Raw Data Source")
    source >> flow.add_stage("Trash")
    response = project.update_flow(flow)
    assert isinstance(response, requests.Response)
    assert repr(response) == "<Response [200]>"
    stored = project.flows.get(flow_id=flow.flow_id)
    assert (stored.name, stored.description) == ("orders v2", "renamed")
    assert stored.configuration["retry_pipeline_on_error"] is False
    assert stored.to_dict() == flow.to_dict()
    assert flow.stage("DevRawDataSource_01") is source, "the user's stage objects stay valid after update"


def test_create_with_an_authored_flow_stores_stages_and_error_stage(
    project: Project, local_env: Environment
) -> None:
    authored = _authored()
    stored = project.create_flow(name="orders", environment=local_env, flow=authored)
    assert stored.description == "orders to files"
    again = project.flows.get(flow_id=stored.flow_id)
    assert [s.instance_name for s in again.stages] == ["DevRawDataSource_01", "Trash_01"]
    assert repr(again.error_stage) == "WritetoFile_ErrorStage()"
    assert again.error_stage is not None
    assert again.error_stage.configuration["directory"] == "/data/errors"
    assert again.to_dict()["stages"] == authored.to_dict()["stages"]


def test_delete_returns_204_and_the_flow_is_gone(project: Project) -> None:
    flow = project.create_flow(name="orders")
    response = project.delete_flow(flow)
    assert isinstance(response, requests.Response)
    assert repr(response) == "<Response [204]>"
    with pytest.raises(NotFoundError, match=flow.flow_id):
        project.flows.get(flow_id=flow.flow_id)
    with pytest.raises(NotFoundError):
        project.delete_flow(flow)


def test_duplicate_copies_the_stored_flow_and_keeps_the_description_by_default(
    project: Project, local_env: Environment
) -> None:
    flow = project.create_flow(name="orders", environment=local_env, description="first", flow=_authored())
    copy_ = project.duplicate_flow(flow, name="orders copy")
    assert (copy_.name, copy_.description) == ("orders copy", "first")
    assert copy_.flow_id != flow.flow_id
    assert copy_.environment_id == flow.environment_id
    assert copy_.to_dict()["stages"] == flow.to_dict()["stages"]
    explicit = project.duplicate_flow(flow, name="again", description=f"duplicate of {flow.name}")
    assert explicit.description == "duplicate of orders"
    assert len(project.flows) == 3


def test_flows_collection_lists_counts_and_filters(project: Project) -> None:
    for name in ("a", "b", "a"):
        project.create_flow(name=name)
    assert len(project.flows) == 3
    assert [f.name for f in project.flows] == ["a", "b", "a"]
    assert [f.name for f in project.flows.get_all(name="a")] == ["a", "a"]
    first_a = project.flows.get(name="a")
    assert first_a.flow_id == next(iter(project.flows)).flow_id
    assert [f.flow_id for f in project.flows.get_all(name="a", flow_id=first_a.flow_id)] == [first_a.flow_id]
    assert project.flows.get_all(name="b", flow_id=first_a.flow_id) == []
    assert project.flows.get_all(name="zzz") == []


def test_flows_stay_in_creation_order_through_updates_deletes_and_pages(project: Project) -> None:
    a, b, c = (project.create_flow(name=name) for name in ("a", "b", "a"))
    a.description = "changed"
    project.update_flow(a)
    project.delete_flow(b)
    d = project.create_flow(name="a")
    created = [a.flow_id, c.flow_id, d.flow_id]
    assert [f.flow_id for f in project.flows] == created
    assert [f.flow_id for f in project.flows.get_all(name="a")] == created
    seen: list[str] = []
    start: str | None = None
    while True:
        page = project.backend.list_flows(start=start, limit=1, name="a")
        seen += [asset["metadata"]["asset_id"] for asset in page.flows]
        if page.next_start is None:
            break
        start = page.next_start
    assert seen == created


def test_unknown_filter_and_missing_flow_say_what_to_do(project: Project) -> None:
    with pytest.raises(FlowbuilderError, match=r"cannot filter flows on 'limit'.*Filter on flow_id, name"):
        project.flows.get_all(limit=5)
    with pytest.raises(NotFoundError, match=r"no flow with name='nope'.*project\.flows"):
        project.flows.get(name="nope")
    with pytest.raises(NotFoundError, match="no flow with id 'missing'"):
        project.flows.get(flow_id="missing")


def test_stale_update_raises_conflict_and_keeps_the_newer_version(project: Project) -> None:
    flow = project.create_flow(name="orders")
    mine = project.flows.get(flow_id=flow.flow_id)
    theirs = project.flows.get(flow_id=flow.flow_id)
    theirs.description = "theirs"
    project.update_flow(theirs)
    mine.description = "mine"
    with pytest.raises(ConflictError, match=r"changed since it was read.*Read it again"):
        project.update_flow(mine)
    assert project.flows.get(flow_id=flow.flow_id).description == "theirs"
    assert mine.description == "mine", "the rejected flow keeps the user's changes"
    fresh = project.flows.get(flow_id=flow.flow_id)
    fresh.description = "mine"
    project.update_flow(fresh)
    assert fresh.revision == 3


def test_create_rejects_empty_names_and_wrong_environments(project: Project) -> None:
    with pytest.raises(ConfigError, match="flow name cannot be empty"):
        project.create_flow(name="  ")
    with pytest.raises(ConfigError, match="environment must be an Environment"):
        project.create_flow(name="x", environment="local")  # type: ignore[arg-type]
    assert len(project.flows) == 0


def test_update_needs_a_stored_flow_of_this_project(project: Project) -> None:
    with pytest.raises(BackendError, match=r"update_flow needs a flow stored in a project.*create_flow"):
        project.update_flow(Flow("loose"))  # type: ignore[arg-type]
    elsewhere = Project.memory().create_flow(name="elsewhere")
    with pytest.raises(BackendError, match="belongs to project"):
        project.delete_flow(elsewhere)


def test_renaming_to_an_empty_name_is_refused_and_nothing_changes(project: Project) -> None:
    flow = project.create_flow(name="orders")
    flow.name = ""
    with pytest.raises(BackendError, match="flow name must be a non-empty string"):
        project.update_flow(flow)
    assert project.flows.get(flow_id=flow.flow_id).name == "orders"


def test_environment_property_and_setter(project: Project, local_env: Environment) -> None:
    flow = project.create_flow(name="orders")
    assert flow.environment is None
    assert flow.environment_id == ""
    flow.environment = local_env
    project.update_flow(flow)
    assert project.flows.get(flow_id=flow.flow_id).environment == local_env


def _zip_members(path: Path) -> dict[str, object]:
    with zipfile.ZipFile(path) as archive:
        return {name: json.loads(archive.read(name)) for name in archive.namelist()}


def test_export_blanks_credentials_unless_asked_and_is_byte_stable(project: Project, tmp_path: Path) -> None:
    authored = Flow("jdbc")
    origin = authored.add_stage("JDBC Query Consumer")
    origin.configuration["password"] = "hunter2-secret"
    origin >> authored.add_stage("Trash")
    flow = project.create_flow(name="jdbc", flow=authored)
    blank = project.export_flows([flow], destination=tmp_path / "a.zip")
    again = project.export_flows([flow], destination=tmp_path / "b.zip")
    plain = project.export_flows([flow], with_plain_text_credentials=True, destination=tmp_path / "c.zip")
    assert blank.read_bytes() == again.read_bytes()
    assert b"hunter2-secret" not in zipfile.ZipFile(blank).read(f"flows/{flow.flow_id}.json")
    assert b"hunter2-secret" in zipfile.ZipFile(plain).read(f"flows/{flow.flow_id}.json")
    manifest = _zip_members(blank)["manifest.json"]
    assert manifest == {
        "format": "flowbuilder-flows",
        "version": 1,
        "credentials": False,
        "flows": [{"flow_id": flow.flow_id, "name": "jdbc", "file": f"flows/{flow.flow_id}.json"}],
    }


def test_import_renames_skips_or_replaces_on_name_conflicts(project: Project, tmp_path: Path) -> None:
    flow = project.create_flow(name="orders", flow=_authored())
    archive = project.export_flows([flow], destination=tmp_path / "flows.zip")
    renamed = project.import_flows(archive, conflict_resolution="rename")
    assert [f.name for f in renamed] == ["orders (1)"]
    assert renamed[0].flow_id != flow.flow_id
    assert renamed[0].description == "orders to files"
    assert renamed[0].to_dict()["stages"] == flow.to_dict()["stages"]
    assert project.import_flows(archive, conflict_resolution="skip") == []
    flow.description = "changed"
    flow.remove_stage("Trash_01")
    project.update_flow(flow)
    replaced = project.import_flows(archive, conflict_resolution="replace")
    assert [f.flow_id for f in replaced] == [flow.flow_id]
    assert [s.instance_name for s in replaced[0].stages] == ["DevRawDataSource_01", "Trash_01"]
    assert replaced[0].description == "orders to files", "replace restores the archived description"
    assert replaced[0].revision == 3, "replace is an update of the existing flow"
    assert sorted(f.name for f in project.flows) == ["orders", "orders (1)"]
    with pytest.raises(BackendError, match="conflict_resolution must be one of rename, skip, replace"):
        project.import_flows(archive, conflict_resolution="merge")


def test_import_of_a_bad_archive_stores_nothing(project: Project, tmp_path: Path) -> None:
    project.create_flow(name="kept")
    with pytest.raises(BackendError, match="not a zip file"):
        project.import_flows(b"definitely not a zip")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("flows/good.json", json.dumps(_authored("good").to_dict()))
        archive.writestr("flows/bad.json", "{not json")
    with pytest.raises(BackendError, match=r"flows\.zip:flows/bad\.json.*not valid JSON"):
        project.import_flows(buffer.getvalue())
    assert [f.name for f in project.flows] == ["kept"], "a failed import is all or nothing"
    with pytest.raises(BackendError, match="cannot read the archive"):
        project.import_flows(tmp_path / "missing.zip")


def test_import_accepts_plain_pipeline_files(project: Project) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("orders.json", _authored("from file").to_json())
    imported = project.import_flows(buffer.getvalue())
    assert [f.name for f in imported] == ["from file"]
    assert imported[0].to_dict()["stages"] == _authored("from file").to_dict()["stages"]


def test_streamsets_flow_is_a_flow_and_round_trips_its_document(project: Project) -> None:
    flow = project.create_flow(name="orders", flow=_authored())
    assert isinstance(flow, Flow)
    assert isinstance(flow, StreamsetsFlow)
    assert flow.validate().issues == Flow.from_json(flow.to_dict()).validate().issues
    document = flow.to_document()
    assert document["flow"]["metadata"]["asset_id"] == flow.flow_id
    assert document["flow"]["entity"]["streamsets_flow"]["engine_version"] == flow.engine_version
    assert Flow.from_json(document).to_dict() == flow.to_dict()


def test_local_store_keeps_flows_across_reopening(tmp_path: Path) -> None:
    with Project.local(tmp_path / "store") as project:
        flow = project.create_flow(name="orders", flow=_authored())
        project_id = project.project_id
    with Project.local(tmp_path / "store") as reopened:
        assert reopened.project_id == project_id
        assert reopened.flows.get(flow_id=flow.flow_id).to_dict() == flow.to_dict()


# -- fragments: stored like flows in every backend, users record them --------------------------------


def _mask() -> Fragment:
    fragment = Fragment("mask pii")
    fragment.parameters["SOURCE"] = "unknown"
    fragment.input("Field Masker", field_mask_configs=[{"fields": ["/ssn"], "maskType": "FIXED_LENGTH"}])
    return fragment


def _fragment_round_trip(project: Project, tmp_path: Path) -> None:
    fragment = _mask()
    stored = project.create_flow(name=fragment.name, flow=fragment)
    assert stored.to_dict() == fragment.to_dict()
    found = project.fragments.get(fragment_id=fragment.fragment_id)
    assert isinstance(found, Fragment)
    assert (found.name, found.commit_id, found.kind) == ("mask pii", fragment.commit_id, "processor")
    user = Flow("orders").source("Dev Raw Data Source").to(found, parameter_name_prefix="O_").to("Trash").flow
    kept = project.create_flow(name="orders", flow=user)
    assert kept.fragment_ids == [fragment.fragment_id]
    assert project.flows.get(name="orders").to_dict() == user.to_dict()
    project.fragments.check(project.flows.get(name="orders"))
    kept.remove_stage("maskp_01_FragmentProcessor_01")
    kept.stage("DevRawDataSource_01") >> kept.stage("Trash_01")
    project.update_flow(kept)
    assert project.flows.get(name="orders").fragment_ids == []
    archive = project.export_flows([stored], destination=tmp_path / "fragments.zip")
    (again,) = Project.memory().import_flows(archive)
    assert again.to_dict() == fragment.to_dict()


def test_fragments_are_stored_found_and_used_in_memory_and_local_stores(
    project: Project, tmp_path: Path
) -> None:
    _fragment_round_trip(project, tmp_path)


def test_fragments_are_stored_found_and_used_over_http_against_flowbuilder_serve(tmp_path: Path) -> None:
    from flowbuilder.server import ServerProcess

    with ServerProcess(tmp_path / "served") as server:
        _fragment_round_trip(server.connect(), tmp_path)


def test_a_missing_fragment_or_version_names_the_flow_the_fragment_and_the_fix(project: Project) -> None:
    fragment = _mask()
    user = Flow("orders").source("Dev Raw Data Source").to(fragment).to("Trash").flow
    with pytest.raises(FragmentError) as absent:
        project.fragments.check(user)
    assert str(absent.value).startswith("Flow 'orders', fragment 'mask pii': is not in the project")
    project.create_flow(name="mask pii", flow=fragment)
    project.fragments.check(user)
    fragment.parameters["SOURCE"] = "changed"
    newer = Flow("orders").source("Dev Raw Data Source").to(fragment).to("Trash").flow
    with pytest.raises(FragmentError) as missing:
        project.fragments.check(newer)
    text = str(missing.value)
    assert text.startswith(f"Flow 'orders', fragment 'mask pii': version {fragment.commit_id} is missing")
    assert "Store that version of the fragment" in text

"""The local SQLite store: crash safety, injection safety, concurrency, and clear failures."""

from __future__ import annotations

import signal
import sqlite3
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import pytest

from flowbuilder import Flow
from flowbuilder.backends import LocalBackend
from flowbuilder.errors import BackendError, NotFoundError
from flowbuilder.project import Project

_CREATOR = textwrap.dedent(
    """
    import sys
    from flowbuilder import Flow
    from flowbuilder.project import Project

    project = Project.local(sys.argv[1])
    environment = project.environments.get(name="local")
    for number in range(500):
        flow = Flow(f"flow {number}").source("Dev Raw Data Source", raw_data=str(number)).to("Trash").flow
        stored = project.create_flow(name=f"flow {number}", environment=environment, flow=flow)
        print(stored.flow_id, number, flush=True)
    """
)


def test_sigkill_in_the_middle_of_500_creates_leaves_every_committed_flow_intact(tmp_path: Path) -> None:
    store = tmp_path / "store"
    process = subprocess.Popen(
        [sys.executable, "-c", _CREATOR, str(store)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    committed: dict[str, int] = {}
    for line in process.stdout:
        flow_id, number = line.split()
        committed[flow_id] = int(number)
        if len(committed) == 60:
            process.send_signal(signal.SIGKILL)
            break
    process.wait(timeout=60)
    remaining = process.stdout.read()
    for line in remaining.splitlines():
        flow_id, number = line.split()
        committed[flow_id] = int(number)
    assert process.returncode == -signal.SIGKILL, process.stderr.read() if process.stderr else ""
    assert len(committed) < 500, "the process finished before it was killed; the test proved nothing"

    with sqlite3.connect(store / "flows.sqlite3") as raw:
        assert raw.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    with Project.local(store) as project:
        stored = {flow.flow_id: flow for flow in project.flows}
        assert set(committed) <= set(stored)
        assert len(stored) - len(committed) <= 1, "at most the create in flight when killed may be stored"
        for flow_id, number in committed.items():
            flow = stored[flow_id]
            assert flow.name == f"flow {number}"
            assert flow.stages.get(instance_name="DevRawDataSource_01").configuration["raw_data"] == str(
                number
            )
            assert [s.instance_name for s in flow.stages[1].inputs] == ["DevRawDataSource_01"]
        project.create_flow(name="after the crash")
        assert len(project.flows) == len(stored) + 1


@pytest.mark.parametrize(
    "hostile",
    [
        "'); DROP TABLE flows; --",
        "Robert'); DELETE FROM flows WHERE ('1'='1",
        "%_*",
        "../../etc/passwd",
        "名前 ☃",
    ],
)
def test_names_and_ids_are_data_never_sql(tmp_path: Path, hostile: str) -> None:
    with Project.local(tmp_path) as project:
        other = project.create_flow(name="innocent")
        flow = project.create_flow(name=hostile, description=hostile)
        assert project.flows.get(name=hostile).flow_id == flow.flow_id
        assert [f.name for f in project.flows.get_all(name=hostile)] == [hostile]
        with pytest.raises(NotFoundError):
            project.flows.get(flow_id=hostile)
        assert {f.name for f in project.flows} == {"innocent", hostile}
        assert project.flows.get(flow_id=other.flow_id).name == "innocent"


def test_store_uses_wal_and_one_file(tmp_path: Path) -> None:
    backend = LocalBackend(tmp_path)
    backend.create_flow({"name": "orders"})
    backend.close()
    with sqlite3.connect(tmp_path / "flows.sqlite3") as raw:
        assert raw.execute("PRAGMA journal_mode").fetchone() == ("wal",)
        assert raw.execute("SELECT name, revision FROM flows").fetchall() == [("orders", 1)]


def test_a_file_that_is_not_a_store_is_reported_and_left_untouched(tmp_path: Path) -> None:
    database = tmp_path / "flows.sqlite3"
    database.write_bytes(b"these are someone's notes, not a database" * 100)
    before = database.read_bytes()
    with pytest.raises(
        BackendError, match=r"flows\.sqlite3: local store failed: .*not a database.*move it aside"
    ):
        LocalBackend(tmp_path)
    assert database.read_bytes() == before


def test_a_store_from_a_newer_flowbuilder_is_refused(tmp_path: Path) -> None:
    LocalBackend(tmp_path).close()
    with sqlite3.connect(tmp_path / "flows.sqlite3") as raw:
        raw.execute("PRAGMA user_version = 99")
    with pytest.raises(BackendError, match=r"schema version 99.*Upgrade flowbuilder"):
        LocalBackend(tmp_path)


def test_an_unwritable_directory_is_reported(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(BackendError, match="cannot create the store directory"):
        LocalBackend(blocker / "store")


def test_threads_and_two_handles_write_concurrently_without_losing_flows(tmp_path: Path) -> None:
    first, second = LocalBackend(tmp_path), LocalBackend(tmp_path)
    assert first.project_id == second.project_id
    created: list[str] = []
    errors: list[BaseException] = []

    def create(backend: LocalBackend, prefix: str) -> None:
        try:
            for number in range(25):
                document = backend.create_flow({"name": f"{prefix} {number}"})
                created.append(document["flow"]["metadata"]["asset_id"])
        except BaseException as error:  # reported below
            errors.append(error)

    threads = [
        threading.Thread(target=create, args=(b, f"{b is first}-{n}"))
        for n in range(3)
        for b in (first, second)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert first.list_flows(limit=0).total_count == len(created) == 150
    first.close()
    second.close()


def test_page_cursors_stay_valid_when_earlier_flows_are_deleted(tmp_path: Path) -> None:
    backend = LocalBackend(tmp_path)
    ids = [backend.create_flow({"name": f"f{n}"})["flow"]["metadata"]["asset_id"] for n in range(5)]
    page = backend.list_flows(limit=2)
    assert [a["metadata"]["asset_id"] for a in page.flows] == ids[:2]
    backend.delete_flow(ids[0])
    rest = backend.list_flows(start=page.next_start, limit=10)
    assert [a["metadata"]["asset_id"] for a in rest.flows] == ids[2:]
    assert rest.next_start is None
    with pytest.raises(BackendError, match="bad page cursor"):
        backend.list_flows(start="1; DROP TABLE flows")
    backend.close()


def test_a_stored_definition_that_cannot_be_read_is_refused_before_storing(tmp_path: Path) -> None:
    backend = LocalBackend(tmp_path)
    flow_id = backend.create_flow({"name": "orders"})["flow"]["metadata"]["asset_id"]
    with pytest.raises(
        BackendError, match=r"'pipeline_definition' cannot be read: .*'stages' must be a list"
    ):
        backend.update_flow(flow_id, {"pipeline_definition": {"stages": "oops"}})
    good = Flow("orders").source("Dev Raw Data Source").to("Trash").flow.to_dict()
    backend.update_flow(flow_id, {"pipeline_definition": good})
    assert backend.get_flow(flow_id)["pipeline_definition"] == good
    backend.close()

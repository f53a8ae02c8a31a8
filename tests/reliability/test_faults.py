"""Faults: the HTTP backend against a real ``flowbuilder serve`` through a proxy that drops
connections and delays answers, and a server that answers 429/503; apply runs killed with SIGKILL;
one flow updated from two processes at once. Idempotent calls succeed, a create is never repeated,
a stale update is a ConflictError, and nothing stored is lost."""

from __future__ import annotations

import multiprocessing
import os
import signal
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from multiprocessing.synchronize import Barrier
from pathlib import Path
from typing import Any

import pytest

from flowbuilder import BackendError, ConflictError, Flow, Project
from flowbuilder.backends import HttpBackend, RetryPolicy
from flowbuilder.server import ServerProcess
from tests.reliability.proxy import DELAY, DROP_AFTER, DROP_BEFORE, PASS, FaultProxy, chaos, scripted

FAST = RetryPolicy(attempts=20, backoff=0.001, max_delay=0.05)


def _flow(name: str, label: str = "Trash") -> Flow:
    return Flow(name).source("Dev Raw Data Source", raw_data='{"a": 1}').to(label).flow


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    with ServerProcess(tmp_path_factory.mktemp("faults")) as running:
        yield running


@pytest.fixture
def proxy(server: ServerProcess) -> Iterator[FaultProxy]:
    host, port = server.url.removeprefix("http://").rsplit(":", 1)
    with FaultProxy((host, int(port))) as running:
        yield running


def _through(proxy: FaultProxy, server: ServerProcess, timeout: tuple[float, float] = (5.0, 10.0)) -> Project:
    backend = HttpBackend(
        proxy.url, project_id=server.project_id, token=server.token, retry=FAST, timeout=timeout
    )
    return Project(backend)


def _named(server: ServerProcess, name: str) -> list[Any]:
    return server.connect().flows.get_all(name=name)


# -- dropped connections and latency ------------------------------------------------------------


@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE"])
@pytest.mark.parametrize("fault", [DROP_BEFORE, DROP_AFTER])
def test_idempotent_calls_succeed_when_the_connection_drops(
    server: ServerProcess, proxy: FaultProxy, method: str, fault: str
) -> None:
    name = f"drop-{method}-{fault}"
    project = _through(proxy, server)
    stored = project.create_flow(name=name, flow=_flow(name))
    revision = stored.revision
    assert revision is not None
    earlier = len(proxy.actions(method))
    proxy.rule = scripted(fault, fault, method=method)  # twice in a row, then through
    if method == "GET":
        assert project.flows.get(flow_id=stored.flow_id).to_json() == stored.to_json()
    elif method == "PUT":
        stored.description = "changed"
        stored.stages[0].configuration["raw_data"] = '{"changed": true}'
        assert project.update_flow(stored).status_code == 200
        assert stored.revision == revision + 1  # applied once, though perhaps answered by a GET
        [read] = _named(server, name)
        assert read.description == "changed"
        assert read.revision == revision + 1
        assert read.to_json() == stored.to_json()
    else:
        assert project.delete_flow(stored).status_code == 204
        assert _named(server, name) == []
    assert proxy.actions(method)[earlier : earlier + 3] == [fault, fault, PASS]


def test_a_create_is_never_sent_twice_when_its_answer_is_lost(
    server: ServerProcess, proxy: FaultProxy
) -> None:
    project = _through(proxy, server)
    proxy.rule = scripted(DROP_AFTER, method="POST")
    with pytest.raises(BackendError) as raised:
        project.create_flow(name="lost answer", flow=_flow("lost answer"))
    assert "not idempotent" in str(raised.value)
    assert "list the flows" in str(raised.value)
    assert proxy.actions("POST") == [DROP_AFTER]  # sent once, never again
    assert len(_named(server, "lost answer")) == 1  # the server did it, once


def test_a_create_that_never_reached_the_server_stored_nothing(
    server: ServerProcess, proxy: FaultProxy
) -> None:
    project = _through(proxy, server)
    proxy.rule = scripted(DROP_BEFORE, method="POST")
    with pytest.raises(BackendError):
        project.create_flow(name="never sent", flow=_flow("never sent"))
    assert proxy.actions("POST") == [DROP_BEFORE]
    assert _named(server, "never sent") == []


def test_answers_slower_than_the_timeout_are_retried_for_reads_and_never_for_creates(
    server: ServerProcess, proxy: FaultProxy
) -> None:
    project = _through(proxy, server, timeout=(5.0, 0.3))
    proxy.delay = 1.0
    stored = project.create_flow(name="slow", flow=_flow("slow"))
    proxy.rule = scripted(DELAY, method="GET")
    assert project.flows.get(flow_id=stored.flow_id).to_json() == stored.to_json()
    assert proxy.actions("GET")[:2] == [DELAY, PASS]
    proxy.rule = scripted(DELAY, method="POST")
    with pytest.raises(BackendError, match="not idempotent"):
        project.create_flow(name="slow create", flow=_flow("slow create"))
    assert proxy.actions("POST")[-1:] == [DELAY]
    assert len(_named(server, "slow create")) == 1


def test_a_lost_update_answer_is_still_a_conflict_when_someone_else_changed_the_flow(
    server: ServerProcess, proxy: FaultProxy
) -> None:
    # Settling a lost answer must not turn a real conflict into a silent overwrite.
    project = _through(proxy, server)
    mine = project.create_flow(name="contested", flow=_flow("contested"))
    theirs = server.connect().flows.get(flow_id=mine.flow_id)
    theirs.description = "theirs"
    server.connect().update_flow(theirs)
    proxy.rule = scripted(DROP_AFTER, method="PUT")  # the server refuses (412) and the answer is lost
    mine.description = "mine"
    with pytest.raises(ConflictError):
        project.update_flow(mine)
    assert _named(server, "contested")[0].description == "theirs"


def test_a_workload_under_chaos_loses_nothing_and_duplicates_nothing(tmp_path: Path) -> None:
    # 20% of requests answered 429/503 by the server, 20% dropped or delayed by the proxy.
    with ServerProcess(tmp_path / "chaos", fault_rate=0.2) as server:
        host, port = server.url.removeprefix("http://").rsplit(":", 1)
        with FaultProxy((host, int(port)), rule=chaos(seed=8, rate=0.2), delay=0.05) as proxy:
            project = _through(proxy, server)
            created, failed = {}, []
            for number in range(12):
                name = f"chaos {number}"
                try:
                    created[name] = project.create_flow(name=name, flow=_flow(name))
                except BackendError:
                    failed.append(name)  # a POST is never retried: the caller decides
            for flow in created.values():
                for round_ in range(2):
                    flow.description = f"round {round_}"
                    flow.stages[0].configuration["raw_data"] = f'{{"round": {round_}}}'
                    project.update_flow(flow)
            deleted = sorted(created)[::3]
            for name in deleted:
                project.delete_flow(created[name])
            assert {action for action in proxy.actions() if action != PASS}, "the proxy injected no fault"
        stored: dict[str, list[Any]] = {}
        for flow in server.connect().flows:
            stored.setdefault(flow.name, []).append(flow)
    assert all(len(copies) == 1 for copies in stored.values()), "a create was repeated"
    for name, flow in created.items():
        if name in deleted:
            assert name not in stored
        else:
            assert stored[name][0].to_json() == flow.to_json()
            assert stored[name][0].description == "round 1"
    assert set(stored) - set(created) <= set(failed)  # a failed create stored at most once


# -- two processes update one flow ------------------------------------------------------------------


def _update_in_child(
    where: str, token: str, project_id: str, flow_id: str, me: str, barrier: Barrier, rounds: int, out: Any
) -> None:
    project = (
        Project.connect(where, project_id=project_id, token=token)
        if where.startswith("http")
        else Project.local(where)
    )
    for round_ in range(rounds):
        flow = project.flows.get(flow_id=flow_id)
        barrier.wait()  # both have read the same revision
        flow.description = f"{me} {round_}"
        flow.stages[0].configuration["raw_data"] = f'{{"writer": "{me}", "round": {round_}}}'
        flow.add_stage("Dev Identity").label = f"{me} was here"
        try:
            project.update_flow(flow)
        except ConflictError:
            out.put((round_, me, "conflict", None))
        else:
            out.put((round_, me, "won", flow.to_document()))
        barrier.wait()  # both have written before the next read
    project.close()


@pytest.mark.parametrize("over", ["local store", "flowbuilder serve"])
def test_two_processes_updating_one_flow_one_wins_the_other_conflicts_nothing_is_lost(
    tmp_path: Path, over: str
) -> None:
    rounds = 4
    context = multiprocessing.get_context("spawn")
    barrier, out = context.Barrier(2), context.Queue()
    with ServerProcess(tmp_path / "store") as server:
        where = server.url if over == "flowbuilder serve" else str(tmp_path / "store")
        project = server.connect() if over == "flowbuilder serve" else Project.local(where)
        stored = project.create_flow(name="shared", flow=_flow("shared"))
        start = stored.revision
        assert start is not None
        children = [
            context.Process(
                target=_update_in_child,
                args=(where, server.token, server.project_id, stored.flow_id, me, barrier, rounds, out),
            )
            for me in ("alice", "bob")
        ]
        for child in children:
            child.start()
        results = [out.get(timeout=120) for _ in range(2 * rounds)]
        for child in children:
            child.join(60)
            assert child.exitcode == 0
        final = project.flows.get(flow_id=stored.flow_id)
        project.close()
    for round_ in range(rounds):
        outcomes = sorted(outcome for r, _, outcome, _ in results if r == round_)
        assert outcomes == ["conflict", "won"], f"round {round_}: {outcomes}"
    assert final.revision == start + rounds  # one write per round, none lost, none doubled
    winner = next(document for r, _, outcome, document in results if r == rounds - 1 and outcome == "won")
    assert final.to_dict() == winner["pipeline_definition"]  # the winner's whole document
    assert final.description == winner["flow"]["metadata"]["description"]


# -- killed apply runs --------------------------------------------------------------------------------

_FLOWS = textwrap.dedent(
    """
    from flowbuilder import Flow

    def flows():
        for number in range(40):
            flow = Flow(f"flow {number:02d}", description="version VERSION")
            flow.source("Dev Raw Data Source", raw_data=f'{{"n": {number}, "v": VERSION}}').to("Trash")
            yield flow
    """
)
_LIBRARY = textwrap.dedent(
    """
    import runpy, sys
    from flowbuilder import Project
    from flowbuilder.plan import apply, plan

    flows = list(runpy.run_path(sys.argv[2])["flows"]())
    project = Project.local(sys.argv[1])
    result = apply(plan(flows, project), project, progress=lambda outcome: print(outcome.line(), flush=True))
    print("done", len(result.outcomes), flush=True)
    """
)


def _apply(how: str, folder: Path, version: str, kill_after: int | None = None) -> list[str]:
    """Apply the 40 flows of ``version`` to the store in ``folder``; with ``kill_after``, SIGKILL
    the process once it has reported that many flows written. Returns its output lines."""
    source = folder / "flows" / "many.py"
    source.parent.mkdir(exist_ok=True)
    source.write_text(_FLOWS.replace("VERSION", version), encoding="utf-8")
    if how == "cli":
        command = [sys.executable, "-m", "flowbuilder.cli", "apply", "flows", "--yes", "--project", "store"]
    else:
        command = [sys.executable, "-c", _LIBRARY, str(folder / "store"), str(source)]
    process = subprocess.Popen(
        command,
        cwd=folder,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)},
    )
    assert process.stdout is not None
    lines, written = [], 0
    for line in process.stdout:
        lines.append(line.rstrip())
        written += line.startswith(("created ", "updated "))
        if kill_after is not None and written == kill_after:
            process.send_signal(signal.SIGKILL)
            break
    process.wait(120)
    if kill_after is None:
        assert process.returncode == 0, process.stderr.read() if process.stderr else ""
    else:
        assert process.returncode == -signal.SIGKILL
    return lines


def _stored(folder: Path) -> list[Any]:
    with Project.local(folder / "store") as project:
        return list(project.flows)


@pytest.mark.parametrize("how", ["cli", "library"])
def test_an_apply_killed_midway_leaves_every_flow_whole_and_a_rerun_finishes_it(
    tmp_path: Path, how: str
) -> None:
    _apply(how, tmp_path, "1", kill_after=12)
    flows = _stored(tmp_path)
    names = [flow.name for flow in flows]
    assert len(names) == len(set(names)) >= 12  # what was applied is stored, once
    assert all(not flow.validate().errors and flow.description == "version 1" for flow in flows)

    _apply(how, tmp_path, "1")  # the rerun creates the rest and nothing twice
    assert sorted(flow.name for flow in _stored(tmp_path)) == [f"flow {n:02d}" for n in range(40)]

    _apply(how, tmp_path, "2", kill_after=20)  # killed in the middle of updates
    flows = _stored(tmp_path)
    assert len(flows) == 40
    for flow in flows:  # each flow is one version or the other, whole: never half of each
        version = flow.description.removeprefix("version ")
        assert (
            flow.stages[0].configuration["raw_data"]
            == f'{{"n": {int(flow.name.split()[1])}, "v": {version}}}'
        )
    assert sum(flow.description == "version 2" for flow in flows) >= 20

    _apply(how, tmp_path, "2")
    flows = _stored(tmp_path)
    assert sorted(flow.name for flow in flows) == [f"flow {n:02d}" for n in range(40)]
    assert {flow.description for flow in flows} == {"version 2"}
    for flow in flows:
        assert flow.stages[0].configuration["raw_data"] == f'{{"n": {int(flow.name.split()[1])}, "v": 2}}'
    again = "\n".join(_apply(how, tmp_path, "2"))
    assert "No changes." in again if how == "cli" else again.count("unchanged") == 40

"""The collector pause around building calls: the process's own setting always comes back."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from flowbuilder import Flow, LaneError, StageNotFoundError


@pytest.fixture(params=[True, False], ids=["collector on", "collector off"])
def setting(request: pytest.FixtureRequest) -> Iterator[bool]:
    was = gc.isenabled()
    (gc.enable if request.param else gc.disable)()
    yield request.param
    (gc.enable if was else gc.disable)()


def test_building_calls_restore_the_collector_setting_on_success_and_on_error(setting: bool) -> None:
    path = Flow("x").source("Dev Raw Data Source")
    assert gc.isenabled() is setting
    trash = path.to("Trash")
    assert gc.isenabled() is setting
    flow = path.flow
    identity = flow.add_stage("Dev Identity")
    flow.stages[0] >> identity
    identity.connect_output_to(flow.add_stage("Trash"))
    assert gc.isenabled() is setting
    with pytest.raises(LaneError):
        identity.__ge__(trash.stage)  # Dev Identity produces no events
    assert gc.isenabled() is setting
    with pytest.raises(StageNotFoundError):
        flow.add_stage("No Such Stage")
    assert gc.isenabled() is setting


def test_a_chain_built_with_the_dsl_triggers_no_full_collection() -> None:
    # The reason for the pause (figures in flowbuilder/_gc.py and docs/performance.md): a flow
    # being built is kept whole, so a collection that walks it frees nothing.
    gc.collect()
    before = gc.get_stats()[2]["collections"]
    path = Flow("chain").source("Dev Raw Data Source")
    for _ in range(20_000):
        path = path.to("Expression Evaluator")
    assert gc.get_stats()[2]["collections"] == before

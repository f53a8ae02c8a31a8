"""Shared helpers for preview tests: a fixed clock and a one-stage flow builder."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest

from flowbuilder import Flow
from flowbuilder.preview import PreviewResult, StageResult, preview

NOW = dt.datetime(2024, 5, 6, 7, 8, 9, tzinfo=dt.timezone.utc)


def clock() -> dt.datetime:
    """The injected clock every preview test uses."""
    return NOW


RunStage = Callable[..., StageResult]


@pytest.fixture
def run_stage() -> RunStage:
    """Preview ``records`` through one stage (origin -> stage -> Trash) and return its result."""

    def run(label: str, records: list[Any], *, result: bool = False, **config: Any) -> Any:
        path = Flow("stage-test").source("Dev Raw Data Source").to(label, **config)
        stage = path.stage
        if stage.output_lanes:
            for index in range(len(stage.output_lanes)):
                path.output(index).to("Trash")
        full: PreviewResult = preview(path.flow, records=records, clock=clock)
        return full if result else full[stage.instance_name]

    return run

"""Walk the whole bundled catalog: every stage can be added by label, and every config of every
stage read and written by its Python name and by its raw name."""

from __future__ import annotations

from typing import Any

import pytest

from flowbuilder import Catalog, Flow, Stage, StageNotFoundError
from flowbuilder.catalog import ENGINES, StageDefinition

CATALOG = Catalog.default()
# Python names that are also Stage attributes: reachable through stage.configuration only.
SHADOWED = {"definition", "instance_name", "library", "stage_name", "version", "configuration", "ui_info"}
DEFINITIONS = [d for engine in ENGINES for d in CATALOG.stages(engine=engine, special=True)]


def _add(definition: StageDefinition) -> Stage:
    flow = Flow("walk", engine=definition.engine)
    if definition.error_stage:
        return flow.set_error_stage(definition.label)
    if definition.stats_aggregator_stage:
        return flow.set_stats_aggregator_stage(definition.label)
    try:
        CATALOG.get(label=definition.label, engine=definition.engine)
        return flow.add_stage(definition.label)
    except StageNotFoundError:  # a label several kinds of stage share: the documented way is type=
        return flow.add_stage(definition.label, type=definition.type)


def test_the_walk_covers_every_engine() -> None:
    engines = {d.engine for d in DEFINITIONS}
    assert engines == set(ENGINES)
    assert len(DEFINITIONS) > 280


@pytest.mark.parametrize("definition", DEFINITIONS, ids=lambda d: f"{d.engine}:{d.label}:{d.type}")
def test_every_stage_adds_by_label_and_every_config_reads_and_writes(definition: StageDefinition) -> None:
    stage = _add(definition)
    assert stage.stage_name == definition.name
    assert stage.version == definition.version
    for ref in definition.config_refs:
        value: Any = stage.configuration[ref.python_name]
        assert stage.configuration[ref.name] == value
        if not hasattr(Stage, ref.python_name) and ref.python_name not in SHADOWED:
            assert getattr(stage, ref.python_name) == value
        stage.configuration[ref.python_name] = value
        stage.configuration[ref.name] = value
        assert stage.configuration[ref.python_name] == value

"""Properties of random valid flows (random DAGs over every canvas stage of the data_collector
catalog, with random valid configs; see strategies.py): they validate with no error, and compiling,
importing, generating Python and storing them never changes a byte of their JSON."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from flowbuilder import Flow, Project
from flowbuilder.compile import to_python
from flowbuilder.compile._python import _secrets
from tests.conftest import run_generated
from tests.reliability.strategies import (
    EXCLUDED,
    ORIGINS,
    PROCESSORS,
    TERMINALS,
    is_active,
    is_empty,
    valid_flows,
)

# Derandomized: CI sees the same flows every run; the long fuzz run (scripts/fuzz.py) explores.
PROPERTY = settings(
    max_examples=40,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


def test_the_generator_draws_from_every_canvas_stage_of_the_catalog() -> None:
    assert not EXCLUDED, "an exclusion needs its reason documented in strategies.EXCLUDED"
    assert len(ORIGINS) > 50
    assert len(PROCESSORS) > 50
    assert len(TERMINALS) > 50


@PROPERTY
@given(valid_flows())
def test_a_random_valid_flow_has_no_validation_errors(flow: Flow) -> None:
    result = flow.validate()
    assert not result.errors, [str(issue) for issue in result.errors]
    assert result.raise_for_errors() is result


@PROPERTY
@given(valid_flows())
def test_compile_import_compile_gives_identical_bytes(flow: Flow) -> None:
    text = flow.to_json()
    imported = Flow.from_json(text)
    assert imported.to_json() == text
    assert Flow.from_json(text.encode()).to_json() == text
    assert not imported.validate().errors


@PROPERTY
@given(valid_flows())
def test_generated_python_rebuilds_identical_bytes(flow: Flow) -> None:
    text = flow.to_json()
    rebuilt = run_generated(to_python(flow), _secrets(flow))
    assert rebuilt.to_json() == text
    imported = Flow.from_json(text)
    assert run_generated(to_python(imported), _secrets(imported)).to_json() == text


@settings(PROPERTY, max_examples=15)
@given(valid_flows(max_processors=3))
def test_a_flow_stored_and_read_back_is_byte_identical(tmp_path_factory: Any, flow: Flow) -> None:
    folder: Path = tmp_path_factory.mktemp("store")
    for project in (Project.memory(), Project.local(folder)):
        with project:
            stored = project.create_flow(name="stored", flow=flow)
            read = project.flows.get(flow_id=stored.flow_id)
            assert read.to_json() == flow.to_json()
            assert not read.validate().errors


@PROPERTY
@given(valid_flows(max_processors=2), st.data())
def test_every_active_required_config_of_a_valid_flow_has_a_value(flow: Flow, data: st.DataObject) -> None:
    # The generator's own model of "active" and "empty" agrees with what validate() enforces:
    # blanking any active required config must make exactly that config an error.
    stages = [s for s in [*flow.stages, flow.error_stage] if s is not None and s.definition is not None]
    stage = data.draw(st.sampled_from(stages))
    assert stage.definition is not None
    values = {str(e.get("name")): e.get("value") for e in stage._configs}
    for block in stage._services:
        values.update({str(e.get("name")): e.get("value") for e in block.get("configuration") or []})
    required = [
        ref
        for ref in stage.definition.config_refs
        if ref.definition.required
        and ref.definition.type != "RUNTIME"
        and is_active(ref.definition, values)
        and not is_empty(ref.definition, values.get(ref.name))
        and ref.name in values
    ]
    if not required:
        return
    ref = data.draw(st.sampled_from(required))
    stage.configuration.set_raw(ref, None)
    codes = {(issue.code, issue.stage, issue.config) for issue in flow.validate().errors}
    assert ("CONFIG_REQUIRED", stage.instance_name, ref.python_name) in codes

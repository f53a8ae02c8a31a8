"""Stage instances: what may be assigned on them and what is fixed when they are made."""

from __future__ import annotations

import copy

import pytest

from flowbuilder import Flow, ReadOnlyError


@pytest.mark.parametrize(
    ("name", "hint"),
    [
        ("instance_name", "instance_name=..."),
        ("version", "version=..."),
        ("library", "flow.add_stage"),
        ("stage_name", "flow.add_stage"),
        ("definition", "flow.add_stage"),
        ("configuration", "stage.configuration.update"),
    ],
)
def test_a_stage_identity_cannot_be_assigned_and_the_error_says_what_to_do(name: str, hint: str) -> None:
    # Assigning instance_name used to succeed and leave the graph keyed by the old name: the flow
    # then failed validation with "is used by two stages". IBM's SDK freezes it too.
    flow = Flow("orders").source("Dev Raw Data Source").to("Trash").flow
    stage = flow.stages[1]
    before = flow.to_json()
    with pytest.raises(ReadOnlyError) as caught:
        setattr(stage, name, "Other_01")
    assert isinstance(caught.value, AttributeError)
    assert (caught.value.flow, caught.value.stage) == ("orders", "Trash_01")
    assert name in str(caught.value)
    assert hint in str(caught.value)
    assert flow.to_json() == before
    assert not flow.validate().errors


def test_label_configs_and_ui_info_stay_assignable() -> None:
    flow = Flow("orders").source("Dev Raw Data Source").to("Trash").flow
    source = flow.stages[0]
    source.label = "Orders in"
    source.raw_data = '{"a": 1}'
    source.ui_info = {**source.ui_info, "description": "sample orders"}
    assert (source.label, source.configuration["rawData"]) == ("Orders in", '{"a": 1}')
    assert flow.to_dict()["stages"][0]["uiInfo"]["description"] == "sample orders"


def test_copying_a_stage_restores_its_identity() -> None:
    stage = Flow("orders").source("Dev Raw Data Source").to("Trash").flow.stages[1]
    copied = copy.copy(stage)
    assert (copied.instance_name, copied.version, copied.definition) == (
        stage.instance_name,
        stage.version,
        stage.definition,
    )


def test_assigning_version_on_a_stage_with_a_version_config_points_to_that_config() -> None:
    document = Flow("orders").source("Dev Raw Data Source").to("Trash").flow.to_dict()
    document["stages"][1]["configuration"].append({"name": "version", "value": "3"})
    stage = Flow.from_json(document).stages[1]
    with pytest.raises(ReadOnlyError, match=r"stage.configuration\['version'\] = \.\.\."):
        stage.version = "4"
    stage.configuration["version"] = "4"
    assert (stage.version, stage.configuration["version"]) == ("1", "4")

"""Hostile input: malformed flow JSON, huge and deeply nested documents, cycles, and names with
path parts, quotes, SQL, markup, control characters and great length, through the importer, every
backend, the server, the renderers and the CLI. Bad input only ever raises a FlowbuilderError that
says what and where; stored data is never lost."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from flowbuilder import Flow, FlowFormatError


def _definition() -> dict[str, Any]:
    return Flow("orders").source("Dev Raw Data Source").to("Trash").flow.to_dict()


def _broken(change: str) -> dict[str, Any]:
    definition = copy.deepcopy(_definition())
    stage = definition["stages"][0]
    if change == "flow config without name":
        definition["configuration"][0] = {"value": 1}
    elif change == "flow config not an object":
        definition["configuration"][0] = ["executionMode", "STANDALONE"]
    elif change == "stage config name a list":
        stage["configuration"][0]["name"] = ["conf", "dataFormat"]
    elif change == "service not an object":
        stage["services"][0] = "dataFormat"
    elif change == "service config not a list":
        stage["services"][0]["configuration"] = {"name": "dataFormat"}
    elif change == "service config entry a list":
        stage["services"][0]["configuration"][0] = [1, 2]
    elif change == "lane a list":
        definition["stages"][1]["inputLanes"] = [["DevRawDataSource_01OutputLane1"]]
    elif change == "output lane a number":
        stage["outputLanes"] = [7]
    return definition


@pytest.mark.parametrize(
    ("change", "where"),
    [
        ("flow config without name", "configuration[0]"),
        ("flow config not an object", "configuration[0]"),
        ("stage config name a list", "stages[0].configuration[0]"),
        ("service not an object", "stages[0].services[0]"),
        ("service config not a list", "stages[0].services[0].configuration"),
        ("service config entry a list", "stages[0].services[0].configuration[0]"),
        ("lane a list", "stages[1].inputLanes"),
        ("output lane a number", "stages[0].outputLanes"),
    ],
)
def test_malformed_config_entries_services_and_lanes_are_named_in_a_format_error(
    change: str, where: str
) -> None:
    with pytest.raises(FlowFormatError) as raised:
        Flow.from_json(_broken(change))
    assert where in str(raised.value)

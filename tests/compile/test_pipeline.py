"""Compiling authored flows to the engine's pipeline JSON: shape, defaults, lanes, determinism."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

from flowbuilder import Catalog, Flow
from flowbuilder.compile import auto_arrange, to_dict, to_json

ROOT = Path(__file__).resolve().parents[2]
ENGINE_ORDER = [
    "schemaVersion",
    "version",
    "pipelineId",
    "title",
    "description",
    "uuid",
    "configuration",
    "uiInfo",
    "fragments",
    "stages",
    "errorStage",
    "info",
    "metadata",
    "statsAggregatorStage",
    "startEventStages",
    "stopEventStages",
    "testOriginStage",
    "issues",
    "valid",
    "previewable",
]
STAGE_ORDER = [
    "instanceName",
    "library",
    "stageName",
    "stageVersion",
    "configuration",
    "uiInfo",
    "inputLanes",
    "outputLanes",
    "eventLanes",
    "services",
]


def orders_flow() -> Flow:
    return (
        Flow("orders", description="orders to files")
        .source("Dev Raw Data Source", data_format="JSON", raw_data='{"id": 1}')
        .to("Expression Evaluator", field_expressions=[{"fieldToSet": "/seen", "expression": "${true}"}])
        .to("Local FS", directory_template="/data/out")
        .on_error("Write to File", directory="/data/errors")
    )


def test_top_level_and_stage_keys_come_in_the_engines_order() -> None:
    definition = to_dict(orders_flow())
    assert list(definition) == ENGINE_ORDER
    for stage in definition["stages"]:
        assert list(stage) == STAGE_ORDER
    assert list(definition["errorStage"]) == STAGE_ORDER


def test_configs_come_in_definition_order_with_defaults_filled() -> None:
    definition = to_dict(orders_flow())
    local_fs = definition["stages"][2]
    catalog_definition = Catalog.default().get(label="Local FS")
    assert [c["name"] for c in local_fs["configuration"]] == [c.name for c in catalog_definition.configs]
    values = {c["name"]: c["value"] for c in local_fs["configuration"]}
    assert values["configs.dirPathTemplate"] == "/data/out"
    assert values["configs.uniquePrefix"] == "sdc-${sdc:id()}"
    pipeline = {c["name"]: c["value"] for c in definition["configuration"]}
    assert pipeline["shouldRetry"] is True
    assert pipeline["errorRecordPolicy"] == "ORIGINAL_RECORD"


def test_service_configs_go_in_the_stage_services() -> None:
    source = to_dict(orders_flow())["stages"][0]
    assert [s["service"] for s in source["services"]] == [
        "com.streamsets.pipeline.api.service.dataformats.DataFormatParserService"
    ]
    service = {c["name"]: c["value"] for c in source["services"][0]["configuration"]}
    assert service["dataFormat"] == "JSON"
    assert service["displayFormats"] == "DELIMITED,JSON,LOG,SDC_JSON,TEXT,XML"


def test_lanes_are_derived_from_instance_names() -> None:
    flow = Flow("x").source("Dev Raw Data Source").to("Local FS").events().to("Shell").flow
    stages = {s["instanceName"]: s for s in to_dict(flow)["stages"]}
    assert stages["DevRawDataSource_01"]["outputLanes"] == ["DevRawDataSource_01OutputLane1"]
    assert stages["LocalFS_01"]["inputLanes"] == ["DevRawDataSource_01OutputLane1"]
    assert stages["LocalFS_01"]["eventLanes"] == ["LocalFS_01_EventLane"]
    assert stages["Shell_01"]["inputLanes"] == ["LocalFS_01_EventLane"]


def test_error_stage_is_written_in_both_places() -> None:
    definition = to_dict(orders_flow())
    error = definition["errorStage"]
    assert error["instanceName"] == "WritetoFile_ErrorStage"
    assert error["uiInfo"]["label"] == "Error Records - Write to File"
    pipeline = {c["name"]: c["value"] for c in definition["configuration"]}
    assert (
        pipeline["badRecordsHandling"] == f"{error['library']}::{error['stageName']}::{error['stageVersion']}"
    )


def test_discard_is_the_error_stage_when_none_was_chosen() -> None:
    definition = to_dict(Flow("x").source("Dev Raw Data Source").to("Trash").flow)
    assert definition["errorStage"]["stageName"].endswith("ToErrorNullDTarget")


def test_parameters_land_in_constants() -> None:
    flow = orders_flow()
    flow.parameters["OUT"] = "/data/out"
    pipeline = {c["name"]: c["value"] for c in to_dict(flow)["configuration"]}
    assert pipeline["constants"] == [{"key": "OUT", "value": "/data/out"}]


def test_positions_come_from_auto_arrange_unless_set() -> None:
    flow = orders_flow()
    flow.stage("LocalFS_01").ui_info.update({"xPos": 999, "yPos": 7})
    stages = to_dict(flow)["stages"]
    positions = auto_arrange(flow)
    assert (stages[0]["uiInfo"]["xPos"], stages[0]["uiInfo"]["yPos"]) == positions["DevRawDataSource_01"]
    assert (stages[2]["uiInfo"]["xPos"], stages[2]["uiInfo"]["yPos"]) == (999, 7)
    assert positions["ExpressionEvaluator_01"][0] > positions["DevRawDataSource_01"][0]


def test_compiling_does_not_change_the_flow() -> None:
    flow = orders_flow()
    before = to_json(flow)
    to_dict(flow)["stages"][0]["configuration"].clear()
    assert to_json(flow) == before


def test_ids_are_derived_not_random() -> None:
    first, second = to_dict(orders_flow()), to_dict(orders_flow())
    assert first["uuid"] == second["uuid"]
    assert first["pipelineId"] == second["pipelineId"]
    assert first["pipelineId"].startswith("orders")
    assert to_dict(Flow("other"))["uuid"] != first["uuid"]


def test_same_flow_gives_same_bytes_in_another_process() -> None:
    program = textwrap.dedent(
        """
        import sys
        from tests.compile.test_pipeline import orders_flow
        sys.stdout.write(orders_flow().to_json())
        """
    )
    runs = [
        subprocess.run(
            [sys.executable, "-c", program],
            capture_output=True,
            text=True,
            check=True,
            env={"PYTHONHASHSEED": seed, "PATH": ""},
            cwd=ROOT,
        ).stdout
        for seed in ("1", "2")
    ]
    assert runs[0] == runs[1] == orders_flow().to_json()


def test_dsl_and_classic_api_compile_to_identical_bytes() -> None:
    dsl = Flow("orders").source("Dev Raw Data Source", raw_data='{"a": 1}').to("Stream Selector")
    dsl.when("${record:value('/a') == 1}").to("Local FS").events().to("Shell")
    dsl.otherwise().to("Trash")
    dsl_flow = dsl.flow
    dsl_flow.set_error_stage("Write to File", directory="/e")

    classic = Flow("orders")
    source = classic.add_stage("Dev Raw Data Source")
    source.raw_data = '{"a": 1}'
    selector = classic.add_stage("Stream Selector")
    local_fs, shell, trash = (
        classic.add_stage("Local FS"),
        classic.add_stage("Shell"),
        classic.add_stage("Trash"),
    )
    source >> selector
    selector.predicates = ["${record:value('/a') == 1}", "default"]
    selector.connect_output_to(local_fs, predicate="${record:value('/a') == 1}")
    assert (local_fs >= shell) is shell
    selector.connect_output_to(trash, predicate="default")
    error = classic.set_error_stage("Write to File")
    error.directory = "/e"

    assert to_json(classic) == to_json(dsl_flow)


def test_json_text_is_pretty_stable_and_unicode_safe() -> None:
    flow = Flow("café ☕").source("Dev Raw Data Source", raw_data='{"name": "Zoë"}').to("Trash").flow
    text = to_json(flow)
    assert text.endswith("}\n")
    assert "café ☕" in text
    assert json.loads(text)["title"] == "café ☕"

"""Reading real flow JSON: every corpus file round-trips without loss; bad input is reported."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from flowbuilder import Flow, FlowFormatError
from flowbuilder.compile import from_file, from_json, read_shared, to_dict, to_envelope
from flowbuilder.compile._reader import split_document
from tests.conftest import corpus_params


@pytest.mark.parametrize("path", corpus_params())
def test_corpus_file_round_trips_without_loss(path: Path) -> None:
    document = json.loads(path.read_bytes())
    definition, _ = split_document(document)
    compiled = to_dict(from_file(path))
    assert compiled == definition
    # Key order too, at every level: the compiled JSON is byte-identical to the input's.
    assert json.dumps(compiled) == json.dumps(definition)


def _is_envelope(path: Path) -> bool:
    document = json.loads(path.read_bytes())
    return "pipelineConfig" in document or "pipelineFragmentConfig" in document


@pytest.mark.parametrize("path", [param for param in corpus_params() if _is_envelope(param.values[0])])
def test_export_envelopes_round_trip_whole(path: Path) -> None:
    document = json.loads(path.read_bytes())
    envelope = to_envelope(from_json(document))
    assert envelope == document
    assert json.dumps(envelope) == json.dumps(document)  # key order too, at every level


def test_get_shaped_document_takes_the_flow_name_from_its_metadata() -> None:
    definition = Flow("inner title").source("Dev Raw Data Source").to("Trash").flow.to_dict()
    document = {
        "flow": {"metadata": {"name": "My first flow", "asset_id": "f1"}},
        "pipeline_definition": definition,
    }
    flow = from_json(document)
    assert flow.name == "My first flow"
    assert to_dict(flow) == definition


@pytest.mark.parametrize("metadata", ["not an object", None, ["name"], {"name": None}])
def test_get_shaped_document_without_a_usable_name_takes_the_title(metadata: object) -> None:
    definition = Flow("inner title").source("Dev Raw Data Source").to("Trash").flow.to_dict()
    document = {"flow": {"metadata": metadata}, "pipeline_definition": definition}
    flow = from_json(document)
    assert flow.name == "inner title"
    assert json.dumps(to_envelope(flow)) == json.dumps(document)


def test_edits_after_import_change_only_what_was_edited() -> None:
    path = Path(corpus_params()[57].values[0])
    original = json.loads(path.read_bytes())["pipelineConfig"]
    flow = from_file(path)
    stage = flow.stages[0]
    stage.label = "Renamed"
    edited = to_dict(flow)
    expected = copy.deepcopy(original)
    expected["stages"][0]["uiInfo"]["label"] = "Renamed"
    assert edited == expected


def test_stages_missing_from_the_catalog_are_kept_as_opaque_stages() -> None:
    definition = Flow("x").source("Dev Raw Data Source").to("Trash").flow.to_dict()
    custom = copy.deepcopy(definition["stages"][1])
    custom.update(instanceName="Custom_01", stageName="com_example_CustomDTarget", library="example-lib")
    custom["configuration"] = [{"name": "conf.secretSauce", "value": 42}]
    definition["stages"][1] = custom
    flow = from_json(definition)
    stage = flow.stage("Custom_01")
    assert stage.is_opaque
    assert stage.configuration["conf.secretSauce"] == 42
    assert to_dict(flow) == definition
    codes = {(i.code, i.severity) for i in flow.validate().issues}
    assert ("STAGE_UNKNOWN", "warning") in codes


def test_library_definitions_in_an_envelope_extend_the_catalog() -> None:
    definition = Flow("x").source("Dev Raw Data Source").to("Trash").flow.to_dict()
    definition["stages"][1].update(
        stageName="com_example_CustomDTarget", library="example-lib", stageVersion="3"
    )
    envelope = {
        "pipelineConfig": definition,
        "pipelineRules": {},
        "libraryDefinitions": {
            "stages": [
                {
                    "name": "com_example_CustomDTarget",
                    "version": "3",
                    "label": "Custom Target",
                    "library": "example-lib",
                    "type": "TARGET",
                    "configDefinitions": [],
                }
            ],
        },
    }
    flow = from_json(envelope)
    assert flow.stage("Trash_01").definition is not None
    assert flow.stage("Trash_01").definition.label == "Custom Target"  # type: ignore[union-attr]
    assert "Custom Target" not in [d.label for d in Flow("y").catalog.search("custom target")]


def test_lanes_keep_their_names_and_dangling_lanes_are_kept() -> None:
    definition = Flow("x").source("Dev Raw Data Source").to("Trash").flow.to_dict()
    definition["stages"][0]["outputLanes"] = ["weird lane 1"]
    definition["stages"][1]["inputLanes"] = ["nobody makes this", "weird lane 1"]
    flow = from_json(definition)
    assert flow.stage("Trash_01").inputs == [flow.stage("DevRawDataSource_01")]
    assert to_dict(flow) == definition
    assert "LANE_DANGLING" in {i.code for i in flow.validate().errors}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("{", "not valid JSON"),
        ("[]", "must be an object"),
        ('{"hello": 1}', "not a flow"),
        ('{"stages": {}}', "'stages' must be a list"),
        ('{"stages": [1]}', r"stages\[0\] must be a stage object"),
        ('{"stages": [{"stageName": "x"}]}', r"stages\[0\] has no 'instanceName'"),
        (
            '{"stages": [{"instanceName": "a", "stageName": "x", "inputLanes": "a"}]}',
            "inputLanes must be a list",
        ),
        ('{"pipelineConfig": 3}', "'pipelineConfig' must be an object"),
        ('{"stages": [], "errorStage": "Discard"}', "'errorStage' must be an object or null"),
    ],
)
def test_bad_input_is_a_flow_format_error(text: str, message: str) -> None:
    with pytest.raises(FlowFormatError, match=message):
        from_json(text)


def test_file_errors_name_the_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "flow.json"
    path.write_text('{\n  "stages": [\n    {"instanceName": }\n  ]\n}')
    with pytest.raises(FlowFormatError, match=r"flow\.json:3:"):
        from_file(path)
    with pytest.raises(FlowFormatError, match="cannot read file"):
        from_file(tmp_path / "missing.json")


def test_get_shaped_documents_round_trip_whole() -> None:
    definition = Flow("inner").source("Dev Raw Data Source").to("Trash").flow.to_dict()
    document = {
        "flow": {"metadata": {"name": "My flow", "asset_id": "f1"}},
        "pipeline_definition": definition,
    }
    envelope = to_envelope(from_json(document))
    assert envelope == document
    assert json.dumps(envelope) == json.dumps(document)


@pytest.mark.parametrize("path", corpus_params())
def test_reading_a_document_in_place_changes_nothing_in_it(path: Path) -> None:
    # Stores check a definition with read_shared before keeping it: a copy would double what the
    # check takes, and a change would alter what is stored.
    document = json.loads(path.read_text(encoding="utf-8"))
    before = json.dumps(document)
    flow = read_shared(document)
    flow.validate()
    assert flow.to_dict() == from_json(before).to_dict()
    assert json.dumps(document) == before


@pytest.mark.parametrize("path", corpus_params()[:12])
def test_a_flow_read_from_a_callers_document_shares_nothing_with_it(path: Path) -> None:
    # A caller's document is copied (a parsed text is taken whole): the flow's edits must not
    # change the document, nor changing the document after reading, at any depth, the flow.
    document = json.loads(path.read_bytes())
    original = json.dumps(document)
    flow = from_json(document)
    for stage in flow.stages:
        stage.label = "Renamed"  # each stage's uiInfo
    retry = flow.configuration["retry_pipeline_on_error"]
    flow.configuration["retry_pipeline_on_error"] = not retry  # the flow's configs list
    assert json.dumps(document) == original
    before = json.dumps(to_envelope(flow))
    stack: list[object] = [document]
    while stack:  # every dict and list of the document, emptied
        node = stack.pop()
        if isinstance(node, dict):
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
        else:
            continue
        node.clear()
    assert json.dumps(to_envelope(flow)) == before


def test_stages_read_from_one_shared_subtree_get_their_own_copies() -> None:
    # A document built in Python may hold one list in two places; the two stages read from it must
    # not change together.
    document = Flow("shared").source("Dev Raw Data Source").to("Trash").flow.to_dict()
    shared = document["stages"][0]["uiInfo"]
    document["stages"][1]["uiInfo"] = shared
    flow = from_json(document)
    flow.stages[0].label = "Changed"
    assert flow.stages[1].label == shared["label"] != "Changed"

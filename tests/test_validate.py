"""Validation: one broken flow per rule, each yielding its code; real flows yield no errors."""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from flowbuilder import Flow, FlowValidationError, Fragment
from flowbuilder.catalog import engine_definitions
from flowbuilder.compile import add_stage_json, from_file, from_json
from flowbuilder.validate import RULES, validate
from tests.conftest import CORPUS_FILES

ROOT = Path(__file__).resolve().parents[1]
Document = dict[str, Any]


def base() -> Document:
    """A valid flow: Dev Raw Data Source -> Trash, Discard for error records."""
    return Flow("base").source("Dev Raw Data Source").to("Trash").flow.to_dict()


def stage(document: Document, name: str) -> Document:
    return next(s for s in document["stages"] if s["instanceName"] == name)


def config(instance: Document, name: str) -> Document:
    return next(c for c in instance["configuration"] if c["name"] == name)


def imported(edit: Callable[[Document], None]) -> Flow:
    document = base()
    edit(document)
    return from_json(document)


def identity_between(document: Document) -> Document:
    identity = Flow("t").add_stage("Dev Identity").flow.to_dict()["stages"][0]
    identity["inputLanes"] = ["DevRawDataSource_01OutputLane1"]
    stage(document, "Trash_01")["inputLanes"] = ["DevIdentity_01OutputLane1"]
    document["stages"].insert(1, identity)
    return identity


def no_origin() -> Flow:
    flow = Flow("x")
    flow.add_stage("Dev Identity") >> flow.add_stage("Trash")
    return flow


def two_origins() -> Flow:
    flow = Flow("x").source("Dev Raw Data Source").to("Trash").flow
    flow.add_stage("Dev Raw Data Source") >> flow.stage("Trash_01")
    return flow


def cycle(document: Document) -> None:
    identity = identity_between(document)
    second = copy.deepcopy(identity)
    second.update(
        instanceName="DevIdentity_02",
        inputLanes=["DevIdentity_01OutputLane1"],
        outputLanes=["DevIdentity_02OutputLane1"],
    )
    identity["inputLanes"] = ["DevRawDataSource_01OutputLane1", "DevIdentity_02OutputLane1"]
    document["stages"].append(second)


def duplicate_name(document: Document) -> None:
    extra = copy.deepcopy(stage(document, "Trash_01"))
    document["stages"].append(extra)


def hidden_on_canvas(document: Document) -> None:
    trash = stage(document, "Trash_01")
    trash["stageName"] = "com_streamsets_pipeline_stage_destination_devnull_ToErrorNullDTarget"


def origin_with_inputs(document: Document) -> None:
    stage(document, "DevRawDataSource_01")["inputLanes"] = ["DevRawDataSource_01OutputLane1"]


def target_with_outputs(document: Document) -> None:
    stage(document, "Trash_01")["outputLanes"] = ["Trash_01OutputLane1"]


def isolated_target() -> Flow:
    flow = Flow("x").source("Dev Raw Data Source").to("Trash").flow
    flow.add_stage("Trash")
    return flow


def output_count(document: Document) -> None:
    dedup = Flow("t").add_stage("Record Deduplicator").flow.to_dict()["stages"][0]
    dedup["inputLanes"] = ["DevRawDataSource_01OutputLane1"]
    dedup["outputLanes"] = ["RecordDeduplicator_01OutputLane1"]
    stage(document, "Trash_01")["inputLanes"] = ["RecordDeduplicator_01OutputLane1"]
    document["stages"].insert(1, dedup)


def output_duplicate() -> Flow:
    document = base()
    second = copy.deepcopy(stage(document, "DevRawDataSource_01"))
    second["instanceName"] = "DevRawDataSource_02"
    document["stages"].insert(1, second)
    return from_json(document)


def dangling(document: Document) -> None:
    stage(document, "Trash_01")["inputLanes"].append("nobody makes this")


def parallel_lanes() -> Flow:
    dedup = Flow("x").source("Dev Raw Data Source").to("Record Deduplicator")
    trash = dedup.output(0).to("Trash").stage
    dedup.stage.connect_output_to(trash, output_idx=1)
    return dedup.flow


def events_not_produced(document: Document) -> None:
    identity = identity_between(document)
    identity["eventLanes"] = ["DevIdentity_01_EventLane"]
    sink = copy.deepcopy(stage(document, "Trash_01"))
    sink.update(instanceName="Trash_02", inputLanes=["DevIdentity_01_EventLane"])
    document["stages"].append(sink)


def local_fs_events(document: Document, lanes: list[str], consumed: bool) -> None:
    local_fs = Flow("t").add_stage("Local FS").set_attributes(data_format="JSON").flow.to_dict()["stages"][0]
    local_fs["inputLanes"] = ["DevRawDataSource_01OutputLane1"]
    local_fs["eventLanes"] = lanes
    document["stages"].append(local_fs)
    for number, lane in enumerate(lanes if consumed else [], start=2):
        sink = copy.deepcopy(stage(document, "Trash_01"))
        sink.update(instanceName=f"Trash_{number:02d}", inputLanes=[lane])
        document["stages"].append(sink)


def data_event_cross() -> Flow:
    flow = Flow("x")
    source, trash = flow.add_stage("Dev Raw Data Source"), flow.add_stage("Trash")
    local_fs = flow.add_stage("Local FS").set_attributes(data_format="JSON")
    source >> [local_fs, trash]
    assert (local_fs >= trash) is trash
    return flow


def selector_without_default(document: Document) -> None:
    selector = Flow("t").add_stage("Stream Selector").flow.to_dict()["stages"][0]
    selector["inputLanes"] = ["DevRawDataSource_01OutputLane1"]
    config(selector, "lanePredicates")["value"] = [
        {"outputLane": "StreamSelector_01OutputLane1", "predicate": "${record:value('/a') > 1}"}
    ]
    stage(document, "Trash_01")["inputLanes"] = ["StreamSelector_01OutputLane1"]
    document["stages"].insert(1, selector)


def selector_lanes(document: Document) -> None:
    selector_without_default(document)
    selector = stage(document, "StreamSelector_01")
    config(selector, "lanePredicates")["value"] = [{"outputLane": "elsewhere", "predicate": "default"}]


def required_missing() -> Flow:
    return Flow("x").source("Dev Raw Data Source").to("Trash").on_error("Write to File")


def config_value(name: str, value: Any, target: str = "DevRawDataSource_01") -> Callable[[Document], None]:
    def edit(document: Document) -> None:
        config(stage(document, target), name)["value"] = value

    return edit


def unknown_config() -> Flow:
    flow = Flow("x").source("Dev Raw Data Source").flow
    trash = Flow("t").add_stage("Trash").flow.to_dict()["stages"][0]
    trash["configuration"].append({"name": "conf.noSuchThing", "value": 1})
    trash["inputLanes"] = ["DevRawDataSource_01OutputLane1"]
    add_stage_json(flow, trash)
    flow.stage("DevRawDataSource_01") >> flow.stage("Trash_01")
    return flow


def inactive_config() -> Flow:
    return Flow("x").source("Dev Raw Data Source", data_format="JSON", custom_delimiter="|").to("Trash").flow


def precondition_not_el() -> Flow:
    return (
        Flow("x").source("Dev Raw Data Source").to("Dev Identity", preconditions=["a > 1"]).to("Trash").flow
    )


def services_mismatch(document: Document) -> None:
    stage(document, "DevRawDataSource_01")["services"] = []


def error_stage_slot(value: Any) -> Callable[[Document], None]:
    def edit(document: Document) -> None:
        document["errorStage"] = value(document) if callable(value) else value

    return edit


def trash_instance(document: Document) -> Document:
    trash = copy.deepcopy(stage(document, "Trash_01"))
    trash.update(inputLanes=[], instanceName="Trash_ErrorStage")
    return trash


def out_of_sync(document: Document) -> None:
    entry = next(c for c in document["configuration"] if c["name"] == "badRecordsHandling")
    entry["value"] = "streamsets-datacollector-basic-lib::com_example_Elsewhere::1"


def special_lanes(document: Document) -> None:
    document["errorStage"]["inputLanes"] = ["DevRawDataSource_01OutputLane1"]


def lifecycle(count: int, label: str) -> Callable[[Document], None]:
    def edit(document: Document) -> None:
        definition = Flow("t").add_stage(label).flow.to_dict()["stages"][0]
        document["startEventStages"] = [dict(definition, instanceName=f"S{n}") for n in range(count)]

    return edit


def _two_inputs() -> Flow:
    fragment = Fragment("two ins")
    fragment.add_stage("Trash"), fragment.add_stage("Trash")
    return fragment


def _origin_and_input() -> Flow:
    fragment = Fragment("both")
    fragment.source("Dev Raw Data Source").to("Trash")
    fragment.add_stage("Trash")
    return fragment


def _fragment_output_unconnected() -> Flow:
    fragment = Fragment("pass")
    fragment.input("Dev Identity")
    return Flow("x").source("Dev Raw Data Source").to(fragment).flow


def _fragment_not_embedded() -> Flow:
    fragment = Fragment("pass")
    fragment.input("Dev Identity")
    document = Flow("x").source("Dev Raw Data Source").to(fragment).to("Trash").flow.to_dict()
    document["fragments"] = []
    return from_json(document)


CASES: list[tuple[str, Callable[[], Flow], set[str]]] = [
    ("FLOW_EMPTY", lambda: Flow("x"), set()),
    ("FLOW_NO_ORIGIN", no_origin, {"INPUT_MISSING"}),
    ("FLOW_MULTIPLE_ORIGINS", two_origins, set()),
    ("FLOW_CYCLE", lambda: imported(cycle), set()),
    ("STAGE_DUPLICATE_NAME", lambda: imported(duplicate_name), set()),
    (
        "STAGE_INVALID_NAME",
        lambda: imported(lambda d: stage(d, "Trash_01").update(instanceName="Trash-01!")),
        set(),
    ),
    ("STAGE_UNKNOWN", lambda: _unknown_stage(), set()),
    ("STAGE_HIDDEN_ON_CANVAS", lambda: imported(hidden_on_canvas), set()),
    ("ORIGIN_WITH_INPUTS", lambda: imported(origin_with_inputs), {"FLOW_CYCLE"}),
    ("TARGET_WITH_OUTPUTS", lambda: imported(target_with_outputs), set()),
    ("INPUT_MISSING", isolated_target, set()),
    ("OUTPUT_UNCONNECTED", lambda: Flow("x").source("Dev Raw Data Source").flow, set()),
    ("OUTPUT_DUPLICATE", output_duplicate, {"FLOW_MULTIPLE_ORIGINS"}),
    ("LANE_DANGLING", lambda: imported(dangling), set()),
    ("LANES_PARALLEL", parallel_lanes, set()),
    ("EVENT_NOT_PRODUCED", lambda: imported(events_not_produced), set()),
    ("EVENT_LANES_MULTIPLE", lambda: imported(lambda d: local_fs_events(d, ["a", "b"], True)), set()),
    (
        "EVENT_UNCONNECTED",
        lambda: imported(lambda d: local_fs_events(d, ["LocalFS_01_EventLane"], False)),
        set(),
    ),
    ("EVENT_DATA_CROSS", data_event_cross, set()),
    ("SELECTOR_NO_DEFAULT", lambda: imported(selector_without_default), set()),
    ("CONFIG_REQUIRED", required_missing, set()),
    ("CONFIG_TYPE", lambda: imported(config_value("rawData", 5)), set()),
    ("CONFIG_VALUE", lambda: imported(config_value("stageOnRecordError", "TO_ERRORS")), set()),
    ("CONFIG_MIN", lambda: imported(config_value("numberOfThreads", 0)), set()),
    ("CONFIG_MAX", lambda: _max_case(), set()),
    ("CONFIG_UNKNOWN", unknown_config, set()),
    ("PRECONDITION_NOT_EL", precondition_not_el, set()),
    # The data format lives in the missing service, so it also reads as unset.
    ("SERVICES_MISMATCH", lambda: imported(services_mismatch), {"CONFIG_REQUIRED"}),
    ("ERROR_STAGE_MISSING", lambda: imported(error_stage_slot(None)), set()),
    ("ERROR_STAGE_INVALID", lambda: imported(error_stage_slot(trash_instance)), {"ERROR_STAGE_OUT_OF_SYNC"}),
    ("SPECIAL_STAGE_LANES", lambda: imported(special_lanes), set()),
    ("LIFECYCLE_STAGE_INVALID", lambda: imported(lifecycle(1, "Trash")), set()),
    ("LIFECYCLE_STAGES_MULTIPLE", lambda: imported(lifecycle(2, "Shell")), set()),
    ("FRAGMENT_INPUTS_MULTIPLE", _two_inputs, set()),
    ("FRAGMENT_ORIGIN_AND_INPUT", _origin_and_input, set()),
    ("FRAGMENT_LANE_UNCONNECTED", _fragment_output_unconnected, set()),
    ("FRAGMENT_UNRESOLVED", _fragment_not_embedded, set()),
]
WARNING_CASES: list[tuple[str, Callable[[], Flow]]] = [
    ("STAGE_VERSION_UNKNOWN", lambda: imported(lambda d: stage(d, "Trash_01").update(stageVersion="0"))),
    ("OUTPUT_COUNT", lambda: imported(output_count)),
    ("SELECTOR_LANES", lambda: imported(selector_lanes)),
    ("CONFIG_INACTIVE", inactive_config),
    ("ERROR_STAGE_OUT_OF_SYNC", lambda: imported(out_of_sync)),
]


def _unknown_stage() -> Flow:
    flow = Flow("x").source("Dev Raw Data Source").flow
    add_stage_json(
        flow,
        {
            "instanceName": "Custom_01",
            "library": "example-lib",
            "stageName": "com_example_X",
            "stageVersion": "1",
            "configuration": [],
            "uiInfo": {"stageType": "TARGET"},
            "inputLanes": [],
            "outputLanes": [],
            "eventLanes": [],
        },
    )
    flow.stage("DevRawDataSource_01") >> flow.stage("Custom_01")
    return flow


def _max_case() -> Flow:
    flow = Flow("x").source("Dev Raw Data Source").to("Record Deduplicator")
    flow.output(0).to("Trash")
    flow.output(1).to("Trash")
    document = flow.flow.to_dict()
    config(stage(document, "RecordDeduplicator_01"), "recordCountWindow")["value"] = 2**40
    return from_json(document)


def test_the_base_flow_is_valid() -> None:
    assert validate(from_json(base())).issues == []


def test_every_rule_has_a_broken_flow() -> None:
    covered = {code for code, _, _ in CASES} | {code for code, _ in WARNING_CASES}
    assert covered == set(RULES)


@pytest.mark.parametrize(("code", "build", "companions"), CASES, ids=[c[0] for c in CASES])
def test_broken_flow_yields_its_code(code: str, build: Callable[[], Flow], companions: set[str]) -> None:
    result = build().validate()
    codes = {issue.code for issue in result.errors}
    assert code in codes
    assert codes - {code} <= companions, result.issues
    issue = next(i for i in result.errors if i.code == code)
    assert issue.severity == "error"
    assert issue.message
    assert issue.engine_code == RULES[code][1]


@pytest.mark.parametrize(("code", "build"), WARNING_CASES, ids=[c[0] for c in WARNING_CASES])
def test_warning_rules_warn_without_errors(code: str, build: Callable[[], Flow]) -> None:
    result = build().validate()
    assert [i.code for i in result.errors] == []
    assert code in {i.code for i in result.warnings}
    assert result  # warnings alone leave the flow valid
    issue = next(i for i in result.warnings if i.code == code)
    assert issue.message
    assert issue.engine_code == RULES[code][1]


def test_all_issues_are_reported_at_once() -> None:
    flow = Flow("x").source("Dev Raw Data Source", number_of_threads=1).flow
    flow.add_stage("Trash")
    flow.set_error_stage("Write to File")
    codes = sorted(i.code for i in flow.validate().errors)
    assert codes == ["CONFIG_REQUIRED", "INPUT_MISSING", "OUTPUT_UNCONNECTED"]


def test_raise_for_errors_lists_every_error() -> None:
    flow = Flow("orders").source("Dev Raw Data Source").flow
    flow.add_stage("Trash")
    with pytest.raises(FlowValidationError) as raised:
        flow.validate().raise_for_errors()
    text = str(raised.value)
    assert "Flow 'orders'" in text
    assert "OUTPUT_UNCONNECTED DevRawDataSource_01" in text
    assert "INPUT_MISSING Trash_01" in text
    assert len(raised.value.issues) == 2


def test_issues_name_the_stage_and_config_and_hint_a_fix() -> None:
    issue = required_missing().validate().errors[0]
    assert (issue.stage, issue.config) == ("WritetoFile_ErrorStage", "directory")
    assert issue.hint


def test_unknown_stages_are_warnings_on_import_and_errors_when_authoring() -> None:
    authored = _unknown_stage()
    assert [i.severity for i in authored.validate().issues if i.code == "STAGE_UNKNOWN"] == ["error"]
    reread = from_json(authored.to_dict())
    assert [i.severity for i in reread.validate().issues if i.code == "STAGE_UNKNOWN"] == ["warning"]


@pytest.mark.parametrize("path", CORPUS_FILES, ids=[p.stem for p in CORPUS_FILES])
def test_corpus_flows_have_no_errors_but_missing_stages(path: Path) -> None:
    errors = [i for i in from_file(path).validate().errors if i.code != "STAGE_UNKNOWN"]
    assert errors == []


def test_corpus_warning_table_is_current() -> None:
    from scripts.build_validation_table import render

    committed = (ROOT / "docs" / "validation-corpus.md").read_text(encoding="utf-8")
    assert committed == render(), "run: python scripts/build_validation_table.py"


@pytest.mark.parametrize("shape", ["envelope", "fragmentId"])
def test_fragments_need_no_error_stage_and_may_leave_lanes_open(shape: str) -> None:
    document = Flow("frag").source("Dev Raw Data Source").to("Dev Identity").flow.to_dict()
    document["errorStage"] = None
    whole = sorted(i.code for i in from_json(document).validate().errors)
    assert whole == ["ERROR_STAGE_MISSING", "OUTPUT_UNCONNECTED"]
    fragment: Document = (
        {"pipelineFragmentConfig": document} if shape == "envelope" else dict(document, fragmentId="f1")
    )
    assert from_json(fragment).validate().errors == []


# -- the engine as judge ------------------------------------------------------------------------------


def test_validation_agrees_with_the_verdicts_engines_recorded_in_the_corpus() -> None:
    # scripts/engine_verdicts.py prints the same comparison with figures (docs/validation.md).
    from scripts.engine_verdicts import verdicts

    found = verdicts([CORPUS_FILES[0].parent])
    assert len(found) >= 70, "the corpus exports carry the engine's verdict"
    assert [f"{v.file}: {error}" for v in found for error in v.false_errors] == []
    assert sum(len(v.checkable) for v in found) >= 3, "the engine recorded issues this can check"
    assert [f"{v.file}: {issue}" for v in found for issue in v.missed] == []


def test_a_stage_at_another_version_is_checked_for_required_values_it_holds_empty() -> None:
    # The engine recorded VALIDATION_0007 on conf.account, conf.user and conf.password of this
    # Snowflake v4; the catalog has v6, where they moved to conf.connection.*: matched by field.
    flow = from_file(next(p for p in CORPUS_FILES if p.name.startswith("037_")))
    required = [i for i in flow.validate().issues if i.code == "CONFIG_REQUIRED"]
    assert [(i.stage, i.config, i.severity, i.engine_code) for i in required] == [
        ("Snowflake_01", "account", "warning", "VALIDATION_0007"),
        ("Snowflake_01", "user", "warning", "VALIDATION_0007"),
        ("Snowflake_01", "password", "warning", "VALIDATION_0007"),
    ]
    assert "v6 of 'Snowflake', the version checked against" in required[0].message
    assert "(the stage is v4)" in required[0].message


def test_an_inactive_config_kept_in_an_export_is_not_a_warning_on_import() -> None:
    authored = inactive_config()
    assert "CONFIG_INACTIVE" in {issue.code for issue in authored.validate().warnings}
    assert "CONFIG_INACTIVE" not in {issue.code for issue in from_json(authored.to_json()).validate().issues}


def _execution_mode(mode: str, written_by: str | None) -> Callable[[Document], None]:
    def edit(document: Document) -> None:
        for entry in document["configuration"]:
            if entry["name"] == "executionMode":
                entry["value"] = mode
        if written_by is None:
            document["info"].pop("sdcVersion", None)
        else:
            document["info"]["sdcVersion"] = written_by

    return edit


_CATALOG_VERSION = Flow("v").catalog.engine_version("data_collector")


@pytest.mark.parametrize(
    ("written_by", "severity", "said"),
    [
        (
            None,
            "warning",
            f"checked against engine {_CATALOG_VERSION}; the version that wrote the flow is not recorded",
        ),
        ("3.4.0", "warning", f"checked against engine {_CATALOG_VERSION}; the flow was written by 3.4.0"),
        (_CATALOG_VERSION, "error", None),
    ],
)
def test_a_choice_an_older_engine_offered_is_a_warning_naming_the_versions(
    written_by: str | None, severity: str, said: str | None
) -> None:
    # Older engines wrote executionMode CLUSTER; the catalog's version offers CLUSTER_BATCH... instead.
    flow = imported(_execution_mode("CLUSTER", written_by))
    [issue] = [i for i in flow.validate().issues if i.config == "execution_mode"]
    assert (issue.code, issue.severity) == ("CONFIG_VALUE", severity)
    if said is not None:
        assert issue.message.endswith(f"({said})")


def _simulated(timestamp_mode: str) -> tuple[Flow, dict[str, Any]]:
    """A flow with a Dev Simulator, and its document with ``timestamp_mode`` set to a value."""
    flow = Flow("simulated")
    flow.add_stage("Dev Simulator")
    document = flow.to_dict()
    for entry in document["stages"][0]["configuration"]:
        if entry["name"] == "eventTimeConfig.timestampMode":
            entry["value"] = timestamp_mode
    return flow, document


def test_a_third_party_stage_is_checked_as_the_catalogs_build_and_says_so_on_import() -> None:
    # Third-party libraries (here dev-simulator) ship builds that differ under one version
    # number: an export's value the catalog's build does not offer may be its build's own.
    _flow, document = _simulated("SOMETIME")
    [issue] = [i for i in from_json(document).validate().issues if i.config == "timestamp_mode"]
    assert (issue.code, issue.severity) == ("CONFIG_VALUE", "warning")
    assert issue.message.endswith(
        "(checked against dev-simulator v2 as the catalog has it; another build of that version may differ)"
    )


def test_a_third_party_stage_whose_definitions_the_export_embeds_is_checked_exactly() -> None:
    flow, pipeline = _simulated("SOMETIME")
    engine = engine_definitions(flow.catalog, "data_collector")
    stages = [s for s in engine["stages"] if s["name"] == flow.stages[0].stage_name]
    document = {"pipelineConfig": pipeline, "libraryDefinitions": {**engine, "stages": stages}}
    [issue] = [i for i in from_json(document).validate().issues if i.config == "timestamp_mode"]
    assert (issue.code, issue.severity) == ("CONFIG_VALUE", "error")

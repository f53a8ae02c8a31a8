"""The preview runner: lanes, batches, error handling and error record policies as the engine does them.

Engine behaviour cited from the Data Collector documentation ("Error Record Handling":
stage error handling takes precedence over pipeline error handling; records missing required
fields do not enter the stage; the error record policy picks the original or the stage record)
and the engine's runner code (RequiredFieldsPredicate CONTAINER_0050, PreconditionsPredicate
CONTAINER_0051/0052, BadRecordsHandler for ORIGINAL_RECORD / STAGE_RECORD).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from flowbuilder import Flow, merge
from flowbuilder.errors import PreviewError, StageNotFoundError
from flowbuilder.preview import Record, preview, supported_labels

from .conftest import NOW, clock

CORPUS = Path(__file__).parent.parent / "corpus" / "pipelines"


def _selector_flow() -> Flow:
    selector = Flow("routing").source("Dev Raw Data Source").to("Stream Selector")
    selector.when("${record:value('/a') > 1}").to("Trash")
    selector.when("${record:value('/a') > 3}").to("Trash")
    selector.otherwise().to("Trash")
    return selector.flow


def test_stream_selector_sends_each_record_to_the_first_lane_whose_condition_holds() -> None:
    result = preview(_selector_flow(), records=[{"a": 5}, {"a": 2}, {"a": 0}])
    assert [r.value for r in result["Trash_01"].input] == [{"a": 5}, {"a": 2}]
    assert result["Trash_02"].input == []
    assert [r.value for r in result["Trash_03"].input] == [{"a": 0}]
    selector = result["StreamSelector_01"]
    assert [r.value for r in selector.lane("default")] == [{"a": 0}]
    assert [r.value for r in selector.lane("${record:value('/a') > 1}")] == [{"a": 5}, {"a": 2}]
    assert [r.value for r in selector.records] == [{"a": 5}, {"a": 2}, {"a": 0}]


def test_a_lane_feeding_several_stages_gives_each_its_own_copy() -> None:
    origin = Flow("fan-out").source("Dev Raw Data Source")
    origin.to(
        "Expression Evaluator", field_expressions=[{"fieldToSet": "/changed", "expression": "${true}"}]
    ).to("Trash")
    origin.to("Dev Identity").to("Trash")
    result = preview(origin.flow, records=[{"a": 1}])
    assert result["Trash_01"].input[0].value == {"a": 1, "changed": True}
    assert result["Trash_02"].input[0].value == {"a": 1}
    assert result["DevRawDataSource_01"].records[0].value == {"a": 1}


def test_a_stage_fed_by_several_lanes_sees_all_their_records() -> None:
    selector = Flow("fan-in").source("Dev Raw Data Source").to("Stream Selector")
    high = selector.when("${record:value('/a') > 1}").to("Dev Identity")
    low = selector.otherwise().to("Dev Identity")
    merge(high, low).to("Trash")
    result = preview(selector.flow, records=[{"a": 1}, {"a": 2}, {"a": 3}])
    assert [r.value for r in result["Trash_01"].input] == [{"a": 2}, {"a": 3}, {"a": 1}]


def test_records_given_to_preview_replace_the_origin_data() -> None:
    flow = (
        Flow("own").source("Dev Raw Data Source", data_format="JSON", raw_data='{"own": 1}').to("Trash").flow
    )
    assert [r.value for r in preview(flow)["Trash_01"].input] == [{"own": 1}]
    assert [r.value for r in preview(flow, records=[{"given": 2}])["Trash_01"].input] == [{"given": 2}]


def test_given_records_keep_their_attributes_and_any_origin_can_be_replaced() -> None:
    flow = Flow("s3").source("Amazon S3").to("Trash").flow
    result = preview(flow, records=[Record({"a": 1}, attributes={"topic": "t"})])
    assert result["Trash_01"].input[0].attributes == {"topic": "t"}


def _error_flow(mode: str) -> Flow:
    return (
        Flow("errors")
        .source("Dev Raw Data Source")
        .to(
            "Expression Evaluator",
            on_record_error=mode,
            field_expressions=[{"fieldToSet": "/n", "expression": "${record:value('/text') + 1}"}],
        )
        .to("Trash")
        .flow
    )


def test_on_record_error_discard_drops_the_record() -> None:
    result = preview(_error_flow("DISCARD"), records=[{"text": "x"}, {"text": "1"}])
    evaluator = result["ExpressionEvaluator_01"]
    assert [r.value for r in evaluator.records] == [{"text": "1", "n": 2}]
    assert evaluator.errors == []
    assert result.error_records == []


def test_on_record_error_to_error_sends_the_record_to_the_error_stage_with_its_error() -> None:
    result = preview(_error_flow("TO_ERROR"), records=[{"text": "x"}], clock=clock)
    [error] = result["ExpressionEvaluator_01"].errors
    assert error.error_code == "EXPR_03"
    assert error.error_stage == "ExpressionEvaluator_01"
    assert error.error_stage_label == "Expression Evaluator 1"
    assert error.error_message is not None
    assert error.error_message.startswith("EXPR_03 - Cannot evaluate expression")
    assert error.header["errorTimestamp"] == int(NOW.timestamp() * 1000)
    assert result.error_records == [error]
    assert result["Trash_01"].input == []


def test_on_record_error_stop_pipeline_stops_the_preview_naming_stage_and_error() -> None:
    with pytest.raises(PreviewError) as raised:
        preview(_error_flow("STOP_PIPELINE"), records=[{"text": "x"}])
    message = str(raised.value)
    assert "stage ExpressionEvaluator_01" in message
    assert "EXPR_03" in message
    assert "STOP_PIPELINE" in message


def test_records_missing_required_fields_never_enter_the_stage() -> None:
    flow = (
        Flow("required")
        .source("Dev Raw Data Source")
        .to(
            "Expression Evaluator",
            required_fields=["/id", "/name"],
            field_expressions=[{"fieldToSet": "/seen", "expression": "${true}"}],
        )
        .to("Trash")
        .flow
    )
    result = preview(flow, records=[{"id": 1, "name": "a"}, {"id": 2}])
    evaluator = result["ExpressionEvaluator_01"]
    assert [r.value for r in evaluator.records] == [{"id": 1, "name": "a", "seen": True}]
    [error] = evaluator.errors
    assert error.value == {"id": 2}
    assert error.error_code == "CONTAINER_0050"
    assert error.error_message == (
        "CONTAINER_0050 - The stage requires records to include the following required fields: '[/name]'"
    )


def test_required_fields_follow_the_stage_on_record_error() -> None:
    flow = (
        Flow("required")
        .source("Dev Raw Data Source")
        .to("Dev Identity", required_fields=["/id"], on_record_error="DISCARD")
        .to("Trash")
        .flow
    )
    result = preview(flow, records=[{"x": 1}])
    assert result["DevIdentity_01"].errors == []
    assert result["DevIdentity_01"].records == []
    assert result["Trash_01"].input == []
    assert result.error_records == []


def test_unsatisfied_preconditions_send_the_record_to_error_with_container_0051() -> None:
    flow = (
        Flow("pre")
        .source("Dev Raw Data Source")
        .to("Dev Identity", preconditions=["${record:value('/qty') > 0}", "${record:exists('/sku')}"])
        .to("Trash")
        .flow
    )
    result = preview(flow, records=[{"qty": 1, "sku": "a"}, {"qty": 0}])
    identity = result["DevIdentity_01"]
    assert [r.value for r in identity.records] == [{"qty": 1, "sku": "a"}]
    [error] = identity.errors
    assert error.error_code == "CONTAINER_0051"
    assert error.error_message == (
        "CONTAINER_0051 - Unsatisfied precondition(s) '${record:value('/qty') > 0},${record:exists('/sku')}'"
    )


def test_a_precondition_that_cannot_be_evaluated_gives_container_0052() -> None:
    flow = (
        Flow("pre")
        .source("Dev Raw Data Source")
        .to("Dev Identity", preconditions=["${record:value('/qty') > 0}"])
        .to("Trash")
        .flow
    )
    result = preview(flow, records=[{"qty": "many"}])
    [error] = result["DevIdentity_01"].errors
    assert error.error_code == "CONTAINER_0052"
    assert (error.error_message or "").startswith(
        "CONTAINER_0052 - Failed to evaluate precondition '${record:value('/qty') > 0}': "
    )
    assert result["DevIdentity_01"].records == []


def _policy_flow(policy: str) -> Flow:
    flow = (
        Flow("policy")
        .source("Dev Raw Data Source")
        .to("Expression Evaluator", field_expressions=[{"fieldToSet": "/step", "expression": "one"}])
        .to("Dev Identity", required_fields=["/missing"])
        .to("Trash")
        .flow
    )
    flow.configuration["error_record_policy"] = policy
    return flow


def test_original_record_policy_sends_the_record_as_the_origin_produced_it() -> None:
    result = preview(_policy_flow("ORIGINAL_RECORD"), records=[{"id": 7}])
    [error] = result.error_records
    assert error.value == {"id": 7}
    assert error.error_code == "CONTAINER_0050"
    assert error.error_stage == "DevIdentity_01"
    assert result["DevIdentity_01"].errors[0].value == {"id": 7, "step": "one"}


def test_stage_record_policy_sends_the_record_as_the_failing_stage_saw_it() -> None:
    result = preview(_policy_flow("STAGE_RECORD"), records=[{"id": 7}])
    [error] = result.error_records
    assert error.value == {"id": 7, "step": "one"}
    assert error.error_code == "CONTAINER_0050"


def test_to_error_destination_passes_records_to_error_handling() -> None:
    flow = Flow("to-error").source("Dev Raw Data Source").to("To Error").flow
    result = preview(flow, records=[{"a": 1}])
    assert [(r.value, r.error_code) for r in result.error_records] == [({"a": 1}, "TOERROR_00")]


def test_parameters_substitute_into_configs_and_can_be_overridden_at_preview_time() -> None:
    flow = (
        Flow("params")
        .source("Dev Raw Data Source")
        .to("Expression Evaluator", field_expressions=[{"fieldToSet": "/region", "expression": "${REGION}"}])
        .to("Trash")
        .flow
    )
    flow.parameters["REGION"] = "eu"
    assert preview(flow, records=[{}])["Trash_01"].input[0].value == {"region": "eu"}
    overridden = preview(flow, records=[{}], parameters={"REGION": "us"})
    assert overridden["Trash_01"].input[0].value == {"region": "us"}


def test_an_undefined_parameter_fails_before_any_record_with_stage_and_config() -> None:
    flow = (
        Flow("params")
        .source("Dev Raw Data Source")
        .to("Expression Evaluator", field_expressions=[{"fieldToSet": "/r", "expression": "${REGON}"}])
        .to("Trash")
        .flow
    )
    flow.parameters["REGION"] = "eu"
    with pytest.raises(PreviewError) as raised:
        preview(flow, records=[{}])
    message = str(raised.value)
    assert "Flow 'params', stage ExpressionEvaluator_01: config 'field_expressions'" in message
    assert "Did you mean 'REGION'?" in message


def test_records_run_in_batches_of_batch_size_and_stage_state_spans_batches() -> None:
    deduplicator = Flow("batches").source("Dev Raw Data Source").to("Record Deduplicator")
    deduplicator.output(0).to("Trash")
    deduplicator.output(1).to("Trash")
    records = [{"n": n % 4} for n in range(10)]
    result = preview(deduplicator.flow, records=records, batch_size=3)
    assert result.batches == 4
    assert [r.value for r in result["Trash_01"].input] == [{"n": 0}, {"n": 1}, {"n": 2}, {"n": 3}]
    assert len(result["Trash_02"].input) == 6


def test_origin_event_records_flow_on_the_event_lane() -> None:
    origin = Flow("events").source(
        "Dev Raw Data Source", data_format="JSON", raw_data='{"a": 1}', event_data='{"event": "start"}'
    )
    origin.to("Trash")
    origin.events().to("Trash")
    result = preview(origin.flow)
    assert [r.value for r in result["DevRawDataSource_01"].events] == [{"event": "start"}]
    assert [r.value for r in result["Trash_02"].input] == [{"event": "start"}]
    assert [r.value for r in result["Trash_01"].input] == [{"a": 1}]


def test_records_carry_the_stages_they_passed_in_their_header() -> None:
    result = preview(_error_flow("TO_ERROR"), records=[{"text": "1"}])
    record = result["Trash_01"].input[0]
    assert record.header["stagesPath"] == "DevRawDataSource_01:ExpressionEvaluator_01"
    assert record.header["sourceId"] == "DevRawDataSource_01::0"


def test_the_same_input_gives_the_same_output() -> None:
    flow = _error_flow("TO_ERROR")
    first = preview(flow, records=[{"text": "x"}, {"text": "2"}], clock=clock)
    second = preview(flow, records=[{"text": "x"}, {"text": "2"}], clock=clock)
    for name in first:
        assert first[name].records == second[name].records
        assert [r.header for r in first[name].errors] == [r.header for r in second[name].errors]


def test_a_stage_the_runner_cannot_run_is_named_with_the_supported_stages_listed() -> None:
    flow = Flow("unsupported").source("Dev Raw Data Source").to("Jython Evaluator").to("Trash").flow
    with pytest.raises(PreviewError) as raised:
        preview(flow, records=[{}])
    message = str(raised.value)
    assert "stage JythonEvaluator_01" in message
    assert "cannot run JythonEvaluator_01 (Jython Evaluator)" in message
    assert "Supported stages: " in message
    assert all(label in message for label in ("Expression Evaluator", "Stream Selector", "Field Hasher"))


def test_an_origin_it_cannot_read_asks_for_records() -> None:
    flow = Flow("s3").source("Amazon S3").to("Trash").flow
    with pytest.raises(
        PreviewError, match=r"Pass the records the origin would produce: preview\(flow, records"
    ):
        preview(flow)


def test_the_supported_stages_include_every_stage_the_issue_lists() -> None:
    expected = {
        "Dev Raw Data Source",
        "Dev Identity",
        "Trash",
        "To Error",
        "Expression Evaluator",
        "Field Remover",
        "Field Renamer",
        "Field Type Converter",
        "Stream Selector",
        "Record Deduplicator",
        "Field Splitter",
        "Field Merger",
        "Field Flattener",
        "Field Masker",
        "Field Hasher",
        "Value Replacer",
        "Field Replacer",
        "JSON Parser",
        "Delay",
        "Pipeline Finisher Executor",
        "Shell",
        "Local FS",
    }
    assert expected <= set(supported_labels())


def test_a_cycle_is_reported_instead_of_looping() -> None:
    flow = Flow("cycle")
    origin = flow.add_stage("Dev Raw Data Source")
    first, second = flow.add_stage("Dev Identity"), flow.add_stage("Dev Identity")
    origin >> first
    first >> second
    second >> first
    with pytest.raises(PreviewError, match="has a cycle"):
        preview(flow, records=[{}])


@pytest.mark.parametrize(
    ("records", "message"),
    [
        ({"a": 1}, "records must be a list of records; got dict"),
        ("text", "records must be a list of records; got str"),
    ],
)
def test_records_must_be_a_list(records: object, message: str) -> None:
    flow = Flow("bad").source("Dev Raw Data Source").to("Trash").flow
    with pytest.raises(PreviewError, match=message):
        preview(flow, records=records)  # type: ignore[arg-type]


def test_unknown_stage_in_the_result_suggests_the_closest_name() -> None:
    result = preview(Flow("r").source("Dev Raw Data Source").to("Trash").flow, records=[])
    with pytest.raises(StageNotFoundError, match="Did you mean 'Trash_01'"):
        result["Trash_1"]
    assert result["Trash 1"] is result["Trash_01"]


def test_a_result_is_found_by_instance_name_label_or_stage() -> None:
    flow = Flow("r").source("Dev Raw Data Source").to("Trash").flow
    result = preview(flow, records=[])
    trash = result["Trash_01"]
    stage = flow.stage("Trash_01")
    assert result[stage] is result["Trash 1"] is trash
    assert all(key in result for key in ("Trash_01", "Trash 1", stage))
    assert not any(key in result for key in ("Trash_02", 1, None))
    assert result.get("Trash 1") is result.get("Trash_01") is trash
    assert result.get("Trash_02") is None
    assert result.get("Trash_02", trash) is trash


def test_executors_are_recorded_not_executed(tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    origin = Flow("exec").source("Dev Raw Data Source")
    origin.to("Shell", script=f"touch {marker}")
    origin.to("Pipeline Finisher Executor")
    result = preview(origin.flow, records=[{"a": 1}])
    assert [r.value for r in result["Shell_01"].input] == [{"a": 1}]
    assert [r.value for r in result["PipelineFinisherExecutor_01"].input] == [{"a": 1}]
    assert not marker.exists()


def test_local_fs_writes_only_when_asked(tmp_path: Path) -> None:
    target = tmp_path / "out"
    flow = (
        Flow("files")
        .source("Dev Raw Data Source")
        .to("Local FS", data_format="JSON", directory_template=str(target), files_prefix="part")
        .flow
    )
    preview(flow, records=[{"a": 1}])
    assert not target.exists()
    result = preview(flow, records=[{"a": 1}, {"a": 2}], write_to_destinations=True)
    files = sorted(target.iterdir())
    assert [f.name for f in files] == ["part-1"]
    assert files[0].read_text() == '{"a":1}\n{"a":2}\n'
    [event] = result["LocalFS_01"].events
    assert event.attributes["sdc.event.type"] == "file-closed"
    assert event["/filename"] == "part-1"


def test_a_real_corpus_flow_previews_end_to_end() -> None:
    flow = Flow.from_file(CORPUS / "064_complextest02-record-value-to-root-from-child.json")
    record = {"name": "Ada", "surname": "L", "age": 36, "payment": 1.5, "address": "a,b,c", "password": "pw"}
    # Its first Field Renamer renames /remove and sends records without it to error.
    [missing] = preview(flow, records=[record], clock=clock).error_records
    assert missing.error_code == "FIELD_RENAMER_00"
    assert missing.value == record
    result = preview(flow, records=[{**record, "remove": 0}], clock=clock)
    assert result["FieldSplitter_01"].records[0]["/newList"] == ["c"]
    assert result["FieldReplacer_01"].records[0]["/surname"] == "a"
    # Field Hasher: '/surname' hashed into itself, MD5 of its UTF-8 value ("a").
    assert result["FieldHasher_01"].records[0]["/surname"] == "0cc175b9c0f1b6a831c399e269772661"
    # Field Remover keeps only /address3 and /pay; the last Expression Evaluator lifts /address3 to the root.
    final = result["Trash_01"].input[0]
    assert final["/pay"] == 1.5
    assert final["/surname1"] == "0cc175b9c0f1b6a831c399e269772661"
    assert final["/name1"] is None
    assert result.error_records == []


@pytest.mark.parametrize("path", sorted(CORPUS.glob("*.json")), ids=lambda p: p.stem)
def test_every_corpus_flow_previews_or_says_why_it_cannot(path: Path) -> None:
    flow = Flow.from_file(path)
    try:
        result = preview(flow, records=[{"a": 1, "text": "x"}], clock=clock)
    except PreviewError as error:
        message = str(error)
        assert message.startswith(f"Flow {flow.name!r}")
        assert any(
            reason in message
            for reason in (
                "cannot run",
                "origins",
                "has no origin",
                "the preview runner runs Data Collector flows",
            )
        )
    else:
        origin = next(stage for stage in flow.stages if stage.type == "origin")
        assert [r.value for r in result[origin.instance_name].records] == [{"a": 1, "text": "x"}]


def test_an_unsupported_function_is_named_with_its_stage_and_config() -> None:
    selector = Flow("fn").source("Dev Raw Data Source").to("Stream Selector")
    selector.when("${uuid:uuid() == 'x'}").to("Trash")
    selector.otherwise().to("Trash")
    with pytest.raises(PreviewError) as raised:
        preview(selector.flow, records=[{}])
    message = str(raised.value)
    assert message.startswith("Flow 'fn', stage StreamSelector_01: config 'condition'")
    assert "calls uuid:uuid(), which the preview runner does not support" in message

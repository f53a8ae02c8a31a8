"""The Flow model: special stages, configuration, parameters, naming and the classic API."""

from __future__ import annotations

import gc

import pytest

from flowbuilder import ConfigError, Flow, FlowFormatError, LaneError, StageNotFoundError, UnknownConfigError


def seed_flow() -> Flow:
    return (
        Flow("x")
        .source("Dev Raw Data Source", data_format="JSON", raw_data="{}")
        .to("Trash")
        .on_error("Write to File", directory="/data/errors")
    )


def test_on_error_sets_a_write_to_file_error_stage_with_its_directory() -> None:
    flow = seed_flow()
    assert isinstance(flow, Flow)
    assert repr(flow.error_stage) == "WritetoFile_ErrorStage()"
    assert flow.error_stage is not None
    assert flow.error_stage.configuration["directory"] == "/data/errors"
    assert flow.configuration["error_records"].endswith(
        "com_streamsets_pipeline_stage_destination_recordstolocalfilesystem_ToErrorLocalFSDTarget::1"
    )


def test_set_error_stage_replaces_the_error_stage() -> None:
    flow = seed_flow()
    discard = flow.set_error_stage("Discard")
    assert flow.error_stage is discard
    assert repr(discard) == "Discard_ErrorStage()"
    assert "ToErrorNullDTarget" in flow.configuration["error_records"]


def test_a_new_flow_starts_with_discard_as_error_stage() -> None:
    assert repr(Flow("x").error_stage) == "Discard_ErrorStage()"


def test_writing_error_records_config_replaces_the_error_stage() -> None:
    flow = Flow("x")
    flow.configuration["error_records"] = (
        "streamsets-datacollector-basic-lib::"
        "com_streamsets_pipeline_stage_destination_recordstolocalfilesystem_ToErrorLocalFSDTarget::1"
    )
    assert repr(flow.error_stage) == "WritetoFile_ErrorStage()"


def test_flow_configuration_defaults_come_from_the_pipeline_definitions() -> None:
    flow = Flow("x")
    assert flow.configuration["retry_pipeline_on_error"] is True
    flow.configuration["retry_pipeline_on_error"] = False
    assert flow.configuration["retry_pipeline_on_error"] is False
    assert flow.configuration["shouldRetry"] is False
    assert flow.configuration["error_record_policy"] == "ORIGINAL_RECORD"
    flow.configuration["error_record_policy"] = "STAGE_RECORD"
    assert flow.configuration["errorRecordPolicy"] == "STAGE_RECORD"


def test_a_bogus_error_record_policy_names_both_allowed_values() -> None:
    flow = Flow("orders")
    with pytest.raises(ConfigError) as raised:
        flow.configuration["error_record_policy"] = "BOGUS"
    message = str(raised.value)
    assert "ORIGINAL_RECORD" in message
    assert "STAGE_RECORD" in message
    assert "'orders'" in message
    assert flow.configuration["error_record_policy"] == "ORIGINAL_RECORD"


def test_configuration_is_dict_like() -> None:
    flow = Flow("x")
    configuration = flow.configuration
    assert "retry_pipeline_on_error" in configuration
    assert "shouldRetry" in configuration
    assert "no_such_config" not in configuration
    assert configuration.get("no_such_config", 42) == 42
    assert len(configuration) == len(list(configuration)) == len(dict(configuration.items()))
    configuration.update(retry_attempts=3, rate_limit_in_records_per_sec=100)
    assert configuration["retryAttempts"] == 3


def test_unknown_flow_config_suggests_the_closest_name() -> None:
    with pytest.raises(UnknownConfigError, match="Did you mean 'retry_pipeline_on_error'"):
        Flow("x").configuration["retry_pipline_on_error"] = True


def test_typo_in_a_label_suggests_trash() -> None:
    path = Flow("orders").source("Dev Raw Data Source")
    with pytest.raises(StageNotFoundError) as raised:
        path.to("Trash Can")
    assert "Did you mean 'Trash'?" in str(raised.value)
    assert "'orders'" in str(raised.value)


def test_typo_in_a_config_suggests_directory_template() -> None:
    path = Flow("orders").source("Dev Raw Data Source")
    with pytest.raises(UnknownConfigError) as raised:
        path.to("Local FS", directroy_template="x")
    message = str(raised.value)
    assert "Did you mean 'directory_template'?" in message
    assert "LocalFS_01" in message
    assert "'orders'" in message


def test_wrong_type_says_expected_and_got() -> None:
    stage = Flow("orders").add_stage("Local FS")
    with pytest.raises(ConfigError, match=r"must be a number; got str '10'"):
        stage.max_file_size_in_mb = "10"
    with pytest.raises(ConfigError, match="must be at least 0"):
        stage.max_file_size_in_mb = -1


def test_a_value_outside_the_model_lists_the_allowed_values() -> None:
    stage = Flow("orders").add_stage("Expression Evaluator")
    with pytest.raises(ConfigError) as raised:
        stage.on_record_error = "TO_ERRORS"
    assert "DISCARD, TO_ERROR, STOP_PIPELINE" in str(raised.value)
    assert "Did you mean 'TO_ERROR'?" in str(raised.value)


def test_choice_labels_are_accepted_for_their_values() -> None:
    stage = Flow("orders").add_stage("Expression Evaluator")
    stage.on_record_error = "Discard"
    assert stage.on_record_error == "DISCARD"


def test_list_bean_rows_accept_python_field_names() -> None:
    stage = Flow("x").add_stage("Expression Evaluator")
    stage.field_expressions = [{"field_to_set": "/seen", "expression": "${true}"}]
    assert stage.configuration["expressionProcessorConfigs"] == [
        {"fieldToSet": "/seen", "expression": "${true}"}
    ]
    with pytest.raises(ConfigError, match="no field 'field'"):
        stage.field_expressions = [{"field": "/a"}]


def test_maps_accept_a_dict() -> None:
    stage = Flow("x").add_stage("Shell")
    stage.environment_variables = {"A": "1"}
    assert stage.configuration["config.environmentVariables"] == [{"key": "A", "value": "1"}]


def test_expressions_are_accepted_for_any_type() -> None:
    stage = Flow("x").add_stage("Local FS")
    stage.max_file_size_in_mb = "${SIZE}"
    assert stage.max_file_size_in_mb == "${SIZE}"


def test_secrets_are_masked_in_configuration_repr() -> None:
    stage = Flow("x").add_stage("JDBC Query Consumer")
    stage.password = "hunter2"
    assert stage.configuration["password"] == "hunter2"
    assert "hunter2" not in repr(stage.configuration)
    with pytest.raises(ConfigError) as raised:
        stage.password = 12345
    assert "12345" not in str(raised.value)


def test_instance_names_take_the_first_free_number() -> None:
    flow = Flow("x")
    first, second, third = (flow.add_stage("Trash") for _ in range(3))
    assert [s.instance_name for s in (first, second, third)] == ["Trash_01", "Trash_02", "Trash_03"]
    assert [s.label for s in (first, second, third)] == ["Trash 1", "Trash 2", "Trash 3"]
    flow.remove_stage(second)
    assert flow.add_stage("Trash").instance_name == "Trash_02"
    assert flow.add_stage("Trash").instance_name == "Trash_04"


def test_instance_names_have_no_upper_limit() -> None:
    flow = Flow("x")
    source = flow.add_stage("Dev Raw Data Source")
    trashes = [flow.add_stage("Trash") for _ in range(10_000)]
    source >> trashes
    assert trashes[-1].instance_name == "Trash_10000"
    assert len(flow.stage("DevRawDataSource_01").outputs) == 10_000


def test_remove_stage_removes_only_that_instance() -> None:
    flow = Flow("x")
    source = flow.add_stage("Dev Raw Data Source")
    a, b = flow.add_stage("Trash"), flow.add_stage("Trash")
    source >> [a, b]
    flow.remove_stage(a)
    assert [s.instance_name for s in flow.stages] == ["DevRawDataSource_01", "Trash_02"]
    assert source.outputs == [b]


def test_duplicate_stage_gets_a_new_name_same_configs_and_no_lanes() -> None:
    flow = Flow("x")
    source = flow.add_stage("Dev Raw Data Source")
    selector = flow.add_stage("Stream Selector")
    source >> selector
    selector.predicates = ["${record:value('/a') > 1}"]
    copy = flow.duplicate_stage(selector)
    assert copy.instance_name == "StreamSelector_02"
    assert [p["predicate"] for p in copy.predicates] == ["${record:value('/a') > 1}", "default"]
    assert all(lane.startswith("StreamSelector_02") for lane in copy.output_lanes)
    assert copy.inputs == []
    assert selector.inputs == [source]


def test_parameters_are_a_dict_over_constants() -> None:
    flow = Flow("x")
    flow.parameters["DIR"] = "/data"
    flow.parameters.update({"N": 3})
    assert dict(flow.parameters) == {"DIR": "/data", "N": 3}
    del flow.parameters["N"]
    assert flow.configuration["parameters"] == [{"key": "DIR", "value": "/data"}]


def test_stages_get_by_instance_name_or_label() -> None:
    flow = seed_flow()
    assert flow.stages.get(instance_name="Trash_01").label == "Trash 1"
    assert flow.stages.get(label="Dev Raw Data Source 1").type == "origin"
    assert flow.stage("Trash_01") is flow.stages[1]
    with pytest.raises(StageNotFoundError, match="Did you mean 'Trash_01'"):
        flow.stage("Trash_1")


def test_special_stages_have_their_own_setters() -> None:
    flow = Flow("x")
    start = flow.set_start_event_stage("Shell")
    assert repr(start) == "Shell_StartEventStage()"
    assert flow.start_event is start
    assert "ShellDExecutor" in flow.configuration["start_event"]
    with pytest.raises(StageNotFoundError):
        flow.set_start_event_stage("Trash")
    origin = flow.set_test_origin_stage("Dev Raw Data Source")
    assert flow.test_origin is origin
    assert origin.output_lanes == ("DevRawDataSource_TestOriginStageOutputLane1",)


def test_special_stages_take_no_lanes() -> None:
    flow = seed_flow()
    with pytest.raises(LaneError, match="special stage"):
        flow.stage("Trash_01") >> flow.error_stage  # type: ignore[operator]


def test_graph_is_a_read_only_view() -> None:
    flow = seed_flow()
    with pytest.raises(Exception, match="Frozen"):
        flow.graph.add_node("x")
    assert list(flow.graph.nodes) == ["DevRawDataSource_01", "Trash_01"]


@pytest.mark.parametrize("enabled", [True, False])
def test_bulk_work_leaves_the_garbage_collector_as_it_found_it(enabled: bool) -> None:
    # Validating, compiling and importing pause the collector while they work (they build no
    # cycles; benchmarks/ shows the gain); a user's own gc setting must survive them, on success
    # and on failure alike.
    flow = Flow("x")
    was = gc.isenabled()
    (gc.enable if enabled else gc.disable)()
    try:
        flow.add_stage("Dev Raw Data Source") >> flow.add_stage("Trash")
        flow.validate()
        document = flow.to_dict()
        Flow.from_json(document)
        assert gc.isenabled() is enabled
        with pytest.raises(StageNotFoundError):
            flow.add_stage("Trash Can")
        with pytest.raises(FlowFormatError):
            Flow.from_json({"stages": "not a list"})
        assert gc.isenabled() is enabled
    finally:
        (gc.enable if was else gc.disable)()


@pytest.mark.parametrize("name", ["Trash_²", "Trash_" + "9" * 5000])
def test_an_instance_name_whose_suffix_is_no_plain_number_keeps_the_bare_label(name: str) -> None:
    flow = Flow("x")
    stage = flow.add_stage("Trash", instance_name=name)
    assert stage.label == "Trash"
    flow.remove_stage(stage)
    assert flow.add_stage("Trash").instance_name == "Trash_01"

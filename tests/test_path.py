"""The chainable DSL: Path, fan-out, fan-in, events, Stream Selector branches, fixed outputs."""

from __future__ import annotations

import pytest

from flowbuilder import Flow, LaneError, Path, merge


def edges(flow: Flow) -> list[tuple[str, str, str, int]]:
    return sorted((u, v, d["kind"], d["output"]) for u, v, d in flow.graph.edges(data=True))


def test_source_to_builds_a_linear_flow() -> None:
    path = Flow("x").source("Dev Raw Data Source").to("Expression Evaluator").to("Trash")
    assert isinstance(path, Path)
    assert edges(path.flow) == [
        ("DevRawDataSource_01", "ExpressionEvaluator_01", "data", 0),
        ("ExpressionEvaluator_01", "Trash_01", "data", 0),
    ]
    assert path.stage.instance_name == "Trash_01"


def test_paths_are_immutable_cursors() -> None:
    origin = Flow("x").source("Dev Raw Data Source")
    first = origin.to("Trash")
    second = origin.to("Trash")
    assert origin.stage.instance_name == "DevRawDataSource_01"
    assert (first.stage.instance_name, second.stage.instance_name) == ("Trash_01", "Trash_02")
    assert edges(origin.flow) == [
        ("DevRawDataSource_01", "Trash_01", "data", 0),
        ("DevRawDataSource_01", "Trash_02", "data", 0),
    ]


def test_to_with_several_stages_fans_out() -> None:
    path = Flow("x").source("Dev Raw Data Source").to("Trash", "Local FS")
    assert [s.instance_name for s in path.stages] == ["Trash_01", "LocalFS_01"]
    with pytest.raises(LaneError, match="2 tails"):
        _ = path.stage


def test_merge_fans_in() -> None:
    source = Flow("x").source("Dev Raw Data Source")
    a = source.to("Dev Identity")
    b = source.to("Dev Identity")
    joined = merge(a, b).to("Trash")
    assert [s.instance_name for s in joined.stage.inputs] == ["DevIdentity_01", "DevIdentity_02"]


def test_events_go_on_dashed_event_lanes() -> None:
    flow = Flow("x").source("Dev Raw Data Source").to("Local FS").events().to("Shell").flow
    assert ("LocalFS_01", "Shell_01", "event", 0) in edges(flow)
    assert flow.stage("LocalFS_01").event_lanes == ("LocalFS_01_EventLane",)
    assert flow.stage("LocalFS_01").events == [flow.stage("Shell_01")]


def test_events_from_a_stage_without_events_are_refused() -> None:
    with pytest.raises(LaneError, match="produces no events"):
        Flow("x").source("Dev Raw Data Source").to("Dev Identity").events()


def test_stream_selector_branches_keep_default_last() -> None:
    selector = Flow("x").source("Dev Raw Data Source").to("Stream Selector")
    selector.when("${record:value('/a') == 1}").to("Trash")
    selector.otherwise().to("Local FS")
    selector.when("${record:value('/a') == 2}").to("Dev Identity")
    stage = selector.stage
    predicates = [p["predicate"] for p in stage.predicates]
    assert predicates == ["${record:value('/a') == 1}", "${record:value('/a') == 2}", "default"]
    assert [p["outputLane"] for p in stage.predicates] == list(stage.output_lanes)
    lanes = {
        v: stage.output_lanes[d["output"]]
        for _, v, d in selector.flow.graph.out_edges(stage.instance_name, data=True)
    }
    by_lane = {p["outputLane"]: p["predicate"] for p in stage.predicates}
    assert by_lane[lanes["Trash_01"]] == "${record:value('/a') == 1}"
    assert by_lane[lanes["DevIdentity_01"]] == "${record:value('/a') == 2}"
    assert by_lane[lanes["LocalFS_01"]] == "default"


def test_stream_selector_needs_a_lane_choice() -> None:
    selector = Flow("x").source("Dev Raw Data Source").to("Stream Selector")
    with pytest.raises(LaneError, match=r"when\(predicate\)"):
        selector.to("Trash")


def test_when_on_a_stage_without_predicates_is_refused() -> None:
    with pytest.raises(LaneError, match="not a Stream Selector"):
        Flow("x").source("Dev Raw Data Source").when("${true}")


def test_output_picks_a_fixed_output_lane() -> None:
    dedup = Flow("x").source("Dev Raw Data Source").to("Record Deduplicator")
    dedup.output(0).to("Trash")
    dedup.output(1).to("Local FS")
    assert ("RecordDeduplicator_01", "Trash_01", "data", 0) in edges(dedup.flow)
    assert ("RecordDeduplicator_01", "LocalFS_01", "data", 1) in edges(dedup.flow)
    with pytest.raises(LaneError, match=r"outputs are 0\.\.1"):
        dedup.output(2)


def test_on_error_ends_the_chain_with_the_flow() -> None:
    flow = Flow("x").source("Dev Raw Data Source").to("Trash").on_error("Write to File", directory="/e")
    assert isinstance(flow, Flow)
    assert flow.error_stage is not None
    assert flow.error_stage.directory == "/e"


def test_classic_operators_build_the_same_graph() -> None:
    flow = Flow("x")
    source = flow.add_stage("Dev Raw Data Source")
    local_fs, trash, shell = flow.add_stage("Local FS"), flow.add_stage("Trash"), flow.add_stage("Shell")
    assert (source >> local_fs) is local_fs
    assert (local_fs >= shell) is shell
    source >> [trash]
    assert edges(flow) == [
        ("DevRawDataSource_01", "LocalFS_01", "data", 0),
        ("DevRawDataSource_01", "Trash_01", "data", 0),
        ("LocalFS_01", "Shell_01", "event", 0),
    ]


def test_list_on_the_left_fans_in() -> None:
    flow = Flow("x")
    source = flow.add_stage("Dev Raw Data Source")
    a, b = flow.add_stage("Dev Identity"), flow.add_stage("Dev Identity")
    trash = flow.add_stage("Trash")
    source >> [a, b]
    [a, b] >> trash
    assert trash.inputs == [a, b]


def test_plain_shift_takes_the_next_unconnected_output() -> None:
    flow = Flow("x")
    dedup = flow.add_stage("Record Deduplicator")
    unique, duplicates = flow.add_stage("Trash"), flow.add_stage("Trash")
    dedup >> unique
    dedup >> duplicates
    assert [d["output"] for _, _, d in flow.graph.out_edges(dedup.instance_name, data=True)] == [0, 1]
    with pytest.raises(LaneError, match="all 2 outputs connected"):
        dedup >> flow.add_stage("Trash")


def test_connect_output_to_by_predicate_and_disconnect() -> None:
    flow = Flow("x")
    selector = flow.add_stage("Stream Selector")
    trash = flow.add_stage("Trash")
    selector.predicates = ["${record:value('/a') > 1}"]
    selector.connect_output_to(trash, predicate="${record:value('/a') > 1}")
    assert selector.outputs == [trash]
    selector.disconnect_output_from(trash)
    assert selector.outputs == []


def test_event_lanes_cannot_feed_an_origin() -> None:
    flow = Flow("x")
    local_fs, origin = flow.add_stage("Local FS"), flow.add_stage("Dev Raw Data Source")
    with pytest.raises(LaneError, match="origin and takes no input"):
        _ = local_fs >= origin


def test_stage_configs_read_three_ways() -> None:
    stage = Flow("x").source("Dev Raw Data Source", data_format="TEXT").stage
    assert (
        stage.data_format == stage.configuration["data_format"] == stage.configuration["dataFormat"] == "TEXT"
    )
    assert stage.set_attributes(raw_data="abc") is stage
    assert "raw_data" in dir(stage)


def test_a_freed_output_is_the_next_one_a_plain_shift_takes() -> None:
    flow = Flow("x")
    dedup = flow.add_stage("Record Deduplicator")
    first, second, third = flow.add_stage("Trash"), flow.add_stage("Trash"), flow.add_stage("Trash")
    dedup >> first
    dedup >> second
    dedup.disconnect_output_from(first)
    dedup >> third
    assert ("RecordDeduplicator_01", "Trash_03", "data", 0) in edges(flow)
    with pytest.raises(LaneError, match="all 2 outputs connected"):
        dedup >> first


def test_conditions_added_one_by_one_compile_as_conditions_set_at_once() -> None:
    texts = [f"${{record:value('/a') == {n}}}" for n in range(4)]
    one_by_one = Flow("x").source("Dev Raw Data Source").to("Stream Selector")
    one_by_one.otherwise().to("Trash")  # the default lane is wired first, then moved along
    for text in texts:
        one_by_one.when(text).to("Trash")
    flow = Flow("x")
    origin, selector = flow.add_stage("Dev Raw Data Source"), flow.add_stage("Stream Selector")
    origin >> selector
    default_trash = flow.add_stage("Trash")
    selector.predicates = texts
    selector.connect_output_to(default_trash, predicate="default")
    for text in texts:
        selector.connect_output_to(flow.add_stage("Trash"), predicate=text)
    assert one_by_one.flow.to_dict() == flow.to_dict()


def test_when_reuses_the_lane_of_a_known_condition() -> None:
    selector = Flow("x").source("Dev Raw Data Source").to("Stream Selector")
    selector.when("${true}").to("Trash")
    selector.when("${true}").to("Local FS")
    assert [p["predicate"] for p in selector.stage.predicates] == ["${true}", "default"]
    assert {v for _, v, d in selector.flow.graph.out_edges("StreamSelector_01", data=True)} == {
        "Trash_01",
        "LocalFS_01",
    }
    assert (
        len({d["output"] for _, _, d in selector.flow.graph.out_edges("StreamSelector_01", data=True)}) == 1
    )


def test_conditions_set_through_predicates_are_seen_by_when() -> None:
    selector = Flow("x").source("Dev Raw Data Source").to("Stream Selector")
    selector.when("${a}").to("Trash")
    selector.stage.predicates = ["${b}", "${a}"]
    selector.when("${b}").to("Local FS")
    assert [p["predicate"] for p in selector.stage.predicates] == ["${b}", "${a}", "default"]
    by_lane = {p["outputLane"]: p["predicate"] for p in selector.stage.predicates}
    lanes = {
        v: selector.stage.output_lanes[d["output"]]
        for _, v, d in selector.flow.graph.out_edges("StreamSelector_01", data=True)
    }
    assert {v: by_lane[lane] for v, lane in lanes.items()} == {"Trash_01": "${a}", "LocalFS_01": "${b}"}


def test_fan_in_keeps_the_order_of_inputs_across_disconnects() -> None:
    flow = Flow("x")
    sink = flow.add_stage("Trash")
    sources = [flow.add_stage("Dev Identity") for _ in range(4)]
    for source in sources:
        source >> sink
    sources[1].disconnect_output_from(sink)
    sources[1] >> sink
    lanes = next(s for s in flow.to_dict()["stages"] if s["instanceName"] == "Trash_01")["inputLanes"]
    assert lanes == [f"DevIdentity_0{n}OutputLane1" for n in (1, 3, 4, 2)]

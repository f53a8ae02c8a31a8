"""Fragments: written once, used in several flows with their own parameter prefixes, validated,
compiled to the engine's JSON, expanded, previewed and drawn; and the errors that name them."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from flowbuilder import Flow, FlowValidationError, Fragment, FragmentError, LaneError, preview
from flowbuilder.compile import from_file, to_envelope, to_python
from tests.conftest import CORPUS, run_generated

# A flow using a fragment, and the fragment itself, as the engine exported them.
USER_EXPORT = CORPUS / "038_db-query-to-splunk-search-part-2-complex.json"
FRAGMENT_EXPORT = CORPUS / "041_splunk-search-part-2-fragment.json"
WITH_FRAGMENTS = sorted(p for p in CORPUS.glob("*.json") if "fragmentId" in p.read_text(encoding="utf-8"))


def mask_pii(source: str = "unknown") -> Fragment:
    """A processor fragment: mask the SSN, then tag each record with the SOURCE parameter."""
    fragment = Fragment("mask pii", description="mask the SSN, tag the source")
    fragment.parameters["SOURCE"] = source
    (
        fragment.input(
            "Field Masker", field_mask_configs=[{"fields": ["/ssn"], "maskType": "FIXED_LENGTH"}]
        ).to("Expression Evaluator", field_expressions=[{"fieldToSet": "/source", "expression": "${SOURCE}"}])
    )
    return fragment


def user(name: str, fragment: Fragment, prefix: str) -> Flow:
    return (
        Flow(name)
        .source("Dev Raw Data Source", data_format="JSON", raw_data='{"ssn": "123-45-6789"}')
        .to(fragment, parameter_name_prefix=prefix)
        .to("Trash")
        .flow
    )


def fragment_stage(definition: dict[str, Any]) -> dict[str, Any]:
    return next(s for s in definition["stages"] if s["uiInfo"].get("fragmentGroupStage"))


# -- must-show 1: one fragment, two flows, two prefixes -------------------------------------------


def test_one_fragment_in_two_flows_gets_each_flows_prefix_and_both_validate() -> None:
    fragment = mask_pii()
    orders, customers = user("orders", fragment, "ORDERS_"), user("customers", fragment, "CUSTOMERS_")
    assert dict(orders.parameters) == {"ORDERS_SOURCE": "unknown"}
    assert dict(customers.parameters) == {"CUSTOMERS_SOURCE": "unknown"}
    assert orders.validate().issues == []
    assert customers.validate().issues == []
    embedded = [flow.to_dict()["fragments"][0] for flow in (orders, customers)]
    evaluators = [e["stages"][1]["configuration"] for e in embedded]
    expressions = [
        json.dumps([c for c in configs if c["name"] == "expressionProcessorConfigs"])
        for configs in evaluators
    ]
    assert "${ORDERS_SOURCE}" in expressions[0]
    assert "${CUSTOMERS_SOURCE}" in expressions[1]


def test_a_fragment_stage_has_the_engines_shape() -> None:
    """Keys as in the corpus's 038/055/076 (a fragment stage and its embedded definition)."""
    fragment = mask_pii()
    definition = user("orders", fragment, "ORDERS_").to_dict()
    stage = fragment_stage(definition)
    engine = fragment_stage(json.loads(USER_EXPORT.read_text(encoding="utf-8"))["pipelineConfig"])
    assert stage["stageName"] == "com_streamsets_pipeline_stage_processor_fragment_FragmentProcessor"
    assert (stage["library"], stage["stageVersion"]) == (engine["library"], engine["stageVersion"])
    assert [c["name"] for c in stage["configuration"]] == [c["name"] for c in engine["configuration"]]
    assert stage["configuration"] == [
        {"name": "conf.fragmentId", "value": fragment.fragment_id},
        {"name": "conf.fragmentInstanceId", "value": "maskp_01"},
    ]
    ui = stage["uiInfo"]
    keys = ("fragmentGroupStage", "fragmentId", "fragmentInstanceId", "fragmentName", "parameterNamePrefix")
    assert set(keys) <= set(engine["uiInfo"])
    assert set(keys) <= set(ui)
    assert ui["pipelineCommitId"] == fragment.commit_id
    assert ui["parameterNamePrefix"] == "ORDERS_"
    assert stage["instanceName"] == "maskp_01_FragmentProcessor_01"
    assert stage["outputLanes"] == ["maskp_01_ExpressionEvaluator_01OutputLane1"]
    (embedded,) = definition["fragments"]
    engine_embedded = json.loads(USER_EXPORT.read_text(encoding="utf-8"))["pipelineConfig"]["fragments"][0]
    assert list(embedded) == list(engine_embedded)
    assert embedded["fragmentInstanceId"] == "maskp_01"
    assert [s["instanceName"] for s in embedded["stages"]] == [
        "maskp_01_FieldMasker_01",
        "maskp_01_ExpressionEvaluator_01",
    ]
    assert embedded["stages"][0]["inputLanes"] == stage["inputLanes"] == ["DevRawDataSource_01OutputLane1"]


def test_a_fragment_document_has_the_engines_shape() -> None:
    engine = json.loads(FRAGMENT_EXPORT.read_text(encoding="utf-8"))
    ours = to_envelope(mask_pii())
    assert list(ours) == list(engine)
    assert list(ours["pipelineFragmentConfig"]) == list(engine["pipelineFragmentConfig"])
    stage_configuration = ours["pipelineFragmentConfig"]["uiInfo"]["fragmentStageConfiguration"]
    engine_configuration = engine["pipelineFragmentConfig"]["uiInfo"]["fragmentStageConfiguration"]
    assert list(stage_configuration) == list(engine_configuration)
    assert stage_configuration["outputLanes"] == ["ExpressionEvaluator_01OutputLane1"]
    assert stage_configuration["uiInfo"]["firstStageInstanceName"] == "FieldMasker_01"


def test_the_same_fragment_and_flow_give_the_same_bytes() -> None:
    assert user("orders", mask_pii(), "O_").to_json() == user("orders", mask_pii(), "O_").to_json()
    assert mask_pii().commit_id == mask_pii().commit_id
    assert mask_pii("a").commit_id != mask_pii("b").commit_id


def test_both_flows_preview_with_their_own_parameter_values() -> None:
    fragment = mask_pii()
    orders, customers = user("orders", fragment, "ORDERS_"), user("customers", fragment, "CUSTOMERS_")
    orders.parameters["ORDERS_SOURCE"] = "orders"
    seen = [
        [r.value for r in preview(flow, records=[{"ssn": "123-45-6789"}])["Trash_01"].input]
        for flow in (orders, customers)
    ]
    assert seen == [
        [{"ssn": "xxxxxxxxxx", "source": "orders"}],
        [{"ssn": "xxxxxxxxxx", "source": "unknown"}],
    ]
    stages = list(preview(orders, records=[{"ssn": "1"}]))
    assert stages == [
        "DevRawDataSource_01",
        "maskp_01_FieldMasker_01",
        "maskp_01_ExpressionEvaluator_01",
        "Trash_01",
    ]


def test_expanded_flow_inlines_the_fragment_stages_where_the_fragment_stage_was() -> None:
    orders = user("orders", mask_pii(), "ORDERS_")
    expanded = orders.expanded()
    assert [s.instance_name for s in expanded.stages] == [
        "DevRawDataSource_01",
        "maskp_01_FieldMasker_01",
        "maskp_01_ExpressionEvaluator_01",
        "Trash_01",
    ]
    assert list(expanded.graph.edges()) == [
        ("DevRawDataSource_01", "maskp_01_FieldMasker_01"),
        ("maskp_01_FieldMasker_01", "maskp_01_ExpressionEvaluator_01"),
        ("maskp_01_ExpressionEvaluator_01", "Trash_01"),
    ]
    assert expanded.validate().issues == []
    assert "fragments" not in [k for k, v in expanded.to_dict().items() if v]


def test_diagrams_draw_a_fragment_as_one_box_or_open(tmp_path: Path) -> None:
    orders = user("orders", mask_pii(), "ORDERS_")
    collapsed, opened = orders.to_dot(), orders.to_dot(expand_fragments=True)
    assert "maskp_01_FragmentProcessor_01 [" in collapsed
    assert "peripheries=2" in collapsed
    assert "FieldMasker" not in collapsed
    assert "subgraph cluster_fragment_maskp_01" in opened
    assert "maskp_01_FieldMasker_01 -> maskp_01_ExpressionEvaluator_01" in opened
    assert "FragmentProcessor" not in opened
    assert 'maskp_01_FragmentProcessor_01[["mask pii 1' in orders.to_mermaid().replace("s_", "")
    assert 'subgraph fragment_maskp_01["fragment mask pii"]' in orders.to_mermaid(expand_fragments=True)
    written = orders.render(tmp_path / "orders.dot", expand_fragments=True)
    assert written.read_text(encoding="utf-8") == opened


def test_use_in_a_flow_with_the_classic_api_and_default_prefix() -> None:
    fragment = mask_pii()
    flow = Flow("classic")
    origin = flow.add_stage("Dev Raw Data Source")
    first, second = flow.add_fragment(fragment), flow.add_fragment(fragment)
    origin >> [first, second]
    first >> flow.add_stage("Trash")
    second >> flow.add_stage("Trash")
    assert (first.instance_name, second.instance_name) == (
        "maskp_01_FragmentProcessor_01",
        "maskp_02_FragmentProcessor_01",
    )
    assert dict(flow.parameters) == {"maskp_01_SOURCE": "unknown", "maskp_02_SOURCE": "unknown"}
    assert flow.validate().issues == []
    assert len({s.instance_name for s in flow.expanded().stages}) == 7


def test_instance_ids_skip_names_the_flow_already_holds() -> None:
    fragment = mask_pii()
    flow = Flow("clash")
    flow.add_stage("Trash", instance_name="maskp_01_FieldMasker_01")
    assert flow.add_fragment(fragment).ui_info["fragmentInstanceId"] == "maskp_02"


def test_an_origin_fragment_starts_a_flow_and_a_destination_fragment_ends_one() -> None:
    source = Fragment("read")
    source.source("Dev Raw Data Source").to("Dev Identity")
    sink = Fragment("write")
    sink.input("Trash")
    flow = Flow("both").source(source).to(sink).flow
    assert (source.kind, sink.kind) == ("origin", "destination")
    assert [s.stage_type for s in flow.stages] == ["SOURCE", "TARGET"]
    assert flow.validate().issues == []
    assert [s.instance_name for s in flow.expanded().stages] == [
        "read_01_DevRawDataSource_01",
        "read_01_DevIdentity_01",
        "write_01_Trash_01",
    ]


def test_to_python_rebuilds_a_fragment_and_a_flow_using_one() -> None:
    fragment = mask_pii()
    orders = user("orders", fragment, "ORDERS_")
    assert run_generated(to_python(orders)).to_dict() == orders.to_dict()
    assert run_generated(to_python(fragment)).to_dict() == fragment.to_dict()


# -- must-show 2: real exports ------------------------------------------------------------------


@pytest.mark.parametrize("path", WITH_FRAGMENTS, ids=lambda p: p.stem)
def test_real_exports_with_fragments_reemit_identical_json_and_their_expansion_validates(path: Path) -> None:
    document = json.loads(path.read_text(encoding="utf-8"))
    cls = Fragment if "pipelineFragmentConfig" in document else Flow
    flow = from_file(path, cls=cls)
    assert to_envelope(flow) == document
    expanded = flow.expanded()
    assert expanded.validate().errors == []
    inner = sum(len(f["stages"]) - 1 for f in document.get("pipelineConfig", {}).get("fragments", []))
    assert len(expanded) == len(flow) + inner


def test_our_embedding_of_a_real_fragment_is_the_engines() -> None:
    """041 is the fragment, 038 a flow using it with prefix SPLUNK_: embedding 041 gives the
    stages 038 holds (the engine numbered that instance ``Splun_1``, we ``Splun_01``)."""
    fragment = from_file(FRAGMENT_EXPORT, cls=Fragment)
    flow = Flow("user")
    flow.source(fragment, parameter_name_prefix="SPLUNK_").to("Trash")
    ours = json.loads(json.dumps(flow.to_dict()["fragments"][0]).replace("Splun_01", "Splun_1"))
    engine = json.loads(USER_EXPORT.read_text(encoding="utf-8"))["pipelineConfig"]["fragments"][0]
    assert ours["stages"] == engine["stages"]
    assert ours["configuration"] == engine["configuration"]
    assert ours["fragmentInstanceId"] == engine["fragmentInstanceId"]


# -- must-show 4: errors that name the fragment, the flow and the fix ----------------------------


def test_an_unconnected_fragment_lane_is_an_error_naming_fragment_flow_and_fix() -> None:
    flow = Flow("orders").source("Dev Raw Data Source").to(mask_pii()).flow
    with pytest.raises(FlowValidationError) as raised:
        flow.validate().raise_for_errors()
    text = str(raised.value)
    assert text.startswith("Flow 'orders': has 1 validation error:")
    assert "FRAGMENT_LANE_UNCONNECTED maskp_01_FragmentProcessor_01: uses fragment 'mask pii'" in text
    assert "goes nowhere (Connect it: continue the path with .to(...)" in text
    unfed = Flow("unfed")
    unfed.add_fragment(mask_pii())
    assert any("whose input is not connected" in str(issue) for issue in unfed.validate().errors)


def test_a_parameter_clash_names_fragment_flow_and_another_prefix() -> None:
    fragment = mask_pii()
    flow = user("orders", fragment, "ORDERS_")
    with pytest.raises(FragmentError) as raised:
        flow.add_fragment(fragment, parameter_name_prefix="ORDERS_")
    assert str(raised.value) == (
        "Flow 'orders', fragment 'mask pii': parameter 'SOURCE' with prefix 'ORDERS_' is "
        "'ORDERS_SOURCE', which fragment 'mask pii' (maskp_01) already defines. Pass another "
        "parameter_name_prefix, e.g. parameter_name_prefix='maskp_02_'."
    )
    flow.parameters["OWN_SOURCE"] = "x"
    with pytest.raises(FragmentError, match="which the flow itself already defines"):
        flow.add_fragment(fragment, parameter_name_prefix="OWN_")


def test_a_fragment_using_itself_is_a_cycle_and_nesting_is_refused() -> None:
    fragment = mask_pii()
    with pytest.raises(FragmentError, match=r"a cycle of fragments \(mask pii -> mask pii\)"):
        fragment.add_fragment(fragment)
    other = Fragment("other")
    other.input("Trash")
    with pytest.raises(FragmentError, match="the engine does not nest fragments"):
        fragment.add_fragment(other)


def test_a_cycle_of_embedded_fragments_is_named_on_expansion() -> None:
    definition = user("orders", mask_pii(), "ORDERS_").to_dict()
    embedded = definition["fragments"][0]
    inner_stage = json.loads(json.dumps(fragment_stage(definition)))
    inner_stage["inputLanes"] = []
    embedded["stages"] = [inner_stage]
    embedded["fragments"] = [json.loads(json.dumps(embedded))]
    with pytest.raises(FragmentError) as raised:
        Flow.from_json(definition).expanded()
    assert "Flow 'orders', fragment 'mask pii': is part of a cycle of fragments" in str(raised.value)


def test_a_missing_fragment_definition_is_named_on_expansion_and_in_validation() -> None:
    definition = user("orders", mask_pii(), "ORDERS_").to_dict()
    definition["fragments"] = []
    flow = Flow.from_json(definition)
    with pytest.raises(FragmentError) as raised:
        flow.expanded()
    assert str(raised.value).startswith("Flow 'orders', fragment 'mask pii': version ")
    assert "Add the fragment to the flow again" in str(raised.value)
    assert [i.code for i in flow.validate().errors] == ["FRAGMENT_UNRESOLVED"]


def test_a_fragment_whose_outputs_changed_since_it_was_added_says_how_to_fix() -> None:
    fragment = mask_pii()
    flow = user("orders", fragment, "ORDERS_")
    fragment.add_stage("Dev Identity")  # a second open input, and a new open output
    with pytest.raises(FragmentError, match="add the fragment again"):
        flow.to_dict()


def test_fragments_refuse_what_the_engine_refuses() -> None:
    source = Fragment("read")
    source.source("Dev Raw Data Source")
    with pytest.raises(FragmentError, match="takes no input"):
        Flow("x").source("Dev Raw Data Source").to(source)
    with pytest.raises(FragmentError, match="cannot start a flow"):
        Flow("x").source(mask_pii())
    with pytest.raises(FragmentError, match="has no stages"):
        Flow("x").add_fragment(Fragment("empty"))
    with pytest.raises(FragmentError, match="not a Fragment"):
        Flow("x").add_fragment(Flow("plain"))  # type: ignore[arg-type]
    with pytest.raises(FragmentError, match="only letters, digits and _"):
        Flow("x").add_fragment(mask_pii(), parameter_name_prefix="bad prefix")
    with pytest.raises(LaneError, match="already takes its input"):
        mask_pii().input("Trash")
    flow = user("orders", mask_pii(), "O_")
    with pytest.raises(LaneError, match="cannot be duplicated"):
        flow.duplicate_stage("maskp_01_FragmentProcessor_01")


def test_secrets_inside_an_embedded_fragment_are_masked_like_the_flows_own() -> None:
    from flowbuilder._document import mask_secrets

    fragment = Fragment("lookup")
    fragment.input("JDBC Lookup", password="s3cr3t-in-fragment")
    flow = Flow("orders").source("Dev Raw Data Source").to(fragment).to("Trash").flow
    text = json.dumps(flow.to_dict())
    assert "s3cr3t-in-fragment" in text  # the engine needs it in the file itself
    masked = json.dumps(mask_secrets(flow.to_dict(), flow.catalog))
    assert "s3cr3t-in-fragment" not in masked
    assert "s3cr3t-in-fragment" not in json.dumps(mask_secrets(fragment.to_dict(), fragment.catalog))


def test_a_fragment_added_to_a_read_flow_joins_the_fragments_it_embedded() -> None:
    flow = from_file(USER_EXPORT)
    before = json.loads(USER_EXPORT.read_text(encoding="utf-8"))["pipelineConfig"]["fragments"]
    trash = flow.stage("Snowflake_1")
    flow.remove_stage(trash)
    upstream = flow.stage("FieldOrder_1")
    added = flow.add_fragment(mask_pii(), parameter_name_prefix="SF_")
    upstream >> added
    added >> flow.add_stage("Trash")
    definition = flow.to_dict()
    assert [f["fragmentInstanceId"] for f in definition["fragments"]] == ["Splun_1", "maskp_01"]
    assert definition["fragments"][0] == before[0]
    assert flow.validate().errors == []
    names = [s.instance_name for s in flow.expanded().stages]
    assert "maskp_01_FieldMasker_01" in names
    assert "Splun_1_HTTPClient_1" in names


def test_a_fragment_with_two_outputs_routes_by_its_prefixed_parameter() -> None:
    route = Fragment("route big")
    route.parameters["LIMIT"] = 100
    selector = route.input("Stream Selector")
    selector.when("${record:value('/total') > LIMIT}").to("Dev Identity")
    selector.otherwise().to(
        "Expression Evaluator", field_expressions=[{"fieldToSet": "/small", "expression": "${true}"}]
    )
    assert route.output_lanes == ("DevIdentity_01OutputLane1", "ExpressionEvaluator_01OutputLane1")
    flow = Flow("orders")
    path = flow.source("Dev Raw Data Source").to(route, parameter_name_prefix="R_")
    path.output(0).to("Trash")
    path.output(1).to("Trash")
    flow.parameters["R_LIMIT"] = 10
    assert flow.validate().issues == []
    (condition, default) = flow.to_dict()["fragments"][0]["stages"][0]["configuration"][0]["value"]
    assert condition["predicate"] == "${record:value('/total') > R_LIMIT}"
    result = preview(flow, records=[{"total": 5}, {"total": 50}])
    assert [r.value for r in result["Trash_01"].input] == [{"total": 50}]
    assert [r.value for r in result["Trash_02"].input] == [{"total": 5, "small": True}]


def test_a_fragment_of_an_engine_without_fragment_stages_in_the_catalog_says_so() -> None:
    fragment = Fragment("spark", engine="transformer")
    fragment.input("Filter")
    with pytest.raises(FragmentError, match="the catalog has fragment stages for data_collector only"):
        Flow("x", engine="transformer").add_fragment(fragment)
    with pytest.raises(FragmentError, match="is a transformer fragment"):
        fragment.to_dict()

"""Each supported stage against the behaviour the engine documents (and its processor code shows).

Every stage is run as origin -> stage -> Trash with records given to the preview; configs are
set by their Python names and read by the runner through their raw names.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import struct
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from flowbuilder import Flow
from flowbuilder.errors import PreviewError
from flowbuilder.preview import Record, preview
from flowbuilder.preview._hashing import murmur3_128

from .conftest import RunStage


def values(records: list[Any]) -> list[Any]:
    return [record.value for record in records]


# -- Dev Raw Data Source -----------------------------------------------------------------------


def _origin(**config: Any) -> list[Any]:
    flow = Flow("origin").source("Dev Raw Data Source", **config).to("Trash").flow
    return values(preview(flow)["Trash_01"].input)


def test_raw_data_json_multiple_objects_become_one_record_each() -> None:
    assert _origin(data_format="JSON", raw_data='{"a": 1}\n{"a": 2} {"b": [1, 2]}') == [
        {"a": 1},
        {"a": 2},
        {"b": [1, 2]},
    ]


def test_raw_data_json_array_of_objects_becomes_one_record_per_element() -> None:
    assert _origin(data_format="JSON", json_content="ARRAY_OBJECTS", raw_data='[{"a": 1}, {"a": 2}]') == [
        {"a": 1},
        {"a": 2},
    ]


def test_raw_data_text_becomes_one_text_field_per_line() -> None:
    assert _origin(data_format="TEXT", raw_data="first line\nsecond\n") == [
        {"text": "first line"},
        {"text": "second"},
    ]


def test_raw_data_delimited_with_header_uses_the_header_as_field_names() -> None:
    records = _origin(
        data_format="DELIMITED", header_line="WITH_HEADER", raw_data='id,name\n1,"Ada, L"\n2,Bob\n'
    )
    assert records == [{"id": "1", "name": "Ada, L"}, {"id": "2", "name": "Bob"}]


def test_raw_data_delimited_without_header_numbers_the_columns() -> None:
    assert _origin(data_format="DELIMITED", raw_data="a,b\nc,d") == [
        {"0": "a", "1": "b"},
        {"0": "c", "1": "d"},
    ]


def test_raw_data_delimited_ignore_header_skips_the_first_line() -> None:
    assert _origin(data_format="DELIMITED", header_line="IGNORE_HEADER", raw_data="h1,h2\nc,d") == [
        {"0": "c", "1": "d"}
    ]


def test_raw_data_delimited_list_root_keeps_header_and_value_per_column() -> None:
    records = _origin(
        data_format="DELIMITED", header_line="WITH_HEADER", root_field_type="LIST", raw_data="k\nv"
    )
    assert records == [[{"header": "k", "value": "v"}]]


def test_raw_data_delimited_custom_delimiter() -> None:
    records = _origin(
        data_format="DELIMITED", delimiter_format_type="CUSTOM", delimiter_character=";", raw_data="a;b"
    )
    assert records == [{"0": "a", "1": "b"}]


@pytest.mark.parametrize(
    ("content", "raw_data"),
    [
        ("MULTIPLE_OBJECTS", '{"a": 1} {"a": } {"a": 3}'),
        ("ARRAY_OBJECTS", '[{"a": 1}, {"a": }, {"a": 3}]'),
    ],
)
def test_json_that_is_not_valid_sends_the_message_to_error_and_keeps_the_records_before_it(
    content: str, raw_data: str
) -> None:
    # datacollector's ServicesUtil.parseAll, as datacollector-tests
    # pipeline/test_microservice_pipeline.py::test_rest_service_to_error expects of a message
    # whose second object is not valid JSON: one output record, one error record.
    flow = (
        Flow("bad")
        .source("Dev Raw Data Source", data_format="JSON", json_content=content, raw_data=raw_data)
        .to("Trash")
        .flow
    )
    result = preview(flow)
    assert values(result["Trash_01"].input) == [{"a": 1}]
    [error] = result.error_records
    assert error.error_code == "SERVICE_ERROR_001"
    assert (error.error_message or "").startswith(
        "SERVICE_ERROR_001 - Cannot parse record from message 'rawData': Expecting value at line 1"
    )
    assert error.value == raw_data.encode()
    assert error.field_type() == "BYTE_ARRAY"


def test_json_that_is_not_valid_stops_the_preview_when_the_origin_says_stop() -> None:
    flow = Flow("bad").source("Dev Raw Data Source", data_format="JSON", raw_data='{"a": ').to("Trash").flow
    flow.stages[0].configuration["on_record_error"] = "STOP_PIPELINE"
    with pytest.raises(PreviewError, match="SERVICE_ERROR_001 - Cannot parse record from message 'rawData'"):
        preview(flow)


def test_an_array_expected_but_not_given_is_an_unparsed_message() -> None:
    flow = (
        Flow("bad")
        .source("Dev Raw Data Source", data_format="JSON", json_content="ARRAY_OBJECTS", raw_data='{"a": 1}')
        .to("Trash")
        .flow
    )
    [error] = preview(flow).error_records
    assert "expected a JSON array at line 1, column 1" in (error.error_message or "")


def test_an_unsupported_raw_data_format_is_named() -> None:
    flow = Flow("bad").source("Dev Raw Data Source", data_format="AVRO", raw_data="<a/>").to("Trash").flow
    with pytest.raises(PreviewError, match="data format 'AVRO' cannot be parsed"):
        preview(flow)


# -- Dev Identity, Delay ------------------------------------------------------------------------


@pytest.mark.parametrize("label", ["Dev Identity", "Delay"])
def test_pass_through_stages_keep_records_unchanged(run_stage: RunStage, label: str) -> None:
    assert values(run_stage(label, [{"a": 1}, {"b": 2}]).records) == [{"a": 1}, {"b": 2}]


# -- Expression Evaluator -----------------------------------------------------------------------


def test_expression_evaluator_sets_fields_in_order_so_later_rows_see_earlier_ones(
    run_stage: RunStage,
) -> None:
    rows = [
        {"fieldToSet": "/total", "expression": "${record:value('/price') * record:value('/qty')}"},
        {"fieldToSet": "/label", "expression": "total=${record:value('/total')}"},
    ]
    result = run_stage("Expression Evaluator", [{"price": 2.5, "qty": 4}], field_expressions=rows)
    assert values(result.records) == [{"price": 2.5, "qty": 4, "total": 10.0, "label": "total=10.0"}]


def test_expression_evaluator_keeps_field_types_like_the_engine(run_stage: RunStage) -> None:
    rows = [
        {"fieldToSet": "/copy", "expression": "${record:value('/i')}"},
        {"fieldToSet": "/sum", "expression": "${record:value('/i') + 1}"},
        {"fieldToSet": "/text", "expression": "${record:value('/i')}!"},
        {"fieldToSet": "/when", "expression": "${time:now()}"},
    ]
    [record] = run_stage("Expression Evaluator", [{"i": 1}], field_expressions=rows).records
    assert [record.field_type(p) for p in ("/copy", "/sum", "/text", "/when")] == [
        "INTEGER",
        "LONG",
        "STRING",
        "DATETIME",
    ]


def test_expression_evaluator_sets_header_and_field_attributes(run_stage: RunStage) -> None:
    result = run_stage(
        "Expression Evaluator",
        [{"a": "x"}],
        header_attribute_expressions=[
            {"attributeToSet": "route", "headerAttributeExpression": "${str:toUpper('eu')}"}
        ],
        field_attribute_expressions=[
            {"fieldToSet": "/a", "attributeToSet": "pii", "fieldAttributeExpression": "${true}"}
        ],
    )
    [record] = result.records
    assert record.attributes == {"route": "EU"}
    assert record.field("/a") is not None
    assert record.field("/a").attributes == {"pii": "true"}  # type: ignore[union-attr]


def test_expression_evaluator_cannot_create_a_field_under_a_missing_parent(run_stage: RunStage) -> None:
    result = run_stage(
        "Expression Evaluator", [{"a": 1}], field_expressions=[{"fieldToSet": "/x/y", "expression": "${1}"}]
    )
    [error] = result.errors
    assert error.error_code == "EXPR_02"
    assert "cannot set value in field '/x/y'" in (error.error_message or "")


def test_expression_evaluator_can_replace_the_root(run_stage: RunStage) -> None:
    result = run_stage(
        "Expression Evaluator",
        [{"inner": {"a": 1}}],
        field_expressions=[{"fieldToSet": "/", "expression": "${record:value('/inner')}"}],
    )
    assert values(result.records) == [{"a": 1}]


def test_expression_evaluator_sets_every_field_a_wildcard_matches(run_stage: RunStage) -> None:
    result = run_stage(
        "Expression Evaluator",
        [{"a": 1, "b": 2}],
        field_expressions=[{"fieldToSet": "/*", "expression": "${0}"}],
    )
    assert values(result.records) == [{"a": 0, "b": 0}]


# -- Field Remover ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("action", "extra", "expected"),
    [
        ("REMOVE", {}, {"keep": 1, "nested": {"y": 2}}),
        ("KEEP", {}, {"drop": None, "nested": {"x": ""}}),
        ("REMOVE_NULL", {}, {"keep": 1, "nested": {"x": "", "y": 2}}),
        ("REMOVE_EMPTY", {}, {"keep": 1, "drop": None, "nested": {"y": 2}}),
        ("REMOVE_NULL_EMPTY", {}, {"keep": 1, "nested": {"y": 2}}),
    ],
)
def test_field_remover_actions(
    run_stage: RunStage, action: str, extra: dict[str, Any], expected: Any
) -> None:
    record = {"keep": 1, "drop": None, "nested": {"x": "", "y": 2}}
    result = run_stage("Field Remover", [record], action=action, fields=["/drop", "/nested/x"], **extra)
    assert values(result.records) == [expected]


def test_field_remover_removes_a_constant_and_wildcards(run_stage: RunStage) -> None:
    result = run_stage(
        "Field Remover", [{"a": "n/a", "b": "ok"}], action="REMOVE_CONSTANT", fields=["/*"], constant="n/a"
    )
    assert values(result.records) == [{"b": "ok"}]


# -- Field Renamer ------------------------------------------------------------------------------


def test_field_renamer_renames_with_regular_expressions_and_groups(run_stage: RunStage) -> None:
    result = run_stage(
        "Field Renamer",
        [{"col_a": 1, "col_b": 2, "other": 3}],
        fields_to_rename=[{"fromFieldExpression": "/col_(.*)", "toFieldExpression": "/$1"}],
    )
    assert values(result.records) == [{"other": 3, "a": 1, "b": 2}]


@pytest.mark.parametrize(
    ("handling", "expected", "error"),
    [
        ("REPLACE", {"b": 1}, None),
        ("APPEND_NUMBERS", {"b": 2, "b1": 1}, None),
        ("CONTINUE", {"a": 1, "b": 2}, None),
        ("TO_ERROR", None, "FIELD_RENAMER_01"),
    ],
)
def test_field_renamer_target_exists_handling(
    run_stage: RunStage, handling: str, expected: Any, error: str | None
) -> None:
    result = run_stage(
        "Field Renamer",
        [{"a": 1, "b": 2}],
        fields_to_rename=[{"fromFieldExpression": "/a", "toFieldExpression": "/b"}],
        target_field_already_exists=handling,
    )
    assert values(result.records) == ([expected] if expected else [])
    assert [e.error_code for e in result.errors] == ([error] if error else [])


def test_field_renamer_missing_source_is_an_error_or_ignored(run_stage: RunStage) -> None:
    rows = [{"fromFieldExpression": "/missing", "toFieldExpression": "/x"}]
    strict = run_stage("Field Renamer", [{"a": 1}], fields_to_rename=rows)
    assert [e.error_code for e in strict.errors] == ["FIELD_RENAMER_00"]
    lenient = run_stage(
        "Field Renamer", [{"a": 1}], fields_to_rename=rows, source_field_does_not_exist="CONTINUE"
    )
    assert values(lenient.records) == [{"a": 1}]


# -- Field Type Converter -----------------------------------------------------------------------


def _convert(run_stage: RunStage, record: dict[str, Any], **row: Any) -> Any:
    return run_stage(
        "Field Type Converter",
        [record],
        field_type_converter_configs=[{"fields": ["/v"], **row}],
    )


@pytest.mark.parametrize(
    ("value", "target", "expected", "type_"),
    [
        ("42", "INTEGER", 42, "INTEGER"),
        ("1,234", "LONG", 1234, "LONG"),
        ("2.5", "DOUBLE", 2.5, "DOUBLE"),
        ("2.5", "FLOAT", 2.5, "FLOAT"),
        ("10.25", "DECIMAL", Decimal("10.25"), "DECIMAL"),
        ("TRUE", "BOOLEAN", True, "BOOLEAN"),
        ("no", "BOOLEAN", False, "BOOLEAN"),
        ("2024-02-03", "DATE", dt.date(2024, 2, 3), "DATE"),
        (7, "STRING", "7", "STRING"),
        (2.0, "STRING", "2.0", "STRING"),
        (True, "INTEGER", 1, "INTEGER"),
        (3.9, "INTEGER", 3, "INTEGER"),
        (None, "INTEGER", None, "INTEGER"),
    ],
)
def test_field_type_converter_converts_common_types(
    run_stage: RunStage, value: Any, target: str, expected: Any, type_: str
) -> None:
    [record] = _convert(run_stage, {"v": value}, targetType=target).records
    assert record["/v"] == expected
    assert record.field_type("/v") == type_


def test_field_type_converter_uses_the_date_format_both_ways(run_stage: RunStage) -> None:
    [record] = _convert(
        run_stage, {"v": "2024-02-03 04:05:06"}, targetType="DATETIME", dateFormat="YYYY_MM_DD_HH_MM_SS"
    ).records
    assert record["/v"] == dt.datetime(2024, 2, 3, 4, 5, 6, tzinfo=dt.timezone.utc)
    back = run_stage(
        "Field Type Converter",
        [record],
        field_type_converter_configs=[
            {
                "fields": ["/v"],
                "targetType": "STRING",
                "dateFormat": "OTHER",
                "otherDateFormat": "dd/MM/yyyy HH:mm",
            }
        ],
    )
    assert back.records[0]["/v"] == "03/02/2024 04:05"


def test_field_type_converter_scales_decimals_with_the_rounding_strategy(run_stage: RunStage) -> None:
    [record] = _convert(
        run_stage, {"v": "2.345"}, targetType="DECIMAL", scale=2, decimalScaleRoundingStrategy="ROUND_HALF_UP"
    ).records
    assert record["/v"] == Decimal("2.35")


def test_field_type_converter_sends_unconvertible_values_to_error(run_stage: RunStage) -> None:
    result = _convert(run_stage, {"v": "abc"}, targetType="INTEGER")
    [error] = result.errors
    assert error.error_code == "CONVERTER_00"
    assert "Failed to convert field '/v' with value 'abc' to type 'INTEGER'" in (error.error_message or "")


@pytest.mark.parametrize(
    ("action", "expected"), [("IGNORE", {"v": ""}), ("DELETE", {}), ("NULL", {"v": None})]
)
def test_field_type_converter_empty_input_handling(run_stage: RunStage, action: str, expected: Any) -> None:
    result = _convert(run_stage, {"v": ""}, targetType="INTEGER", inputFieldEmpty=action)
    assert values(result.records) == [expected]


def test_field_type_converter_by_type_converts_every_field_of_the_source_type(run_stage: RunStage) -> None:
    result = run_stage(
        "Field Type Converter",
        [{"a": 1, "b": "x", "c": {"d": 2}}],
        conversion_method="BY_TYPE",
        whole_type_converter_configs=[{"sourceType": "INTEGER", "targetType": "STRING"}],
    )
    assert values(result.records) == [{"a": "1", "b": "x", "c": {"d": "2"}}]


# -- Record Deduplicator ------------------------------------------------------------------------


def test_record_deduplicator_sends_unique_and_duplicate_records_to_their_outputs(run_stage: RunStage) -> None:
    result = run_stage("Record Deduplicator", [{"a": 1}, {"a": 2}, {"a": 1}])
    unique, duplicates = result.lane(0), result.lane(1)
    assert values(unique) == [{"a": 1}, {"a": 2}]
    assert values(duplicates) == [{"a": 1}]


def test_record_deduplicator_compares_only_the_specified_fields(run_stage: RunStage) -> None:
    result = run_stage(
        "Record Deduplicator",
        [{"id": 1, "ts": 1}, {"id": 1, "ts": 2}],
        compare="SPECIFIED_FIELDS",
        fields_to_compare=["/id"],
    )
    assert values(result.lane(1)) == [{"id": 1, "ts": 2}]


def test_record_deduplicator_forgets_records_beyond_its_window(run_stage: RunStage) -> None:
    result = run_stage("Record Deduplicator", [{"a": 1}, {"a": 2}, {"a": 1}], max_records_to_compare=1)
    assert values(result.lane(1)) == []


# -- Field Splitter -----------------------------------------------------------------------------


def test_field_splitter_splits_into_new_fields_and_removes_the_original(run_stage: RunStage) -> None:
    result = run_stage(
        "Field Splitter",
        [{"name": "Ada Lovelace King"}],
        field_to_split="/name",
        new_split_fields=["/first", "/rest"],
    )
    assert values(result.records) == [{"first": "Ada", "rest": "Lovelace King"}]


def test_field_splitter_not_enough_splits_is_an_error_or_fills_nulls(run_stage: RunStage) -> None:
    config = {"field_to_split": "/v", "separator": ",", "new_split_fields": ["/a", "/b", "/c"]}
    strict = run_stage("Field Splitter", [{"v": "1,2"}], **config)
    assert [e.error_code for e in strict.errors] == ["SPLITTER_02"]
    lenient = run_stage("Field Splitter", [{"v": "1,2"}], not_enough_splits="CONTINUE", **config)
    assert values(lenient.records) == [{"a": "1", "b": "2", "c": None}]


def test_field_splitter_puts_remaining_splits_in_a_list_and_can_keep_the_original(
    run_stage: RunStage,
) -> None:
    result = run_stage(
        "Field Splitter",
        [{"v": "a,b,c,d"}],
        field_to_split="/v",
        separator=",",
        new_split_fields=["/first"],
        too_many_splits="TO_LIST",
        field_for_remaining_splits="/others",
        original_field="KEEP",
    )
    assert values(result.records) == [{"v": "a,b,c,d", "first": "a", "others": ["b", "c", "d"]}]


def test_field_splitter_missing_field_is_splitter_01(run_stage: RunStage) -> None:
    result = run_stage("Field Splitter", [{"x": 1}], field_to_split="/v", new_split_fields=["/a", "/b"])
    assert [e.error_code for e in result.errors] == ["SPLITTER_01"]


# -- Field Merger -------------------------------------------------------------------------------


def test_field_merger_merges_maps_and_lists_and_moves_when_the_target_is_missing(run_stage: RunStage) -> None:
    result = run_stage(
        "Field Merger",
        [{"m1": {"a": 1}, "m2": {"b": 2}, "l1": [1], "l2": [2], "solo": {"x": 1}}],
        fields_to_merge=[
            {"fromField": "/m1", "toField": "/m2"},
            {"fromField": "/l1", "toField": "/l2"},
            {"fromField": "/solo", "toField": "/moved"},
        ],
    )
    assert values(result.records) == [{"m2": {"b": 2, "a": 1}, "l2": [2, 1], "moved": {"x": 1}}]


def test_field_merger_does_not_overwrite_unless_asked(run_stage: RunStage) -> None:
    records = [{"m1": {"a": 1}, "m2": {"a": 2}}]
    mapping = [{"fromField": "/m1", "toField": "/m2"}]
    blocked = run_stage("Field Merger", records, fields_to_merge=mapping)
    assert [e.error_code for e in blocked.errors] == ["FIELD_MERGER_01"]
    allowed = run_stage("Field Merger", records, fields_to_merge=mapping, overwrite_fields=True)
    assert values(allowed.records) == [{"m2": {"a": 1}}]


def test_field_merger_rejects_different_types(run_stage: RunStage) -> None:
    result = run_stage(
        "Field Merger", [{"m": {"a": 1}, "l": [1]}], fields_to_merge=[{"fromField": "/m", "toField": "/l"}]
    )
    assert [e.error_code for e in result.errors] == ["FIELD_MERGER_02"]


# -- Field Flattener ----------------------------------------------------------------------------


def test_field_flattener_flattens_the_entire_record_with_the_separator(run_stage: RunStage) -> None:
    [record] = run_stage("Field Flattener", [{"a": {"b": 1, "c": [2, {"d": 3}]}, "e": 4}]).records
    assert record.value == {"a.b": 1, "a.c.0": 2, "a.c.1.d": 3, "e": 4}
    assert record.field_type("/") == "MAP"


def test_field_flattener_flattens_chosen_fields_in_place(run_stage: RunStage) -> None:
    result = run_stage(
        "Field Flattener",
        [{"a": {"b": {"c": 1}}, "z": {"y": {"x": 2}}}],
        flatten="SPECIFIC_FIELDS",
        fields=["/a"],
        name_separator="_",
    )
    assert values(result.records) == [{"a": {"b_c": 1}, "z": {"y": {"x": 2}}}]


def test_field_flattener_into_a_target_field_handles_collisions(run_stage: RunStage) -> None:
    config = {"flatten": "SPECIFIC_FIELDS", "fields": ["/a"], "flatten_in_place": False, "target_field": "/t"}
    record = {"a": {"b": 1, "c": 2}, "t": {"b": 0}}
    discard = run_stage("Field Flattener", [record], collision_field_action="DISCARD", **config)
    assert values(discard.records) == [{"t": {"b": 0, "c": 2}}]
    override = run_stage("Field Flattener", [record], collision_field_action="OVERRIDE", **config)
    assert values(override.records) == [{"t": {"b": 1, "c": 2}}]
    error = run_stage("Field Flattener", [record], **config)
    assert [e.error_code for e in error.errors] == ["FIELD_FLATTENER_04"]


# -- Field Masker (the engine's own table: datacollector-tests test_field_mask_configs) -----------


def test_field_masker_masks_as_the_engine_table_shows(run_stage: RunStage) -> None:
    data = {"password1": "donKey", "password2": "donKey", "phoneNumber": "617-567-8888", "ssn": "123-45-6789"}
    configs = [
        {"fields": ["/password1"], "maskType": "FIXED_LENGTH"},
        {"fields": ["/password2"], "maskType": "VARIABLE_LENGTH"},
        {"fields": ["/phoneNumber"], "maskType": "CUSTOM", "mask": "###-xxx-xxxx"},
        {
            "fields": ["/ssn"],
            "maskType": "REGEX",
            "regex": "([0-9]{3})-([0-9]{2})-([0-9]{4})",
            "groupsToShow": "2",
        },
    ]
    result = run_stage("Field Masker", [data], field_mask_configs=configs)
    assert values(result.records) == [
        {
            "password1": "xxxxxxxxxx",
            "password2": "xxxxxx",
            "phoneNumber": "617-xxx-xxxx",
            "ssn": "xxxx45xxxxx",
        }
    ]


def test_field_masker_rejects_non_string_fields(run_stage: RunStage) -> None:
    result = run_stage(
        "Field Masker", [{"n": 5}], field_mask_configs=[{"fields": ["/n"], "maskType": "FIXED_LENGTH"}]
    )
    assert [e.error_code for e in result.errors] == ["MASK_00"]


# -- Field Hasher -------------------------------------------------------------------------------


def test_field_hasher_hashes_strings_in_place_as_utf8(run_stage: RunStage) -> None:
    result = run_stage(
        "Field Hasher",
        [{"email": "ada@example.com", "n": 7}],
        hash_in_place=[{"sourceFieldsToHash": ["/email"], "hashType": "SHA256"}],
    )
    assert result.records[0]["/email"] == hashlib.sha256(b"ada@example.com").hexdigest()


def test_field_hasher_feeds_integers_as_little_endian_bytes_like_guava(run_stage: RunStage) -> None:
    result = run_stage(
        "Field Hasher", [{"n": 7}], hash_in_place=[{"sourceFieldsToHash": ["/n"], "hashType": "MURMUR3_128"}]
    )
    assert result.records[0]["/n"] == murmur3_128(struct.pack("<i", 7)).hex()


def test_field_hasher_hashes_several_fields_into_a_target_and_a_header_attribute(run_stage: RunStage) -> None:
    result = run_stage(
        "Field Hasher",
        [{"a": "x", "b": "y"}],
        hash_to_target=[
            {
                "sourceFieldsToHash": ["/a", "/b"],
                "hashType": "MD5",
                "targetField": "/h",
                "headerAttribute": "hash",
            }
        ],
    )
    [record] = result.records
    # Several fields are fed in Java HashSet order, which for "/a" and "/b" is /a then /b.
    assert record["/h"] == record.attributes["hash"] == hashlib.md5(b"xy").hexdigest()


def test_field_hasher_reports_missing_null_and_map_fields(run_stage: RunStage) -> None:
    result = run_stage(
        "Field Hasher",
        [{"n": None, "m": {}}],
        hash_in_place=[{"sourceFieldsToHash": ["/missing", "/n", "/m"], "hashType": "MD5"}],
    )
    [error] = result.errors
    assert error.error_code == "HASH_01"
    assert "fields '/missing' do not exist, fields '/n' include null values, fields '/m'" in (
        error.error_message or ""
    )


@pytest.mark.parametrize("config", ["hash_in_place", "hash_to_target"])
def test_field_hasher_names_the_rows_holding_an_invalid_field_path(run_stage: RunStage, config: str) -> None:
    row = {"sourceFieldsToHash": ["a["], "hashType": "MD5", "targetField": "/h"}
    if config == "hash_in_place":
        del row["targetField"]
    with pytest.raises(PreviewError) as raised:
        run_stage("Field Hasher", [{"a": "x"}], **{config: [row]})
    assert f"stage FieldHasher_01: config '{config}' field path 'a[' is not valid" in str(raised.value)


# -- Value Replacer -----------------------------------------------------------------------------


def test_value_replacer_replaces_nulls_with_a_value_of_the_field_type(run_stage: RunStage) -> None:
    record = Record({"qty": None, "name": None, "set": 5}, types={"/qty": "INTEGER"})
    [out] = run_stage(
        "Value Replacer",
        [record],
        replace_null_values=[{"fields": ["/qty", "/name", "/set"], "newValue": "0"}],
    ).records
    assert out.value == {"qty": 0, "name": "0", "set": 5}
    assert out.field_type("/qty") == "INTEGER"


def test_value_replacer_nulls_fields_on_a_condition_and_replaces_compared_values(run_stage: RunStage) -> None:
    result = run_stage(
        "Value Replacer",
        [{"secret": "s", "score": 5, "keep": 1}, {"secret": "t", "score": -1, "keep": 0}],
        fields_to_null=[{"fieldsToNull": ["/secret"], "condition": "${record:value('/keep') == 0}"}],
        conditionally_replace_values=[
            {
                "fieldNames": ["/score"],
                "operator": "LESS_THAN",
                "comparisonValue": "0",
                "replacementValue": "0",
            }
        ],
    )
    assert values(result.records) == [
        {"secret": "s", "score": 5, "keep": 1},
        {"secret": None, "score": 0, "keep": 0},
    ]
    assert result.records[1].field_type("/score") == "INTEGER"


def test_value_replacer_missing_fields_are_value_replacer_01(run_stage: RunStage) -> None:
    result = run_stage("Value Replacer", [{}], replace_null_values=[{"fields": ["/x"], "newValue": "1"}])
    assert [e.error_code for e in result.errors] == ["VALUE_REPLACER_01"]


# -- Field Replacer -----------------------------------------------------------------------------


def test_field_replacer_replaces_with_an_expression_on_the_current_field(run_stage: RunStage) -> None:
    result = run_stage(
        "Field Replacer",
        [{"a": "x", "b": "y", "n": 1}],
        replacement_rules=[
            {"fields": "/*[${f:type() == 'STRING'}]", "replacement": "${str:toUpper(f:value())}"}
        ],
    )
    assert values(result.records) == [{"a": "X", "b": "Y", "n": 1}]


def test_field_replacer_sets_fields_to_null_keeping_their_type(run_stage: RunStage) -> None:
    [record] = run_stage(
        "Field Replacer", [{"n": 1}], replacement_rules=[{"fields": "/n", "setToNull": True}]
    ).records
    assert record["/n"] is None
    assert record.field_type("/n") == "INTEGER"


# -- JSON Parser --------------------------------------------------------------------------------


def test_json_parser_parses_a_string_field_into_a_target(run_stage: RunStage) -> None:
    result = run_stage(
        "JSON Parser", [{"raw": '{"a": [1, 2]}'}], field_to_parse="/raw", target_field="/parsed"
    )
    assert values(result.records) == [{"raw": '{"a": [1, 2]}', "parsed": {"a": [1, 2]}}]


@pytest.mark.parametrize(
    ("record", "code"), [({"raw": "{bad"}, "JSONP_03"), ({}, "JSONP_00"), ({"raw": None}, "JSONP_01")]
)
def test_json_parser_errors(run_stage: RunStage, record: dict[str, Any], code: str) -> None:
    result = run_stage("JSON Parser", [record], field_to_parse="/raw", target_field="/parsed")
    assert [e.error_code for e in result.errors] == [code]


# -- Local FS -----------------------------------------------------------------------------------


def _delimited_files(folder: Path, **config: Any) -> dict[str, str]:
    """What Local FS writes as DELIMITED, one folder per /region: relative file name -> text."""
    flow = (
        Flow("files")
        .source("Dev Raw Data Source")
        .to(
            "Local FS",
            data_format="DELIMITED",
            directory_template=f"{folder}/${{record:value('/region')}}",
            files_prefix="part",
            **config,
        )
        .flow
    )
    records = [
        {"id": 1, "region": "eu", "note": "big, red"},
        {"id": 2, "region": "eu", "note": "small"},
        {"id": 3, "region": "us", "note": "blue"},
    ]
    preview(flow, records=records, write_to_destinations=True)
    return {path.relative_to(folder).as_posix(): path.read_text() for path in sorted(folder.rglob("part-*"))}


def test_local_fs_delimited_with_header_line_starts_each_new_file_with_the_field_names(
    tmp_path: Path,
) -> None:
    assert _delimited_files(tmp_path, header_line="WITH_HEADER") == {
        "eu/part-1": 'id,region,note\n1,eu,"big, red"\n2,eu,small\n',
        "us/part-2": "id,region,note\n3,us,blue\n",
    }


@pytest.mark.parametrize("header_line", ["NO_HEADER", "IGNORE_HEADER", None])
def test_local_fs_delimited_without_header_line_writes_only_the_values(
    tmp_path: Path, header_line: str | None
) -> None:
    config = {} if header_line is None else {"header_line": header_line}
    assert _delimited_files(tmp_path, **config) == {
        "eu/part-1": '1,eu,"big, red"\n2,eu,small\n',
        "us/part-2": "3,us,blue\n",
    }


# -- older stage versions -------------------------------------------------------------------------


def _with_raw_configs(label: str, configs: list[dict[str, Any]], **config: Any) -> Flow:
    """A flow whose stage carries raw configs as an imported older-version export would."""
    path = Flow("old").source("Dev Raw Data Source").to(label, **config)
    path.stage._configs.extend(configs)
    return path.to("Trash").flow


def test_version_1_field_hasher_rows_hash_the_field_text_in_place() -> None:
    flow = _with_raw_configs(
        "Field Hasher",
        [{"name": "fieldHasherConfigs", "value": [{"fieldsToHash": ["/n"], "hashType": "MD5"}]}],
    )
    [record] = preview(flow, records=[{"n": 7}])["FieldHasher_01"].records
    assert record["/n"] == hashlib.md5(b"7").hexdigest()


def test_version_1_field_renamer_rows_rename_literal_paths() -> None:
    flow = _with_raw_configs(
        "Field Renamer",
        [
            {"name": "onStagePreConditionFailure", "value": "CONTINUE"},
            {"name": "overwriteExisting", "value": True},
        ],
    )
    stage = flow.stage("FieldRenamer_01")
    stage.configuration.set_raw(
        stage.definition.resolve("renameMapping"), [{"fromField": "/a.b", "toField": "/c"}]
    )  # type: ignore[union-attr, arg-type]
    result = preview(flow, records=[{"a.b": 1, "c": 0, "aXb": 2}])
    assert values(result["FieldRenamer_01"].records) == [{"aXb": 2, "c": 1}]


def test_a_stage_with_configs_the_runner_does_not_read_is_refused() -> None:
    flow = _with_raw_configs("Field Masker", [{"name": "maskingRulesOfSomeOldVersion", "value": ["/x"]}])
    with pytest.raises(PreviewError) as raised:
        preview(flow, records=[{}])
    assert "stage FieldMasker_01: is a Field Masker of version" in str(raised.value)
    assert "maskingRulesOfSomeOldVersion" in str(raised.value)


# -- Dev Raw Data Source: a row its data format cannot parse ----------------------------------------
# The engine's own test: datacollector-tests stage/configuration/test_dev_raw_data_source_origin.py
# ::test_allow_extra_columns (the message, the expected records and the error code are its own).

_EXTRA_COLUMNS = "column1,column2,column3\nField11,Field12,Field13,Field14,Field15\nField21,Field22,Field23\n"


def _extra_columns(**origin: Any) -> Flow:
    return (
        Flow("extra")
        .source(
            "Dev Raw Data Source",
            raw_data=_EXTRA_COLUMNS,
            data_format="DELIMITED",
            header_line="WITH_HEADER",
            **origin,
        )
        .to("Trash")
        .flow
    )


@pytest.mark.parametrize("allow_extra_columns", [False, True])
def test_a_delimited_row_with_extra_columns_goes_to_error_or_gets_extra_fields(
    allow_extra_columns: bool,
) -> None:
    flow = _extra_columns(stop_after_first_batch=True, allow_extra_columns=allow_extra_columns)
    result = preview(flow)
    output = values(result["DevRawDataSource_01"].records)
    if allow_extra_columns:
        assert output == [
            {
                "column1": "Field11",
                "column2": "Field12",
                "column3": "Field13",
                "_extra_01": "Field14",
                "_extra_02": "Field15",
            },
            {"column1": "Field21", "column2": "Field22", "column3": "Field23"},
        ]
        assert result.error_records == []
    else:
        assert output == [{"column1": "Field21", "column2": "Field22", "column3": "Field23"}]
        [error] = result.error_records
        assert "DELIMITED_PARSER_01" in (error.error_message or "")
        assert error.error_code == "SERVICE_ERROR_001"
        assert error.error_stage == "DevRawDataSource_01"
        # DelimitedCharDataParser keeps the row's columns and the header in the error record.
        assert error.value == {
            "columns": ["Field11", "Field12", "Field13", "Field14", "Field15"],
            "headers": ["column1", "column2", "column3"],
        }


@pytest.mark.parametrize(("on_record_error", "errors"), [("DISCARD", 0), ("TO_ERROR", 1)])
def test_an_unparsable_row_follows_the_origins_on_record_error(on_record_error: str, errors: int) -> None:
    flow = _extra_columns(on_record_error=on_record_error)
    result = preview(flow)
    assert len(result.error_records) == errors
    assert len(result["Trash_01"].input) == 1
    stopping = flow.stages[0]
    stopping.configuration["on_record_error"] = "STOP_PIPELINE"
    with pytest.raises(PreviewError, match="DELIMITED_PARSER_01"):
        preview(flow)

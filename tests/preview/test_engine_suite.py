"""Behaviours the engine's own test suite checks, with the data and results that suite expects.

Each test follows one test of the public ``streamsets/datacollector-tests`` repository (cited in a
comment as ``file::test``): the same Dev Raw Data Source input, the same stage configs, and the
records, values and error codes it asserts. The engine's wiretap is the Trash here.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from decimal import Decimal
from typing import Any

import pytest

from flowbuilder import Flow
from flowbuilder.errors import PreviewError
from flowbuilder.preview import PreviewResult, preview


def _run(
    raw_data: str, *stages: tuple[str, dict[str, Any]], json_content: str = "MULTIPLE_OBJECTS"
) -> PreviewResult:
    """Dev Raw Data Source (JSON) >> each stage in turn >> Trash, as the engine test builds it."""
    path = Flow("engine-suite").source(
        "Dev Raw Data Source", data_format="JSON", json_content=json_content, raw_data=raw_data
    )
    for label, config in stages:
        path = path.to(label, **config)
    return preview(path.to("Trash").flow)


def _output(result: PreviewResult) -> list[Any]:
    return [record.value for record in result["Trash_01"].input]


# -- Field Splitter -------------------------------------------------------------------------------

# The engine test's raw data, an array of three objects.
_SPLITTER_DATA = json.dumps(
    [
        {"error": {"text": "GM-302,information that you might need"}},
        {
            "error": {
                "text": "ME-3042,message about error,additional information from server,"
                "network error,driver error"
            }
        },
        {"error": {"text": "RK-42 there's no separator here"}},
    ]
)


# stage/test_field_splitter_processor.py::test_field_splitter
def test_field_splitter() -> None:
    splitter = {
        "field_for_remaining_splits": "/error/etcMessages",
        "field_to_split": "/error/text",
        "new_split_fields": ["/error/code", "/error/message"],
        "not_enough_splits": "CONTINUE",
        "original_field": "REMOVE",
        "separator": ",",
        "too_many_splits": "TO_LIST",
    }
    result = _run(_SPLITTER_DATA, ("Field Splitter", splitter), json_content="ARRAY_OBJECTS")
    assert [record["error"] for record in _output(result)] == [
        {"code": "GM-302", "message": "information that you might need"},
        {
            "code": "ME-3042",
            "message": "message about error",
            "etcMessages": ["additional information from server", "network error", "driver error"],
        },
        {"code": "RK-42 there's no separator here", "message": None},
    ]


_SPLIT_TO_LIST_DATA = """
        [ { "line": "a b"
          },
          { "line": "a b c"
          },
          { "line": "a"
          },
          { "line": ""
          },
          { "line": " "
          },
          { "line": null
          }
        ]
    """


# stage/test_field_splitter_processor.py::test_field_splitter_split_to_list (only the fields it asserts:
# `/a`, and `/splits_list` or its absence, shown as MISSING)
MISSING = object()


@pytest.mark.parametrize(
    ("split_fields", "a", "splits_list"),
    [
        (["/a"], ["a", "a", "a", "", None, None], [["b"], ["b", "c"], MISSING, MISSING, MISSING, MISSING]),
        ([], [MISSING] * 6, [["a", "b"], ["a", "b", "c"], ["a"], [""], MISSING, MISSING]),
    ],
)
def test_field_splitter_split_to_list(split_fields: list[str], a: list[Any], splits_list: list[Any]) -> None:
    splitter = {
        "field_to_split": "/line",
        "new_split_fields": split_fields,
        "not_enough_splits": "CONTINUE",
        "original_field": "REMOVE",
        "separator": "\\s",
        "too_many_splits": "TO_LIST",
        "field_for_remaining_splits": "/splits_list",
    }
    records = _output(_run(_SPLIT_TO_LIST_DATA, ("Field Splitter", splitter), json_content="ARRAY_OBJECTS"))
    if split_fields:
        assert [record["a"] for record in records] == a
    assert [record.get("splits_list", MISSING) for record in records] == splits_list


# stage/test_field_splitter_processor.py::test_field_splitter_splitting_non_string_field
def test_field_splitter_splitting_non_string_field() -> None:
    splitter = {
        "field_to_split": "/",
        "new_split_fields": ["/a", "/b"],
        "original_field": "KEEP",
        "separator": "\\s",
        "too_many_splits": "TO_LAST_FIELD",
    }
    result = _run('[ { "line": "a b" } ]', ("Field Splitter", splitter), json_content="ARRAY_OBJECTS")
    assert _output(result) == []
    [error] = result.error_records
    assert (error.value, error.error_code) == ({"line": "a b"}, "SPLITTER_04")


# stage/test_field_splitter_processor.py::test_field_splitter_splitting_with_symbol
@pytest.mark.parametrize(
    ("raw_data", "separator"), [('[{"line": "test^test"}]', "\\^"), ('[{"line": "test*test"}]', "\\*")]
)
def test_field_splitter_splitting_with_symbol(raw_data: str, separator: str) -> None:
    splitter = {
        "field_to_split": "/line",
        "new_split_fields": ["/a", "/b"],
        "original_field": "REMOVE",
        "separator": separator,
        "too_many_splits": "TO_LAST_FIELD",
    }
    [record] = _output(_run(raw_data, ("Field Splitter", splitter), json_content="ARRAY_OBJECTS"))
    assert (record["a"], record["b"]) == ("test", "test")


# -- Field Flattener, Field Hasher, Field Merger, Field Remover ------------------------------------

_CONTACT = """
        {
          "contact": {
             "name": "Jane Smith",
             "id": "557",
             "address": {
               "home": {
                 "state": "NC",
                 "zipcode": "27023"
                  }
              }
          }
        }
    """


# stage/test_field_processors.py::test_field_flattener
def test_field_flattener() -> None:
    raw_data = """
        {
          "contact": {
             "name": "Jane Smith",
             "id": "557",
             "address": {
               "home": {
                 "state": "NC",
                 "zipcode": "27023"
                  }
              }
          },
           "newcontact": {
             "address": {}
          }
        }
    """
    flattener = {
        "fields": ["/contact/address"],
        "flatten_in_place": False,
        "target_field": "/newcontact/address",
        "flatten": "SPECIFIC_FIELDS",
        "name_separator": ".",
        "remove_flattened_field": True,
    }
    [record] = _output(_run(raw_data, ("Field Flattener", flattener)))
    assert "address" not in record["contact"]
    assert record["newcontact"]["address"] == {"home.state": "NC", "home.zipcode": "27023"}


# stage/test_field_processors.py::test_field_flattener_all
def test_field_flattener_all() -> None:
    [record] = _output(
        _run(_CONTACT, ("Field Flattener", {"flatten": "ENTIRE_RECORD", "name_separator": "_._"}))
    )
    assert record == {
        "contact_._name": "Jane Smith",
        "contact_._id": "557",
        "contact_._address_._home_._state": "NC",
        "contact_._address_._home_._zipcode": "27023",
    }


# stage/test_field_processors.py::test_field_hasher
def test_field_hasher() -> None:
    raw_data = json.dumps({"contact": {"name": "Jane Smith", "id": "557", "passcode": "mysecretcode"}})
    hash_to_target = [
        {
            "sourceFieldsToHash": ["/contact/passcode"],
            "hashType": kind,
            "targetField": f"/{name}",
            "headerAttribute": name,
        }
        for kind, name in [
            ("MD5", "md5passcode"),
            ("SHA1", "sha1passcode"),
            ("SHA256", "sha256passcode"),
            ("SHA512", "sha512passcode"),
        ]
    ]
    hasher = {
        "hash_in_place": [{"sourceFieldsToHash": ["/contact/id"], "hashType": "MD5"}],
        "hash_to_target": hash_to_target,
        "hash_entire_record": True,
        "hash_type": "MD5",
        "header_attribute": "myrecord",
        "include_record_header": False,
        "target_field": "/myrecord",
    }
    [record] = _run(raw_data, ("Field Hasher", hasher))["Trash_01"].input
    for name in ("sha1passcode", "myrecord", "md5passcode", "sha256passcode", "sha512passcode"):
        assert record.attributes[name] == record[f"/{name}"]
    assert record["/contact/id"] == hashlib.md5(b"557").hexdigest()
    assert record["/md5passcode"] == hashlib.md5(b"mysecretcode").hexdigest()
    assert record["/sha1passcode"] == hashlib.sha1(b"mysecretcode").hexdigest()
    assert record["/sha256passcode"] == hashlib.sha256(b"mysecretcode").hexdigest()
    assert record["/sha512passcode"] == hashlib.sha512(b"mysecretcode").hexdigest()


# stage/test_field_processors.py::test_field_merger
def test_field_merger() -> None:
    raw_data = """
        {
          "contact": {
            "city": "San Juan"
          },
          "dupecontact": {},
          "identity": {
            "name": "Jane Smith",
            "id": "557"
          }
        }
    """
    merger = {
        "fields_to_merge": [
            {"fromField": "/identity", "toField": "/uniqueid"},
            {"fromField": "/contact", "toField": "/dupecontact"},
        ],
        "overwrite_fields": True,
    }
    [record] = _output(_run(raw_data, ("Field Merger", merger)))
    assert len(record["dupecontact"]) > 0
    assert record["uniqueid"] == {"name": "Jane Smith", "id": "557"}


# stage/test_field_processors.py::test_field_remover
def test_field_remover() -> None:
    raw_data = """
        {
            "name": "Jane Smith",
            "id": "557",
            "checknull1": null,
            "checknull2": null,
            "address": {
                "home": {
                    "state": "NC",
                    "zipcode": "27023"
                }
            }
        }
    """
    flow = (
        Flow("engine-suite")
        .source("Dev Raw Data Source", data_format="JSON", raw_data=raw_data)
        .to("Field Remover", fields=["/id", "/name"], action="REMOVE")
        .to("Field Remover", fields=["/checknull1", "/checknull2"], action="REMOVE_NULL")
        .to("Field Remover", fields=["/address/home/zipcode", "/address/home/country"], action="KEEP")
        .to("Trash")
        .flow
    )
    result = preview(flow)
    [remover1] = result["FieldRemover_01"].records
    [remover2] = result["FieldRemover_02"].records
    [remover3] = result["FieldRemover_03"].records
    assert {"name", "id"}.isdisjoint(remover1.value)
    assert {"checknull1", "checknull2"}.isdisjoint(remover2.value)
    assert remover3.value == {"address": {"home": {"zipcode": "27023"}}}


# -- Field Renamer --------------------------------------------------------------------------------


def _renamer(raw_data: str, rows: list[dict[str, str]], **config: str) -> PreviewResult:
    return _run(raw_data, ("Field Renamer", {"fields_to_rename": rows, **config}))


# stage/test_field_renamer_processor.py::test_field_renamer
def test_field_renamer() -> None:
    raw_data = json.dumps({"OPS_name1": "abc1", "OPS_name2": "abc2"})
    [record] = _output(
        _renamer(raw_data, [{"fromFieldExpression": "(.*)OPS_(.*)", "toFieldExpression": "$1$2"}])
    )
    assert record == {"name1": "abc1", "name2": "abc2"}


# stage/test_field_renamer_processor.py::test_field_renamer_uppercasing
def test_field_renamer_uppercasing() -> None:
    raw_data = json.dumps({"first_key": "IPO", "second_key": "StreamSets"})
    rows = [{"fromFieldExpression": "/(.*)", "toFieldExpression": '/${str:toUpper("$1")}'}]
    [record] = _output(_renamer(raw_data, rows))
    assert (record["FIRST_KEY"], record["SECOND_KEY"]) == ("IPO", "StreamSets")


# stage/test_field_renamer_processor.py::test_field_renamer_lowercasing_nested_data
def test_field_renamer_lowercasing_nested_data() -> None:
    raw_data = """{
                 "Name": "Leo",
                 "age": 20,
                 "ADDRESS":{"Home":"XYZ", "Office":"ABC"},
                 "Phone": ["11223344","222114455"],
                 "Hobbies":[{"Reading":{"Books":["B1","B2"]}, "Music":["Jazz","Pop"]},"Travelling"]
               }"""
    rows = [{"fromFieldExpression": "/(.*)", "toFieldExpression": '/${str:toLower("$1")}'}]
    [record] = _output(_renamer(raw_data, rows, target_field_already_exists="REPLACE"))
    assert {"Name", "ADDRESS", "Phone", "Hobbies"}.isdisjoint(record)
    assert record["name"] == "Leo"
    assert record["age"] == 20
    assert record["address"] == {"home": "XYZ", "office": "ABC"}
    assert record["phone"] == ["11223344", "222114455"]
    assert record["hobbies"] == [{"reading": {"books": ["B1", "B2"]}, "music": ["Jazz", "Pop"]}, "Travelling"]


# stage/test_field_renamer_processor.py::test_field_renamer_non_existing_source_field
@pytest.mark.parametrize(
    ("to_field_expression", "source_field_does_not_exist", "target_field_already_exists"),
    [
        ("/alsoNonExisting", "CONTINUE", "TO_ERROR"),
        ("/existing", "CONTINUE", "TO_ERROR"),
        ("/existing", "CONTINUE", "REPLACE"),
        ("/existing", "TO_ERROR", "TO_ERROR"),
    ],
)
def test_field_renamer_non_existing_source_field(
    to_field_expression: str, source_field_does_not_exist: str, target_field_already_exists: str
) -> None:
    result = _renamer(
        '{"name":"Leo"}',
        [{"fromFieldExpression": "/nonExisting", "toFieldExpression": to_field_expression}],
        source_field_does_not_exist=source_field_does_not_exist,
        target_field_already_exists=target_field_already_exists,
        multiple_source_field_matches="TO_ERROR",
    )
    if source_field_does_not_exist == "TO_ERROR" and target_field_already_exists == "TO_ERROR":
        assert (len(_output(result)), len(result.error_records)) == (0, 1)
    else:
        assert (len(_output(result)), len(result.error_records)) == (1, 0)
        assert _output(result)[0]["name"] == "Leo"


# stage/test_field_renamer_processor.py::test_field_renamer_target_field_exist
@pytest.mark.parametrize(
    ("to_field_expression", "target_field_already_exists", "expected"),
    [
        ("/overwrite", "REPLACE", {"overwrite": "foo"}),
        ("/existing", "REPLACE", {"existing": "foo", "overwrite": "bar"}),
        ("/overwrite", "TO_ERROR", None),
        ("/overwrite", "APPEND_NUMBERS", {"overwrite1": "foo", "overwrite": "bar"}),
    ],
)
def test_field_renamer_target_field_exist(
    to_field_expression: str, target_field_already_exists: str, expected: dict[str, str] | None
) -> None:
    result = _renamer(
        '{"existing":"foo", "overwrite":"bar"}',
        [{"fromFieldExpression": "/existing", "toFieldExpression": to_field_expression}],
        source_field_does_not_exist="CONTINUE",
        target_field_already_exists=target_field_already_exists,
        multiple_source_field_matches="TO_ERROR",
    )
    if expected is None:
        assert (len(_output(result)), len(result.error_records)) == (0, 1)
    else:
        [record] = _output(result)
        assert {key: record[key] for key in expected} == expected
        if to_field_expression != "/existing":
            assert "existing" not in record


# stage/test_field_renamer_processor.py::test_field_renamer_multiple_regex_matching_same_field
@pytest.mark.parametrize("multiple_source_field_matches", ["TO_ERROR", "CONTINUE"])
def test_field_renamer_multiple_regex_matching_same_field(multiple_source_field_matches: str) -> None:
    result = _renamer(
        '{"sqlField":"foo"}',
        [
            {"fromFieldExpression": "/sql(.*)", "toFieldExpression": "/sqlRename$1"},
            {"fromFieldExpression": "/s(.*)", "toFieldExpression": "/sRename$1"},
        ],
        source_field_does_not_exist="CONTINUE",
        target_field_already_exists="TO_ERROR",
        multiple_source_field_matches=multiple_source_field_matches,
    )
    if multiple_source_field_matches == "TO_ERROR":
        assert _output(result) == []
        [error] = result.error_records
        assert (error["/sqlField"], error.error_code) == ("foo", "FIELD_RENAMER_03")
        assert "Same fields matched by multiple expressions" in str(error.error_message)
    else:
        [record] = _output(result)
        assert record["sqlField"] == "foo"


# stage/test_field_renamer_processor.py::test_field_renamer_map_field
def test_field_renamer_map_field() -> None:
    rows = [{"fromFieldExpression": "/first", "toFieldExpression": "/second"}]
    config = {"source_field_does_not_exist": "CONTINUE", "target_field_already_exists": "TO_ERROR"}
    [record] = _output(
        _renamer('{"first":{"value":"value"}}', rows, **config, multiple_source_field_matches="TO_ERROR")
    )
    assert record["second"] == {"value": "value"}
    assert "first" not in record


_RENAMER_STRICT = {
    "source_field_does_not_exist": "CONTINUE",
    "target_field_already_exists": "TO_ERROR",
    "multiple_source_field_matches": "TO_ERROR",
}


# stage/test_field_renamer_processor.py::test_field_renamer_different_matches_regex
def test_field_renamer_different_matches_regex() -> None:
    raw_data = """
                  {"#abcd":"hashabcd"}
                  {"ab#cd":"abhashcd"}
                  {"abcd#":"abcdhash"}
                """
    rows = [{"fromFieldExpression": "/'(.*)(#)(.*)'", "toFieldExpression": "/$1hash$3"}]
    records = _output(_renamer(raw_data, rows, **_RENAMER_STRICT))
    assert len(records) == 3
    assert [records[0]["hashabcd"], records[1]["abhashcd"], records[2]["abcdhash"]] == [
        "hashabcd",
        "abhashcd",
        "abcdhash",
    ]


# stage/test_field_renamer_processor.py::test_field_renamer_regex_in_non_complex_type
def test_field_renamer_regex_in_non_complex_type() -> None:
    rows = [{"fromFieldExpression": "/'sql(#)(.*)'", "toFieldExpression": "/sql$2"}]
    [record] = _output(_renamer('{"sql#1":"foo"}', rows, **_RENAMER_STRICT))
    assert record["sql1"] == "foo"
    assert "sql#1" not in record


# stage/test_field_renamer_processor.py::test_field_renamer_regex_in_complex_map_type
def test_field_renamer_regex_in_complex_map_type() -> None:
    raw_data = '{"map1":{"SQL#1":"foo1"}, "map2":{"SQL#2":"foo2"}}'
    rows = [{"fromFieldExpression": "/(*)/'SQL(#)(.*)'", "toFieldExpression": "/$1/SQL$3"}]
    [record] = _output(_renamer(raw_data, rows, **_RENAMER_STRICT))
    assert (record["map1"], record["map2"]) == ({"SQL1": "foo1"}, {"SQL2": "foo2"})


# stage/test_field_renamer_processor.py::test_field_renamer_regex_in_complex_list_type
def test_field_renamer_regex_in_complex_list_type() -> None:
    rows = [{"fromFieldExpression": "/(*)[(*)]/'SQL(#)(.*)'", "toFieldExpression": "/$1[$2]/SQL$4"}]
    [record] = _output(_renamer('{"list":[{"SQL#1":"foo1"},{"SQL#2":"foo2"}]}', rows, **_RENAMER_STRICT))
    assert record["list"] == [{"SQL1": "foo1"}, {"SQL2": "foo2"}]


# stage/test_field_renamer_processor.py::test_field_renamer_category_regex_in_non_complex_type
def test_field_renamer_category_regex_in_non_complex_type() -> None:
    raw_data = """
                  {
                    "a#b":"foo1",
                    "a_b":"foo2",
                    "a&b":"foo3",
                    "a|b":"foo4",
                    "a@b":"foo5"
                  }
                """
    rows = [{"fromFieldExpression": "/'(.*)[#&@|](.*)'", "toFieldExpression": "/$1_$2"}]
    config = {**_RENAMER_STRICT, "target_field_already_exists": "APPEND_NUMBERS"}
    [record] = _output(_renamer(raw_data, rows, **config))
    assert [record[name] for name in ("a_b", "a_b1", "a_b2", "a_b3", "a_b4")] == [
        "foo2",
        "foo1",
        "foo3",
        "foo4",
        "foo5",
    ]


_RENAMER_TO_ERROR = {
    "source_field_does_not_exist": "TO_ERROR",
    "target_field_already_exists": "REPLACE",
    "multiple_source_field_matches": "TO_ERROR",
}


# stage/test_field_renamer_processor.py::test_field_renamer_simple_and_complex_type
def test_field_renamer_simple_and_complex_type() -> None:
    raw_data = """
                  {
                    "existing":"foo",
                    "listOfMaps":[{"existing":"foo"}],
                    "mapOfMaps":{"innerMap":{"existing":"foo"}}
                  }
                """
    rows = [
        {"fromFieldExpression": "/existing", "toFieldExpression": "/nonExisting"},
        {"fromFieldExpression": "/listOfMaps[0]/existing", "toFieldExpression": "/listOfMaps[0]/nonExisting"},
        {"fromFieldExpression": "/mapOfMaps/(*)/existing", "toFieldExpression": "/mapOfMaps/$1/nonExisting"},
    ]
    [record] = _output(_renamer(raw_data, rows, **_RENAMER_TO_ERROR))
    assert record["nonExisting"] == "foo"
    assert record["listOfMaps"] == [{"nonExisting": "foo"}]
    assert record["mapOfMaps"] == {"innerMap": {"nonExisting": "foo"}}
    assert "existing" not in record


# stage/test_field_renamer_processor.py::test_field_renamer_multiple_list_elements_with_const_idx_expr_or_grp
@pytest.mark.parametrize(
    ("from_field_expressions", "to_field_expressions"),
    [
        (
            ["/listOfInts[0]", "/listOfInts[1]", "/listOfInts[2]"],
            ["/nonExisting0", "/nonExisting1", "/nonExisting2"],
        ),
        (["/listOfInts[(0)]", "/listOfInts[(1)]", "/listOfInts[(2)]"], ["/nonExisting$1"] * 3),
    ],
)
def test_field_renamer_multiple_list_elements_with_const_idx_expr_or_grp(
    from_field_expressions: list[str], to_field_expressions: list[str]
) -> None:
    rows = [
        {"fromFieldExpression": source, "toFieldExpression": target}
        for source, target in zip(from_field_expressions, to_field_expressions, strict=True)
    ]
    [record] = _output(_renamer('{"listOfInts":[1, 2, 3]}', rows, **_RENAMER_TO_ERROR))
    assert record["listOfInts"] == []
    assert [record[f"nonExisting{index}"] for index in range(3)] == [1, 2, 3]


# stage/test_field_renamer_processor.py::test_field_renamer_multiple_list_elements_with_regex_grp_expr
def test_field_renamer_multiple_list_elements_with_regex_grp_expr() -> None:
    rows = [{"fromFieldExpression": "/listOfInts[(*)]", "toFieldExpression": "/nonExisting$1"}]
    [record] = _output(_renamer('{"listOfInts":[1, 2, 3]}', rows, **_RENAMER_TO_ERROR))
    assert record["listOfInts"] == []
    assert [record[f"nonExisting{index}"] for index in range(3)] == [1, 2, 3]


# stage/test_field_renamer_processor.py::test_field_renamer_multiple_map_elements_expr
def test_field_renamer_multiple_map_elements_expr() -> None:
    raw_data = """
                  {
                    "oe1":{"ie1":"ie1","ie2":"ie2","ie3":"ie3"},
                    "oe2":{"ie1":"ie1","ie2":"ie2","ie3":"ie3"},
                    "oe3":{"ie1":"ie1","ie2":"ie2","ie3":"ie3"}
                  }
                """
    rows = [
        {"fromFieldExpression": f"/{name}/(*)", "toFieldExpression": f"/{name}/irename_$1"}
        for name in ("oe1", "oe2", "oe3")
    ]
    [record] = _output(_renamer(raw_data, rows, **_RENAMER_TO_ERROR))
    renamed = {"irename_ie1": "ie1", "irename_ie2": "ie2", "irename_ie3": "ie3"}
    assert (record["oe1"], record["oe2"], record["oe3"]) == (renamed, renamed, renamed)


# stage/test_field_renamer_processor.py::test_field_renamer_unreachable_fields
def test_field_renamer_unreachable_fields() -> None:
    rows = [{"fromFieldExpression": "/a", "toFieldExpression": "/b/c/d"}]
    result = _renamer('{"a":123}', rows, **_RENAMER_TO_ERROR)
    assert _output(result) == []
    [error] = result.error_records
    assert (error["/a"], error.error_code) == (123, "FIELD_RENAMER_04")
    assert "Cannot set value in field" in str(error.error_message)


_RENAMER_REPLACE = {
    "source_field_does_not_exist": "CONTINUE",
    "target_field_already_exists": "REPLACE",
    "multiple_source_field_matches": "TO_ERROR",
}


# stage/test_field_renamer_processor.py::test_field_renamer_source_with_quoted_substring
def test_field_renamer_source_with_quoted_substring() -> None:
    rows = [{"fromFieldExpression": "/'attr|OrderNum'", "toFieldExpression": "/theOrderNum"}]
    [record] = _output(_renamer('{"attr|OrderNum":"foo"}', rows, **_RENAMER_REPLACE))
    assert record["theOrderNum"] == "foo"
    assert {"'attr|OrderNum'", "attr|OrderNum"}.isdisjoint(record)


# stage/test_field_renamer_processor.py::test_field_renamer_name_with_slash
def test_field_renamer_name_with_slash() -> None:
    rows = [{"fromFieldExpression": "/(.*)", "toFieldExpression": "/moved_$1"}]
    [record] = _output(_renamer('{"a/b":"foo"}', rows, **_RENAMER_REPLACE))
    assert record["moved_a/b"] == "foo"
    assert "a/b" not in record


# -- Field Type Converter -------------------------------------------------------------------------

# The engine test computes this with strftime('%s') on an engine running in UTC.
_UTC_DATETIME_STR = "1978-01-05 19:38:01"
_UTC_DATETIME_IN_INT = int(dt.datetime(1978, 1, 5, 19, 38, 1, tzinfo=dt.timezone.utc).timestamp()) * 1000
_RAW_STR_VALUE = "hello again!"
_BY_FIELD = [
    {"fields": ["/amInteger"], "targetType": "BYTE", "dataLocale": "en,US"},
    {"fields": ["/amDouble"], "targetType": "INTEGER", "dataLocale": "en,US"},
    {"fields": ["/amString"], "targetType": "CHAR"},
    {"fields": ["/amBool"], "targetType": "BOOLEAN"},
    {"fields": ["/amDateTime"], "targetType": "DATETIME", "dateFormat": "YYYY_MM_DD_HH_MM_SS"},
    {"fields": ["/amString2"], "targetType": "BYTE_ARRAY"},
    {"fields": ["/amZonedDateTime"], "targetType": "ZONED_DATETIME"},
]
_BY_TYPE = [
    {
        "sourceType": "BYTE",
        "targetType": "DECIMAL",
        "dataLocale": "en,US",
        "scale": -1,
        "decimalScaleRoundingStrategy": "ROUND_UNNECESSARY",
    },
    {"sourceType": "INTEGER", "targetType": "SHORT", "dataLocale": "en,US"},
    {"sourceType": "CHAR", "targetType": "STRING", "treatInputFieldAsDate": False},
    {"sourceType": "BOOLEAN", "targetType": "STRING", "treatInputFieldAsDate": False, "encoding": "UTF-8"},
    {
        "sourceType": "DATETIME",
        "targetType": "LONG",
        "treatInputFieldAsDate": True,
        "dateFormat": "YYYY_MM_DD_HH_MM_SS",
        "encoding": "UTF-8",
        "dataLocale": "en,US",
    },
    {"sourceType": "BYTE_ARRAY", "targetType": "STRING", "treatInputFieldAsDate": False, "encoding": "UTF-8"},
    {"sourceType": "ZONED_DATETIME", "targetType": "STRING", "encoding": "UTF-8"},
]
_CONVERTER_RECORDS = json.dumps(
    [
        {"amInteger": 123},
        {"amDouble": 12345.6789115},
        {"amString": "hello"},
        {"amBool": True},
        {"amDateTime": _UTC_DATETIME_STR},
        {"amString2": _RAW_STR_VALUE},
        {"amZonedDateTime": None},
    ]
)
_NAMES = ["amInteger", "amDouble", "amString", "amBool", "amDateTime", "amString2", "amZonedDateTime"]


def _by_field(configs: list[dict[str, Any]]) -> tuple[str, dict[str, Any]]:
    return (
        "Field Type Converter",
        {"conversion_method": "BY_FIELD", "field_type_converter_configs": configs},
    )


def _by_type(configs: list[dict[str, Any]]) -> tuple[str, dict[str, Any]]:
    return ("Field Type Converter", {"conversion_method": "BY_TYPE", "whole_type_converter_configs": configs})


# stage/test_field_type_converter_processor.py::test_field_type_converter_by_field_type
def test_field_type_converter_by_field_type() -> None:
    records = _run(_CONVERTER_RECORDS, _by_field(_BY_FIELD), json_content="ARRAY_OBJECTS")["Trash_01"].input
    assert [record.field_type(f"/{name}") for record, name in zip(records, _NAMES, strict=True)] == [
        "BYTE",
        "INTEGER",
        "CHAR",
        "BOOLEAN",
        "DATETIME",
        "BYTE_ARRAY",
        "ZONED_DATETIME",
    ]
    assert int(records[4]["/amDateTime"].timestamp() * 1000) == _UTC_DATETIME_IN_INT
    assert records[5]["/amString2"] == _RAW_STR_VALUE.encode()


# stage/test_field_type_converter_processor.py::test_field_type_converter_by_data_type
def test_field_type_converter_by_data_type() -> None:
    result = _run(_CONVERTER_RECORDS, _by_field(_BY_FIELD), _by_type(_BY_TYPE), json_content="ARRAY_OBJECTS")
    records = result["Trash_01"].input
    assert [record.field_type(f"/{name}") for record, name in zip(records, _NAMES, strict=True)] == [
        "DECIMAL",
        "SHORT",
        "STRING",
        "STRING",
        "LONG",
        "STRING",
        "STRING",
    ]
    assert int(records[4]["/amDateTime"]) == _UTC_DATETIME_IN_INT
    assert records[5]["/amString2"] == _RAW_STR_VALUE


# stage/test_field_type_converter_processor.py::test_field_type_converter_long_decimals
def test_field_type_converter_long_decimals() -> None:
    decimal_str_val = "11235813213455.55342113853211"
    raw_data = json.dumps([{"largeDecimal": decimal_str_val}])
    assert (
        _run(raw_data, json_content="ARRAY_OBJECTS")["Trash_01"].input[0].field_type("/largeDecimal")
        == "STRING"
    )
    config = {
        "fields": ["/largeDecimal"],
        "targetType": "DECIMAL",
        "dataLocale": "en,US",
        "scale": -1,
        "decimalScaleRoundingStrategy": "ROUND_UNNECESSARY",
    }
    [record] = _run(raw_data, _by_field([config]), json_content="ARRAY_OBJECTS")["Trash_01"].input
    assert record.field_type("/largeDecimal") == "DECIMAL"
    assert record["/largeDecimal"] == Decimal(decimal_str_val)


# stage/test_field_type_converter_processor.py::test_field_type_converter_decimal_headers
def test_field_type_converter_decimal_headers() -> None:
    raw_data = json.dumps({"decimalAsString": "1125.3211", "decimalAsNumber": 1125.3211})
    configs = [
        {
            "fields": [path],
            "targetType": "DECIMAL",
            "dataLocale": "en,US",
            "scale": -1,
            "decimalScaleRoundingStrategy": "ROUND_UNNECESSARY",
        }
        for path in ("/decimalAsString", "/decimalAsNumber")
    ]
    [record] = _run(raw_data, _by_field(configs))["Trash_01"].input
    for path in ("/decimalAsString", "/decimalAsNumber"):
        field = record.field(path)
        assert field is not None
        assert (field.type, field.value) == ("DECIMAL", Decimal("1125.3211"))
        assert field.attributes is not None
        assert (field.attributes["scale"], field.attributes["precision"]) == ("4", "8")


# stage/test_field_type_converter_processor.py::test_field_type_converter_trim, but for /time and /date:
# the engine's TIME and DATE fields keep the whole date-time (1978-01-05 19:38:01) where preview keeps
# only the time or the date, and for the zone name of /zonedDatetime (docs/testing.md lists both).
def test_field_type_converter_trim() -> None:
    raw_data = json.dumps(
        [
            {
                "short": " 123 ",
                "long": " 123 ",
                "integer": " 123 ",
                "float": " 123.5 ",
                "double": " 123.5 ",
                "decimal": " 123.5 ",
                "zonedDatetime": " 2011-12-03T10:15:30+01:00[Europe/Paris] ",
                "datetime": " 1978-01-05 19:38:01 ",
                "time": "1978-01-05 19:38:01 ",
                "date": " 1978-01-05 19:38:01 ",
                "boolean": " true ",
            }
        ]
    )
    configs = [
        {"fields": ["/short"], "targetType": "SHORT"},
        {"fields": ["/long"], "targetType": "LONG"},
        {"fields": ["/integer"], "targetType": "INTEGER"},
        {"fields": ["/float"], "targetType": "FLOAT"},
        {"fields": ["/double"], "targetType": "DOUBLE"},
        {
            "fields": ["/decimal"],
            "targetType": "DECIMAL",
            "scale": -1,
            "decimalScaleRoundingStrategy": "ROUND_UNNECESSARY",
        },
        {"fields": ["/zonedDatetime"], "targetType": "ZONED_DATETIME"},
        {"fields": ["/time"], "targetType": "TIME", "dateFormat": "YYYY_MM_DD_HH_MM_SS"},
        {"fields": ["/datetime"], "targetType": "DATETIME", "dateFormat": "YYYY_MM_DD_HH_MM_SS"},
        {"fields": ["/date"], "targetType": "DATE", "dateFormat": "YYYY_MM_DD_HH_MM_SS"},
        {"fields": ["/boolean"], "targetType": "BOOLEAN"},
    ]
    [record] = _run(raw_data, _by_field(configs), json_content="ARRAY_OBJECTS")["Trash_01"].input
    moment = dt.datetime(1978, 1, 5, 19, 38, 1)
    expected = {
        "short": ("SHORT", 123),
        "long": ("LONG", 123),
        "integer": ("INTEGER", 123),
        "float": ("FLOAT", 123.5),
        "double": ("DOUBLE", 123.5),
        "decimal": ("DECIMAL", 123.5),
        "datetime": ("DATETIME", moment),
        "boolean": ("BOOLEAN", True),
    }
    for name, (kind, value) in expected.items():
        got = record[f"/{name}"]
        if isinstance(got, dt.datetime):
            got = got.replace(tzinfo=None)
        assert (record.field_type(f"/{name}"), got) == (kind, value), name
    assert record.field_type("/zonedDatetime") == "ZONED_DATETIME"
    # The engine shows 2011-12-03T10:15:30+01:00[Europe/Paris]; preview keeps the moment and the offset,
    # not the zone's name.
    zoned = record["/zonedDatetime"]
    assert (zoned, zoned.utcoffset()) == (
        dt.datetime.fromisoformat("2011-12-03T10:15:30+01:00"),
        dt.timedelta(hours=1),
    )


_CONVERTER_TYPES = [
    "CHAR",
    "BYTE",
    "SHORT",
    "INTEGER",
    "LONG",
    "FLOAT",
    "DOUBLE",
    "DECIMAL",
    "DATE",
    "TIME",
    "DATETIME",
    "ZONED_DATETIME",
]


# stage/test_field_type_converter_processor.py::test_field_type_converter_parse_errors
@pytest.mark.parametrize(
    ("value", "target_type"),
    [
        ("r", "SHORT"),
        ("r", "INTEGER"),
        ("r", "LONG"),
        ("r", "FLOAT"),
        ("r", "DOUBLE"),
        ("r", "DECIMAL"),
        ("r", "DATE"),
        ("r", "TIME"),
        ("99:99:99", "TIME"),
        ("r", "DATETIME"),
        ("r", "ZONED_DATETIME"),
    ],
)
def test_field_type_converter_parse_errors(value: str, target_type: str) -> None:
    config = {
        "fields": ["/value"],
        "targetType": target_type,
        "dataLocale": "en,US",
        "scale": -1,
        "decimalScaleRoundingStrategy": "ROUND_UNNECESSARY",
        "dateFormat": "YYYY_MM_DD",
        "zonedDateTimeFormat": "ISO_ZONED_DATE_TIME",
        "encoding": "UTF-8",
    }
    result = _run(json.dumps([{"value": value}]), _by_field([config]), json_content="ARRAY_OBJECTS")
    assert _output(result) == []
    assert [error.error_code for error in result.error_records] == ["CONVERTER_00"]


def _empty_config(target_type: str, input_field_empty: str | None, **selector: Any) -> dict[str, Any]:
    config = {
        **selector,
        "targetType": target_type,
        "dataLocale": "en,US",
        "scale": -1,
        "decimalScaleRoundingStrategy": "ROUND_UNNECESSARY",
        "dateFormat": "YYYY_MM_DD_HH_MM_SS",
        "encoding": "UTF-8",
    }
    if input_field_empty is not None:
        config["inputFieldEmpty"] = input_field_empty
    return config


_EMPTY_BY_TYPE = json.dumps([{"empty": "", "list": [""]}, ""])
_EMPTY_BY_FIELD = json.dumps([{"value": ""}])


# stage/test_field_type_converter_processor.py::test_field_type_converter_source_empty_error_by_type
@pytest.mark.parametrize("target_type", _CONVERTER_TYPES)
def test_field_type_converter_source_empty_error_by_type(target_type: str) -> None:
    config = _empty_config(target_type, None, sourceType="STRING")
    result = _run(_EMPTY_BY_TYPE, _by_type([config]), json_content="ARRAY_OBJECTS")
    assert _output(result) == []
    assert [error.error_code for error in result.error_records] == ["CONVERTER_00"] * 2


# stage/test_field_type_converter_processor.py::test_field_type_converter_source_empty_null_by_type
@pytest.mark.parametrize("target_type", _CONVERTER_TYPES)
def test_field_type_converter_source_empty_null_by_type(target_type: str) -> None:
    config = _empty_config(target_type, "NULL", sourceType="STRING")
    result = _run(_EMPTY_BY_TYPE, _by_type([config]), json_content="ARRAY_OBJECTS")
    assert result.error_records == []
    first, second = result["Trash_01"].input
    assert (first.field_type("/empty"), first["/empty"]) == (target_type, None)
    assert (first.field_type("/list[0]"), first["/list"]) == (target_type, [None])
    assert (second.field_type("/"), second.value) == (target_type, None)


# stage/test_field_type_converter_processor.py::test_field_type_converter_source_empty_delete_by_type
@pytest.mark.parametrize("target_type", _CONVERTER_TYPES)
def test_field_type_converter_source_empty_delete_by_type(target_type: str) -> None:
    config = _empty_config(target_type, "DELETE", sourceType="STRING")
    result = _run(_EMPTY_BY_TYPE, _by_type([config]), json_content="ARRAY_OBJECTS")
    assert result.error_records == []
    [record] = _output(result)
    assert "empty" not in record
    assert record["list"] == []


# stage/test_field_type_converter_processor.py::test_field_type_converter_source_empty_ignore_by_type
@pytest.mark.parametrize("target_type", _CONVERTER_TYPES)
def test_field_type_converter_source_empty_ignore_by_type(target_type: str) -> None:
    config = _empty_config(target_type, "IGNORE", sourceType="STRING")
    result = _run(_EMPTY_BY_TYPE, _by_type([config]), json_content="ARRAY_OBJECTS")
    assert result.error_records == []
    first, second = result["Trash_01"].input
    assert (first.field_type("/empty"), first["/empty"]) == ("STRING", "")
    assert (first.field_type("/list[0]"), first["/list"]) == ("STRING", [""])
    assert (second.field_type("/"), second.value) == ("STRING", "")


# stage/test_field_type_converter_processor.py::test_field_type_converter_source_empty_error_by_field
@pytest.mark.parametrize("target_type", _CONVERTER_TYPES)
def test_field_type_converter_source_empty_error_by_field(target_type: str) -> None:
    config = _empty_config(target_type, None, fields=["/value"])
    result = _run(_EMPTY_BY_FIELD, _by_field([config]), json_content="ARRAY_OBJECTS")
    assert _output(result) == []
    assert [error.error_code for error in result.error_records] == ["CONVERTER_00"]


# stage/test_field_type_converter_processor.py::test_field_type_converter_source_empty_null_by_field
# stage/test_field_type_converter_processor.py::test_field_type_converter_source_empty_delete_by_field
# stage/test_field_type_converter_processor.py::test_field_type_converter_source_empty_ignore_by_field
@pytest.mark.parametrize("target_type", _CONVERTER_TYPES)
@pytest.mark.parametrize(
    ("input_field_empty", "expected"),
    [("NULL", "target"), ("DELETE", "deleted"), ("IGNORE", "STRING")],
)
def test_field_type_converter_source_empty_by_field(
    target_type: str, input_field_empty: str, expected: str
) -> None:
    config = _empty_config(target_type, input_field_empty, fields=["/value"])
    result = _run(_EMPTY_BY_FIELD, _by_field([config]), json_content="ARRAY_OBJECTS")
    assert result.error_records == []
    [record] = result["Trash_01"].input
    if expected == "deleted":
        assert "value" not in record.value
    elif expected == "target":
        assert (record.field_type("/value"), record["/value"]) == (target_type, None)
    else:
        assert (record.field_type("/value"), record["/value"]) == ("STRING", "")


# stage/test_field_type_converter_processor.py::test_field_type_converter_unix_timestamp (with a fixed
# timestamp where the engine test takes the time of the run)
def test_field_type_converter_unix_timestamp() -> None:
    timestamp_in_milliseconds = 1700000000123
    timestamp_in_seconds = int(timestamp_in_milliseconds / 1000)
    raw_data = json.dumps(
        [
            {
                "timestamp_in_milliseconds": timestamp_in_milliseconds,
                "string_timestamp_in_milliseconds": str(timestamp_in_milliseconds),
                "timestamp_in_seconds": timestamp_in_seconds,
                "string_timestamp_in_seconds": str(timestamp_in_seconds),
            }
        ]
    )
    configs = [
        {
            "fields": ["/timestamp_in_milliseconds", "/string_timestamp_in_milliseconds"],
            "targetType": "DATETIME",
            "dateFormat": "UNIX_TIMESTAMP_IN_MILLISECONDS",
        },
        {
            "fields": ["/timestamp_in_seconds", "/string_timestamp_in_seconds"],
            "targetType": "DATETIME",
            "dateFormat": "UNIX_TIMESTAMP_IN_SECONDS",
        },
    ]
    [record] = _run(raw_data, _by_field(configs), json_content="ARRAY_OBJECTS")["Trash_01"].input
    for_milliseconds = dt.datetime.fromtimestamp(timestamp_in_milliseconds / 1000.0, dt.timezone.utc)
    for_seconds = dt.datetime.fromtimestamp(timestamp_in_seconds, dt.timezone.utc)
    for name, value in {
        "timestamp_in_milliseconds": for_milliseconds,
        "string_timestamp_in_milliseconds": for_milliseconds,
        "timestamp_in_seconds": for_seconds,
        "string_timestamp_in_seconds": for_seconds,
    }.items():
        assert (record.field_type(f"/{name}"), record[f"/{name}"]) == ("DATETIME", value), name


# stage/test_field_type_converter_processor.py::test_field_type_converter_field_attributes
def test_field_type_converter_field_attributes() -> None:
    raw_data = json.dumps(
        [
            {
                "amInteger": 123,
                "amDouble": 12345.6789115,
                "amString": "hello",
                "amBool": True,
                "amDateTime": _UTC_DATETIME_STR,
                "amString2": _RAW_STR_VALUE,
                "amZonedDateTime": None,
            }
        ]
    )
    attributes = [
        {"fieldToSet": f"/{name}", "attributeToSet": name, "fieldAttributeExpression": f'${{"{name}"}}'}
        for name in _NAMES
    ]
    result = _run(
        raw_data,
        ("Expression Evaluator", {"field_attribute_expressions": attributes}),
        _by_field(_BY_FIELD),
        _by_type(_BY_TYPE),
        json_content="ARRAY_OBJECTS",
    )
    [record] = result["Trash_01"].input
    assert [record.field_type(f"/{name}") for name in _NAMES] == [
        "DECIMAL",
        "SHORT",
        "STRING",
        "STRING",
        "LONG",
        "STRING",
        "STRING",
    ]
    assert int(record["/amDateTime"]) == _UTC_DATETIME_IN_INT
    assert record["/amString2"] == _RAW_STR_VALUE

    def field_attributes(name: str) -> dict[str, str]:
        field = record.field(f"/{name}")
        assert field is not None
        return field.attributes or {}

    assert field_attributes("amInteger")["amInteger"] == "amInteger"
    for name in ("amDouble", "amString", "amBool", "amDateTime", "amString2"):
        assert field_attributes(name) == {name: name}


# -- Field Replacer -------------------------------------------------------------------------------


# stage/test_field_replacer_processor.py::test_field_replacer
def test_field_replacer() -> None:
    winners = [
        {"ssn": "111-11-1111", "year": "2010", "ranking": "3", "statistics": "NA"},
        {"ssn": "111-22-1111", "year": "2011", "ranking": "2", "statistics": "2-3-3"},
        {"ssn": "111-33-1111", "year": "2012", "ranking": "1", "statistics": "not_available"},
    ]
    rules = [
        {"setToNull": False, "fields": "/ssn", "replacement": "XXX-XX-XXXX"},
        {"setToNull": True, "fields": "/ranking"},
        {"setToNull": True, "fields": '/*[${f:value() == "NA" || f:value() == "not_available"}]'},
    ]
    raw_data = "".join(json.dumps(winner) for winner in winners)
    records = _output(_run(raw_data, ("Field Replacer", {"replacement_rules": rules})))
    for winner in winners:
        winner["ssn"] = "XXX-XX-XXXX"
        winner["ranking"] = None  # type: ignore[assignment]
        if winner["statistics"] in ("NA", "not_available"):
            winner["statistics"] = None  # type: ignore[assignment]
    assert records == winners


# stage/test_field_replacer_processor.py::test_field_replacer_self_referencing_expression
def test_field_replacer_self_referencing_expression() -> None:
    rules = [{"setToNull": False, "fields": "/new", "replacement": '${record:value("/")}'}]
    [record] = _run('{"key": "value"}', ("Field Replacer", {"replacement_rules": rules}))["Trash_01"].input
    assert record["/new/key"] == "value"


# stage/test_field_replacer_processor.py::test_field_replacer_field_path_expressions
def test_field_replacer_field_path_expressions() -> None:
    rules = [
        {"setToNull": False, "fields": '/*[${f:type() == "STRING"}]', "replacement": "prefix_${f:value()}"}
    ]
    records = _output(
        _run(json.dumps({"a": "a", "b": "b", "c": 1}), ("Field Replacer", {"replacement_rules": rules}))
    )
    assert records == [{"a": "prefix_a", "b": "prefix_b", "c": 1}]


# stage/test_field_replacer_processor.py::test_field_replacer_field_expression_empty_to_error
def test_field_replacer_field_expression_empty_to_error() -> None:
    rules = [{"setToNull": False, "fields": '/*[${f:value() == "SORRY NOT HERE"}]', "replacement": "static"}]
    config = {"replacement_rules": rules, "field_does_not_exist": "TO_ERROR"}
    result = _run(json.dumps({}), ("Field Replacer", config))
    assert (len(_output(result)), len(result.error_records)) == (0, 1)


# -- JSON Parser ----------------------------------------------------------------------------------


def _text_source(raw_data: str, *stages: tuple[str, dict[str, Any]]) -> PreviewResult:
    path = Flow("engine-suite").source("Dev Raw Data Source", data_format="TEXT", raw_data=raw_data)
    for label, config in stages:
        path = path.to(label, **config)
    return preview(path.to("Trash").flow)


# stage/test_json_parser_processor.py::test_json_parser
@pytest.mark.parametrize(
    "raw_data",
    [
        '"A\\u0001\\r\\n\\u000C B\\r\\n C"',
        '["A\\u0001\\r\\n\\u000C B\\r\\n C", "Second Item"]',
        '{ "content" : "A\\u0001\\r\\n\\u000C B\\r\\n C" }',
    ],
)
@pytest.mark.parametrize("target_field", ["result", "text"])
def test_json_parser(raw_data: str, target_field: str) -> None:
    config = {
        "field_to_parse": "/text",
        "ignore_control_characters": True,
        "target_field": f"/{target_field}",
    }
    [record] = _output(_text_source(raw_data, ("JSON Parser", config)))
    assert record[target_field] == json.loads(raw_data.encode("ascii", "ignore").decode())


# stage/test_json_parser_processor.py::test_json_parser_input_error
def test_json_parser_input_error() -> None:
    result = _text_source('{ "A" }', ("JSON Parser", {"field_to_parse": "/text", "target_field": "result"}))
    assert result.error_records[0].error_code == "JSONP_03"


# stage/test_json_parser_processor.py::test_field_types
@pytest.mark.parametrize(
    ("field_type", "value", "date_format", "error_code"),
    [
        ("BOOLEAN", '{"json": true}', "", None),
        ("CHAR", '{"json": "A"}', "", "JSONP_03"),
        ("BYTE", '{"json": 1}', "", None),
        ("SHORT", '{"json": 2}', "", None),
        ("INTEGER", '{"json": 3}', "", None),
        ("LONG", '{"json": 4}', "", None),
        ("FLOAT", '{"json": 5.6}', "", None),
        ("DOUBLE", '{"json": 7.8}', "", None),
        ("DECIMAL", '{"json": 9}', "", None),
        ("STRING", '{"json": "{invalid_json"}', "", "JSONP_03"),
        ("DATE", '{"json": "2020-01-01"}', "yyyy-MM-dd", "JSONP_03"),
        ("TIME", '{"json": "00:00:00.000"}', "HH:mm:ss.SSS", "JSONP_03"),
        ("DATETIME", '{"json": "2020-01-01 00:00:00.000"}', "yyyy-MM-dd HH:mm:ss.SSS", "JSONP_03"),
        ("ZONED_DATETIME", '{"json": "2020-01-01 00:00:00.000Z"}', "yyyy-MM-dd HH:mm:ss.SSSX", "JSONP_03"),
        ("BYTE_ARRAY", '{"json": "{}"}', "", "API_03"),
        ("MAP", '{"json": {}}', None, "API_16"),
        ("LIST", '{"json": []}', None, "API_13"),
    ],
)
def test_field_types(field_type: str, value: str, date_format: str | None, error_code: str | None) -> None:
    stages: list[tuple[str, dict[str, Any]]] = []
    if date_format is not None:
        converter = {
            "fields": ["/json"],
            "targetType": field_type,
            "treatInputFieldAsDate": False,
            "dataLocale": "en,US",
            "scale": -1,
            "decimalScaleRoundingStrategy": "ROUND_UNNECESSARY",
            "dateFormat": "OTHER",
            "zonedDateTimeFormat": "OTHER",
            "encoding": "UTF-8",
            "otherDateFormat": date_format,
            "otherZonedDateTimeFormat": date_format,
            "zonedDateTimeTargetTimeZone": "UTC",
        }
        stages.append(_by_field([converter]))
    stages.append(("JSON Parser", {"field_to_parse": "/json", "target_field": "/json"}))
    result = _run(value, *stages)
    if error_code is None:
        assert result.error_records == []
        [record] = _output(result)
        assert record["json"] == json.loads(value)["json"]
    else:
        assert _output(result) == []
        [error] = result.error_records
        assert error_code in str(error.error_message)


# -- Record Deduplicator --------------------------------------------------------------------------

_DEDUPLICATOR_DATA = [
    {"name": "Jean-Luc Picard", "rank": "Captain"},
    {"name": "Will Riker", "rank": "#1"},
    {"name": "Data", "rank": "Commander"},
    {"name": "Geordie LaForge", "rank": "Commander"},
    {"name": "Wesley Crusher", "rank": "Shut Up"},
]
_EXTRA_RIKER = [{"name": "Will Riker", "rank": "First Officer"}]
_EXTRA_WESLEY = [{"name": "Wesley Crusher", "rank": "Shut Up"}]


def _deduplicate(**config: Any) -> tuple[list[Any], list[Any]]:
    raw_data = json.dumps(_DEDUPLICATOR_DATA + _EXTRA_RIKER + _EXTRA_WESLEY)
    deduplicator = (
        Flow("engine-suite")
        .source("Dev Raw Data Source", data_format="JSON", json_content="ARRAY_OBJECTS", raw_data=raw_data)
        .to("Record Deduplicator", **config)
    )
    deduplicator.output(0).to("Trash")
    deduplicator.output(1).to("Trash")
    result = preview(deduplicator.flow)
    return _output_of(result, "Trash_01"), _output_of(result, "Trash_02")


def _output_of(result: PreviewResult, stage: str) -> list[Any]:
    return [record.value for record in result[stage].input]


# stage/test_record_deduplicator_processor.py::test_record_deduplicator_all_fields
def test_record_deduplicator_all_fields() -> None:
    assert _deduplicate() == (_DEDUPLICATOR_DATA + _EXTRA_RIKER, _EXTRA_WESLEY)


# stage/test_record_deduplicator_processor.py::test_record_deduplicator_single_field
def test_record_deduplicator_single_field() -> None:
    unique, duplicates = _deduplicate(compare="SPECIFIED_FIELDS", fields_to_compare=["/name"])
    assert (unique, duplicates) == (_DEDUPLICATOR_DATA, _EXTRA_RIKER + _EXTRA_WESLEY)


# -- stage/configuration tests (one behaviour per config) -----------------------------------------


# stage/configuration/test_field_replacer_processor.py::test_field_does_not_exist, the engine before
# 5.3 (the catalog's Field Replacer has CONTINUE and TO_ERROR, and no ADD_FIELD)
@pytest.mark.parametrize("field_does_not_exist", ["CONTINUE", "TO_ERROR"])
def test_field_replacer_field_does_not_exist(field_does_not_exist: str) -> None:
    data = {"name": "Al Gore", "birthplace": "Washington, D.C."}
    rules = [{"setToNull": False, "fields": "/age", "replacement": "60"}]
    config = {"replacement_rules": rules, "field_does_not_exist": field_does_not_exist}
    result = _run(json.dumps(data), ("Field Replacer", config))
    if field_does_not_exist == "TO_ERROR":
        assert (_output(result), [error.value for error in result.error_records]) == ([], [data])
    else:
        assert (_output(result), result.error_records) == ([{**data, "age": "60"}], [])


# stage/configuration/test_field_replacer_processor.py::test_on_record_error
@pytest.mark.parametrize("on_record_error", ["DISCARD", "STOP_PIPELINE", "TO_ERROR"])
def test_field_replacer_on_record_error(on_record_error: str) -> None:
    data = {"name": "Al Gore", "birthplace": "Washington, D.C."}
    config = {
        "replacement_rules": [{"setToNull": False, "fields": "/age"}],
        "field_does_not_exist": "TO_ERROR",
        "on_record_error": on_record_error,
    }
    stage = ("Field Replacer", config)
    if on_record_error == "STOP_PIPELINE":
        with pytest.raises(PreviewError, match="FIELD_REPLACER_00"):
            _run(json.dumps(data), stage)
        return
    result = _run(json.dumps(data), stage)
    assert _output(result) == []
    assert [error.value for error in result.error_records] == (
        [data] if on_record_error == "TO_ERROR" else []
    )


# stage/configuration/test_field_replacer_processor.py::test_preconditions
@pytest.mark.parametrize("precondition_field_present", [True, False])
def test_field_replacer_preconditions(precondition_field_present: bool) -> None:
    data: dict[str, Any] = {"name": "Al Gore", "birthplace": "Washington, D.C."}
    if precondition_field_present:
        data["age"] = 60
    config = {"replacement_rules": [], "preconditions": ['${record:value("/age") != NULL}']}
    result = _run(json.dumps(data), ("Field Replacer", config))
    errors = [error.value for error in result.error_records]
    assert (_output(result), errors) == (([data], []) if precondition_field_present else ([], [data]))


# stage/configuration/test_field_replacer_processor.py::test_replacement_rules
@pytest.mark.parametrize(
    ("rule", "expected"),
    [
        ({"setToNull": True, "fields": "/birthplace"}, {"name": "Al Gore", "birthplace": None}),
        (
            {"setToNull": False, "fields": "/birthplace", "replacement": "Houston"},
            {"name": "Al Gore", "birthplace": "Houston"},
        ),
    ],
)
def test_field_replacer_replacement_rules(rule: dict[str, Any], expected: dict[str, Any]) -> None:
    data = {"name": "Al Gore", "birthplace": "Washington, D.C."}
    assert _output(_run(json.dumps(data), ("Field Replacer", {"replacement_rules": [rule]}))) == [expected]


# stage/configuration/test_field_replacer_processor.py::test_required_fields
@pytest.mark.parametrize("required_field_present", [True, False])
def test_field_replacer_required_fields(required_field_present: bool) -> None:
    data: dict[str, Any] = {"name": "Al Gore", "birthplace": "Washington, D.C."}
    if required_field_present:
        data["age"] = 60
    result = _run(
        json.dumps(data), ("Field Replacer", {"replacement_rules": [], "required_fields": ["/age"]})
    )
    errors = [error.value for error in result.error_records]
    assert (_output(result), errors) == (([data], []) if required_field_present else ([], [data]))


_AL_GORE = {
    "name": "Al Gore",
    "birthplace": "Washington, D.C.",
    "winningYears": None,
    "internetPatents": "",
    "age": 42,
    "experience": 5.5,
}
_ALL_FIELDS = ["/name", "/birthplace", "/winningYears", "/internetPatents", "/age", "/experience"]


# stage/configuration/test_field_remover_processor.py::test_action (and ::test_fields, which runs its
# REMOVE case)
@pytest.mark.parametrize(
    ("action", "removed"),
    [
        ("KEEP", ["birthplace", "winningYears", "internetPatents", "age", "experience"]),
        ("REMOVE", ["name"]),
        ("REMOVE_CONSTANT", ["name"]),
        ("REMOVE_EMPTY", ["internetPatents"]),
        ("REMOVE_NULL", ["winningYears"]),
        ("REMOVE_NULL_EMPTY", ["winningYears", "internetPatents"]),
    ],
)
def test_field_remover_action(action: str, removed: list[str]) -> None:
    config: dict[str, Any] = {
        "action": action,
        "fields": ["/name"] if action in ("KEEP", "REMOVE") else _ALL_FIELDS,
    }
    if action == "REMOVE_CONSTANT":
        config["constant"] = "Al Gore"
    [record] = _output(_run(json.dumps(_AL_GORE), ("Field Remover", config)))
    assert record == {key: value for key, value in _AL_GORE.items() if key not in removed}


# stage/configuration/test_field_remover_processor.py::test_constant_with_non_strings_values
@pytest.mark.parametrize(("constant", "removed"), [("42", "age"), ("5.5", "experience")])
def test_field_remover_constant_with_non_strings_values(constant: str, removed: str) -> None:
    config = {"action": "REMOVE_CONSTANT", "fields": _ALL_FIELDS, "constant": constant}
    [record] = _output(_run(json.dumps(_AL_GORE), ("Field Remover", config)))
    assert record == {key: value for key, value in _AL_GORE.items() if key != removed}


# stage/configuration/test_stream_selector_processor.py::test_condition
def test_stream_selector_condition() -> None:
    data = [
        {"name": "Al Gore", "birthplace": "Washington, D.C."},
        {"name": "George W. Bush", "birthplace": "New Haven, CT"},
    ]
    selector = (
        Flow("engine-suite")
        .source(
            "Dev Raw Data Source", data_format="JSON", json_content="ARRAY_OBJECTS", raw_data=json.dumps(data)
        )
        .to("Stream Selector")
    )
    selector.when('${record:value("/name") == "Al Gore"}').to("Dev Identity").to("Trash")
    flow = selector.otherwise().to("Dev Identity").to("Trash").flow
    result = preview(flow)
    assert (_output_of(result, "Trash_01"), _output_of(result, "Trash_02")) == ([data[0]], [data[1]])


# stage/configuration/test_field_splitter_processor.py::test_field_to_split
def test_field_splitter_field_to_split() -> None:
    config = {
        "field_to_split": "/name",
        "new_split_fields": ["/fieldSplit1", "/fieldSplit2"],
        "separator": "[ ]",
    }
    records = _output(
        _run(json.dumps({"name": "Al Gore", "birthplace": "Washington, D.C."}), ("Field Splitter", config))
    )
    assert records == [{"fieldSplit1": "Al", "fieldSplit2": "Gore", "birthplace": "Washington, D.C."}]


# stage/configuration/test_field_splitter_processor.py::test_not_enough_splits
@pytest.mark.parametrize("not_enough_splits", ["CONTINUE", "TO_ERROR"])
def test_field_splitter_not_enough_splits(not_enough_splits: str) -> None:
    config = {
        "field_to_split": "/line",
        "new_split_fields": ["/a", "/b"],
        "not_enough_splits": not_enough_splits,
        "original_field": "KEEP",
        "separator": "\\s",
        "too_many_splits": "TO_LAST_FIELD",
    }
    result = _run(_SPLIT_TO_LIST_DATA, ("Field Splitter", config), json_content="ARRAY_OBJECTS")
    records = _output(result)
    assert records[:2] == [{"line": "a b", "a": "a", "b": "b"}, {"line": "a b c", "a": "a", "b": "b c"}]
    if not_enough_splits == "CONTINUE":
        assert records[2:] == [
            {"line": "a", "a": "a", "b": None},
            {"line": "", "a": "", "b": None},
            {"line": " ", "a": "", "b": ""},
            {"line": None, "a": None, "b": None},
        ]
        assert result.error_records == []
    else:
        assert (len(records), len(result.error_records)) == (3, 3)


# stage/configuration/test_field_splitter_processor.py::test_original_field
@pytest.mark.parametrize("original_field", ["KEEP", "REMOVE"])
def test_field_splitter_original_field(original_field: str) -> None:
    config = {
        "field_to_split": "/line",
        "new_split_fields": ["/a", "/b"],
        "original_field": original_field,
        "separator": "\\s",
        "too_many_splits": "TO_LAST_FIELD",
    }
    [record] = _output(
        _run('[ { "line": "a b" } ]', ("Field Splitter", config), json_content="ARRAY_OBJECTS")
    )
    assert (record["a"], record["b"]) == ("a", "b")
    if original_field == "KEEP":
        assert record["line"] == "a b"
    else:
        assert "line" not in record


# stage/configuration/test_field_renamer_processor.py::test_fields_to_rename
def test_field_renamer_fields_to_rename() -> None:
    rows = [{"fromFieldExpression": "/name", "toFieldExpression": "/internetInventor"}]
    records = _output(_renamer(json.dumps({"name": "Al Gore", "birthplace": "Washington, D.C."}), rows))
    assert records == [{"internetInventor": "Al Gore", "birthplace": "Washington, D.C."}]


_JSON_PARSER_ON_RECORD_ERROR_DATA = """
        [
          { "json": "{\\"a\\":\\"A\\"}" },
          { "json": null },
          { "json": "{" },
          { "json": "" }
        ]
    """


# stage/configuration/test_json_parser_processor.py::test_on_record_error
@pytest.mark.parametrize("on_record_error", ["DISCARD", "STOP_PIPELINE", "TO_ERROR"])
def test_json_parser_on_record_error(on_record_error: str) -> None:
    config = {
        "field_to_parse": "/json",
        "target_field": "/parsed",
        "ignore_control_characters": False,
        "on_record_error": on_record_error,
    }
    stage = ("JSON Parser", config)
    if on_record_error == "STOP_PIPELINE":
        with pytest.raises(PreviewError, match="JSONP_01"):
            _run(_JSON_PARSER_ON_RECORD_ERROR_DATA, stage, json_content="ARRAY_OBJECTS")
        return
    result = _run(_JSON_PARSER_ON_RECORD_ERROR_DATA, stage, json_content="ARRAY_OBJECTS")
    assert _output(result) == [{"json": '{"a":"A"}', "parsed": {"a": "A"}}, {"json": ""}]
    errors = [error.value["json"] for error in result.error_records]
    assert errors == ([None, "{"] if on_record_error == "TO_ERROR" else [])


# pipeline/test_els.py::test_str_unescape_and_replace_el
def test_str_unescape_and_replace_el() -> None:
    source = Flow("engine-suite").source(
        "Dev Raw Data Source",
        data_format="TEXT",
        raw_data="here\nis\tsome\ndata",
        use_custom_delimiter=True,
        custom_delimiter="^^^",
    )
    source.to("Trash")
    expressions = [
        {
            "fieldToSet": "/transformed",
            "expression": '${str:replace(record:value("/text"), str:unescapeJava("\\\\n"), "<NEWLINE>")}',
        },
        {
            "fieldToSet": "/transformed2",
            "expression": '${str:replace(record:value("/transformed"), str:unescapeJava("\\\\t"), "<TAB>")}',
        },
    ]
    flow = source.to("Expression Evaluator", field_expressions=expressions).to("Trash").flow
    result = preview(flow)
    input_records, output_records = _output_of(result, "Trash_01"), _output_of(result, "Trash_02")
    assert len(output_records) == len(input_records)
    assert input_records[0]["text"] == "here\nis\tsome\ndata"
    assert output_records[0]["text"] == "here\nis\tsome\ndata"
    assert output_records[0]["transformed"] == "here<NEWLINE>is\tsome<NEWLINE>data"
    assert output_records[0]["transformed2"] == "here<NEWLINE>is<TAB>some<NEWLINE>data"

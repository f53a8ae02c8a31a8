"""Behaviours the engine's own test suite checks, with the data and results that suite expects.

Each test follows one test of the public ``streamsets/datacollector-tests`` repository (cited in a
comment as ``file::test``): the same Dev Raw Data Source input, the same stage configs, and the
records, values and error codes it asserts. The engine's wiretap is the Trash here.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

import pytest

from flowbuilder import Flow
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

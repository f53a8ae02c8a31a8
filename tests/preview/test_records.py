"""Records, typed fields and the engine's field-path syntax."""

from __future__ import annotations

import contextlib
import datetime as dt
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from flowbuilder.errors import FlowbuilderError, PreviewError
from flowbuilder.preview import Record, _java, _paths
from flowbuilder.preview._fields import Field


def test_record_reads_fields_with_engine_paths() -> None:
    record = Record({"a": {"b": [1, {"c": "x"}]}, "key with space": 1, "it's": 2})
    assert record["/a/b[0]"] == 1
    assert record["/a/b[1]/c"] == "x"
    assert record["/'key with space'"] == 1
    assert record['/"key with space"'] == 1
    assert record["/'it\\'s'"] == 2
    assert record["/"] == record.value == record[""]


def test_missing_field_error_suggests_the_closest_path() -> None:
    record = Record({"amount": 1})
    with pytest.raises(PreviewError, match="Did you mean '/amount'"):
        record["/amout"]
    assert record.get("/amout", "default") == "default"
    assert "/amount" in record
    assert "/amout" not in record


def test_json_like_values_get_the_engine_json_parser_types() -> None:
    record = Record(
        {
            "i": 1,
            "l": 2**40,
            "d": 1.5,
            "s": "x",
            "b": True,
            "n": None,
            "m": {},
            "list": [],
            "dec": Decimal("1.2"),
        }
    )
    types = {path: record.field_type(path) for path in record.paths}
    assert types == {
        "/i": "INTEGER",
        "/l": "LONG",
        "/d": "DOUBLE",
        "/s": "STRING",
        "/b": "BOOLEAN",
        "/n": "STRING",
        "/m": "LIST_MAP",
        "/list": "LIST",
        "/dec": "DECIMAL",
    }
    assert record.field_type("/") == "LIST_MAP"
    assert record.field_type("/missing") is None


def test_copies_are_independent() -> None:
    original = Record({"a": {"b": 1}}, attributes={"x": "1"})
    copy = original.copy()
    _paths.set_field(copy.root, "/a/b", Field("INTEGER", 2))
    copy._attributes["x"] = "2"
    assert original["/a/b"] == 1
    assert original.attributes == {"x": "1"}
    assert copy != original


def test_records_compare_by_typed_value_and_attributes() -> None:
    assert Record({"a": 1}) == Record({"a": 1})
    assert Record({"a": 1}) != Record({"a": 1.0})
    assert Record({"a": 1}, attributes={"k": "v"}) != Record({"a": 1})


def test_set_creates_only_the_last_element_like_the_engine() -> None:
    root = Field.from_python({"a": {}, "list": [1]})
    assert _paths.set_field(root, "/a/new", Field("STRING", "x"))
    assert _paths.set_field(root, "/list[1]", Field("INTEGER", 2))
    assert not _paths.set_field(root, "/list[5]", Field("INTEGER", 9))
    assert not _paths.set_field(root, "/missing/child", Field("STRING", "x"))
    assert root.to_python() == {"a": {"new": "x"}, "list": [1, 2]}


def test_wildcards_match_every_key_and_index() -> None:
    root = Field.from_python({"a": {"x": 1, "y": 2}, "l": [{"v": 1}, {"v": 2}]})
    assert _paths.match(root, "/a/*") == ["/a/x", "/a/y"]
    assert _paths.match(root, "/l[*]/v") == ["/l[0]/v", "/l[1]/v"]
    assert _paths.match(root, "/nothing/*") == []


@pytest.mark.parametrize("path", ["a", "/a[", "/a[x]", "/'open", "/a//b", "/a]"])
def test_malformed_paths_are_rejected_with_the_position(path: str) -> None:
    with pytest.raises(PreviewError, match="is not valid at position"):
        _paths.parse(path)


@pytest.mark.parametrize("path", [5, None, ["a"], {"a": 1}], ids=["int", "none", "list", "dict"])
def test_a_path_that_is_not_text_is_a_preview_error(path: object) -> None:
    with pytest.raises(PreviewError, match="field path must be a string; got"):
        Record({"a": 1}).field(path)  # type: ignore[arg-type]


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=40))
def test_any_path_text_parses_or_raises_a_flowbuilder_error(text: str) -> None:
    with contextlib.suppress(FlowbuilderError):
        _paths.get(Field.from_python({"a": [1]}), text)


@given(st.text(min_size=1, max_size=20))
def test_escaped_names_read_back_as_the_same_key(name: str) -> None:
    root = Field.from_python({name: 1})
    assert _paths.get(root, _paths.escape_name(name)) == Field("INTEGER", 1)


@pytest.mark.parametrize(
    ("value", "text"),
    [(1.0, "1.0"), (100.0, "100.0"), (1e7, "1.0E7"), (1.25e-4, "1.25E-4"), (0.001, "0.001"), (-2.5, "-2.5")],
)
def test_doubles_print_as_java_does(value: float, text: str) -> None:
    assert _java.double_to_string(value) == text


def test_dates_format_and_parse_with_java_patterns() -> None:
    moment = dt.datetime(2024, 1, 2, 3, 4, 5, 6000, tzinfo=dt.timezone.utc)
    assert _java.format_date(moment, "yyyy-MM-dd'T'HH:mm:ss.SSS") == "2024-01-02T03:04:05.006"
    assert _java.parse_date("02-01-2024", "dd-MM-yyyy") == dt.datetime(2024, 1, 2, tzinfo=dt.timezone.utc)
    assert _java.date_to_string(moment) == "Tue Jan 02 03:04:05 UTC 2024"

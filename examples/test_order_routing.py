"""Unit tests for the order routing flow: run them with ``pytest examples/``.

The flowbuilder pytest plugin is loaded automatically; ``preview`` runs the flow in-process,
so no engine is needed.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest
from order_routing import build

from flowbuilder.preview import PreviewResult, preview
from flowbuilder.testing import assert_records, assert_valid, record_with

SAMPLE_ORDERS = [
    {"id": "o-1", "qty": "2", "price": "60.00", "country": "fr"},  # total 120.00: a big order
    {"id": "o-2", "qty": "1", "price": "9.99", "country": "us"},  # total 9.99
    {"qty": "1", "price": "5.00"},  # no id: required field missing
    {"id": "o-4", "qty": "0", "price": "5.00"},  # zero quantity: precondition fails
    {"id": "o-5", "qty": "two", "price": "5.00"},  # not a number: conversion fails
]


@pytest.fixture
def result() -> PreviewResult:
    fixed = dt.datetime(2024, 1, 1, tzinfo=dt.timezone.utc)
    return preview(build(), records=SAMPLE_ORDERS, clock=lambda: fixed)


def test_the_flow_is_valid() -> None:
    assert_valid(build())


def test_big_orders_are_priced_and_routed_to_their_own_files(result: PreviewResult) -> None:
    assert_records(
        result["LocalFS_01"].input,
        [
            record_with(
                {"/id": "o-1", "/total": Decimal("120.00"), "/country": "FR"}, attributes={"route": "FR"}
            )
        ],
    )


def test_other_orders_go_to_the_default_files(result: PreviewResult) -> None:
    assert_records(result["LocalFS_02"].input, [record_with({"/id": "o-2", "/total": Decimal("9.99")})])


def test_quantities_become_integers_and_prices_two_place_decimals(result: PreviewResult) -> None:
    first = result["FieldTypeConverter_01"].records[0]
    assert (first.field_type("/qty"), first.field_type("/price")) == ("INTEGER", "DECIMAL")
    assert first["/price"] == Decimal("60.00")


def test_bad_orders_reach_the_error_stage_as_they_arrived(result: PreviewResult) -> None:
    assert_records(
        result.error_records,
        [
            record_with(value={"qty": "1", "price": "5.00"}, error_code="CONTAINER_0050"),
            record_with(value={"id": "o-5", "qty": "two", "price": "5.00"}, error_code="CONVERTER_00"),
            record_with(value={"id": "o-4", "qty": "0", "price": "5.00"}, error_code="CONTAINER_0051"),
        ],
    )


def test_the_output_directory_is_a_parameter(tmp_path: Path) -> None:
    flow = build()
    preview(
        flow, records=SAMPLE_ORDERS[:2], parameters={"OUTPUT_DIR": str(tmp_path)}, write_to_destinations=True
    )
    assert (tmp_path / "big" / "big-1").read_text().count("\n") == 1
    assert (tmp_path / "other" / "other-1").read_text().count("\n") == 1

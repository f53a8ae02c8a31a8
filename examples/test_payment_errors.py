"""Tests for the payments flow with flowbuilder's pytest plugin: run them with ``pytest examples/``.

The plugin is loaded automatically with flowbuilder. It gives the fixtures ``flow_project`` (a
fresh local project) and ``flow_server`` (a project behind a real ``flowbuilder serve``), and
the assertions used below. Refresh the snapshot after an intended change with
``pytest examples/test_payment_errors.py --flowbuilder-update-snapshots``.
"""

from __future__ import annotations

from pathlib import Path

from payment_errors import SAMPLE_PAYMENTS, flow

from flowbuilder import Project
from flowbuilder.preview import preview
from flowbuilder.testing import assert_matches_snapshot, assert_records, assert_valid, record_with

# In a hidden folder, so that "flowbuilder apply examples" does not take it for a second flow.
SNAPSHOT = Path(__file__).parent / ".snapshots" / "payments.json"


def test_the_flow_is_valid_without_warnings() -> None:
    assert_valid(flow, warnings=True)


def test_the_compiled_flow_matches_its_reviewed_snapshot() -> None:
    assert_matches_snapshot(flow, SNAPSHOT)


def test_good_payments_are_priced() -> None:
    written = preview(flow, records=SAMPLE_PAYMENTS)["LocalFS_01"].input
    assert_records(written, [record_with({"/id": "p-1", "/currency": "EUR"}, types={"/amount": "DECIMAL"})])


def test_failed_payments_reach_the_error_stage_without_their_card_numbers() -> None:
    result = preview(flow, records=SAMPLE_PAYMENTS)
    assert_records(
        result.error_records,
        [
            record_with(
                value={"id": "p-2", "amount": "twelve", "currency": "USD"},
                error_code="CONVERTER_00",
                error_stage="FieldTypeConverter_01",
            ),
            record_with({"/id": "p-3", "/currency": "GBP"}, error_code="CONTAINER_0051"),
        ],
    )


def _store_and_read_back(project: Project) -> None:
    stored = project.create_flow(
        name=flow.name, environment=project.environments.get(name="local"), flow=flow
    )
    again = project.flows.get(flow_id=stored.flow_id)
    assert again.configuration["error_record_policy"] == "STAGE_RECORD"
    assert again.error_stage is not None
    assert again.error_stage.configuration["directory"] == "/data/errors/payments"
    assert again.to_dict() == stored.to_dict()


def test_the_policy_and_error_stage_survive_the_local_store(flow_project: Project) -> None:
    _store_and_read_back(flow_project)


def test_the_policy_and_error_stage_survive_flowbuilder_serve(flow_server: Project) -> None:
    _store_and_read_back(flow_server)

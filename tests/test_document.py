"""The pipeline document's facts: special-stage roles, walking its stages, and the one secret rule."""

from __future__ import annotations

import json
from typing import Any

from flowbuilder import Flow
from flowbuilder._document import (
    ROLES,
    SECRET_MASK,
    document_stages,
    mask_secrets,
)
from flowbuilder.catalog import Catalog


def test_mask_secrets_hides_credentials_and_keeps_everything_else() -> None:
    flow = Flow("db").source("JDBC Query Consumer", password="s3cr3t", username="me").to("Trash").flow
    definition = flow.to_dict()
    masked = mask_secrets(definition, flow.catalog)
    values = {c["name"]: c["value"] for c in masked["stages"][0]["configuration"]}
    originals = {c["name"]: c["value"] for c in definition["stages"][0]["configuration"]}
    credentials = {"hikariConfigBean.connection.password", "hikariConfigBean.connection.username"}
    assert {name: values[name] for name in credentials} == dict.fromkeys(credentials, SECRET_MASK)
    assert {k: v for k, v in values.items() if k not in credentials} == {
        k: v for k, v in originals.items() if k not in credentials
    }
    assert "s3cr3t" not in json.dumps(masked)


def test_mask_secrets_hides_credentials_of_the_error_and_lifecycle_stages_too() -> None:
    flow = Flow("x").source("Dev Raw Data Source", data_format="JSON").to("Trash").flow
    flow.set_error_stage("Write to Kafka", keystore_password="error-s3cr3t")
    flow.set_start_event_stage("JDBC Query", password="start-s3cr3t")
    flow.set_stop_event_stage("JDBC Query", password="stop-s3cr3t")
    definition = flow.to_dict()
    masked = mask_secrets(definition, flow.catalog)

    def entries(document: dict[str, Any]) -> dict[tuple[str, int, str], Any]:
        slots = {
            "errorStage": [document["errorStage"]],
            **{k: document[k] for k in ("startEventStages", "stopEventStages")},
        }
        return {
            (slot, index, entry["name"]): entry["value"]
            for slot, stages in slots.items()
            for index, stage in enumerate(stages)
            for entry in stage["configuration"]
        }

    before, after = entries(definition), entries(masked)
    changed = {key: before[key] for key in before if after[key] != before[key]}
    assert sorted(changed.values()) == ["error-s3cr3t", "start-s3cr3t", "stop-s3cr3t"]
    assert {after[key] for key in changed} == {SECRET_MASK}
    assert "s3cr3t" not in json.dumps(masked)


def test_secrets_in_list_rows_are_masked_and_the_rest_of_each_row_kept() -> None:
    flow = Flow("rows").source("HTTP Server", data_format="JSON").to("Trash").flow
    server = flow.stage("HTTPServer_01")
    server.configuration["basic_authentication_users"] = [{"username": "ada", "password": "row-s3cr3t"}]
    server.configuration["list_of_application_ids"] = [{"credential": "app-s3cr3t"}]
    definition = flow.to_dict()
    text = json.dumps(definition)
    assert "row-s3cr3t" in text
    masked = mask_secrets(definition, flow.catalog)
    users = next(c for c in masked["stages"][0]["configuration"] if c["name"] == "httpConfigs.basicAuthUsers")
    assert users["value"] == [{"username": "ada", "password": SECRET_MASK}]  # the row's user stays
    assert "s3cr3t" not in json.dumps(masked)
    blanked = mask_secrets(definition, flow.catalog, replacement="")
    assert "s3cr3t" not in json.dumps(blanked)


def test_configs_of_unknown_stages_are_secrets_when_named_like_one() -> None:
    definition = Flow("x").source("Dev Raw Data Source").to("Trash").flow.to_dict()
    definition["stages"][1]["stageName"] = "com_example_Unknown"
    definition["stages"][1]["configuration"] = [
        {"name": "conf.apiKey", "value": "k-s3cr3t"},
        {"name": "conf.host", "value": "example.com"},
    ]
    masked = mask_secrets(definition, Catalog.default())
    assert masked["stages"][1]["configuration"] == [
        {"name": "conf.apiKey", "value": SECRET_MASK},
        {"name": "conf.host", "value": "example.com"},
    ]


def test_every_role_has_its_slot_config_and_suffix_and_the_walk_finds_each() -> None:
    flow = Flow("x").source("Dev Raw Data Source").to("Trash").flow
    flow.set_start_event_stage("Shell")
    flow.set_stop_event_stage("Shell")
    flow.set_test_origin_stage("Dev Raw Data Source")
    document = flow.to_dict()
    found = [(raw["instanceName"], role) for raw, role in document_stages(document)]
    assert found[:2] == [("DevRawDataSource_01", None), ("Trash_01", None)]
    wanted = {"error", "start", "stop", "test_origin"} | ({"stats"} if flow.stats_aggregator_stage else set())
    assert {role for _, role in found[2:]} == wanted
    configs = {c["name"] for c in document["configuration"]}
    for name, role in found[2:]:
        assert role is not None
        assert name.endswith(ROLES[role].suffix)
        assert ROLES[role].config in configs

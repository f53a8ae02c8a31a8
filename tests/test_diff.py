"""The diff engine: what changed between two pipeline definitions, as plan and snapshots say it."""

from __future__ import annotations

import json

from flowbuilder import Flow
from flowbuilder.diff import diff_definitions


def test_a_changed_config_is_shown_by_its_python_name_with_both_values() -> None:
    before = Flow("o").source("Dev Raw Data Source").to("Local FS", directory_template="/a").flow.to_dict()
    after = Flow("o").source("Dev Raw Data Source").to("Local FS", directory_template="/b").flow.to_dict()
    diff = diff_definitions(before, after)
    assert diff.lines() == ["~ stage LocalFS_01 (Local FS)", '    directory_template: "/a" -> "/b"']
    assert not diff_definitions(after, after)


def test_a_secret_stays_hidden_when_its_stage_becomes_one_the_catalog_does_not_know() -> None:
    stored = Flow("s3").source("Amazon S3", access_key_id="AKIA-OLD-zq").to("Trash").flow.to_dict()
    wanted = json.loads(json.dumps(stored))
    stage = wanted["stages"][0]
    stage["stageName"] = "com_example_CustomS3"  # same instance, now a stage the catalog lacks
    for entry in stage["configuration"]:
        if entry["name"].endswith("awsAccessKeyId"):
            entry["value"] = "AKIA-NEW-zq"
    diff = diff_definitions(stored, wanted)
    assert "    s3ConfigBean.s3Config.connection.awsConfig.awsAccessKeyId: (secret changed)" in diff.lines()
    assert "zq" not in "\n".join(diff.lines()) + json.dumps(diff.to_dict())
    # Removed from the wanted side, the stored value is no more shown than a changed one.
    stage["configuration"] = [e for e in stage["configuration"] if not e["name"].endswith("awsAccessKeyId")]
    assert "zq" not in "\n".join(diff_definitions(stored, wanted).lines())

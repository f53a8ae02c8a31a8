"""Every file in examples/ runs, does what its docstring says, and has an up-to-date diagram.

The pytest files among the examples (``examples/test_*.py``) are collected by pytest itself:
``examples`` is one of the ``testpaths``.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import runpy
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from flowbuilder import Flow, Project
from flowbuilder.preview import preview
from flowbuilder.render import to_dot
from flowbuilder.testing import assert_valid
from scripts.build_gallery import draw_svg

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"
SKIP_DIRS = {"__pycache__", ".mypy_cache", ".flowbuilder"}


def _example_files() -> list[Path]:
    return sorted(
        path
        for path in EXAMPLES.rglob("*.py")
        if not SKIP_DIRS & set(path.relative_to(EXAMPLES).parts)
        and not path.name.startswith("test_")
        and path.name != "conftest.py"
    )


def _script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("build_examples", ROOT / "scripts" / "build_examples.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _run_main(path: Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    """Run an example as a user does, ``python examples/<file>.py``, from ``cwd``."""
    environment = {k: v for k, v in os.environ.items() if not k.startswith("FLOWBUILDER_")}
    return subprocess.run(
        [sys.executable, str(path)], cwd=cwd, capture_output=True, text=True, timeout=120, env=environment
    )


def _load(name: str) -> dict[str, Any]:
    sys.path.insert(0, str(EXAMPLES))
    try:
        return runpy.run_path(str(EXAMPLES / f"{name}.py"), run_name=f"example_{name}")
    finally:
        sys.path.remove(str(EXAMPLES))


@pytest.fixture
def scratch(tmp_path: Path) -> Iterator[Path]:
    cwd = os.getcwd()
    os.chdir(tmp_path)
    try:
        yield tmp_path
    finally:
        os.chdir(cwd)


# -- every example -------------------------------------------------------------------------------


def test_there_are_at_least_eight_examples_and_a_pytest_one() -> None:
    top = list(EXAMPLES.glob("*.py"))
    assert len([p for p in top if not p.name.startswith(("test_", "conftest"))]) >= 7
    assert [p for p in top if p.name.startswith("test_")]
    testpaths = re.search(r"^testpaths = \[(.*)\]$", (ROOT / "pyproject.toml").read_text(), re.M)
    assert testpaths is not None
    assert '"examples"' in testpaths[1]


@pytest.mark.parametrize("path", _example_files(), ids=lambda p: str(p.relative_to(EXAMPLES)))
def test_example_runs_as_a_script(path: Path, tmp_path: Path) -> None:
    done = _run_main(path, tmp_path)
    assert done.returncode == 0, done.stderr


@pytest.mark.parametrize("path", _script().example_files(), ids=lambda p: p.name)
def test_example_flow_is_valid(path: Path) -> None:
    assert_valid(_script().example_flow(path))


def test_example_diagrams_are_up_to_date() -> None:
    assert _script().stale() == [], "run: python scripts/build_examples.py"


@pytest.mark.needs_dot
def test_an_example_diagram_drawn_from_another_flow_is_stale(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    script = _script()
    diagrams = tmp_path / "docs" / "examples"
    shutil.copytree(script.DIAGRAMS, diagrams)
    monkeypatch.setattr(script, "ROOT", tmp_path)
    monkeypatch.setattr(script, "DIAGRAMS", diagrams)
    other = to_dot(script.example_flow(EXAMPLES / "payment_errors.py"))
    (diagrams / "order_routing.svg").write_text(draw_svg(other), encoding="utf-8")
    (diagrams / "nightly_export.svg").unlink()
    assert script.stale() == [
        "docs/examples/nightly_export.svg was not drawn from the flow of nightly_export.py",
        "docs/examples/order_routing.svg was not drawn from the flow of order_routing.py",
    ]


def test_examples_page_shows_every_diagram() -> None:
    page = (ROOT / "docs" / "examples.md").read_text(encoding="utf-8")
    for path in _script().example_files():
        assert f"](examples/{path.stem}.svg)" in page, path.name
        assert f'--8<-- "examples/{path.name}"' in page, path.name


# -- the seed page -------------------------------------------------------------------------------


def test_seed_walk_stores_the_flow_and_leaves_no_duplicate_on_a_second_run(tmp_path: Path) -> None:
    script = EXAMPLES / "seed_flows.py"
    first, second = _run_main(script, tmp_path), _run_main(script, tmp_path)
    assert first.returncode == second.returncode == 0, first.stderr + second.stderr
    assert "delete:    <Response [204]>" in first.stdout
    with Project.local(tmp_path / ".flowbuilder") as project:
        stored = [flow.name for flow in project.flows]
        assert stored == ["My first flow"]
        flow = project.flows.get(name="My first flow")
        assert flow.configuration["error_record_policy"] == "STAGE_RECORD"
        assert flow.configuration["retry_pipeline_on_error"] is False
        assert flow.error_stage is not None
        assert flow.error_stage.configuration["directory"] == "/data/errors/orders"
        assert [s.instance_name for s in flow.stages] == [
            "DevRawDataSource_01",
            "ExpressionEvaluator_01",
            "LocalFS_01",
        ]


# -- events to executors -------------------------------------------------------------------------


def test_nightly_export_hands_each_closed_file_to_the_shell_executor(tmp_path: Path) -> None:
    done = _run_main(EXAMPLES / "nightly_export.py", tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[-1] == "Shell_01 receives file-closed for customers-1"
    example = _load("nightly_export")
    flow: Flow = example["flow"]
    lanes = {(u, v, kind) for u, v, kind in flow.graph.edges(data="kind")}
    assert ("LocalFS_01", "Shell_01", "event") in lanes
    assert ("JDBCQueryConsumer_01", "PipelineFinisherExecutor_01", "event") in lanes


def test_nightly_export_database_password_comes_from_the_environment_and_is_never_shown(
    tmp_path: Path,
) -> None:
    secret = "pa55-not-in-any-output"
    environment = {**os.environ, "SHOP_DB_USER": "exporter", "SHOP_DB_PASSWORD": secret}
    command = [sys.executable, "-m", "flowbuilder.cli", "compile", str(EXAMPLES / "nightly_export.py")]
    shown = subprocess.run(command, capture_output=True, text=True, env=environment, timeout=120)
    assert shown.returncode == 0, shown.stderr
    assert secret not in shown.stdout + shown.stderr
    written = subprocess.run(
        [*command, "-o", str(tmp_path / "out.json")],
        capture_output=True,
        text=True,
        env=environment,
        timeout=120,
    )
    assert written.returncode == 0, written.stderr
    configs = {
        c["name"]: c["value"]
        for stage in json.loads((tmp_path / "out.json").read_text())["stages"]
        if stage["instanceName"] == "JDBCQueryConsumer_01"
        for c in stage["configuration"]
    }
    assert (
        configs["hikariConfigBean.connection.password"] == secret
    )  # the file itself is what the engine needs
    dot = str(tmp_path / "export.dot")
    drawn = subprocess.run(
        [sys.executable, "-m", "flowbuilder.cli", "render", str(EXAMPLES / "nightly_export.py"), "-o", dot],
        capture_output=True,
        text=True,
        env=environment,
        timeout=120,
    )
    assert drawn.returncode == 0, drawn.stderr
    assert secret not in Path(dot).read_text()


# -- error records -------------------------------------------------------------------------------


def test_payment_errors_policy_decides_whether_card_numbers_reach_the_error_files() -> None:
    example = _load("payment_errors")
    stage_records = example["error_records"]("STAGE_RECORD").error_records
    original_records = example["error_records"]("ORIGINAL_RECORD").error_records
    assert [r.error_stage for r in stage_records] == ["FieldTypeConverter_01", "ExpressionEvaluator_01"]
    assert all("card_number" not in r.value for r in stage_records)
    assert [r["/card_number"] for r in original_records] == ["5500000000000004", "340000000000009"]
    assert example["flow"].to_dict()["errorStage"]["instanceName"] == "WritetoFile_ErrorStage"


# -- parameters ----------------------------------------------------------------------------------


def test_sensor_parameters_are_the_flow_constants_and_can_be_overridden() -> None:
    example = _load("sensor_parameters")
    flow: Flow = example["flow"]
    constants = next(c["value"] for c in flow.to_dict()["configuration"] if c["name"] == "constants")
    assert constants == [
        {"key": "SITE", "value": "zurich"},
        {"key": "MAX_CELSIUS", "value": 35},
        {"key": "OUT_DIR", "value": "/data/sensors"},
    ]
    assert [hot for _, _, hot in example["flagged"](MAX_CELSIUS=20)] == [True, True, True]
    assert flow.stage("LocalFS_01").directory_template == "${OUT_DIR}/${SITE}"


# -- Kafka to S3 ---------------------------------------------------------------------------------


def test_clickstream_to_s3_validates_with_no_warning_and_holds_no_keys() -> None:
    flow: Flow = _load("clickstream_to_s3")["flow"]
    assert_valid(flow, warnings=True)
    s3 = flow.stage("AmazonS3_01")
    assert (s3.bucket, s3.authentication_method) == ("${BUCKET}", "WITH_IAM_ROLES")
    assert not s3.access_key_id
    assert not s3.secret_access_key


def test_clickstream_processors_strip_personal_data_and_add_the_day() -> None:
    flow: Flow = _load("clickstream_to_s3")["flow"]
    flow.remove_stage("AmazonS3_01")  # S3 cannot run offline: preview up to it
    flow.stage("ExpressionEvaluator_01") >> flow.add_stage("Trash")
    click = {"ts": 1704067200000, "ip": "198.51.100.7", "user_agent": "Mozilla/5.0", "page": "/cart"}
    result = preview(flow, records=[click])
    assert [r.value for r in result["Trash_01"].input] == [
        {"ts": 1704067200000, "page": "/cart", "day": "2024-01-01"}
    ]


# -- an imported real flow -----------------------------------------------------------------------


def test_imported_example_rebuilds_the_pipeline_definition_of_its_json() -> None:
    script = _script()
    original = json.loads(script.IMPORTED_SOURCE.read_text(encoding="utf-8"))["pipelineConfig"]
    flow: Flow = _load(script.IMPORTED.stem)["flow"]
    assert flow.to_dict() == original
    assert script.IMPORTED.read_text(encoding="utf-8") == script.imported_text()


def test_imported_example_reads_as_dsl_before_the_engine_details() -> None:
    text = (EXAMPLES / "access_log_to_elasticsearch.py").read_text(encoding="utf-8")
    readable = text[: text.index("\nrestore_details(")]
    assert 'flow.add_stage(\n    "Geo IP"' in readable
    assert "field_remover_1 >> elasticsearch_1" in readable


# -- a fragment in two flows ---------------------------------------------------------------------


def test_pii_fragment_is_used_by_two_flows_each_with_its_prefix_and_stored_with_its_users(
    tmp_path: Path,
) -> None:
    done = _run_main(EXAMPLES / "pii_fragment.py", tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[-1] == "orders uses: True"
    example = _load("pii_fragment")
    assert dict(example["orders"].parameters) == {"ORDERS_SOURCE": "orders-db"}
    assert dict(example["customers"].parameters) == {"CUSTOMERS_SOURCE": "crm"}
    with Project.local(tmp_path / ".flowbuilder") as project:
        assert project.fragments.get(name="mask pii").commit_id == example["mask"].commit_id
        assert sorted(f.name for f in project.flows) == ["customers", "mask pii", "orders"]

"""Secrets (CREDENTIAL configs, API keys, bearer tokens) never appear in reprs, logs, errors,
validation issues, diagrams, plan diffs, export archives or generated Python; generated Python
reads them from the environment instead."""

from __future__ import annotations

import contextlib
import io
import json
import logging
import os
import subprocess
import sys
import zipfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from hypothesis import HealthCheck, assume, given, settings

from flowbuilder import AuthError, BackendError, ConfigError, Flow, FlowValidationError, Project, Stage
from flowbuilder.backends import HttpBackend
from flowbuilder.catalog import ConfigRef
from flowbuilder.compile import secret_variable, to_python
from flowbuilder.compile._python import _secrets
from flowbuilder.configuration import SECRET_MASK, Configuration
from flowbuilder.plan import apply, plan
from flowbuilder.render import render
from flowbuilder.server import ServerProcess
from tests.conftest import run_generated
from tests.reliability.strategies import valid_flows

PROPERTY = settings(
    max_examples=30,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
)


def _stages(flow: Flow) -> list[Stage]:
    return [s for s in [*flow.stages, flow.error_stage] if s is not None and s.definition is not None]


def plant_secrets(flow: Flow, tag: str = "") -> list[str]:
    """Write a distinct marker into every CREDENTIAL config of the flow and its stages, and into
    the CREDENTIAL fields of the rows their list configs hold; returns the markers."""
    markers: list[str] = []

    def plant(configuration: Configuration, refs: Iterable[ConfigRef], owner: str) -> None:
        for ref in refs:
            if ref.definition.is_secret:
                markers.append(f"S3cr3t-{tag}{len(markers)}-{owner}-Zq")
                configuration[ref.python_name] = markers[-1]
                continue
            fields = [sub.name for sub in ref.definition.sub_configs if sub.is_secret]
            rows = configuration[ref.python_name] if fields else None
            if isinstance(rows, list) and rows:
                planted = []
                for row in rows:
                    row = dict(row)
                    for name in fields:
                        markers.append(f"S3cr3t-{tag}{len(markers)}-{owner}-Zq")
                        row[name] = markers[-1]
                    planted.append(row)
                configuration[ref.python_name] = planted

    for stage in _stages(flow):
        assert stage.definition is not None
        plant(stage.configuration, stage.definition.config_refs, stage.instance_name)
    plant(flow.configuration, flow.catalog.pipeline_definition(flow.engine).config_refs, "flow")
    return markers


def _leaks(text: str, markers: list[str]) -> list[str]:
    return [marker for marker in markers if marker in text]


def _secret_flow() -> tuple[Flow, list[str]]:
    flow = (
        Flow("secrets")
        .source("JDBC Query Consumer", jdbc_connection_string="jdbc:postgresql://db/orders")
        .to("Amazon S3", bucket="b", data_format="JSON", type="destination")
        .flow
    )
    return flow, plant_secrets(flow)


# -- everything a user sees of a flow ------------------------------------------------------------


@PROPERTY
@given(valid_flows(max_processors=3))
def test_secrets_of_a_random_flow_never_show_in_reprs_issues_diagrams_or_generated_python(flow: Flow) -> None:
    markers = plant_secrets(flow)
    assume(markers)
    shown = [repr(flow), repr(flow.configuration), str(flow.configuration.masked())]
    for stage in _stages(flow):
        shown += [repr(stage), repr(stage.configuration), str(stage.configuration.masked())]
    shown += [str(issue) for issue in flow.validate().issues]
    shown += [flow.to_dot(), flow.to_mermaid()]
    source = to_python(flow)
    shown.append(source)
    assert not _leaks("\n".join(shown), markers)
    # ...while the pipeline definition keeps them (the engine needs them), and generated Python
    # rebuilds them from the environment.
    assert not set(markers) - set(_leaks(flow.to_json(), markers))
    environment = _secrets(flow)
    assert set(environment.values()) == set(markers)
    assert all(f'"{variable}"' in source for variable in environment)
    assert run_generated(source, environment).to_json() == flow.to_json()


def test_generated_python_names_the_environment_variable_of_each_secret() -> None:
    flow, markers = _secret_flow()
    source = to_python(flow)
    assert not _leaks(source, markers)
    assert "import os" in source
    variable = secret_variable("JDBCQueryConsumer_01", "password")
    assert f'password=os.environ.get("{variable}", "")' in source


@pytest.mark.needs_dot
def test_a_drawn_svg_has_no_secret(tmp_path: Path) -> None:
    flow, markers = _secret_flow()
    path = render(flow, tmp_path / "secrets.svg")
    assert "JDBCQueryConsumer_01" in path.read_text()
    assert not _leaks(path.read_text(), markers)
    assert not _leaks(render(flow, tmp_path / "secrets.dot").read_text(), markers)


@pytest.mark.parametrize("value", [987_654_321_012, ["S3cr3t-list-Zq"], {"k": "S3cr3t-dict-Zq"}, True])
def test_a_wrong_value_written_to_a_secret_is_refused_without_showing_it(value: object) -> None:
    stage = Flow("f").add_stage("JDBC Query Consumer")
    with pytest.raises(ConfigError) as raised:
        stage.configuration["password"] = value
    message = str(raised.value)
    assert "password" in message
    for shown in ("987654321012", "S3cr3t", "True"):
        assert shown not in message


def test_validation_of_imported_secrets_of_the_wrong_type_does_not_show_them() -> None:
    flow, _ = _secret_flow()
    definition = flow.to_dict()
    for entry in definition["stages"][0]["configuration"]:
        if entry["name"].endswith("password"):
            entry["value"] = ["S3cr3t-imported-Zq", 12345678901]
    imported = Flow.from_json(definition)
    issues = [str(issue) for issue in imported.validate().issues if issue.config == "password"]
    assert issues, "the wrong type must be reported"
    assert not _leaks("\n".join(issues), ["S3cr3t-imported-Zq", "12345678901"])
    with pytest.raises(FlowValidationError) as raised:
        imported.validate().raise_for_errors()
    assert "S3cr3t-imported-Zq" not in str(raised.value)


def test_masked_values_show_the_mask_only_for_secrets_that_are_set() -> None:
    stage = Flow("f").add_stage("JDBC Query Consumer")
    assert stage.configuration.masked()["password"] in ("", None)
    stage.configuration["password"] = "S3cr3t-Zq"
    assert stage.configuration.masked()["password"] == SECRET_MASK
    assert SECRET_MASK in repr(stage.configuration)


# -- plan diffs and export archives --------------------------------------------------------------


def test_plan_diffs_say_a_secret_changed_without_either_value() -> None:
    project = Project.memory()
    flow, old = _secret_flow()
    apply(plan([flow], project), project)
    changed, new = _secret_flow()
    for stage in _stages(changed):
        if "password" in stage.configuration:
            stage.configuration["password"] = "S3cr3t-new-password-Zq"
    result = plan([changed], project)
    text = "\n".join(result.lines()) + json.dumps(result.to_dict())
    assert "password: (secret changed)" in text
    assert not _leaks(text, [*old, *new, "S3cr3t-new-password-Zq"])


def test_exports_blank_secrets_unless_plain_text_is_asked_for(tmp_path: Path) -> None:
    project = Project.memory()
    flow, markers = _secret_flow()
    stored = project.create_flow(name="secrets", flow=flow)

    def members(path: Path) -> str:
        with zipfile.ZipFile(path) as archive:
            return "".join(archive.read(name).decode() for name in archive.namelist())

    blanked = members(project.export_flows([stored], destination=tmp_path / "blank.zip"))
    assert not _leaks(blanked, markers)
    plain = members(
        project.export_flows([stored], with_plain_text_credentials=True, destination=tmp_path / "plain.zip")
    )
    assert set(_leaks(plain, markers)) == set(markers)


# -- API keys and bearer tokens -----------------------------------------------------------------


def test_the_server_token_never_shows_in_its_command_line_output_repr_or_errors(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    token = "Tok3n-S3cr3t-for-the-server-Zq"
    caplog.set_level(logging.DEBUG)
    with ServerProcess(tmp_path / "store", token=token) as server:
        project = server.connect()
        flow, markers = _secret_flow()
        stored = project.create_flow(name="secrets", flow=flow)
        project.update_flow(stored)
        wrong = requests.get(
            f"{server.url}/sset/streamsets_flows/v1/streamsets_flows",
            params={"project_id": server.project_id},
            headers={"Authorization": "Bearer Wr0ng-guess-Zq"},
            timeout=10,
        )
        cmdline = Path(f"/proc/{server.pid}/cmdline").read_bytes() if Path("/proc").exists() else b""
        shown = "\n".join([repr(server), repr(project), wrong.text, *server.output, caplog.text])
    assert wrong.status_code == 401
    assert token.encode() not in cmdline
    assert not _leaks(shown, [token, "Wr0ng-guess-Zq", *markers])


def test_an_api_key_and_its_tokens_never_show_in_reprs_logs_or_errors(
    caplog: pytest.LogCaptureFixture,
) -> None:
    api_key = "Ap1-K3y-S3cr3t-Zq"
    access = "Acc3ss-T0ken-S3cr3t-Zq"

    class Cloud:
        def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:
            response = requests.Response()
            if "iam" in str(request.url):
                response.status_code = 200
                response._content = json.dumps({"access_token": access, "expires_in": 3600}).encode()
            else:  # the API refuses, echoing what it was sent (a badly behaved server)
                response.status_code = 403
                response._content = json.dumps(
                    {"errors": [{"message": f"token {access} not valid for key {api_key}"}]}
                ).encode()
            return response

    caplog.set_level(logging.DEBUG)
    backend = HttpBackend(
        "https://api.example.test",
        project_id="p",
        api_key=api_key,
        iam_url="https://iam.test",
        transport=Cloud(),
    )
    project = Project(backend)
    with pytest.raises(AuthError) as raised:
        len(project.flows)
    shown = "\n".join([repr(backend), repr(project), str(raised.value), repr(raised.value), caplog.text])
    assert not _leaks(shown, [api_key, access])
    assert "***" in str(raised.value)


def test_stored_flows_keep_their_secrets_for_the_engine(tmp_path: Path) -> None:
    # The store holds what the engine needs: secrets are masked where people look, not lost.
    flow, markers = _secret_flow()
    with Project.local(tmp_path) as project:
        stored = project.create_flow(name="secrets", flow=flow)
        assert set(_leaks(project.flows.get(flow_id=stored.flow_id).to_json(), markers)) == set(markers)
    assert markers[0].encode() in io.BytesIO((tmp_path / "flows.sqlite3").read_bytes()).getvalue()


def _rows_with_secrets() -> tuple[Flow, list[str]]:
    flow = Flow("rows")
    server = flow.add_stage("HTTP Server")
    server.configuration["basic_authentication_users"] = [
        {"username": "ada", "password": "S3cr3t-row-0-Zq"},
        {"username": "bob", "password": "S3cr3t-row-1-Zq"},
    ]
    flow.configuration["webhooks"] = [{"webhookUrl": "https://hooks.test", "password": "S3cr3t-hook-Zq"}]
    return flow, ["S3cr3t-row-0-Zq", "S3cr3t-row-1-Zq", "S3cr3t-hook-Zq"]


def test_secret_fields_of_list_of_rows_configs_are_masked_in_reprs() -> None:
    flow, markers = _rows_with_secrets()
    stage = flow.stages[0]
    shown = "\n".join([repr(stage.configuration), repr(flow.configuration), flow.to_dot(), flow.to_mermaid()])
    assert not _leaks(shown, markers)
    assert stage.configuration.masked()["basic_authentication_users"] == [
        {"username": "ada", "password": SECRET_MASK},
        {"username": "bob", "password": SECRET_MASK},
    ]
    assert stage.configuration["basic_authentication_users"][0]["password"] == markers[0]  # reads are whole


def test_generated_python_reads_flow_level_and_row_secrets_from_the_environment() -> None:
    flow, markers = _rows_with_secrets()
    for ref in flow.catalog.pipeline_definition("data_collector").config_refs:
        if ref.definition.is_secret:
            flow.configuration[ref.python_name] = f"S3cr3t-flow-{ref.python_name}-Zq"
            markers.append(f"S3cr3t-flow-{ref.python_name}-Zq")
    source = to_python(flow)
    assert not _leaks(source, markers)
    environment = _secrets(flow)
    assert set(environment.values()) == set(markers)
    assert (
        environment[secret_variable("HTTPServer_01", "basic_authentication_users_1_password")] == markers[1]
    )
    assert environment[secret_variable("flow", "webhooks_0_password")] == markers[2]
    assert run_generated(source, environment).to_json() == flow.to_json()


def test_generated_python_hides_secrets_of_stages_it_keeps_as_json_and_in_its_restore_block() -> None:
    flow, _ = _secret_flow()
    flow.set_error_stage("Write to Amazon S3", bucket="errors")
    markers = plant_secrets(flow, "again-")
    definition = flow.to_dict()
    definition["stages"][0]["configuration"].reverse()  # another config order: kept by restore_details
    definition["stages"][1]["extraKey"] = 1  # an unknown stage key: the stage is kept as JSON
    definition["errorStage"]["extraKey"] = 2  # and the error stage is given whole to restore_details
    imported = Flow.from_json(definition)
    source = to_python(imported)
    assert "restore_details" in source
    assert "add_stage_json" in source
    assert not _leaks(source, markers)
    environment = _secrets(imported)
    assert run_generated(source, environment).to_json() == imported.to_json()


def test_a_secret_no_environment_variable_can_carry_is_refused_by_name() -> None:
    flow, _ = _secret_flow()
    flow.stages[0].configuration["password"] = "pass\x00word"
    with pytest.raises(ConfigError) as raised:
        to_python(flow)
    assert "JDBCQueryConsumer_01" in str(raised.value)
    assert "'password' holds a NUL character" in str(raised.value)
    assert "pass" not in str(raised.value).replace("password", "")


def test_the_local_store_that_holds_secrets_is_readable_by_its_owner_only(tmp_path: Path) -> None:
    flow, _ = _secret_flow()
    with Project.local(tmp_path / "store") as project:
        project.create_flow(name="secrets", flow=flow)
        files = list((tmp_path / "store").iterdir())
        assert {path.name for path in files} >= {"flows.sqlite3", "flows.sqlite3-wal"}
        for path in [tmp_path / "store", *files]:
            assert path.stat().st_mode & 0o077 == 0, f"{path.name} is open to others"


def test_the_cli_plan_and_apply_never_print_a_secret(tmp_path: Path) -> None:
    source = tmp_path / "flows" / "secret.py"
    source.parent.mkdir()

    def write(password: str) -> None:
        source.write_text(
            "from flowbuilder import Flow\n\n"
            "orders = (\n"
            "    Flow('orders')\n"
            "    .source('JDBC Query Consumer', jdbc_connection_string='jdbc:postgresql://db/orders',"
            f" username='ada', password={password!r})\n"
            "    .to('Trash')\n"
            "    .flow\n"
            ")\n",
            encoding="utf-8",
        )

    def cli(*args: str) -> str:
        done = subprocess.run(
            [sys.executable, "-m", "flowbuilder.cli", *args, "--project", "store"],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=300,
            env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)},
        )
        assert done.returncode == 0, done.stderr
        return done.stdout + done.stderr

    write("S3cr3t-one-Zq")
    shown = cli("apply", "flows", "--yes")
    write("S3cr3t-two-Zq")
    plan_text = cli("plan", "flows")
    shown += plan_text + cli("plan", "flows", "--format", "json") + cli("apply", "flows", "--yes")
    assert "password: (secret changed)" in plan_text
    assert not _leaks(shown, ["S3cr3t-one-Zq", "S3cr3t-two-Zq"])
    with Project.local(tmp_path / "store") as project:  # applied all the same
        assert project.flows.get(name="orders").stages[0].configuration["password"] == "S3cr3t-two-Zq"


# -- one rule, every surface --------------------------------------------------------------------------
# Secrets planted in each place a flow can hold one, checked on each surface a user, a log or a file
# can see. The flow's own JSON (to_json, the stores) keeps them: the engine needs them.


def _top_level() -> tuple[Flow, list[str]]:
    flow = (
        Flow("top").source("JDBC Query Consumer", jdbc_connection_string="jdbc:postgresql://db/o").to("Trash")
    )
    origin = flow.flow.stages[0]
    origin.configuration["username"] = "S3cr3t-user-Zq"
    origin.configuration["password"] = "S3cr3t-password-Zq"
    return flow.flow, ["S3cr3t-user-Zq", "S3cr3t-password-Zq"]


def _list_rows() -> tuple[Flow, list[str]]:
    flow = Flow("rows")
    server = flow.add_stage("HTTP Server")
    server.configuration["basic_authentication_users"] = [{"username": "ada", "password": "S3cr3t-row-Zq"}]
    server.configuration["list_of_application_ids"] = [{"credential": "S3cr3t-app-Zq"}]
    server >> flow.add_stage("Trash")
    return flow, ["S3cr3t-row-Zq", "S3cr3t-app-Zq"]


def _flow_level_rows() -> tuple[Flow, list[str]]:
    flow = Flow("webhooks").source("Dev Raw Data Source").to("Trash").flow
    flow.configuration["webhooks"] = [{"webhookUrl": "https://hooks.test", "password": "S3cr3t-hook-Zq"}]
    return flow, ["S3cr3t-hook-Zq"]


def _service() -> tuple[Flow, list[str]]:
    flow = Flow("tunnel").source("PostgreSQL Query Consumer").to("Trash").flow
    configuration = flow.stages[0].configuration
    configuration["ssh_private_key"] = "S3cr3t-ssh-key-Zq"
    configuration["password_of_the_ssh_private_key"] = "S3cr3t-ssh-pass-Zq"
    return flow, ["S3cr3t-ssh-key-Zq", "S3cr3t-ssh-pass-Zq"]


def _unknown_stage() -> tuple[Flow, list[str]]:
    # A stage the catalog lacks: its secrets are known by name only.
    document = Flow("opaque").source("Dev Raw Data Source").to("Trash").flow.to_dict()
    document["stages"][1].update(
        stageName="com_example_vault_VaultDTarget",
        library="example-vault-lib",
        configuration=[{"name": "conf.apiToken", "value": "S3cr3t-token-Zq"}],
    )
    return Flow.from_json(document), ["S3cr3t-token-Zq"]


PLACES = {
    "top-level configs": _top_level,
    "list rows": _list_rows,
    "flow-level rows": _flow_level_rows,
    "services": _service,
    "unknown stage": _unknown_stage,
}


def _reprs(flow: Flow, tmp_path: Path) -> str:
    shown = [repr(flow), repr(flow.configuration), str(flow.configuration.masked())]
    for stage in [*flow.stages, *flow.special_stages.values()]:
        shown += [repr(stage), repr(stage.configuration), str(stage.configuration.masked())]
    return "\n".join(shown)


def _errors(flow: Flow, tmp_path: Path) -> str:
    result = flow.validate()
    shown = [str(issue) for issue in result.issues] + [json.dumps(result.to_dict())]
    for stage in flow.stages:  # a wrong write next to the secrets: the error names the config only
        with pytest.raises(ConfigError) as raised:
            stage.configuration["no_such_config_at_all"] = "x"
        shown.append(str(raised.value))
    return "\n".join(shown)


def _plan(flow: Flow, tmp_path: Path) -> str:
    project = Project.memory()
    checked = plan([flow], project)  # validated: an invalid flow's reasons are shown too
    apply(plan([flow], project, validate=False), project)
    changed = Flow.from_json(flow.to_json().replace("S3cr3t-", "Ch4nged-"))
    again = plan([changed], project, validate=False)
    assert [change.action for change in again.changes] == ["update"]  # the diff saw the change
    reports = [checked, again]
    return "\n".join(line for report in reports for line in [*report.lines(), json.dumps(report.to_dict())])


@contextlib.contextmanager
def _flowbuilder_log() -> Iterator[io.StringIO]:
    """Everything flowbuilder's loggers write inside the block, at DEBUG."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    logger = logging.getLogger("flowbuilder")
    logger.addHandler(handler)
    level = logger.level
    logger.setLevel(logging.DEBUG)
    try:
        yield stream
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)


def _logs(flow: Flow, tmp_path: Path) -> str:
    with _flowbuilder_log() as stream:
        _plan(flow, tmp_path)
        _archives(flow, tmp_path)
    return stream.getvalue()


def _diagrams(flow: Flow, tmp_path: Path) -> str:
    return flow.to_dot() + flow.to_mermaid()


def _svg(flow: Flow, tmp_path: Path) -> str:
    return render(flow, tmp_path / "flow.svg").read_text(encoding="utf-8")


def _python(flow: Flow, tmp_path: Path) -> str:
    return to_python(flow)


def _archives(flow: Flow, tmp_path: Path) -> str:
    project = Project.memory()
    stored = project.create_flow(name=flow.name, flow=flow)
    data = project.backend.export_flows([stored.flow_id])
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return "\n".join(archive.read(name).decode() for name in archive.namelist())


def _cli_json(flow: Flow, tmp_path: Path) -> str:
    from click.testing import CliRunner

    from flowbuilder.cli import main

    store = tmp_path / "store"
    with Project.local(store) as project:
        project.create_flow(name=flow.name, flow=flow)
    (tmp_path / "flow.json").write_text(flow.to_json(), encoding="utf-8")
    runner = CliRunner()
    outputs = [
        runner.invoke(main, ["flows", "show", flow.name, "--project", str(store), "--format", "json"]),
        runner.invoke(main, ["flows", "show", flow.name, "--project", str(store)]),
        runner.invoke(main, ["validate", str(tmp_path / "flow.json"), "--format", "json"]),
    ]
    assert [result.exit_code for result in outputs[:2]] == [0, 0], outputs[0].output
    return "\n".join(result.output for result in outputs)


class _WsgiTransport:
    """Sends the HTTP backend's requests to a FlowsApp in this process, so both logs are caught."""

    def __init__(self, app: Any) -> None:
        self.app = app

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:
        from urllib.parse import urlsplit
        from wsgiref.util import setup_testing_defaults

        url = urlsplit(str(request.url))
        body = request.body if isinstance(request.body, bytes) else (request.body or "").encode()
        environ: dict[str, Any] = {
            "REQUEST_METHOD": request.method,
            "PATH_INFO": url.path,
            "QUERY_STRING": url.query,
            "CONTENT_LENGTH": str(len(body)),
            "wsgi.input": io.BytesIO(body),
            **{f"HTTP_{k.upper().replace('-', '_')}": v for k, v in request.headers.items()},
        }
        setup_testing_defaults(environ)
        response = requests.Response()

        def start_response(status: str, headers: list[tuple[str, str]]) -> None:
            response.status_code = int(status.split()[0])
            response.headers.update(dict(headers))

        response._content = b"".join(self.app(environ, start_response))
        response.url = str(request.url)
        return response


def _server_log(flow: Flow, tmp_path: Path) -> str:
    from flowbuilder.backends import LocalBackend
    from flowbuilder.server import FlowsApp

    app = FlowsApp(LocalBackend(tmp_path / "served"), token="t0ken")
    with _flowbuilder_log() as stream, contextlib.closing(app.backend):
        backend = HttpBackend(
            "http://served.test",
            project_id=app.backend.project_id,
            token="t0ken",
            transport=_WsgiTransport(app),
        )
        project = Project(backend)
        stored = project.create_flow(name=flow.name, flow=flow)
        stored.description = "edited"
        project.update_flow(stored)
        archive = project.export_flows([stored], destination=tmp_path / "served.zip")
        project.import_flows(archive)
        first, second = (project.flows.get(flow_id=stored.flow_id) for _ in range(2))
        project.update_flow(first)
        with pytest.raises(BackendError):  # a stale update: an error answer, logged by both sides
            project.update_flow(second)
    return stream.getvalue()


SURFACES = {
    "reprs": _reprs,
    "errors": _errors,
    "plan text and JSON": _plan,
    "logs": _logs,
    "DOT and Mermaid": _diagrams,
    "Python export": _python,
    "archives": _archives,
    "CLI output": _cli_json,
    "server log": _server_log,
}


@pytest.mark.parametrize("surface", [*SURFACES, pytest.param("SVG", marks=pytest.mark.needs_dot)])
@pytest.mark.parametrize("place", sorted(PLACES))
def test_a_secret_planted_anywhere_shows_on_no_surface(place: str, surface: str, tmp_path: Path) -> None:
    flow, markers = PLACES[place]()
    assert not set(markers) - set(_leaks(flow.to_json(), markers)), "planted where the engine reads them"
    shown = (SURFACES.get(surface) or _svg)(flow, tmp_path)
    assert shown, "the surface showed nothing, so it proved nothing"
    assert not _leaks(shown, markers)

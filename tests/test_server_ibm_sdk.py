"""IBM's own SDK (``ibm-watsonx-data-integration`` 2.1.0, unmodified) as a client of ``flowbuilder serve``.

``flowbuilder serve`` says it speaks the watsonx.data integration flows API; the judge of that is
the vendor's SDK, not flowbuilder's own client. These tests run the Flows page of the SDK's docs
(``shared/seed/flows.txt``) with it against a real server process, move flows both ways between
the two clients, and record on the wire what each client sends for the same operations.

Where the SDK itself differs from the page, the test says so: its flow class is
``StreamingFlow`` (the page shows ``StreamsetsFlow``) and its repr adds ``engine_type``; its error
stage repr adds ``name=...`` (the page shows ``WritetoFile_ErrorStage()``).
"""

from __future__ import annotations

import io
import json
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs
from wsgiref.simple_server import WSGIRequestHandler, make_server

import pytest

from flowbuilder import Flow, Project, preview
from flowbuilder.backends import LocalBackend
from flowbuilder.compile import to_python
from flowbuilder.server import ServerProcess, make_app

from .conftest import run_generated

wx = pytest.importorskip(
    "ibm_watsonx_data_integration",
    reason="IBM's SDK is a test dependency: pip install -e '.[ibm-sdk]'",
)
from ibm_watsonx_data_integration.common.auth import BearerTokenAuthenticator  # noqa: E402

ENGINE_VERSION = "5.8.1"  # the bundled catalog's Data Collector version: the local environment's


def _sdk_project(url: str, project_id: str, token: str) -> Any:
    """The page's starting point: a Platform authenticated only by the SDK's own authenticator."""
    platform = wx.Platform(auth=BearerTokenAuthenticator(bearer_token=token), base_url=url, base_api_url=url)
    return platform.projects.get(project_id=project_id)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    with ServerProcess(tmp_path_factory.mktemp("ibm-sdk")) as running:
        yield running


@pytest.fixture(scope="module")
def sdk(server: ServerProcess) -> Any:
    return _sdk_project(server.url, server.project_id, server.token)


@pytest.fixture
def ours(server: ServerProcess) -> Iterator[Project]:
    with server.connect() as project:
        yield project


def _sdk_repr(flow: Any) -> str:
    return (
        f"StreamingFlow(name={flow.name!r}, description={flow.description!r}, flow_id={flow.flow_id!r}, "
        f"engine_type='data_collector', engine_version={ENGINE_VERSION!r})"
    )


def test_the_sdk_connects_and_finds_the_project(server: ServerProcess, sdk: Any) -> None:
    assert sdk.project_id == server.project_id
    assert repr(sdk) == f"Project(name='local', project_id='{server.project_id}')"
    environment = sdk.environments.get(name="local")
    assert (environment.engine_type, environment.engine_version) == ("data_collector", ENGINE_VERSION)
    assert len(environment.engines) == 0  # no engine runs here: definitions come from the engine version


def test_the_flows_page_runs_with_ibms_sdk(server: ServerProcess, sdk: Any, ours: Project) -> None:
    before = len(sdk.flows)
    environment = sdk.environments.get(name="local")

    # Creating a flow
    flow = sdk.create_flow(name="My first flow", description="optional description", environment=environment)
    assert repr(flow) == _sdk_repr(
        flow
    )  # the page: StreamsetsFlow(name=..., flow_id=..., engine_version=...)
    assert (flow.engine_version, flow.environment_id) == (ENGINE_VERSION, environment.environment_id)

    # Retrieving flows
    assert len(sdk.flows) == before + 1
    assert flow.flow_id in [f.flow_id for f in sdk.flows]
    assert f"name='My first flow', description='optional description', flow_id='{flow.flow_id}'" in repr(
        sdk.flows
    )
    flow = sdk.flows.get(flow_id=flow.flow_id)
    assert (flow.name, flow.description) == ("My first flow", "optional description")

    # Editing a flow: attributes, configuration and stages (the SDK's own add_stage + connect_output_to)
    flow.description = "new description for the flow"
    assert "description='new description for the flow'" in repr(flow)
    assert flow.configuration["retry_pipeline_on_error"] is True
    flow.configuration["retry_pipeline_on_error"] = False
    origin = flow.add_stage("Dev Raw Data Source")
    origin.raw_data = '{"id": 1}'
    trash = flow.add_stage("Trash")
    origin.connect_output_to(trash)
    assert [s.instance_name for s in flow.stages] == ["DevRawDataSource_01", "Trash_01"]

    # Updating a flow
    flow.name = "new flow name"
    assert repr(sdk.update_flow(flow)) == "<Response [200]>"

    # Duplicating and deleting a flow
    duplicated = sdk.duplicate_flow(flow, name="duplicated flow", description=f"duplicate of {flow.name}")
    assert (duplicated.name, duplicated.description) == ("duplicated flow", "duplicate of new flow name")
    assert duplicated.flow_id != flow.flow_id
    assert [s.instance_name for s in duplicated.stages] == ["DevRawDataSource_01", "Trash_01"]
    assert repr(sdk.delete_flow(duplicated)) == "<Response [204]>"
    with pytest.raises(ValueError, match="is not in list"):
        sdk.flows.get(flow_id=duplicated.flow_id)

    # Handling error records
    assert flow.configuration["error_record_policy"] == "ORIGINAL_RECORD"
    flow.configuration["error_record_policy"] = "STAGE_RECORD"
    write_to_file = flow.set_error_stage("Write to File")
    write_to_file.configuration["directory"] = "/path/to/some/directory"
    # The page shows WritetoFile_ErrorStage(); the SDK's repr adds the stage's label.
    assert repr(flow.error_stage) == "WritetoFile_ErrorStage(name='Error Records - Write to File')"
    assert repr(sdk.update_flow(flow)) == "<Response [200]>"

    # Every value reads back as written, through the SDK ...
    again = sdk.flows.get(flow_id=flow.flow_id)
    assert (again.name, again.description) == ("new flow name", "new description for the flow")
    assert again.configuration["retry_pipeline_on_error"] is False
    assert again.configuration["error_record_policy"] == "STAGE_RECORD"
    assert again.error_stage.configuration["directory"] == "/path/to/some/directory"
    origin, trash = again.stages
    assert origin.raw_data == '{"id": 1}'
    assert trash.input_lanes == origin.output_lanes != []

    # ... and through flowbuilder's own client, which reads the same document.
    stored = ours.flows.get(flow_id=flow.flow_id)
    assert (stored.name, stored.description) == ("new flow name", "new description for the flow")
    assert stored.configuration["retry_pipeline_on_error"] is False
    assert stored.configuration["error_record_policy"] == "STAGE_RECORD"
    assert repr(stored.error_stage) == "WritetoFile_ErrorStage()"
    assert stored.error_stage.configuration["directory"] == "/path/to/some/directory"
    assert list(stored.graph.edges()) == [("DevRawDataSource_01", "Trash_01")]


def test_a_flow_written_by_flowbuilder_is_read_changed_and_updated_by_the_sdk(
    sdk: Any, ours: Project
) -> None:
    flow = (
        Flow("orders", description="orders to files")
        .source("Dev Raw Data Source", data_format="JSON", raw_data='{"id": 1, "total": 120}')
        .to("Expression Evaluator", field_expressions=[{"fieldToSet": "/big", "expression": "${true}"}])
        .to("Trash")
        .on_error("Write to File", directory="/data/errors")
    )
    made = ours.create_flow(
        name="orders", environment=ours.environments.get(name="local"), description="orders", flow=flow
    )

    theirs = sdk.flows.get(flow_id=made.flow_id)
    assert [s.instance_name for s in theirs.stages] == [
        "DevRawDataSource_01",
        "ExpressionEvaluator_01",
        "Trash_01",
    ]
    evaluator = theirs.stages.get(instance_name="ExpressionEvaluator_01")
    assert evaluator.field_expressions == [{"fieldToSet": "/big", "expression": "${true}"}]
    assert theirs.stages.get(instance_name="DevRawDataSource_01").data_format == "JSON"
    assert theirs.error_stage.configuration["directory"] == "/data/errors"

    theirs.configuration["retry_pipeline_on_error"] = False
    evaluator.field_expressions = [{"fieldToSet": "/big", "expression": "${record:value('/total') > 100}"}]
    extra = theirs.add_stage("Trash")
    evaluator.connect_output_to(extra)
    theirs.description = "changed by IBM's SDK"
    assert repr(sdk.update_flow(theirs)) == "<Response [200]>"

    back = ours.flows.get(flow_id=made.flow_id)
    assert back.description == "changed by IBM's SDK"
    assert back.configuration["retry_pipeline_on_error"] is False
    assert back.stage("ExpressionEvaluator_01").field_expressions == [
        {"fieldToSet": "/big", "expression": "${record:value('/total') > 100}"}
    ]
    assert sorted(s.instance_name for s in back.stage("ExpressionEvaluator_01").outputs) == [
        "Trash_01",
        "Trash_02",
    ]
    assert back.error_stage is not None
    assert back.error_stage.directory == "/data/errors"
    assert back.validate().errors == []
    # And flowbuilder can go on from there: its own update of the SDK's document is accepted.
    back.stage("DevRawDataSource_01").raw_data = '{"id": 2, "total": 5}'
    assert repr(ours.update_flow(back)) == "<Response [200]>"
    assert sdk.flows.get(flow_id=made.flow_id).stages[0].raw_data == '{"id": 2, "total": 5}'


@pytest.mark.needs_dot
def test_a_flow_built_with_the_sdk_is_read_validated_drawn_and_regenerated_by_flowbuilder(
    sdk: Any, ours: Project, tmp_path: Path
) -> None:
    theirs = sdk.create_flow(
        name="built by the SDK", environment=sdk.environments.get(name="local"), description="wx"
    )
    origin = theirs.add_stage("Dev Raw Data Source")
    origin.raw_data = '{"a": 1}\n{"a": 2}'
    selector = theirs.add_stage("Stream Selector")
    big, small = theirs.add_stage("Trash"), theirs.add_stage("Trash")
    origin.connect_output_to(selector)
    selector.predicates = ["${record:value('/a') > 1}", "default"]
    selector.connect_output_to(big, predicate=selector.predicates[0])
    selector.connect_output_to(small, predicate=selector.predicates[1])
    theirs.set_error_stage("Discard")
    assert repr(sdk.update_flow(theirs)) == "<Response [200]>"

    stored = ours.flows.get(flow_id=theirs.flow_id)
    result = stored.validate()
    assert result.errors == [], result.errors
    dot = stored.to_dot()
    assert "StreamSelector_01" in dot
    assert "${record:value('/a') > 1}" in dot
    stored.render(tmp_path / "sdk.svg")
    assert (tmp_path / "sdk.svg").read_text().lstrip().startswith(("<?xml", "<svg"))
    rebuilt = run_generated(to_python(stored))
    assert rebuilt.to_dict() == stored.to_dict()
    assert [record["/a"] for record in preview(stored)["Trash_01"].input] == [2]


# -- what each client sends -----------------------------------------------------------------------

#: Headers that are the HTTP library's, not the client's choice.
_TRANSPORT_HEADERS = {"host", "connection", "accept-encoding", "user-agent", "content-length"}


class _Recorder:
    """The server's WSGI app behind a recorder, served over loopback HTTP in this process."""

    def __init__(self, data_dir: Path, token: str) -> None:
        self.backend = LocalBackend(data_dir)
        self._app = make_app(self.backend, token=token)
        self.requests: list[dict[str, Any]] = []

        class Quiet(WSGIRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

        self._server = make_server("127.0.0.1", 0, self._record, handler_class=Quiet)
        self.url = f"http://127.0.0.1:{self._server.server_port}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def _record(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length) if length else b""
        environ["wsgi.input"] = io.BytesIO(body)
        headers = {k[5:].lower().replace("_", "-"): v for k, v in environ.items() if k.startswith("HTTP_")}
        if environ.get("CONTENT_TYPE"):
            headers["content-type"] = environ["CONTENT_TYPE"]
        self.requests.append(
            {
                "method": environ["REQUEST_METHOD"],
                "path": environ["PATH_INFO"],
                "query": parse_qs(environ.get("QUERY_STRING", "")),
                "body": sorted(json.loads(body)) if body else None,
                "headers": {k: v for k, v in headers.items() if k not in _TRANSPORT_HEADERS},
            }
        )
        return self._app(environ, start_response)

    def take(self, action: Callable[[], Any]) -> tuple[Any, list[dict[str, Any]]]:
        self.requests.clear()
        result = action()
        return result, list(self.requests)

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self.backend.close()


def _shape(request: dict[str, Any], ids: dict[str, str]) -> dict[str, Any]:
    """A request with flow ids named by role and header values that differ by client left out."""
    path = request["path"]
    for flow_id, role in ids.items():
        path = path.replace(flow_id, role)
    headers = dict(request["headers"])
    headers["x-requested-by"] = "<client>"  # each names itself: SDK-v2.1.0, flowbuilder-v0.1.0
    # The SDK means to send Accept: application/json (its adapter sets it with setdefault), but the
    # requests session's own 'Accept: */*' is already there and wins. flowbuilder sends what the
    # SDK means; the service answers JSON to both.
    if headers.get("accept") == "*/*":
        headers["accept"] = "application/json"
    return {**request, "path": path, "headers": headers}


def test_flowbuilder_sends_what_ibms_sdk_sends_for_the_same_operations(tmp_path: Path) -> None:
    recorder = _Recorder(tmp_path / "store", token="judge")
    try:
        theirs = _sdk_project(recorder.url, recorder.backend.project_id, "judge")
        ours = Project.connect(recorder.url, project_id=recorder.backend.project_id, token="judge")
        sdk_env, sdk_sent = recorder.take(lambda: theirs.environments.get(name="local"))
        our_env, our_sent = recorder.take(lambda: ours.environments.get(name="local"))
        pairs = [("environments", sdk_sent, our_sent)]

        a, sdk_sent = recorder.take(
            lambda: theirs.create_flow(name="a", environment=sdk_env, description="d")
        )
        b, our_sent = recorder.take(lambda: ours.create_flow(name="a", environment=our_env, description="d"))
        pairs.append(("create", sdk_sent, our_sent))
        ids = {a.flow_id: "<flow>", b.flow_id: "<flow>"}
        pairs.append(
            ("count", recorder.take(lambda: len(theirs.flows))[1], recorder.take(lambda: len(ours.flows))[1])
        )
        a, sdk_sent = recorder.take(lambda: theirs.flows.get(flow_id=a.flow_id))
        b, our_sent = recorder.take(lambda: ours.flows.get(flow_id=b.flow_id))
        pairs.append(("get", sdk_sent, our_sent))
        a.add_stage("Trash")
        b.add_stage("Trash")
        revision = b.revision
        pairs.append(
            (
                "update",
                recorder.take(lambda: theirs.update_flow(a))[1],
                recorder.take(lambda: ours.update_flow(b))[1],
            )
        )
        c, sdk_sent = recorder.take(lambda: theirs.duplicate_flow(a, name="c", description="x"))
        d, our_sent = recorder.take(lambda: ours.duplicate_flow(b, name="c", description="x"))
        pairs.append(("duplicate", sdk_sent, our_sent))
        ids.update({c.flow_id: "<copy>", d.flow_id: "<copy>"})
        pairs.append(
            (
                "delete",
                recorder.take(lambda: theirs.delete_flow(c))[1],
                recorder.take(lambda: ours.delete_flow(d))[1],
            )
        )
    finally:
        recorder.close()

    for operation, sdk_sent, our_sent in pairs:
        sdk_flows = [_shape(r, ids) for r in sdk_sent if not _sdk_only(r)]
        our_flows = [_shape(r, ids) for r in our_sent]
        if operation == "update":
            # flowbuilder sends the revision it read, so a concurrent change is a conflict, not a
            # silent overwrite; the IBM cloud sends no ETag, so there it sends no If-Match either.
            assert [r["headers"].pop("if-match") for r in our_flows] == [f'"{revision}"']
        if operation == "environments":
            # The SDK also sends its filters as query parameters (and filters again itself);
            # flowbuilder lists the environments and filters them itself.
            assert sdk_flows[0]["query"].pop("name") == ["local"]
        assert our_flows == sdk_flows, operation


def _sdk_only(request: dict[str, Any]) -> bool:
    """Requests the SDK makes that have no flowbuilder counterpart, each for a reason of its own."""
    path = request["path"]
    return (
        # its flows collection is a union with DataStage and UDI flows
        path.startswith(("/data_intg/", "/v2/asset_types/"))
        # it finds an engine before taking definitions from the engine version: flowbuilder takes
        # them from its bundled catalog when the version is the bundled one (the server's too)
        or "/streamsets_environments/" in path
        or path.endswith("/definitions")
    )


def test_ibms_sdk_reads_a_flow_using_a_fragment_with_its_fragment_ids_and_updates_it(
    sdk: Any, ours: Project
) -> None:
    from flowbuilder import Fragment

    mask = Fragment("mask pii")
    mask.input("Field Masker", field_mask_configs=[{"fields": ["/ssn"], "maskType": "FIXED_LENGTH"}])
    ours.create_flow(name="mask pii", flow=mask)
    user = Flow("pii user").source("Dev Raw Data Source").to(mask).to("Trash").flow
    made = ours.create_flow(name="pii user", flow=user)

    theirs = sdk.flows.get(flow_id=made.flow_id)
    assert theirs.fragment_ids == [mask.fragment_id]
    assert theirs.stages.get(instance_name="maskp_01_FragmentProcessor_01") is not None
    theirs.description = "touched by IBM's SDK"
    assert repr(sdk.update_flow(theirs)) == "<Response [200]>"
    back = ours.flows.get(flow_id=made.flow_id)
    assert back.fragment_ids == [mask.fragment_id]
    assert back.to_dict()["fragments"] == user.to_dict()["fragments"]
    assert [s.instance_name for s in back.expanded().stages] == [
        "DevRawDataSource_01",
        "maskp_01_FieldMasker_01",
        "Trash_01",
    ]

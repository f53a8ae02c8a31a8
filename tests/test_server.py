"""``flowbuilder serve``: the REST API over the local store, its token, its faults, its process."""

from __future__ import annotations

import io
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from wsgiref.util import setup_testing_defaults

import pytest
import requests

from flowbuilder import Flow
from flowbuilder.backends import LocalBackend
from flowbuilder.catalog import Catalog, engine_definitions
from flowbuilder.server import FlowsApp, ServerProcess

FLOWS = "/sset/streamsets_flows/v1/streamsets_flows"
ENVIRONMENTS = "/sset/engine_manager/v1/streamsets_environments"
ENGINE_VERSIONS = "/sset/engine_manager/v2/streamsets_engine_versions"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    with ServerProcess(tmp_path_factory.mktemp("served")) as running:
        yield running


def _call(
    server: ServerProcess, method: str, path: str, *, token: str | None = None, **kwargs: Any
) -> requests.Response:
    params = {"project_id": server.project_id, **kwargs.pop("params", {})}
    headers = {
        "Authorization": f"Bearer {server.token if token is None else token}",
        **kwargs.pop("headers", {}),
    }
    return requests.request(method, server.url + path, params=params, headers=headers, timeout=10, **kwargs)


def test_requests_without_the_bearer_token_are_refused(server: ServerProcess) -> None:
    for headers in ({}, {"Authorization": "Bearer nope"}, {"Authorization": f"Basic {server.token}"}):
        response = requests.get(
            server.url + FLOWS, params={"project_id": server.project_id}, headers=headers, timeout=10
        )
        assert response.status_code == 401
        assert response.headers["WWW-Authenticate"].startswith("Bearer")
        assert response.json()["errors"][0]["message"] == "missing or wrong bearer token"
    assert _call(server, "GET", FLOWS).status_code == 200


def test_every_answer_has_a_request_id_and_errors_have_the_cloud_shape(server: ServerProcess) -> None:
    response = _call(server, "GET", f"{FLOWS}/missing")
    assert response.status_code == 404
    body = response.json()
    assert body["trace"] == response.headers["X-Request-Id"]
    assert body["errors"][0]["code"] == "not_found"
    assert "no flow with id 'missing'" in body["errors"][0]["message"]
    assert "project.flows" in body["errors"][0]["more_info"]


def test_project_id_is_required_and_checked(server: ServerProcess) -> None:
    response = requests.get(
        server.url + FLOWS, headers={"Authorization": f"Bearer {server.token}"}, timeout=10
    )
    assert response.status_code == 400
    assert "project_id" in response.json()["errors"][0]["message"]
    assert _call(server, "GET", FLOWS, params={"project_id": "other"}).status_code == 404


def test_unknown_endpoints_and_methods(server: ServerProcess) -> None:
    assert _call(server, "GET", "/sset/nothing/here").status_code == 404
    response = _call(server, "PATCH", FLOWS)
    assert response.status_code == 405
    assert response.headers["Allow"] == "GET, POST"


def test_bad_bodies_are_400_and_store_nothing(server: ServerProcess) -> None:
    before = _call(server, "GET", FLOWS).json()["total_count"]
    bad_json = _call(server, "POST", FLOWS, data=b"{not json", headers={"Content-Type": "application/json"})
    assert bad_json.status_code == 400
    assert "not valid JSON" in bad_json.json()["errors"][0]["message"]
    assert _call(server, "POST", FLOWS, json=["a", "list"]).status_code == 400
    no_name = _call(server, "POST", FLOWS, json={"description": "x"})
    assert no_name.status_code == 400
    assert "flow name must be a non-empty string" in no_name.json()["errors"][0]["message"]
    created = _call(server, "POST", FLOWS, json={"name": "ok"}).json()
    bad_definition = _call(
        server,
        "PUT",
        f"{FLOWS}/{created['flow']['metadata']['asset_id']}",
        json={"pipeline_definition": {"stages": 3}},
    )
    assert bad_definition.status_code == 400
    assert _call(server, "GET", FLOWS).json()["total_count"] == before + 1


def test_create_get_update_with_etags_and_if_match(server: ServerProcess) -> None:
    created = _call(server, "POST", FLOWS, json={"name": "tagged", "engine_version": "6.1.1"})
    assert created.status_code == 201
    assert created.headers["ETag"] == '"1"'
    flow_id = created.json()["flow"]["metadata"]["asset_id"]
    got = _call(server, "GET", f"{FLOWS}/{flow_id}")
    assert got.json()["flow"] == created.json()["flow"]
    definition = Flow("tagged").source("Dev Raw Data Source").to("Trash").flow.to_dict()
    updated = _call(
        server,
        "PUT",
        f"{FLOWS}/{flow_id}",
        json={"name": "tagged", "pipeline_definition": definition},
        headers={"If-Match": '"1"'},
    )
    assert updated.status_code == 200
    assert updated.headers["ETag"] == '"2"'
    assert updated.json()["pipeline_definition"] == definition
    stale = _call(
        server, "PUT", f"{FLOWS}/{flow_id}", json={"description": "late"}, headers={"If-Match": '"1"'}
    )
    assert stale.status_code == 412
    assert stale.json()["errors"][0]["code"] == "precondition_failed"
    assert _call(server, "GET", f"{FLOWS}/{flow_id}").json()["flow"]["metadata"]["description"] == ""
    blind = _call(server, "PUT", f"{FLOWS}/{flow_id}", json={"description": "no precondition"})
    assert blind.status_code == 200


def test_v2_replace_takes_the_get_shaped_document_and_honours_if_match(server: ServerProcess) -> None:
    flow_id = _call(server, "POST", FLOWS, json={"name": "v2"}).json()["flow"]["metadata"]["asset_id"]
    document = _call(server, "GET", f"{FLOWS}/{flow_id}").json()
    document["flow"]["metadata"]["name"] = "v2 renamed"
    document["flow"]["metadata"]["asset_id"] = "ignored-read-only"
    document["pipeline_definition"] = Flow("v2").source("Dev Raw Data Source").to("Trash").flow.to_dict()
    response = _call(server, "PUT", f"/sset/streamsets_flows/v2/streamsets_flows/{flow_id}", json=document)
    assert response.status_code == 200
    stored = _call(server, "GET", f"{FLOWS}/{flow_id}").json()
    assert stored["flow"]["metadata"]["name"] == "v2 renamed"
    assert stored["flow"]["metadata"]["asset_id"] == flow_id
    assert stored["pipeline_definition"] == document["pipeline_definition"]
    assert response.headers["ETag"] == '"2"'
    document["flow"]["metadata"]["description"] = "late"
    stale = _call(
        server,
        "PUT",
        f"/sset/streamsets_flows/v2/streamsets_flows/{flow_id}",
        json=document,
        headers={"If-Match": '"1"'},
    )
    assert stale.status_code == 412
    assert stale.json()["errors"][0]["code"] == "precondition_failed"
    assert _call(server, "GET", f"{FLOWS}/{flow_id}").json()["flow"]["metadata"]["description"] == ""


def test_duplicate_and_delete(server: ServerProcess) -> None:
    flow_id = _call(server, "POST", FLOWS, json={"name": "original", "description": "d"}).json()["flow"][
        "metadata"
    ]["asset_id"]
    duplicate = _call(server, "POST", f"{FLOWS}/{flow_id}/duplicate", json={"name": "copy"})
    assert duplicate.status_code == 201
    copied = duplicate.json()["flow"]["metadata"]
    assert (copied["name"], copied["description"], copied["revision"]) == ("copy", "d", 1)
    assert copied["asset_id"] != flow_id
    assert duplicate.headers["ETag"] == '"1"'
    explicit = _call(
        server, "POST", f"{FLOWS}/{flow_id}/duplicate", json={"name": "copy 2", "description": "mine"}
    )
    assert explicit.status_code == 201
    assert explicit.json()["flow"]["metadata"]["description"] == "mine"
    missing = _call(server, "POST", f"{FLOWS}/missing/duplicate", json={"name": "x", "description": ""})
    assert missing.status_code == 404
    deleted = _call(server, "DELETE", f"{FLOWS}/{flow_id}")
    assert deleted.status_code == 204
    assert deleted.content == b""
    assert _call(server, "DELETE", f"{FLOWS}/{flow_id}").status_code == 404


def test_environments_endpoint_lists_the_local_environment(server: ServerProcess) -> None:
    body = _call(server, "GET", "/sset/engine_manager/v1/streamsets_environments").json()
    (environment,) = body["streamsets_environments"]
    assert environment["metadata"]["name"] == "local"
    one = _call(
        server,
        "GET",
        f"/sset/engine_manager/v1/streamsets_environments/{environment['metadata']['asset_id']}",
    )
    assert one.json() == environment
    engines = _call(server, "GET", f"{ENVIRONMENTS}/{environment['metadata']['asset_id']}/engines")
    assert engines.json() == {"total_count": 0, "streamsets_engines": []}
    assert _call(server, "GET", f"{ENVIRONMENTS}/nope/engines").status_code == 404


def test_the_project_and_the_service_check_answer_like_the_platform(server: ServerProcess) -> None:
    version = requests.get(
        server.url + "/v2/connections/version",
        headers={"Authorization": f"Bearer {server.token}"},
        timeout=10,
    )
    assert version.status_code == 200
    assert version.json()["service_name"] == "flowbuilder serve"
    project = _call(server, "GET", f"/v2/projects/{server.project_id}").json()
    assert project["metadata"]["guid"] == server.project_id
    assert project["entity"]["storage"]["guid"] == server.project_id
    other = _call(server, "GET", "/v2/projects/someone-elses")
    assert other.status_code == 404
    assert server.project_id in other.json()["errors"][0]["more_info"]
    listed = _call(server, "GET", "/v2/projects", params={"project_ids": server.project_id}).json()
    assert listed == {"total_results": 1, "resources": [project]}
    assert _call(server, "GET", "/v2/projects", params={"name": "not it"}).json()["resources"] == []
    schema = _call(server, "GET", "/v2/projects/docs/schemas/v2-projects-api-openapi.yml").json()
    parameters = schema["components"]["parameters"]
    honoured = [
        parameters[p["$ref"].rsplit("/", 1)[1]]["name"]
        for p in schema["paths"]["/v2/projects"]["get"]["parameters"]
    ]
    assert {"project_ids", "name"} <= set(honoured)


def test_flow_assets_carry_the_apis_types(server: ServerProcess) -> None:
    created = _call(server, "POST", FLOWS, json={"name": "typed", "engine_version": "5.8.1"}).json()
    metadata = created["flow"]["metadata"]
    for key in ("last_update_time", "last_access_time", "last_updated_at", "last_updater_id"):
        assert isinstance(metadata["usage"][key], str), key
    assert isinstance(metadata["created"], int)
    assert isinstance(metadata["create_time"], str)
    environment = _call(server, "GET", ENVIRONMENTS).json()["streamsets_environments"][0]["metadata"]
    for key in ("owner_id", "create_time", "asset_attributes", "asset_state", "catalog_id", "version"):
        assert key in environment, key


def test_engine_versions_and_their_definitions_come_from_the_bundled_catalog(server: ServerProcess) -> None:
    version = Catalog.default().engine_version("data_collector")
    listed = _call(server, "GET", f"{ENGINE_VERSIONS}/data_collector").json()
    assert [v["engine_version_id"] for v in listed["streamsets_engine_versions"]] == [version]
    assert _call(server, "GET", f"{ENGINE_VERSIONS}/jetstream").json()["streamsets_engine_versions"] == []
    definitions = _call(server, "GET", f"{ENGINE_VERSIONS}/data_collector/{version}/definitions")
    assert definitions.json() == engine_definitions(Catalog.default(), "data_collector")
    missing = _call(server, "GET", f"{ENGINE_VERSIONS}/data_collector/1.0.0/definitions")
    assert missing.status_code == 404
    assert f"data_collector {version}" in missing.json()["errors"][0]["more_info"]


def test_other_asset_kinds_are_empty_and_own_kinds_point_to_their_api(server: ServerProcess) -> None:
    assert _call(server, "GET", "/data_intg/v3/data_intg_flows").json() == {
        "total_count": 0,
        "data_flows": [],
    }
    search = _call(server, "POST", "/v2/asset_types/ibm_udp_flow/search", json={"query": "*:*"})
    assert search.json() == {"total_rows": 0, "results": []}
    own = _call(server, "POST", "/v2/asset_types/streamsets_flow/search", json={"query": "*:*"})
    assert own.status_code == 400
    assert FLOWS in own.json()["errors"][0]["more_info"]


def test_concurrent_clients_are_served_in_parallel_without_losing_writes(server: ServerProcess) -> None:
    before = _call(server, "GET", FLOWS).json()["total_count"]
    statuses: list[int] = []

    def create(worker: int) -> None:
        with requests.Session() as session:
            for number in range(10):
                response = session.post(
                    server.url + FLOWS,
                    params={"project_id": server.project_id},
                    headers={"Authorization": f"Bearer {server.token}"},
                    json={"name": f"w{worker}-{number}"},
                    timeout=30,
                )
                statuses.append(response.status_code)

    threads = [threading.Thread(target=create, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert statuses == [201] * 80
    assert _call(server, "GET", FLOWS).json()["total_count"] == before + 80


# -- fault injection, in process with a scripted chance so the order of faults is known -----------------


def _wsgi(
    app: FlowsApp, method: str, path: str, body: object = None, token: str = "t"
) -> tuple[int, dict[str, str], bytes]:
    data = b"" if body is None else json.dumps(body).encode()
    environ: dict[str, Any] = {
        "REQUEST_METHOD": method,
        "PATH_INFO": path,
        "QUERY_STRING": f"project_id={app.backend.project_id}",
        "HTTP_AUTHORIZATION": f"Bearer {token}",
        "CONTENT_LENGTH": str(len(data)),
        "wsgi.input": io.BytesIO(data),
    }
    setup_testing_defaults(environ)
    answer: dict[str, Any] = {}

    def start_response(status: str, headers: list[tuple[str, str]]) -> None:
        answer["status"] = int(status.split()[0])
        answer["headers"] = dict(headers)

    content = b"".join(app(environ, start_response))
    return answer["status"], answer["headers"], content


def test_injected_faults_answer_before_any_work_is_done(tmp_path: Path) -> None:
    chances = iter([0.1, 0.2, 0.1, 0.9, 0.9])  # fault (429), fault (503), no fault
    backend = LocalBackend(tmp_path)
    app = FlowsApp(backend, token="t", fault_rate=0.3, chance=lambda: next(chances))
    for expected in (429, 503):
        status, headers, _ = _wsgi(app, "POST", FLOWS, {"name": "once"})
        assert status == expected
        assert headers["Retry-After"] == "0"
        assert backend.list_flows().total_count == 0
    status, _, _ = _wsgi(app, "POST", FLOWS, {"name": "once"})
    assert status == 201
    assert backend.list_flows().total_count == 1
    backend.close()


def test_unauthorised_requests_never_reach_fault_injection_or_the_store(tmp_path: Path) -> None:
    backend = LocalBackend(tmp_path)
    app = FlowsApp(backend, token="t", fault_rate=1.0)
    status, _, body = _wsgi(app, "POST", FLOWS, {"name": "x"}, token="presented-guess-42")
    assert status == 401
    assert b"presented-guess-42" not in body
    assert backend.list_flows().total_count == 0
    backend.close()


# -- the process ---------------------------------------------------------------------------------------


def _serve(tmp_path: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    environment = {k: v for k, v in os.environ.items() if k != "FLOWBUILDER_TOKEN"}
    return subprocess.Popen(
        [sys.executable, "-m", "flowbuilder.cli", "serve", "--data", str(tmp_path), *args],
        stderr=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        text=True,
        env={**environment, **(env or {})},
    )


def test_serve_binds_loopback_prints_a_generated_token_once_and_stops_on_sigterm(tmp_path: Path) -> None:
    process = _serve(tmp_path, "--port", "0")
    assert process.stderr is not None
    lines = [process.stderr.readline(), process.stderr.readline()]
    token_line, ready_line = lines
    assert token_line.startswith("flowbuilder serve: token ")
    token = token_line.split()[3]
    assert "listening on http://127.0.0.1:" in ready_line
    url = ready_line.split()[4]
    project_id = ready_line.split("(project ")[1].split(",")[0]
    response = requests.get(
        url + FLOWS,
        params={"project_id": project_id},
        headers={"Authorization": f"Bearer {token}"},
        timeout=10,
    )
    assert response.status_code == 200
    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=20) == 0
    rest = process.stderr.read()
    assert token not in rest
    assert "Traceback" not in rest


def test_serve_reports_a_port_in_use_without_a_traceback(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        process = _serve(tmp_path, "--port", str(port), env={"FLOWBUILDER_TOKEN": "t"})
        _, err = process.communicate(timeout=30)
    assert process.returncode == 1
    assert f"cannot listen on 127.0.0.1:{port}" in err
    assert "Pick another --port" in err
    assert "Traceback" not in err


def test_serve_reports_a_host_it_cannot_resolve_in_one_line(tmp_path: Path) -> None:
    process = _serve(
        tmp_path, "--host", "no-such-host.invalid", "--port", "0", env={"FLOWBUILDER_TOKEN": "t"}
    )
    _, err = process.communicate(timeout=30)
    assert process.returncode == 1
    assert "cannot listen on no-such-host.invalid" in err
    assert "Traceback" not in err
    assert len(err.strip().splitlines()) == 1


def test_serve_refuses_an_empty_token(tmp_path: Path) -> None:
    process = _serve(tmp_path, "--token", "", "--port", "0")
    _, err = process.communicate(timeout=30)
    assert process.returncode == 2
    assert "token" in err
    assert "listening" not in err


@pytest.mark.parametrize(
    ("host", "warned"),
    [
        ("127.0.0.1", False),
        ("localhost", False),
        ("::1", False),
        ("127.example.com", True),
        ("0.0.0.0", True),
    ],
)
def test_only_loopback_addresses_are_spared_the_exposure_warning(host: str, warned: bool) -> None:
    from flowbuilder.server import _is_loopback

    assert _is_loopback(host) is not warned


def test_an_authorised_client_is_served_while_hundreds_of_idle_and_slow_connections_are_open(
    server: ServerProcess,
) -> None:
    host, port = server.url.removeprefix("http://").rsplit(":", 1)
    hogs: list[socket.socket] = []
    try:
        for number in range(500):
            hog = socket.create_connection((host, int(port)), timeout=10)
            if number % 2:  # half of them send a request one byte at a time, and stop
                hog.sendall(b"G")
            hogs.append(hog)
        response = _call(server, "GET", FLOWS)
        assert response.status_code == 200
    finally:
        for hog in hogs:
            hog.close()


def test_serve_reports_an_unusable_store_without_a_traceback(tmp_path: Path) -> None:
    (tmp_path / "flows.sqlite3").write_text("not a database" * 100)
    process = _serve(tmp_path, "--port", "0", env={"FLOWBUILDER_TOKEN": "t"})
    _, err = process.communicate(timeout=30)
    assert process.returncode == 1
    assert "not a database" in err
    assert "Traceback" not in err


@pytest.mark.parametrize("if_match", ['"1"', 'W/"1"', "1"])
def test_an_if_match_names_the_revision_strong_weak_or_bare(server: ServerProcess, if_match: str) -> None:
    created = _call(server, "POST", FLOWS, json={"name": "guarded"})
    flow_id = created.json()["flow"]["metadata"]["asset_id"]
    headers = {"If-Match": if_match}
    answer = _call(server, "PUT", f"{FLOWS}/{flow_id}", json={"description": "x"}, headers=headers)
    assert answer.status_code == 200
    assert answer.headers["ETag"] == '"2"'


@pytest.mark.parametrize("if_match", ['"²"', '"' + "9" * 5000 + '"'])
def test_an_if_match_that_is_not_a_number_is_400_and_changes_nothing(
    server: ServerProcess, if_match: str
) -> None:
    created = _call(server, "POST", FLOWS, json={"name": "guarded"})
    flow_id = created.json()["flow"]["metadata"]["asset_id"]
    headers = {"If-Match": if_match}
    answer = _call(server, "PUT", f"{FLOWS}/{flow_id}", json={"description": "x"}, headers=headers)
    assert answer.status_code == 400
    assert "If-Match must be a revision" in answer.json()["errors"][0]["message"]
    assert _call(server, "GET", f"{FLOWS}/{flow_id}").headers["ETag"] == '"1"'


@pytest.mark.parametrize("start", ["²", "9" * 30])
def test_a_page_cursor_that_is_not_a_small_number_is_400(server: ServerProcess, start: str) -> None:
    answer = _call(server, "GET", FLOWS, params={"start": start})
    assert answer.status_code == 400
    assert "bad page cursor" in answer.json()["errors"][0]["message"]


def test_large_bodies_are_handled_two_at_a_time_while_small_requests_go_on(tmp_path: Path) -> None:
    # A parsed body can take ~25 times its size, so the server bounds how many large ones are in
    # memory at once (docs/security.md); small requests never wait for them.
    backend = LocalBackend(tmp_path)
    inside: list[str] = []
    most = [0]
    release = threading.Event()
    guard = threading.Lock()
    create = backend.create_flow

    def slow_create(fields: Any, **kwargs: Any) -> dict[str, Any]:
        with guard:
            inside.append(fields["name"])
            most[0] = max(most[0], len(inside))
        release.wait(timeout=30)
        with guard:
            inside.remove(fields["name"])
        return create(fields, **kwargs)

    backend.create_flow = slow_create  # type: ignore[method-assign]
    app = FlowsApp(backend, token="t")
    padding = "x" * (1024 * 1024 + 1)  # over the 1 MiB mark
    statuses: list[int] = []
    large = [
        threading.Thread(
            target=lambda n=n: statuses.append(
                _wsgi(app, "POST", FLOWS, {"name": f"large {n}", "description": padding})[0]
            )
        )
        for n in range(4)
    ]
    for thread in large:
        thread.start()
    deadline = time.monotonic() + 10
    while len(inside) < 2 and time.monotonic() < deadline:
        time.sleep(0.01)
    time.sleep(0.2)  # time for a third to get in, were it let in
    assert len(inside) == 2
    status, _, _ = _wsgi(app, "GET", FLOWS)  # a small request is answered meanwhile
    assert status == 200
    release.set()
    for thread in large:
        thread.join(timeout=30)
    assert sorted(statuses) == [201] * 4
    assert most[0] == 2
    backend.close()

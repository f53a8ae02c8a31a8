"""The HTTP backend against a real ``flowbuilder serve`` on loopback; IAM (which we do not own) and
exact retry timing through an injected transport."""

from __future__ import annotations

import json
import logging
import traceback
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from flowbuilder import Flow
from flowbuilder.backends import HttpBackend, LocalBackend, RetryPolicy
from flowbuilder.errors import AuthError, BackendError, ConflictError, NotFoundError
from flowbuilder.project import Project
from flowbuilder.server import ServerProcess

FAST = RetryPolicy(attempts=15, backoff=0.001, max_delay=0.05)
IAM = "https://iam.example.test/identity/token"


class Recording:
    """A transport that records every request and passes it to ``answer`` (or a real session)."""

    def __init__(self, answer: Callable[[requests.PreparedRequest], requests.Response] | None = None) -> None:
        self.sent: list[tuple[str, str, dict[str, list[str]]]] = []
        self.kwargs: list[dict[str, Any]] = []
        self.statuses: list[int] = []
        self._answer = answer
        self._session = requests.Session()

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:
        url = urlsplit(str(request.url))
        self.sent.append((str(request.method), url.path, parse_qs(url.query)))
        self.kwargs.append(kwargs)
        response = self._answer(request) if self._answer else self._session.send(request, **kwargs)
        self.statuses.append(response.status_code)
        return response

    def count(self, method: str, path_end: str = "") -> int:
        return sum(1 for m, p, _ in self.sent if m == method and p.endswith(path_end))


def _response(status: int, body: object = None, headers: dict[str, str] | None = None) -> requests.Response:
    response = requests.Response()
    response.status_code = status
    response._content = b"" if body is None else json.dumps(body).encode()
    response.headers.update(headers or {})
    return response


@pytest.fixture
def server(tmp_path: Path) -> Iterator[ServerProcess]:
    with ServerProcess(tmp_path / "served") as running:
        yield running


# -- against the real server ---------------------------------------------------------------------------


def test_listing_follows_next_links_over_250_flows(server: ServerProcess) -> None:
    seeding = LocalBackend(server.data_dir)
    created = [
        seeding.create_flow({"name": f"flow {n:03d}"})["flow"]["metadata"]["asset_id"] for n in range(250)
    ]
    seeding.close()
    transport = Recording()
    project = server.connect(transport=transport)
    assert len(project.flows) == 250
    assert transport.sent[-1][2]["limit"] == ["1"], "len() asks for one flow and reads total_count"
    transport.sent.clear()
    flows = list(project.flows)
    assert [flow.flow_id for flow in flows] == created
    assert [flow.name for flow in flows] == [f"flow {n:03d}" for n in range(250)]
    lists = [query for method, path, query in transport.sent if path.endswith("/streamsets_flows")]
    pages = [query for query in lists if query.get("limit") != ["1"]]  # list() asks len() for a size hint
    assert [q.get("start") for q in pages] == [None, ["100"], ["200"]]
    assert all("limit" not in q for q in pages), "pages of the server's own size, as IBM's SDK asks"
    assert transport.count("GET") == len(lists) + 250
    assert all(query["project_id"] == [server.project_id] for _, _, query in transport.sent)


def test_repr_of_the_flows_lists_once_and_reads_each_flow_once(server: ServerProcess) -> None:
    transport = Recording()
    project = server.connect(transport=transport)
    flows = [project.create_flow(name=name) for name in ("a", "b")]
    transport.sent.clear()
    assert repr(project.flows) == repr(flows)
    assert [(m, p.rsplit("/", 1)[-1]) for m, p, _ in transport.sent] == [
        ("GET", "streamsets_flows"),
        ("GET", flows[0].flow_id),
        ("GET", flows[1].flow_id),
    ]


def test_30_percent_faults_every_idempotent_call_succeeds_and_no_create_is_duplicated(tmp_path: Path) -> None:
    with ServerProcess(tmp_path / "faulty", fault_rate=0.3) as server:
        transport = Recording()
        project = server.connect(transport=transport, retry=FAST)
        created: dict[str, str] = {}
        refused: list[BackendError] = []
        for number in range(60):
            try:
                flow = project.create_flow(name=f"flow {number}")
            except BackendError as error:
                refused.append(error)
            else:
                created[flow.flow_id] = flow.name
        assert refused, "30% fault injection refused no create; the test proved nothing"
        assert {error.status for error in refused} <= {429, 503}
        assert all("not retried automatically" in str(error) for error in refused)
        assert transport.count("POST") == 60, "each create was posted exactly once"

        listed = {flow.flow_id: flow.name for flow in project.flows}
        assert listed == created, "every create that succeeded is stored once; no refused one is"
        for flow_id in created:
            flow = project.flows.get(flow_id=flow_id)
            flow.description = "updated under faults"
            flow.add_stage("Dev Raw Data Source") >> flow.add_stage("Trash")
            assert project.update_flow(flow).status_code == 200
        for flow_id in list(created)[::2]:
            assert project.delete_flow(project.flows.get(flow_id=flow_id)).status_code == 204
        remaining = list(project.flows)
        assert {f.flow_id for f in remaining} == set(list(created)[1::2])
        assert all(f.description == "updated under faults" and len(f.stages) == 2 for f in remaining)
        idempotent = [
            s for (m, _, _), s in zip(transport.sent, transport.statuses, strict=True) if m != "POST"
        ]
        assert sum(s in (429, 503) for s in idempotent) > 0, "no idempotent call met a fault"
    with Project.local(tmp_path / "faulty") as store:
        assert len(store.flows) == len(remaining)


def test_stale_update_over_http_raises_conflict_with_status_and_request_id(server: ServerProcess) -> None:
    project = server.connect()
    flow = project.create_flow(name="orders")
    stale = project.flows.get(flow_id=flow.flow_id)
    flow.description = "first"
    project.update_flow(flow)
    stale.description = "second"
    with pytest.raises(ConflictError) as raised:
        project.update_flow(stale)
    assert raised.value.status == 412
    assert raised.value.request_id
    assert raised.value.request_id in str(raised.value)
    assert "changed since it was read" in str(raised.value)
    assert project.flows.get(flow_id=flow.flow_id).description == "first"


def test_wrong_token_is_refused(server: ServerProcess) -> None:
    project = Project.connect(server.url, project_id=server.project_id, token="not-the-token")
    with pytest.raises(AuthError) as raised:
        list(project.flows)
    assert raised.value.status == 401
    assert "missing or wrong bearer token" in str(raised.value)
    assert "not-the-token" not in str(raised.value)


def test_errors_carry_status_request_id_and_the_servers_message(server: ServerProcess) -> None:
    project = server.connect()
    with pytest.raises(NotFoundError) as raised:
        project.flows.get(flow_id="no/such id")
    error = raised.value
    assert error.status == 404
    assert error.request_id is not None
    assert len(error.request_id) == 32
    assert "no flow with id 'no/such id'" in str(error)
    other = Project.connect(server.url, project_id="another-project", token=server.token)
    with pytest.raises(NotFoundError, match="no project 'another-project' on this server"):
        len(other.flows)


def test_create_with_a_flow_posts_once_then_puts_the_definition(server: ServerProcess) -> None:
    transport = Recording()
    project = server.connect(transport=transport)
    authored = Flow("orders").source("Dev Raw Data Source").to("Trash").flow
    stored = project.create_flow(name="orders", flow=authored)
    assert [(m, p.rsplit("/", 1)[-1]) for m, p, _ in transport.sent] == [
        ("POST", "streamsets_flows"),
        ("PUT", stored.flow_id),
    ]
    assert stored.revision == 2
    assert project.flows.get(flow_id=stored.flow_id).to_dict() == authored.to_dict()


def test_export_and_import_over_http(server: ServerProcess, tmp_path: Path) -> None:
    project = server.connect()
    flow = project.create_flow(
        name="orders", flow=Flow("orders").source("Dev Raw Data Source").to("Trash").flow
    )
    archive = project.export_flows([flow], destination=tmp_path / "flows.zip")
    imported = project.import_flows(archive)
    assert [f.name for f in imported] == ["orders (1)"]
    assert imported[0].to_dict()["stages"] == flow.to_dict()["stages"]


# -- IAM and retries through an injected transport (the IBM cloud is not ours to run) ------------------


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _cloud(iam_tokens: list[str], api: Callable[[requests.PreparedRequest], requests.Response]) -> Recording:
    def answer(request: requests.PreparedRequest) -> requests.Response:
        if str(request.url).startswith(IAM):
            token = iam_tokens.pop(0)
            return _response(200, {"access_token": token, "expires_in": 3600, "token_type": "Bearer"})
        return api(request)

    return Recording(answer)


def _empty_list(request: requests.PreparedRequest) -> requests.Response:
    return _response(200, {"streamsets_flows": [], "total_count": 0})


def test_api_key_is_exchanged_once_cached_and_refreshed_before_expiry() -> None:
    clock = Clock()
    seen: list[str] = []

    def api(request: requests.PreparedRequest) -> requests.Response:
        seen.append(str(request.headers["Authorization"]))
        return _empty_list(request)

    transport = _cloud(["first-token", "second-token"], api)
    backend = HttpBackend(
        "https://api.example.test", project_id="p", api_key="k", iam_url=IAM, transport=transport, clock=clock
    )
    backend.list_flows()
    clock.now += 2000  # 55% of the hour: the cached token is still used
    backend.list_flows()
    clock.now += 1000  # 83%: refreshed before it expires
    backend.list_flows()
    assert seen == ["Bearer first-token", "Bearer first-token", "Bearer second-token"]
    assert transport.count("POST", "/identity/token") == 2
    iam_body = [
        k for (m, p, _), k in zip(transport.sent, transport.kwargs, strict=True) if p.endswith("/token")
    ]
    assert all(k["timeout"] == (10.0, 60.0) for k in iam_body)


def test_a_401_refreshes_the_token_once_and_repeats_the_call() -> None:
    answers = [
        _response(401, {"errors": [{"message": "token expired"}]}),
        _response(
            201,
            {"flow": {"metadata": {"asset_id": "f1", "name": "orders"}, "entity": {"streamsets_flow": {}}}},
        ),
    ]
    seen: list[str] = []

    def api(request: requests.PreparedRequest) -> requests.Response:
        seen.append(str(request.headers["Authorization"]))
        return answers.pop(0)

    transport = _cloud(["old", "new"], api)
    backend = HttpBackend(
        "https://api.example.test", project_id="p", api_key="k", iam_url=IAM, transport=transport
    )
    document = backend.create_flow({"name": "orders"})
    assert document["flow"]["metadata"]["asset_id"] == "f1"
    assert transport.count("POST", "/streamsets_flows") == 2
    assert seen == ["Bearer old", "Bearer new"], "the repeat carries the refreshed token"
    assert transport.count("POST", "/identity/token") == 2


def test_a_second_401_after_the_refresh_is_an_auth_error_without_the_token() -> None:
    transport = _cloud(
        ["tok-old-1", "tok-new-2"],
        lambda request: _response(401, {"errors": [{"message": f"bad {request.headers['Authorization']}"}]}),
    )
    backend = HttpBackend(
        "https://api.example.test", project_id="p", api_key="k", iam_url=IAM, transport=transport
    )
    with pytest.raises(AuthError) as raised:
        backend.get_flow("f1")
    assert raised.value.status == 401
    assert transport.count("GET") == 2, "refreshed once, then given up"
    assert "tok-new-2" not in str(raised.value)


def test_retry_after_is_honoured_and_retries_are_bounded() -> None:
    sleeps: list[float] = []
    transport = Recording(
        lambda request: _response(
            429, {"errors": [{"message": "slow down"}]}, {"Retry-After": "2", "X-Request-Id": "req-9"}
        )
    )
    backend = HttpBackend(
        "https://api.example.test",
        project_id="p",
        token="t",
        transport=transport,
        retry=RetryPolicy(attempts=4, backoff=0.5, max_delay=30.0),
        sleep=sleeps.append,
    )
    with pytest.raises(BackendError) as raised:
        backend.get_flow("f1")
    assert sleeps == [2.0, 2.0, 2.0]
    assert transport.count("GET") == 4
    assert raised.value.status == 429
    assert raised.value.request_id == "req-9"
    assert "slow down" in str(raised.value)


def test_a_retry_after_longer_than_allowed_is_not_cut_short() -> None:
    sleeps: list[float] = []
    transport = Recording(lambda request: _response(503, None, {"Retry-After": "120"}))
    backend = HttpBackend(
        "https://api.example.test",
        project_id="p",
        token="t",
        transport=transport,
        retry=RetryPolicy(attempts=5, max_delay=30.0),
        sleep=sleeps.append,
    )
    with pytest.raises(BackendError, match="HTTP 503"):
        backend.delete_flow("f1")
    assert sleeps == []
    assert transport.count("DELETE") == 1


@pytest.mark.parametrize("failure", ["status", "connection"])
def test_posts_are_sent_once_and_gets_are_retried(failure: str) -> None:
    def answer(request: requests.PreparedRequest) -> requests.Response:
        if failure == "connection":
            raise requests.ConnectionError("connection reset")
        return _response(503, {"errors": [{"message": "busy"}]})

    sleeps: list[float] = []
    transport = Recording(answer)
    backend = HttpBackend(
        "https://api.example.test",
        project_id="p",
        token="t",
        transport=transport,
        retry=RetryPolicy(attempts=3, backoff=0.25),
        sleep=sleeps.append,
    )
    with pytest.raises(BackendError):
        backend.create_flow({"name": "orders"})
    with pytest.raises(BackendError):
        backend.duplicate_flow("f1", "copy", "")
    with pytest.raises(BackendError):
        backend.import_flows(b"zip", conflict_resolution="rename")
    assert transport.count("POST") == 3
    assert sleeps == []
    with pytest.raises(BackendError):
        backend.get_flow("f1")
    assert transport.count("GET") == 3
    assert sleeps == [0.25, 0.5]


def test_iam_refusal_is_an_auth_error_that_never_shows_the_key() -> None:
    def answer(request: requests.PreparedRequest) -> requests.Response:
        return _response(
            400,
            {"errorCode": "BXNIM0415E", "errorMessage": "Provided API key could not be found: KEY-sekrit-1"},
            {"Transaction-Id": "iam-tx-1"},
        )

    backend = HttpBackend(
        "https://api.example.test",
        project_id="p",
        api_key="KEY-sekrit-1",
        iam_url=IAM,
        transport=Recording(answer),
    )
    with pytest.raises(AuthError) as raised:
        backend.list_flows()
    assert raised.value.status == 400
    assert raised.value.request_id == "iam-tx-1"
    assert "could not be found" in str(raised.value)
    assert "KEY-sekrit-1" not in str(raised.value)


def test_no_api_key_or_token_in_any_repr_log_line_or_error(
    server: ServerProcess, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    api_key = "APIKEY-sekrit-7f3e"

    def iam_then_server(request: requests.PreparedRequest) -> requests.Response:
        if str(request.url).startswith(IAM):
            return _response(200, {"access_token": server.token, "expires_in": 3600})
        return requests.Session().send(request, timeout=10)

    shown: list[str] = []

    def keep(error: BaseException) -> None:
        shown.extend(traceback.format_exception(type(error), error, error.__traceback__))

    transport = Recording(iam_then_server)
    project = Project.connect(
        server.url,
        project_id=server.project_id,
        api_key=api_key,
        iam_url=IAM,
        transport=transport,
        retry=FAST,
    )
    flow = project.create_flow(
        name="orders", flow=Flow("orders").source("Dev Raw Data Source").to("Trash").flow
    )
    stale = project.flows.get(flow_id=flow.flow_id)
    project.update_flow(flow)
    for action in (lambda: project.update_flow(stale), lambda: project.flows.get(flow_id="missing")):
        try:
            action()
        except BackendError as error:
            keep(error)
    wrong = Project.connect(server.url, project_id=server.project_id, token=server.token + "x")
    try:
        len(wrong.flows)
    except AuthError as error:
        keep(error)
    refusing = Recording(lambda request: _response(400, {"errorMessage": f"bad key {api_key}"}))
    try:
        HttpBackend(server.url, project_id="p", api_key=api_key, iam_url=IAM, transport=refusing).get_flow(
            "f"
        )
    except AuthError as error:
        keep(error)
    assert len(shown) >= 4
    shown += [
        repr(project),
        repr(project.backend),
        repr(wrong),
        repr(flow),
        repr(project.flows),
        repr(server),
    ]
    assert isinstance(project.backend, HttpBackend)
    shown += [repr(project.backend._auth), caplog.text, *server.output]
    text = "\n".join(shown)
    assert caplog.records, "nothing was logged; the log check proved nothing"
    for secret in (api_key, server.token, server.token + "x"):
        assert secret not in text


def _flow_with_custom_stage(engine_version: str) -> dict[str, Any]:
    definition = Flow("custom").source("Dev Raw Data Source").to("Trash").flow.to_dict()
    definition["stages"][1].update(
        {"stageName": "com_example_MyDTarget", "library": "example-lib", "stageVersion": "2"}
    )
    asset = {
        "metadata": {"asset_id": "f1", "name": "custom", "description": "", "project_id": "p"},
        "entity": {"streamsets_flow": {"engine_type": "data_collector", "engine_version": engine_version}},
    }
    return {"flow": asset, "pipeline_definition": definition}


@pytest.mark.parametrize("served", [True, False])
def test_flows_of_another_engine_version_compile_with_that_versions_definitions(served: bool) -> None:
    definitions = {
        "stages": [
            {
                "name": "com_example_MyDTarget",
                "version": "2",
                "label": "My Target",
                "library": "example-lib",
                "type": "TARGET",
                "configDefinitions": [],
            }
        ]
    }

    def api(request: requests.PreparedRequest) -> requests.Response:
        path = urlsplit(str(request.url)).path
        if path.endswith("/streamsets_engine_versions/data_collector/9.9.9/definitions"):
            return (
                _response(200, definitions) if served else _response(404, {"errors": [{"message": "none"}]})
            )
        return _response(200, _flow_with_custom_stage("9.9.9"))

    transport = Recording(api)
    project = Project(HttpBackend("https://api.example.test", project_id="p", token="t", transport=transport))
    flow = project.flows.get(flow_id="f1")
    project.flows.get(flow_id="f1")
    target = flow.stage("Trash_01")
    assert (target.definition is not None) is served
    assert target.definition is None or target.definition.label == "My Target"
    assert flow.stage("DevRawDataSource_01").definition is not None, (
        "the bundled catalog still backs the rest"
    )
    assert transport.count("GET", "/definitions") == 1, "definitions are fetched once per engine version"
    assert flow.to_dict() == _flow_with_custom_stage("9.9.9")["pipeline_definition"]


@pytest.mark.parametrize(("etag", "revision"), [('"7"', 7), ('W/"7"', 7), ('"²"', None), ("", None)])
def test_a_flow_answered_without_a_revision_takes_it_from_the_etag(etag: str, revision: int | None) -> None:
    headers = {"ETag": etag} if etag else {}
    transport = Recording(lambda request: _response(200, {"flow": _flow_asset("f1")}, headers))
    backend = HttpBackend("https://api.example.test", project_id="p", token="t", transport=transport)
    assert backend.get_flow("f1")["flow"]["metadata"].get("revision") == revision


def _flow_asset(flow_id: str) -> dict[str, Any]:
    return {"metadata": {"asset_id": flow_id, "name": flow_id}, "entity": {"streamsets_flow": {}}}


def test_next_links_that_come_round_again_end_the_listing_instead_of_looping() -> None:
    calls: list[str] = []

    def api(request: requests.PreparedRequest) -> requests.Response:
        url = urlsplit(str(request.url))
        start = parse_qs(url.query).get("start", ["0"])[0]
        calls.append(url.path.rsplit("/", 1)[-1])
        assert len(calls) < 50, "the client kept following next links round a cycle"
        following = {"0": "1", "1": "2", "2": "1"}[start]
        if url.path.endswith("/streamsets_environments"):
            environment = {
                "metadata": {"asset_id": f"e{start}", "name": f"env {start}"},
                "entity": {"streamsets_environment": {"engine_type": "data_collector"}},
            }
            return _response(200, {"streamsets_environments": [environment], "next": {"start": following}})
        if url.path.endswith("/streamsets_flows"):
            body = {"streamsets_flows": [_flow_asset(f"f{start}")], "total_count": 3}
            return _response(200, {**body, "next": {"href": f"/x?start={following}"}})
        flow_id = url.path.rsplit("/", 1)[-1]
        return _response(200, {"flow": _flow_asset(flow_id)})

    project = Project(
        HttpBackend("https://api.example.test", project_id="p", token="t", transport=Recording(api))
    )
    assert [e.name for e in project.environments] == ["env 0", "env 1", "env 2"]
    assert calls.count("streamsets_environments") == 3, "pages 0, 1, 2; then the link back to 1 ends it"
    calls.clear()
    assert [f.flow_id for f in project.flows] == ["f0", "f1", "f2"]
    assert calls.count("streamsets_flows") == 3


def test_a_put_or_delete_whose_answer_was_lost_is_settled_as_done(server: ServerProcess) -> None:
    session = requests.Session()
    dropped: set[str] = set()

    def lose_first_answer(request: requests.PreparedRequest) -> requests.Response:
        response = session.send(request, timeout=10)
        method = str(request.method)
        if method in ("PUT", "DELETE") and method not in dropped:
            dropped.add(method)
            raise requests.ConnectionError("connection reset after the request was sent")
        return response

    transport = Recording(lose_first_answer)
    project = server.connect(transport=transport, retry=FAST)
    flow = project.create_flow(name="orders")
    transport.sent.clear()
    transport.statuses.clear()
    flow.description = "changed once"
    assert project.update_flow(flow).status_code == 200
    assert flow.revision == 2
    assert [m for m, _, _ in transport.sent] == ["PUT", "PUT", "GET"]
    assert transport.statuses == [412, 200], "the retry met its own change; a GET showed it took effect"
    assert project.flows.get(flow_id=flow.flow_id).description == "changed once"
    transport.sent.clear()
    transport.statuses.clear()
    deleted = project.delete_flow(flow)
    assert repr(deleted) == "<Response [204]>"
    assert deleted.content == b""
    assert len(deleted.headers["X-Request-Id"]) == 32, "the request id of the answer that settled it"
    assert [m for m, _, _ in transport.sent] == ["DELETE", "DELETE"]
    assert transport.statuses == [404]
    with pytest.raises(NotFoundError):
        project.flows.get(flow_id=flow.flow_id)


@pytest.mark.parametrize("value", ["²", "9" * 5000])
def test_a_retry_after_that_is_not_a_number_falls_back_to_backoff(value: str) -> None:
    sleeps: list[float] = []
    transport = Recording(lambda request: _response(503, None, {"Retry-After": value}))
    backend = HttpBackend(
        "https://api.example.test",
        project_id="p",
        token="t",
        transport=transport,
        retry=RetryPolicy(attempts=2, backoff=0.5, max_delay=30.0),
        sleep=sleeps.append,
    )
    with pytest.raises(BackendError, match="HTTP 503"):
        backend.get_flow("f1")
    assert len(sleeps) == 1
    assert 0 < sleeps[0] <= 30.0


@pytest.mark.parametrize(
    ("url", "iam_url"),
    [
        ("https://me:hunter2@api.example.test", "https://iam.example.test/token"),
        ("ftp://me:hunter2@api.example.test", "https://iam.example.test/token"),
        ("https://api.example.test", "https://me:hunter2@iam.example.test/token"),
    ],
)
def test_urls_with_credentials_are_refused_without_showing_them(url: str, iam_url: str) -> None:
    with pytest.raises(BackendError) as raised:
        HttpBackend(
            url, project_id="p", api_key="k", iam_url=iam_url, transport=Recording(lambda r: _response(200))
        )
    assert "hunter2" not in str(raised.value)
    assert "***@" in str(raised.value)

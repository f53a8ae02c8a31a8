"""``flowbuilder serve``: the StreamSets flows REST API over the local store, on waitress.

The endpoints are those of watsonx.data integration (``/sset/streamsets_flows/v1/streamsets_flows``
and ``/sset/engine_manager/v1/streamsets_environments``, every call with ``project_id``), so
``Project.connect(url, project_id=..., token=...)`` works against it exactly as against the cloud.
Beside them it answers what IBM's own SDK reads before and around the flows, with the API's
shapes and types: the service check (``/v2/connections/version``), the project
(``/v2/projects/{id}`` and the projects API schema), the environment's engines (none run here),
the engine versions and their stage definitions (``/sset/engine_manager/v2/
streamsets_engine_versions/{engine}/{version}/definitions``, written from the bundled catalog),
and empty lists where the SDK looks for other asset kinds (DataStage flows, asset searches).
Each request needs ``Authorization: Bearer <token>``. Flow answers carry ``ETag: "<revision>"``
and an update with a stale ``If-Match`` is refused with 412.

Fault injection (``--fault-rate F``): a fraction F of authorised requests is answered 429 or 503
with ``Retry-After: 0`` *before any work is done*, so clients can prove their retries are safe.

>>> import tempfile
>>> from flowbuilder.backends import LocalBackend
>>> app = make_app(LocalBackend(tempfile.mkdtemp()), token="s3cr3t")
>>> app
FlowsApp(project_id='...', fault_rate=0.0)
"""

from __future__ import annotations

import collections
import functools
import hmac
import ipaddress
import json
import logging
import os
import queue
import random
import re
import secrets
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, quote, unquote, urlencode, urlsplit

from ._json import MAX_JSON_BYTES, as_mapping, load_json_held
from ._numbers import count
from .backends import LocalBackend, documents
from .backends.documents import revision_from_etag
from .backends.http import FLOWS_PATH
from .catalog import Catalog, engine_definitions
from .errors import BackendError, ConfigError, FlowbuilderError, FlowFormatError

if TYPE_CHECKING:
    from .project import Project

__all__ = ["FlowsApp", "ServerProcess", "make_app", "serve"]

_log = logging.getLogger("flowbuilder.server")

_V2_FLOWS_PATH = "/sset/streamsets_flows/v2/streamsets_flows"
_ENVIRONMENTS_PATH = "/sset/engine_manager/v1/streamsets_environments"
_ENGINES_PATH = "/sset/engine_manager/v1/streamsets_engines"
_ENGINE_VERSIONS = re.escape("/sset/engine_manager/v2/streamsets_engine_versions/") + r"(?P<engine>[^/]+)"
_VERSION = r"(?P<version>[^/]+)"
_CONNECTIONS_VERSION_PATH = "/v2/connections/version"
_PROJECTS_PATH = "/v2/projects"
_PROJECTS_SCHEMA_PATH = "/v2/projects/docs/schemas/v2-projects-api-openapi.yml"
_BATCH_FLOWS_PATH = "/data_intg/v3/data_intg_flows"
_ASSET_SEARCH = re.escape("/v2/asset_types/") + r"(?P<type>[^/]+)/search"
#: The asset types this server holds; searches for any other kind find nothing.
_OWN_ASSET_TYPES = ("streamsets_flow", "streamsets_environment")
_MAX_BODY = MAX_JSON_BYTES  # the importer's own limit: no body holds a flow it would refuse
#: Bodies larger than this are handled at most _LARGE_AT_ONCE at a time: reading a document
#: takes at most five times its size plus 8 MiB (``_json.memory_limit``; real flows 2.5 to 4.5
#: times), so the worst case is 2 x (5 x 64 MiB + 8 MiB), about 690 MB, whatever the clients.
_LARGE_BODY = 1024 * 1024
_LARGE_AT_ONCE = 2
_READY = re.compile(r"listening on (?P<url>http://\S+) \(project (?P<project>[^,]+),")
_CODES = {
    400: "bad_request",
    401: "unauthorized",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    412: "precondition_failed",
    413: "payload_too_large",
    429: "too_many_requests",
    500: "internal_error",
    503: "service_unavailable",
}
_REASONS = {
    200: "OK",
    201: "Created",
    204: "No Content",
    400: "Bad Request",
    401: "Unauthorized",
    404: "Not Found",
    405: "Method Not Allowed",
    409: "Conflict",
    412: "Precondition Failed",
    413: "Payload Too Large",
    429: "Too Many Requests",
    500: "Internal Server Error",
    503: "Service Unavailable",
}

StartResponse = Callable[[str, list[tuple[str, str]]], Any]


class _Answer(Exception):
    """A complete HTTP answer, raised from anywhere in a handler."""

    def __init__(self, status: int, body: bytes = b"", headers: Iterable[tuple[str, str]] = ()) -> None:
        super().__init__(status)
        self.status = status
        self.body = body
        self.headers = list(headers)


def _json_answer(status: int, body: object, headers: Iterable[tuple[str, str]] = ()) -> _Answer:
    data = json.dumps(body, ensure_ascii=False).encode()
    return _Answer(status, data, [("Content-Type", "application/json"), *headers])


def _error_answer(
    status: int,
    message: str,
    request_id: str,
    hint: str | None = None,
    headers: Iterable[tuple[str, str]] = (),
) -> _Answer:
    error: dict[str, str] = {"code": _CODES.get(status, "error"), "message": message}
    if hint:
        error["more_info"] = hint
    return _json_answer(status, {"trace": request_id, "errors": [error], "status_code": status}, headers)


def _etag(document: Mapping[str, Any]) -> list[tuple[str, str]]:
    revision = document.get("flow", {}).get("metadata", {}).get("revision")
    return [("ETag", f'"{revision}"')] if isinstance(revision, int) else []


class _Request:
    """What a handler needs from the WSGI environ."""

    def __init__(self, environ: Mapping[str, Any], request_id: str) -> None:
        self.environ = environ
        self.id = request_id
        self.method = str(environ.get("REQUEST_METHOD", "GET")).upper()
        # Route on the path as sent: PATH_INFO is already percent-decoded, so an id holding '%2F'
        # would split into two segments there.
        uri = environ.get("REQUEST_URI")
        if isinstance(uri, str) and uri:
            raw = urlsplit(uri).path
        else:
            raw = quote(str(environ.get("PATH_INFO", "")).encode("latin-1"), safe="/")
        self.path = raw.rstrip("/") or "/"
        self.shown_path = unquote(self.path)
        self.query = parse_qs(str(environ.get("QUERY_STRING", "")), keep_blank_values=True)
        self.path_params: dict[str, str] = {}

    def param(self, name: str) -> str | None:
        values = self.query.get(name)
        return values[-1] if values else None

    def body(self) -> bytes:
        try:
            length = int(self.environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            raise _error_answer(400, "Content-Length is not a number", self.id) from None
        if length > _MAX_BODY:
            raise _error_answer(413, f"the body is larger than {_MAX_BODY} bytes", self.id)
        return bytes(self.environ["wsgi.input"].read(length)) if length > 0 else b""

    def json(self) -> object:
        data = self.body()
        if not data:
            return None
        from .compile import check_import_memory

        try:
            document, held = load_json_held(data, max_bytes=_MAX_BODY)
            check_import_memory(document, len(data), held)  # a flow in it is read before it is stored
            return document
        except FlowFormatError as error:
            raise _error_answer(400, f"the body: {error.message}", self.id, error.hint) from None


Handler = Callable[[_Request, str], _Answer]


class FlowsApp:
    """The WSGI application of ``flowbuilder serve`` over one local store (see :func:`make_app`)."""

    def __init__(
        self,
        backend: LocalBackend,
        *,
        token: str,
        fault_rate: float = 0.0,
        chance: Callable[[], float] | None = None,
    ) -> None:
        if not token:
            raise ConfigError(
                "the server needs a non-empty bearer token", hint="Pass token=... or leave it out."
            )
        if not 0.0 <= fault_rate <= 1.0:
            raise ConfigError(f"fault_rate must be between 0 and 1; got {fault_rate}")
        self.backend = backend
        self._token = token.encode()
        self.fault_rate = fault_rate
        self._chance = chance or random.Random().random
        self._started = int(time.time() * 1000)
        self._large = threading.BoundedSemaphore(_LARGE_AT_ONCE)
        flow = r"(?P<id>[^/]+)"
        # (path pattern, handlers by method, whether the call names the project in ?project_id=)
        self._routes: list[tuple[re.Pattern[str], dict[str, Handler], bool]] = [
            (re.compile(re.escape(FLOWS_PATH)), {"GET": self._list, "POST": self._create}, True),
            (re.compile(re.escape(FLOWS_PATH + "/export/flows")), {"GET": self._export}, True),
            (re.compile(re.escape(FLOWS_PATH + "/import")), {"POST": self._import}, True),
            (
                re.compile(re.escape(FLOWS_PATH + "/") + flow),
                {"GET": self._get, "PUT": self._update, "DELETE": self._delete},
                True,
            ),
            (re.compile(re.escape(FLOWS_PATH + "/") + flow + "/duplicate"), {"POST": self._duplicate}, True),
            (re.compile(re.escape(_V2_FLOWS_PATH + "/") + flow), {"PUT": self._replace}, True),
            (re.compile(re.escape(_ENVIRONMENTS_PATH)), {"GET": self._environments}, True),
            (re.compile(re.escape(_ENVIRONMENTS_PATH + "/") + flow), {"GET": self._environment}, True),
            (
                re.compile(re.escape(_ENVIRONMENTS_PATH + "/") + flow + "/engines"),
                {"GET": self._engines},
                True,
            ),
            (re.compile(re.escape(_ENGINES_PATH)), {"GET": self._engines}, True),
            (re.compile(re.escape(_CONNECTIONS_VERSION_PATH)), {"GET": self._service_version}, False),
            (re.compile(re.escape(_PROJECTS_PATH)), {"GET": self._projects}, False),
            (re.compile(re.escape(_PROJECTS_PATH + "/total")), {"GET": self._projects_total}, False),
            (re.compile(re.escape(_PROJECTS_SCHEMA_PATH)), {"GET": self._projects_schema}, False),
            (re.compile(re.escape(_PROJECTS_PATH + "/") + flow), {"GET": self._project}, False),
            (re.compile(re.escape(_BATCH_FLOWS_PATH)), {"GET": self._batch_flows}, True),
            (re.compile(_ASSET_SEARCH), {"POST": self._asset_search}, True),
            (re.compile(_ENGINE_VERSIONS), {"GET": self._engine_versions}, False),
            (re.compile(_ENGINE_VERSIONS + "/" + _VERSION), {"GET": self._engine_version}, False),
            (
                re.compile(_ENGINE_VERSIONS + "/" + _VERSION + "/definitions"),
                {"GET": self._definitions},
                False,
            ),
        ]

    def __repr__(self) -> str:
        return f"FlowsApp(project_id={self.backend.project_id!r}, fault_rate={self.fault_rate})"

    # -- WSGI ------------------------------------------------------------------------------------

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        request_id = uuid.uuid4().hex
        try:
            request = _Request(environ, request_id)
            if (count(str(environ.get("CONTENT_LENGTH") or "")) or 0) > _LARGE_BODY:
                with self._large:
                    answer = self._handle(request)
            else:
                answer = self._handle(request)
        except _Answer as raised:
            answer = raised
        except FlowbuilderError as error:
            answer = self._from_error(error, request_id)
        except Exception:
            _log.exception("request %s failed", request_id)
            answer = _error_answer(500, "internal error; see the server log", request_id)
        headers = [("X-Request-Id", request_id), ("Content-Length", str(len(answer.body))), *answer.headers]
        start_response(f"{answer.status} {_REASONS.get(answer.status, '')}".rstrip(), headers)
        _log.debug(
            "%s %s -> %d (request id %s)",
            environ.get("REQUEST_METHOD"),
            environ.get("PATH_INFO"),
            answer.status,
            request_id,
        )
        return [answer.body]

    @staticmethod
    def _from_error(error: FlowbuilderError, request_id: str) -> _Answer:
        status = getattr(error, "status", None) or 500
        where = FlowbuilderError(
            error.message, flow=error.flow, stage=error.stage, config=error.config, location=error.location
        )
        return _error_answer(status, str(where), request_id, error.hint)

    def _authorised(self, request: _Request) -> bool:
        header = str(request.environ.get("HTTP_AUTHORIZATION", ""))
        scheme, _, presented = header.partition(" ")
        return scheme.lower() == "bearer" and hmac.compare_digest(presented.strip().encode(), self._token)

    def _handle(self, request: _Request) -> _Answer:
        if not self._authorised(request):
            raise _error_answer(
                401,
                "missing or wrong bearer token",
                request.id,
                "Send 'Authorization: Bearer <token>' with the token flowbuilder serve printed.",
                [("WWW-Authenticate", 'Bearer realm="flowbuilder"')],
            )
        if self.fault_rate and self._chance() < self.fault_rate:
            status = 429 if self._chance() < 0.5 else 503
            raise _error_answer(
                status,
                "injected fault (flowbuilder serve --fault-rate)",
                request.id,
                "Retry the request.",
                [("Retry-After", "0")],
            )
        allowed: set[str] = set()
        for pattern, handlers, project_scoped in self._routes:
            match = pattern.fullmatch(request.path)
            if match is None:
                continue
            handler = handlers.get(request.method)
            if handler is None:
                allowed.update(handlers)
                continue
            if project_scoped:
                self._check_project(request)
            request.path_params = {key: unquote(value) for key, value in match.groupdict().items() if value}
            return handler(request, request.path_params.get("id", ""))
        if allowed:
            raise _error_answer(
                405,
                f"{request.method} is not allowed on {request.shown_path}",
                request.id,
                headers=[("Allow", ", ".join(sorted(allowed)))],
            )
        raise _error_answer(
            404, f"no endpoint {request.shown_path}", request.id, f"The flows API is under {FLOWS_PATH}."
        )

    def _check_project(self, request: _Request, project_id: str | None = None) -> None:
        """Refuse a request for another project than this server's: ``project_id`` from the
        path, else the ``project_id`` query parameter, which is then required."""
        if project_id is None:
            project_id = request.param("project_id")
            if not project_id:
                raise _error_answer(
                    400,
                    "the project_id query parameter is required",
                    request.id,
                    f"This server holds project {self.backend.project_id}.",
                )
        if project_id != self.backend.project_id:
            raise _error_answer(
                404,
                f"no project {project_id!r} on this server",
                request.id,
                f"This server holds project {self.backend.project_id}.",
            )

    # -- handlers ----------------------------------------------------------------------------------

    def _list(self, request: _Request, _: str) -> _Answer:
        limit_text = request.param("limit")
        try:
            limit = int(limit_text) if limit_text not in (None, "") else None
        except ValueError:
            raise _error_answer(400, f"limit must be a number; got {limit_text!r}", request.id) from None
        name = request.param("name")
        page = self.backend.list_flows(start=request.param("start"), limit=limit, name=name or None)
        body: dict[str, Any] = {"total_count": page.total_count, "streamsets_flows": page.flows}
        if limit is not None:
            body["limit"] = limit
        if page.next_start is not None:
            query = {"project_id": self.backend.project_id, "start": page.next_start}
            if limit is not None:
                query["limit"] = str(limit)
            if name:
                query["name"] = name
            body["next"] = {"href": f"{FLOWS_PATH}?{urlencode(query)}"}
        return _json_answer(200, body)

    def _get(self, request: _Request, flow_id: str) -> _Answer:
        document = self.backend.get_flow(flow_id)
        return _json_answer(200, document, _etag(document))

    def _create(self, request: _Request, _: str) -> _Answer:
        document = self.backend.create_flow(_object(request))
        return _json_answer(201, document, _etag(document))

    def _revision(self, request: _Request) -> int | None:
        value = str(request.environ.get("HTTP_IF_MATCH", "")).strip()
        if value in ("", "*"):
            return None
        revision = revision_from_etag(value)
        if revision is None:
            raise _error_answer(
                400, f"If-Match must be a revision such as '\"3\"'; got {value[:40]!r}", request.id
            )
        return revision

    def _store_update(self, request: _Request, flow_id: str, fields: Mapping[str, Any]) -> _Answer:
        revision = self._revision(request)
        try:
            document = self.backend.update_flow(flow_id, fields, revision=revision)
        except BackendError as error:
            if error.status == 409 and revision is not None:
                error.status = 412  # the If-Match precondition failed
            raise
        return _json_answer(200, document, _etag(document))

    def _update(self, request: _Request, flow_id: str) -> _Answer:
        return self._store_update(request, flow_id, _object(request))

    def _replace(self, request: _Request, flow_id: str) -> _Answer:
        body = _object(request)
        asset = as_mapping(body.get("flow"))
        metadata = as_mapping(asset.get("metadata"))
        entity = as_mapping(as_mapping(asset.get("entity")).get("streamsets_flow"))
        fields = {k: metadata[k] for k in ("name", "description") if k in metadata}
        fields.update(
            {
                k: entity[k]
                for k in ("environment_id", "engine_version", "fragment_ids", "connection_ids")
                if k in entity
            }
        )
        if "pipeline_definition" in body:
            fields["pipeline_definition"] = body["pipeline_definition"]
        return self._store_update(request, flow_id, fields)

    def _duplicate(self, request: _Request, flow_id: str) -> _Answer:
        body = _object(request)
        description = body.get("description")
        if description is None:  # only then is the original read: the copy keeps its description
            description = self.backend.get_flow(flow_id)["flow"]["metadata"].get("description") or ""
        document = self.backend.duplicate_flow(flow_id, body.get("name"), description)  # type: ignore[arg-type]
        return _json_answer(201, document, _etag(document))

    def _delete(self, request: _Request, flow_id: str) -> _Answer:
        self.backend.delete_flow(flow_id)
        return _Answer(204)

    def _export(self, request: _Request, _: str) -> _Answer:
        ids = [i for value in request.query.get("flow_ids", []) for i in value.split(",") if i]
        plain = (request.param("with_plain_text_credentials") or "false").lower() == "true"
        data = self.backend.export_flows(ids, with_plain_text_credentials=plain)
        return _Answer(
            200,
            data,
            [
                ("Content-Type", "application/zip"),
                ("Content-Disposition", 'attachment; filename="flows.zip"'),
            ],
        )

    def _import(self, request: _Request, _: str) -> _Answer:
        resolution = request.param("conflict_resolution")
        if not resolution:
            raise _error_answer(
                400,
                "the conflict_resolution query parameter is required",
                request.id,
                "Pass rename, skip or replace.",
            )
        assets = self.backend.import_flows(request.body(), conflict_resolution=resolution)
        return _json_answer(200, {"imported_assets": assets})

    def _environments(self, request: _Request, _: str) -> _Answer:
        environments = self.backend.environments()
        return _json_answer(200, {"total_count": len(environments), "streamsets_environments": environments})

    def _environment(self, request: _Request, environment_id: str) -> _Answer:
        for environment in self.backend.environments():
            if environment["metadata"]["asset_id"] == environment_id:
                return _json_answer(200, environment)
        raise _error_answer(404, f"no environment {environment_id!r}", request.id)

    def _engines(self, request: _Request, environment_id: str) -> _Answer:
        if environment_id:
            self._environment(request, environment_id)  # 404 for an unknown environment
        # No engine runs here: clients take stage definitions from the engine-version endpoint.
        return _json_answer(200, {"total_count": 0, "streamsets_engines": []})

    # -- the platform around the flows: what IBM's SDK reads before and beside them --------------

    def _service_version(self, request: _Request, _: str) -> _Answer:
        from . import __version__

        return _json_answer(
            200,
            {
                "service_name": "flowbuilder serve",
                "version": __version__,
                "status": "ok",
                "timestamp": documents.timestamp(int(time.time() * 1000)),
            },
        )

    def _project_document(self) -> dict[str, Any]:
        return documents.project_asset(self.backend.project_id, created=self._started)

    def _projects(self, request: _Request, _: str) -> _Answer:
        project = self._project_document()
        wanted = request.param("project_ids")
        name = request.param("name")
        shown = (wanted is None or project["metadata"]["guid"] in wanted.split(",")) and (
            name is None or project["entity"]["name"] == name
        )
        resources = [project] if shown else []
        return _json_answer(200, {"total_results": len(resources), "resources": resources})

    def _projects_total(self, request: _Request, _: str) -> _Answer:
        return _json_answer(200, {"total": 1})

    def _projects_schema(self, request: _Request, _: str) -> _Answer:
        # JSON is YAML: the SDK reads this document with a YAML parser.
        return _Answer(
            200, json.dumps(documents.PROJECTS_API_SCHEMA).encode(), [("Content-Type", "application/yaml")]
        )

    def _project(self, request: _Request, project_id: str) -> _Answer:
        self._check_project(request, project_id)
        return _json_answer(200, self._project_document())

    def _batch_flows(self, request: _Request, _: str) -> _Answer:
        # DataStage (batch) flows live in another service; this server holds none.
        return _json_answer(200, {"total_count": 0, "data_flows": []})

    def _asset_search(self, request: _Request, _: str) -> _Answer:
        asset_type = request.path_params["type"]
        if asset_type in _OWN_ASSET_TYPES:
            raise _error_answer(
                400,
                f"searching {asset_type} assets is not supported by flowbuilder serve",
                request.id,
                f"List them with GET {FLOWS_PATH} or {_ENVIRONMENTS_PATH}.",
            )
        request.body()  # read (and size-check) the query, which can match nothing here
        return _json_answer(200, {"total_rows": 0, "results": []})

    def _engine_versions(self, request: _Request, _: str) -> _Answer:
        versions = [
            documents.engine_version_asset(engine, version)
            for engine, version in self._engine_version_pairs()
            if engine == request.path_params["engine"]
        ]
        return _json_answer(200, {"total_count": len(versions), "streamsets_engine_versions": versions})

    def _engine_version_pairs(self) -> list[tuple[str, str]]:
        pairs = {
            (
                e["entity"]["streamsets_environment"]["engine_type"],
                e["entity"]["streamsets_environment"]["engine_version"],
            )
            for e in self.backend.environments()
        }
        return sorted(pairs)

    def _known_version(self, request: _Request) -> tuple[str, str]:
        engine, version = request.path_params["engine"], request.path_params["version"]
        if (engine, version) not in self._engine_version_pairs():
            known = ", ".join(f"{e} {v}" for e, v in self._engine_version_pairs())
            raise _error_answer(
                404,
                f"no engine version {engine} {version} on this server",
                request.id,
                f"This server has the engine versions of its environments: {known}.",
            )
        return engine, version

    def _engine_version(self, request: _Request, _: str) -> _Answer:
        return _json_answer(200, documents.engine_version_asset(*self._known_version(request)))

    def _definitions(self, request: _Request, _: str) -> _Answer:
        engine, _version = self._known_version(request)
        return _Answer(200, _definitions_body(engine), [("Content-Type", "application/json")])


@functools.cache
def _definitions_body(engine: str) -> bytes:
    """The engine-format definitions of the bundled catalog (about 9 MB): built once per engine."""
    document = engine_definitions(Catalog.default(), engine)
    return json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode()


def _object(request: _Request) -> dict[str, Any]:
    body = request.json()
    if not isinstance(body, dict):
        raise _error_answer(400, "the body must be a JSON object", request.id)
    return body


def make_app(backend: LocalBackend, *, token: str, fault_rate: float = 0.0) -> FlowsApp:
    """The WSGI application serving ``backend`` to clients that present ``token``.

    >>> import tempfile
    >>> from flowbuilder.backends import LocalBackend
    >>> make_app(LocalBackend(tempfile.mkdtemp()), token="t", fault_rate=0.3).fault_rate
    0.3
    """
    return FlowsApp(backend, token=token, fault_rate=fault_rate)


def _is_loopback(host: str) -> bool:
    """Whether ``host`` is a loopback address (a name other than ``localhost`` is not trusted to be).

    >>> _is_loopback("127.0.0.1"), _is_loopback("[::1]"), _is_loopback("127.example.com")
    (True, True, False)
    """
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _connection_limit() -> int:
    """How many connections serve keeps open: enough that hundreds of idle or slow ones (which
    waitress holds without a thread) leave room for real clients, within the process's files."""
    try:
        import resource

        soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    except (ImportError, OSError, ValueError):
        return 1000
    return max(100, min(2000, soft - 64 if soft != resource.RLIM_INFINITY else 2000))


class _OncePerMinute(logging.Filter):
    """Keeps waitress from flooding the log with one warning repeated per refused connection."""

    def __init__(self) -> None:
        super().__init__()
        self._last: dict[str, float] = {}

    def filter(self, record: logging.LogRecord) -> bool:
        message, now = record.getMessage(), time.monotonic()
        if now - self._last.get(message, -60.0) < 60.0:
            return False
        self._last[message] = now
        return True


def serve(
    *,
    host: str = "127.0.0.1",
    port: int = 8765,
    data_dir: str | os.PathLike[str] = ".flowbuilder",
    token: str | None = None,
    fault_rate: float = 0.0,
    threads: int = 8,
) -> None:
    """Serve the flows REST API over the local store at ``data_dir`` until interrupted.

    Binds to loopback by default; ``port=0`` picks a free port. Without ``token`` a random one
    is generated and printed once to stderr. The line ``listening on http://HOST:PORT (project
    ID, data DIR)`` on stderr says the server is ready. Errors at start-up (a port in use, an
    unreadable store) end the process with a message, not a traceback.
    """
    import waitress

    if token is not None and not token.strip():
        raise SystemExit(
            "flowbuilder serve: the token is empty; pass a non-empty one, or none to have one made"
        )
    generated = token is None
    token = token or secrets.token_urlsafe(32)
    try:
        backend = LocalBackend(Path(data_dir))
        app = make_app(backend, token=token, fault_rate=fault_rate)
    except FlowbuilderError as error:
        raise SystemExit(f"flowbuilder serve: {error}") from None
    if generated:
        print(
            f"flowbuilder serve: token {token} (clients send 'Authorization: Bearer <token>')",
            file=sys.stderr,
            flush=True,
        )
    logging.getLogger("waitress").addFilter(_OncePerMinute())
    try:
        server = waitress.create_server(
            app,
            host=host,
            port=port,
            threads=threads,
            ident="flowbuilder",
            max_request_body_size=_MAX_BODY,
            clear_untrusted_proxy_headers=True,
            # Idle and slow connections cost no thread; keep room for hundreds of them, close the
            # idle ones after 30 s, and use poll(), which has no 1,024-descriptor ceiling.
            connection_limit=_connection_limit(),
            channel_timeout=30,
            cleanup_interval=5,
            asyncore_use_poll=True,
        )
    except OSError as error:
        backend.close()
        raise SystemExit(
            f"flowbuilder serve: cannot listen on {host}:{port}: {error.strerror}. "
            "Pick another --port (0 picks a free one)."
        ) from None
    except ValueError:  # waitress: a host that does not resolve
        backend.close()
        raise SystemExit(
            f"flowbuilder serve: cannot listen on {host}:{port}: the host does not resolve to an address. "
            "Pass an IP address or a resolvable name with --host (127.0.0.1 by default)."
        ) from None

    if not _is_loopback(host):
        print(
            f"flowbuilder serve: warning: listening on {host}, not loopback; anyone who can reach it and "
            "holds the token can change the flows",
            file=sys.stderr,
            flush=True,
        )

    def stop(signum: int, frame: FrameType | None) -> None:
        raise SystemExit(0)

    previous = signal.signal(signal.SIGTERM, stop)
    shown = f"[{host}]" if ":" in host else host
    print(
        f"flowbuilder serve: listening on http://{shown}:{server.effective_port} "
        f"(project {backend.project_id}, data {Path(data_dir)})",
        file=sys.stderr,
        flush=True,
    )
    try:
        server.run()
    finally:
        signal.signal(signal.SIGTERM, previous)
        server.close()
        backend.close()


class ServerProcess:
    """A ``flowbuilder serve`` child process on a free loopback port (for tests and notebooks).

    The token is passed through the environment, never on the command line.

    >>> import tempfile
    >>> with ServerProcess(tempfile.mkdtemp()) as server:
    ...     project = server.connect()
    ...     project.environments.get(name="local").name
    'local'
    """

    def __init__(
        self,
        data_dir: str | os.PathLike[str],
        *,
        token: str | None = None,
        fault_rate: float = 0.0,
        startup_timeout: float = 60.0,
    ) -> None:
        self.data_dir = Path(data_dir)
        self._token = token or secrets.token_urlsafe(32)
        command = [
            sys.executable,
            "-m",
            "flowbuilder.cli",
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            "0",
            "--data",
            str(self.data_dir),
            "--fault-rate",
            repr(float(fault_rate)),
        ]
        environment = {**os.environ, "FLOWBUILDER_TOKEN": self._token}
        self._process = subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            env=environment,
            text=True,
        )
        self._lines: collections.deque[str] = collections.deque(maxlen=200)
        ready: queue.Queue[str | None] = queue.Queue()
        self._reader = threading.Thread(target=self._drain, args=(ready,), daemon=True)
        self._reader.start()
        self.url = ""
        self.project_id = ""
        try:
            line = ready.get(timeout=startup_timeout)
        except queue.Empty:
            line = None
        match = _READY.search(line or "")
        if match is None:
            self.stop()
            raise BackendError(
                "flowbuilder serve did not start: " + (" | ".join(self._lines) or "no output"),
                hint="Run 'flowbuilder serve --port 0' by hand to see why.",
            )
        self.url = match["url"]
        self.project_id = match["project"]

    def _drain(self, ready: queue.Queue[str | None]) -> None:
        assert self._process.stderr is not None
        announced = False
        for line in self._process.stderr:
            self._lines.append(line.rstrip())
            if not announced and _READY.search(line):
                announced = True
                ready.put(line)
        if not announced:
            ready.put(None)

    @property
    def token(self) -> str:
        """The bearer token clients must send (kept out of the repr)."""
        return self._token

    @property
    def pid(self) -> int:
        """The server's process id."""
        return self._process.pid

    @property
    def output(self) -> list[str]:
        """The last lines the server wrote to stderr."""
        return list(self._lines)

    def connect(self, **options: Any) -> Project:
        """A :class:`~flowbuilder.project.Project` talking to this server over HTTP."""
        from .project import Project

        return Project.connect(self.url, project_id=self.project_id, token=self._token, **options)

    def stop(self, timeout: float = 10.0) -> None:
        """Stop the server (SIGTERM, then SIGKILL after ``timeout`` seconds)."""
        if self._process.poll() is None:
            self._process.terminate()
            try:
                self._process.wait(timeout)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
        self._reader.join(timeout)
        if self._process.stderr is not None and not self._reader.is_alive():
            self._process.stderr.close()

    def __enter__(self) -> ServerProcess:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def __repr__(self) -> str:
        return f"ServerProcess(url={self.url!r}, project_id={self.project_id!r}, pid={self.pid})"

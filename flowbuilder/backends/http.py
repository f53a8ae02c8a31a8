"""The watsonx.data integration StreamSets flows REST API (and ``flowbuilder serve``) as a backend.

Endpoints (``/sset/streamsets_flows/v1``, every call with ``project_id``): list, get, create,
update, duplicate, delete, export and import of ``streamsets_flows``; environments come from
``/sset/engine_manager/v1/streamsets_environments`` and stage definitions from
``/sset/engine_manager/v2/streamsets_engine_versions/{engine}/{version}/definitions``.

Idempotent calls (GET, PUT, DELETE) are retried on 429 and 5xx (and on connection errors) with
exponential backoff, waiting at least what ``Retry-After`` says; a POST (create, duplicate,
import) is sent exactly once. Updates send the revision they were based on as ``If-Match``.
"""

from __future__ import annotations

import email.utils
import logging
import re
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, overload
from urllib.parse import parse_qs, quote, urlsplit

import requests

from .._numbers import count
from ..errors import AuthError, BackendError, ConflictError, NotFoundError
from . import documents
from ._auth import IAM_URL, TIMEOUT, ApiKeyAuth, Credentials, TokenAuth, Transport, read_within, redact
from .protocol import CREATE_FIELDS, FlowPage

__all__ = ["FLOWS_PATH", "MAX_RESPONSE_BYTES", "HttpBackend", "RetryPolicy"]

_USERINFO = re.compile(r"//[^/?#]*@")

FLOWS_PATH = "/sset/streamsets_flows/v1/streamsets_flows"
_ENVIRONMENTS_PATH = "/sset/engine_manager/v1/streamsets_environments"
_DEFINITIONS_PATH = "/sset/engine_manager/v2/streamsets_engine_versions/{engine}/{version}/definitions"
_REQUEST_ID_HEADERS = ("X-Request-Id", "x-global-transaction-id", "X-Correlation-Id", "Transaction-Id")
_log = logging.getLogger("flowbuilder.backends.http")
#: Answers longer than this are refused while they are read (``max_response_bytes=`` raises it):
#: the largest flow the importer reads (``MAX_JSON_BYTES``, 64 MiB) and room for its metadata.
MAX_RESPONSE_BYTES = 65 * 1024 * 1024


@dataclass(frozen=True)
class RetryPolicy:
    """How idempotent calls are retried: ``attempts`` tries in all, backoff doubling from
    ``backoff`` seconds up to ``max_delay``; a ``Retry-After`` longer than ``max_delay`` ends the
    retries (the server asked for more patience than allowed).

    >>> policy = RetryPolicy(attempts=4, backoff=0.5, max_delay=3.0)
    >>> [policy.delay(n, None) for n in range(3)], policy.delay(0, 2.5), policy.delay(0, 10.0)
    ([0.5, 1.0, 2.0], 2.5, None)
    """

    attempts: int = 5
    backoff: float = 0.5
    max_delay: float = 30.0

    @overload
    def delay(self, retry: int, retry_after: None) -> float: ...
    @overload
    def delay(self, retry: int, retry_after: float | None) -> float | None: ...
    def delay(self, retry: int, retry_after: float | None) -> float | None:
        """Seconds to wait before retry number ``retry`` (0-based); None when it must not wait."""
        backoff = min(self.max_delay, self.backoff * 2.0**retry)
        if retry_after is None:
            return backoff
        if retry_after > self.max_delay:
            return None
        return max(retry_after, backoff) if retry_after > 0 else backoff


def _check_url(url: object, what: str, expected: str) -> None:
    """Refuse a URL that is not http(s), or that carries ``user:password@``: credentials in a URL
    would be kept in reprs and error messages, so they are never taken (nor shown)."""
    shown = _USERINFO.sub("//***@", url) if isinstance(url, str) else url
    if not isinstance(url, str) or not url.startswith(("http://", "https://")):
        raise BackendError(
            f"the {what} must start with http:// or https://; got {shown!r}", hint=f"Pass {expected}."
        )
    if _USERINFO.search(url):
        raise BackendError(
            f"the {what} holds credentials (user:password@): {shown!r}",
            hint="Remove them from the URL; pass api_key= or token= instead.",
        )


def _retry_after(response: requests.Response) -> float | None:
    value = response.headers.get("Retry-After")
    if value is None:
        return None
    value = value.strip()
    seconds = count(value)
    if seconds is not None:
        return float(seconds)
    try:
        moment = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, moment.timestamp() - time.time())


def _request_id(response: requests.Response) -> str | None:
    for header in _REQUEST_ID_HEADERS:
        if response.headers.get(header):
            return response.headers[header]
    return None


def _server_message(response: requests.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        text = response.text.strip()
        return text[:300] if text else (response.reason or "no message")
    if isinstance(body, Mapping):
        errors = body.get("errors")
        if isinstance(errors, list) and errors and isinstance(errors[0], Mapping):
            parts = [str(e.get("message") or e.get("code") or "") for e in errors if isinstance(e, Mapping)]
            return "; ".join(p for p in parts if p) or "no message"
        for key in ("message", "error_description", "errorMessage", "error"):
            if body.get(key):
                return str(body[key])
    return str(body)[:300]


def _holds(document: object, fields: Mapping[str, Any], revision: int) -> bool:
    """True when a stored flow document is at ``revision`` and holds every field of an update."""
    if not isinstance(document, Mapping) or not isinstance(document.get("flow"), Mapping):
        return False
    metadata = document["flow"].get("metadata") or {}
    entity = (document["flow"].get("entity") or {}).get("streamsets_flow") or {}
    if metadata.get("revision") != revision:
        return False
    for key, value in fields.items():
        stored = (
            document.get(key)
            if key == "pipeline_definition"
            else metadata.get(key)
            if key in ("name", "description")
            else entity.get(key)
        )
        if stored != value and not (value in (None, "") and stored in (None, "")):
            return False
    return True


def _start_of(next_link: object) -> str | None:
    if isinstance(next_link, Mapping):
        if next_link.get("start") is not None:
            return str(next_link["start"])
        next_link = next_link.get("href")
    if isinstance(next_link, str) and next_link:
        values = parse_qs(urlsplit(next_link).query).get("start")
        return values[0] if values else None
    return None


class HttpBackend:
    """A project on IBM watsonx.data integration, or on ``flowbuilder serve``, over HTTP.

    Pass ``api_key`` (exchanged at IBM Cloud IAM, cached and refreshed) or ``token`` (a bearer
    token). ``page_size`` asks for pages of that many flows (by default the server's own size: no
    ``limit`` is sent, as IBM's SDK sends none). ``transport`` replaces the ``requests.Session``
    (tests); ``sleep`` and ``clock`` replace the real ones. An answer longer than
    ``max_response_bytes`` (default 65 MiB) is refused while it is read, so a runaway server cannot
    exhaust memory.

    >>> backend = HttpBackend("https://api.dataplatform.cloud.ibm.com", project_id="p1", token="t0ken")
    >>> backend
    HttpBackend(url='https://api.dataplatform.cloud.ibm.com', project_id='p1', auth='token')
    """

    def __init__(
        self,
        url: str,
        *,
        project_id: str,
        api_key: str | None = None,
        token: str | None = None,
        iam_url: str = IAM_URL,
        timeout: float | tuple[float, float] = TIMEOUT,
        retry: RetryPolicy | None = None,
        page_size: int | None = None,
        transport: Transport | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] | None = None,
        max_response_bytes: int = MAX_RESPONSE_BYTES,
    ) -> None:
        _check_url(url, "URL", "the API base URL, e.g. https://api.dataplatform.cloud.ibm.com")
        _check_url(iam_url, "IAM URL", "IBM Cloud IAM's token endpoint, e.g. " + IAM_URL)
        if not isinstance(project_id, str) or not project_id:
            raise BackendError("project_id is required", hint="Pass project_id='<project guid>'.")
        if (api_key is None) == (token is None):
            raise AuthError(
                "pass exactly one of api_key= and token=",
                hint="api_key is an IBM Cloud API key; token is a bearer token.",
            )
        self.url = url.rstrip("/")
        self._project_id = project_id
        self._transport: Transport = requests.Session() if transport is None else transport
        self._owns_transport = transport is None
        self._timeout = timeout
        self.retry = retry or RetryPolicy()
        self.page_size = page_size
        self.max_response_bytes = max_response_bytes
        self._sleep = sleep
        self._auth: Credentials
        if api_key is not None:
            self._auth = ApiKeyAuth(
                api_key, send=self._transport.send, iam_url=iam_url, timeout=timeout, clock=clock
            )
        else:
            assert token is not None
            self._auth = TokenAuth(token)
        from .. import __version__

        self._agent = f"flowbuilder-v{__version__}"

    @property
    def project_id(self) -> str:
        """The project guid sent with every call."""
        return self._project_id

    def __repr__(self) -> str:
        kind = "api_key" if isinstance(self._auth, ApiKeyAuth) else "token"
        return f"HttpBackend(url={self.url!r}, project_id={self._project_id!r}, auth={kind!r})"

    # -- the one request loop -------------------------------------------------------------------

    def _error(self, method: str, path: str, response: requests.Response) -> BackendError:
        status = response.status_code
        message = redact(_server_message(response), self._auth.secrets())
        request_id = _request_id(response)
        text = f"{method} {path} failed with HTTP {status}: {message.rstrip('.')}"
        if request_id:
            text += f" (request id {request_id})"
        if status in (401, 403):
            return AuthError(
                text,
                status=status,
                request_id=request_id,
                hint="Check the token or API key, and that it has access to this project.",
            )
        if status == 404:
            return NotFoundError(
                text,
                status=status,
                request_id=request_id,
                hint="Check the flow id and project_id; list flows with project.flows.",
            )
        if status in (409, 412):
            return ConflictError(
                text,
                status=status,
                request_id=request_id,
                hint="Read the flow again with project.flows.get(flow_id=...), re-apply the "
                "changes, and update again.",
            )
        hint = "Retry later." if status == 429 or status >= 500 else None
        return BackendError(text, status=status, request_id=request_id, hint=hint)

    def _request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: object = None,
        data: bytes | None = None,
        headers: Mapping[str, str] | None = None,
        idempotent: bool,
        settle: Callable[[requests.Response], requests.Response | None] | None = None,
    ) -> requests.Response:
        """Send with retries. ``settle`` decides an error answer to a retry that followed a lost
        answer (the connection dropped after the request was sent): the first attempt may have
        taken effect, so a DELETE answers 404 and an If-Match PUT 412 although they succeeded.
        It returns the success response to use instead, or None to raise the error."""
        query = {"project_id": self._project_id, **{k: v for k, v in (params or {}).items() if v is not None}}
        refreshed = False
        lost = False  # an earlier attempt may have reached the server
        attempt = 0
        while True:
            attempt += 1
            sent_headers = {
                "Accept": "application/json",
                "Accept-Language": "en-US",
                "Content-Type": "application/json" if data is None else "application/octet-stream",
                "x-requested-by": self._agent,
                **(headers or {}),
                "Authorization": self._auth.header(),
            }
            prepared = requests.Request(
                method, self.url + path, params=query, json=json, data=data, headers=sent_headers
            ).prepare()
            try:
                # Always streamed: a body is read here, up to max_response_bytes, never whole first.
                response = self._transport.send(prepared, timeout=self._timeout, stream=True)
                self._read(response, method, path)
            except requests.RequestException as error:
                what = f"{method} {path}: could not reach {self.url} ({type(error).__name__})"
                lost = lost or not isinstance(error, requests.exceptions.ConnectTimeout)
                if idempotent and attempt < self.retry.attempts:
                    backoff = self.retry.delay(attempt - 1, None)
                    _log.warning(
                        "%s; retrying in %.2fs (attempt %d of %d)",
                        what,
                        backoff,
                        attempt + 1,
                        self.retry.attempts,
                    )
                    self._sleep(backoff)
                    continue
                if not idempotent:
                    raise BackendError(
                        what,
                        hint=f"{method} is not retried automatically (it is not idempotent) and the "
                        "server may have done it before the connection failed: check whether it took "
                        "effect (list the flows) before trying again.",
                    ) from None
                raise BackendError(what, hint="Check the URL and the network, then retry.") from None
            request_id = _request_id(response)
            _log.debug("%s %s -> %d (request id %s)", method, path, response.status_code, request_id)
            if response.status_code < 400:
                return response
            if lost and settle is not None:
                settled = settle(response)
                if settled is not None:
                    _log.info("%s %s: the attempt whose answer was lost had taken effect", method, path)
                    return settled
            if response.status_code == 401 and not refreshed and self._auth.refresh():
                refreshed = True  # a 401 means the request was not processed, so even a POST may go again
                attempt -= 1
                continue
            retryable = response.status_code == 429 or response.status_code >= 500
            if idempotent and retryable and attempt < self.retry.attempts:
                wait = self.retry.delay(attempt - 1, _retry_after(response))
                if wait is not None:
                    _log.warning(
                        "%s %s answered HTTP %d (request id %s); retrying in %.2fs (attempt %d of %d)",
                        method,
                        path,
                        response.status_code,
                        request_id,
                        wait,
                        attempt + 1,
                        self.retry.attempts,
                    )
                    self._sleep(wait)
                    continue
            failure = self._error(method, path, response)
            if retryable and not idempotent:
                failure.hint = (
                    f"{method} is not retried automatically (it is not idempotent): check whether it took "
                    "effect (list the flows) before trying again."
                )
                failure.args = (failure._render(),)
            raise failure

    def _read(self, response: requests.Response, method: str, path: str) -> None:
        """Load the body, refusing one longer than ``max_response_bytes`` as soon as it is."""
        limit = self.max_response_bytes
        if read_within(response, limit) is not None:
            return
        raise BackendError(
            f"{method} {path}: the answer is larger than {limit:,} bytes",
            status=response.status_code,
            request_id=_request_id(response),
            hint="If the flow really is that large, pass max_response_bytes= to HttpBackend.",
        )

    @staticmethod
    def _json(response: requests.Response, what: str) -> Any:
        try:
            return response.json()
        except ValueError:
            raise BackendError(
                f"{what}: the server answered HTTP {response.status_code} with no JSON body",
                status=response.status_code,
                request_id=_request_id(response),
            ) from None

    @staticmethod
    def _flow_path(flow_id: str) -> str:
        return f"{FLOWS_PATH}/{quote(flow_id, safe='')}"

    # -- flows ------------------------------------------------------------------------------------

    def list_flows(
        self, *, start: str | None = None, limit: int | None = None, name: str | None = None
    ) -> FlowPage:
        """One page of the listing; ``next_start`` comes from the answer's ``next`` link."""
        params = {"start": start, "limit": self.page_size if limit is None else limit, "name": name}
        body = self._json(self._request("GET", FLOWS_PATH, params=params, idempotent=True), "list flows")
        flows = body.get("streamsets_flows") if isinstance(body, Mapping) else None
        if not isinstance(flows, list):
            raise BackendError("list flows: the answer has no 'streamsets_flows' list")
        total = body.get("total_count")
        return FlowPage(
            [f for f in flows if isinstance(f, dict)],
            int(total) if isinstance(total, int) else len(flows),
            _start_of(body.get("next")) if flows else None,
        )

    def get_flow(self, flow_id: str) -> dict[str, Any]:
        """``GET …/streamsets_flows/{flow_id}``."""
        return self._document(self._request("GET", self._flow_path(flow_id), idempotent=True), "get flow")

    def _document(self, response: requests.Response, what: str) -> dict[str, Any]:
        body = self._json(response, what)
        if not isinstance(body, dict) or not isinstance(body.get("flow"), Mapping):
            raise BackendError(
                f"{what}: the answer has no 'flow' object",
                status=response.status_code,
                request_id=_request_id(response),
            )
        revision = documents.revision_from_etag(response.headers.get("ETag", ""))
        metadata = body["flow"].get("metadata")
        if revision is not None and isinstance(metadata, dict) and "revision" not in metadata:
            metadata["revision"] = revision
        return body

    def create_flow(self, fields: Mapping[str, Any], *, if_name_free: bool = False) -> dict[str, Any]:
        """``POST …/streamsets_flows`` (sent once), then a PUT of the pipeline definition if given.
        ``if_name_free`` lists the flows of that name first: the service has no atomic condition."""
        body = {k: fields.get(k, "") for k in CREATE_FIELDS}
        if if_name_free:
            named = self.list_flows(name=str(body["name"]), limit=1)
            documents.check_name_free(
                [str(a.get("metadata", {}).get("asset_id")) for a in named.flows], body["name"]
            )
        document = self._document(
            self._request("POST", FLOWS_PATH, json=body, idempotent=False), "create flow"
        )
        definition = fields.get("pipeline_definition")
        if definition is None:
            return document
        metadata = document["flow"].get("metadata") or {}
        flow_id = str(metadata.get("asset_id"))
        update = {
            "name": body["name"],
            "description": body["description"],
            "environment_id": body["environment_id"],
            "engine_version": body["engine_version"],
            "fragment_ids": list(fields.get("fragment_ids") or []),
            "connection_ids": [],
            "pipeline_definition": definition,
        }
        try:
            return self.update_flow(flow_id, update, revision=metadata.get("revision"))
        except BackendError as error:
            error.message = (
                f"flow {flow_id!r} was created, but storing its pipeline definition failed: {error.message}"
            )
            error.hint = "Update it with project.update_flow(project.flows.get(flow_id=...)) or delete it."
            error.args = (error._render(),)
            raise

    def update_flow(
        self, flow_id: str, fields: Mapping[str, Any], *, revision: int | None = None
    ) -> dict[str, Any]:
        """``PUT …/streamsets_flows/{flow_id}`` with ``If-Match`` when the revision is known; the
        flow document the server answers."""
        headers = {"If-Match": f'"{revision}"'} if revision is not None else None

        def settle(response: requests.Response) -> requests.Response | None:
            # A 412 after a lost answer: our own earlier attempt may be the change it reports.
            if response.status_code not in (409, 412) or revision is None:
                return None
            stored = self._request("GET", self._flow_path(flow_id), idempotent=True)
            body = self._json(stored, "update flow")
            return stored if _holds(body, fields, revision + 1) else None

        response = self._request(
            "PUT",
            self._flow_path(flow_id),
            json=dict(fields),
            headers=headers,
            idempotent=True,
            settle=settle,
        )
        try:
            return self._document(response, "update flow")
        except BackendError:  # the update was made; the server only said nothing of the result
            return {}

    def duplicate_flow(self, flow_id: str, name: str, description: str) -> dict[str, Any]:
        """``POST …/streamsets_flows/{flow_id}/duplicate`` (sent once)."""
        response = self._request(
            "POST",
            self._flow_path(flow_id) + "/duplicate",
            json={"name": name, "description": description},
            idempotent=False,
        )
        return self._document(response, "duplicate flow")

    def delete_flow(self, flow_id: str) -> dict[str, str]:
        """``DELETE …/streamsets_flows/{flow_id}``; the request-id headers of the answer."""

        def settle(response: requests.Response) -> requests.Response | None:
            # A 404 after a lost answer: our first attempt deleted it.
            return response if response.status_code == 404 else None

        response = self._request("DELETE", self._flow_path(flow_id), idempotent=True, settle=settle)
        return {h: response.headers[h] for h in _REQUEST_ID_HEADERS if response.headers.get(h)}

    # -- environments and definitions -----------------------------------------------------------

    def environments(self) -> list[dict[str, Any]]:
        """Every environment of the project, following ``next`` links."""
        found: dict[str, dict[str, Any]] = {}
        start: str | None = None
        cursors: set[str] = set()  # a server whose next links come round again must not loop forever
        while True:
            response = self._request(
                "GET", _ENVIRONMENTS_PATH, params={"start": start, "limit": 100}, idempotent=True
            )
            body = self._json(response, "list environments")
            items = body.get("streamsets_environments") if isinstance(body, Mapping) else None
            if not isinstance(items, list):
                raise BackendError("list environments: the answer has no 'streamsets_environments' list")
            for item in items:
                if isinstance(item, dict):
                    key = str((item.get("metadata") or {}).get("asset_id"))
                    found.setdefault(key, item)
            start = _start_of(body.get("next")) if items else None
            if start is None or start in cursors:
                return list(found.values())
            cursors.add(start)

    def definitions(self, engine_type: str, engine_version: str) -> dict[str, Any] | None:
        """The engine version's definitions, or None when the server has none for it (404)."""
        path = _DEFINITIONS_PATH.format(
            engine=quote(engine_type, safe=""), version=quote(engine_version, safe="")
        )
        try:
            response = self._request("GET", path, idempotent=True)
        except NotFoundError:
            return None
        body = self._json(response, "get definitions")
        return body if isinstance(body, dict) else None

    # -- export and import ------------------------------------------------------------------------

    def export_flows(self, flow_ids: Sequence[str], *, with_plain_text_credentials: bool = False) -> bytes:
        """``GET …/streamsets_flows/export/flows``: the zip bytes."""
        params = {
            "flow_ids": list(flow_ids),
            "with_plain_text_credentials": str(with_plain_text_credentials).lower(),
        }
        response = self._request("GET", f"{FLOWS_PATH}/export/flows", params=params, idempotent=True)
        return response.content

    def import_flows(self, data: bytes, *, conflict_resolution: str) -> list[dict[str, Any]]:
        """``POST …/streamsets_flows/import`` (sent once); the ``imported_assets``."""
        response = self._request(
            "POST",
            f"{FLOWS_PATH}/import",
            params={"conflict_resolution": conflict_resolution},
            data=data,
            idempotent=False,
        )
        if response.status_code != 200:
            raise BackendError(
                f"import flows: expected HTTP 200, got {response.status_code}",
                status=response.status_code,
                request_id=_request_id(response),
            )
        body = self._json(response, "import flows")
        assets = body.get("imported_assets") if isinstance(body, Mapping) else None
        if not isinstance(assets, list):
            raise BackendError("import flows: the answer has no 'imported_assets' list")
        return [
            a for a in assets if isinstance(a, dict) and a.get("type", "streamsets_flow") == "streamsets_flow"
        ]

    def close(self) -> None:
        """Close the HTTP session (when this backend made it)."""
        if self._owns_transport and isinstance(self._transport, requests.Session):
            self._transport.close()

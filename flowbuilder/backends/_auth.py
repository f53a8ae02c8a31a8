"""Credentials for the HTTP backend: a fixed bearer token, or an IBM Cloud API key exchanged at IAM.

Neither class ever shows its secret: reprs name the kind of credential only, and error messages
from IAM pass through :func:`redact` before they are raised.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any, Protocol

from .._numbers import count
from ..errors import AuthError

if TYPE_CHECKING:
    import requests

__all__ = [
    "IAM_URL",
    "TIMEOUT",
    "ApiKeyAuth",
    "Credentials",
    "TokenAuth",
    "Transport",
    "read_within",
    "redact",
]

#: IBM Cloud IAM's token endpoint (``Project.connect(..., iam_url=...)`` overrides it).
IAM_URL = "https://iam.cloud.ibm.com/identity/token"
#: Seconds to wait for a connection and for each read of an answer, unless ``timeout=`` says.
TIMEOUT = (10.0, 60.0)
_GRANT = "urn:ibm:params:oauth:grant-type:apikey"
#: Refresh when this fraction of the token's lifetime has passed (IBM's advice is 80%).
_REFRESH_AT = 0.8
#: IAM's token answer is a few kilobytes; a longer one is refused while it is read.
_MAX_TOKEN_ANSWER_BYTES = 1 << 20


class Transport(Protocol):
    """What sends HTTP requests: a ``requests.Session`` or a test double with the same ``send``."""

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:
        """Send a prepared request and return the response."""
        ...


def read_within(response: requests.Response, limit: int) -> bytes | None:
    """The body of a streamed ``response``, or None as soon as it is known to be longer than ``limit``.

    Every answer a client reads goes through here, so a runaway server cannot fill the memory.
    A transport that hands over bodies already read (a test double) is measured as it is.
    """
    loaded: bytes | None | bool = getattr(response, "_content", False)
    if loaded is not False:
        body = loaded if isinstance(loaded, bytes) else b""
        return body if len(body) <= limit else None
    declared = count(response.headers.get("Content-Length", ""))
    if declared is not None and declared > limit:
        response.close()
        return None
    chunks: list[bytes] = []
    size = 0
    for chunk in response.iter_content(1 << 16):
        size += len(chunk)
        if size > limit:
            response.close()
            return None
        chunks.append(chunk)
    body = b"".join(chunks)
    response._content = body
    return body


def redact(text: str, secrets: Iterable[str]) -> str:
    """``text`` with every secret replaced by ``***``.

    >>> redact("bad key abc123", ["abc123"])
    'bad key ***'
    """
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    return text


class Credentials(Protocol):
    """Gives the ``Authorization`` header value; may refresh it once after a 401."""

    def header(self) -> str:
        """The current ``Authorization`` header value."""
        ...

    def refresh(self) -> bool:
        """Forget the current token; True when a new one can be obtained."""
        ...

    def secrets(self) -> tuple[str, ...]:
        """Every secret value held, for redaction."""
        ...


class TokenAuth:
    """A bearer token given by the user; it cannot be refreshed.

    >>> TokenAuth("s3cr3t")
    TokenAuth(token='***')
    """

    def __init__(self, token: str) -> None:
        if not isinstance(token, str) or not token.strip():
            raise AuthError("the bearer token is empty", hint="Pass token='<your token>' or api_key='...'.")
        self._token = token.strip()

    def header(self) -> str:
        return f"Bearer {self._token}"

    def refresh(self) -> bool:
        return False

    def secrets(self) -> tuple[str, ...]:
        return (self._token,)

    def __repr__(self) -> str:
        return "TokenAuth(token='***')"


class ApiKeyAuth:
    """An IBM Cloud API key, exchanged at IAM for an access token that is cached and refreshed.

    The token is refreshed once 80% of its lifetime has passed, before it expires, and again after
    a 401. ``clock`` returns seconds (monotonic); ``send`` is the transport's send.

    >>> ApiKeyAuth("s3cr3t", send=lambda request, **kw: None)
    ApiKeyAuth(iam_url='https://iam.cloud.ibm.com/identity/token', api_key='***')
    """

    def __init__(
        self,
        api_key: str,
        *,
        send: Callable[..., requests.Response],
        iam_url: str = IAM_URL,
        timeout: float | tuple[float, float] = TIMEOUT,
        clock: Callable[[], float] | None = None,
    ) -> None:
        if not isinstance(api_key, str) or not api_key.strip():
            raise AuthError(
                "the API key is empty", hint="Pass api_key='<your IBM Cloud API key>' or token='...'."
            )
        self._api_key = api_key.strip()
        self._send = send
        self.iam_url = iam_url
        self._timeout = timeout
        self._clock = clock or time.monotonic
        self._token: str | None = None
        self._refresh_at = 0.0
        self._lock = threading.Lock()
        #: How many times a token was fetched from IAM (for diagnostics and tests).
        self.exchanges = 0

    def __repr__(self) -> str:
        return f"ApiKeyAuth(iam_url={self.iam_url!r}, api_key='***')"

    def header(self) -> str:
        with self._lock:
            if self._token is None or self._clock() >= self._refresh_at:
                self._exchange()
            assert self._token is not None
            return f"Bearer {self._token}"

    def refresh(self) -> bool:
        with self._lock:
            self._token = None
        return True

    def secrets(self) -> tuple[str, ...]:
        return tuple(s for s in (self._api_key, self._token) if s)

    def _exchange(self) -> None:
        import requests  # loaded with the first token exchange, not with the package

        request = requests.Request(
            "POST",
            self.iam_url,
            data={"grant_type": _GRANT, "apikey": self._api_key},
            headers={"Accept": "application/json", "Content-Type": "application/x-www-form-urlencoded"},
        ).prepare()
        started = self._clock()
        try:
            response = self._send(request, timeout=self._timeout, stream=True)
            answer = read_within(response, _MAX_TOKEN_ANSWER_BYTES)
        except requests.RequestException as error:
            raise AuthError(
                f"could not reach IBM Cloud IAM at {self.iam_url}: {type(error).__name__}",
                hint="Check the network, or the iam_url passed to Project.connect().",
            ) from None
        request_id = response.headers.get("Transaction-Id") or response.headers.get("X-Request-Id")
        if answer is None:
            raise AuthError(
                f"IBM Cloud IAM's answer is larger than {_MAX_TOKEN_ANSWER_BYTES:,} bytes; a token "
                "answer is a few kilobytes",
                status=response.status_code,
                request_id=request_id,
                hint=f"Check that iam_url ({self.iam_url}) is IBM Cloud IAM's token endpoint.",
            )
        body: object = None
        try:
            body = json.loads(answer)
        except ValueError:
            body = None
        if response.status_code != 200 or not isinstance(body, dict) or not body.get("access_token"):
            message = ""
            if isinstance(body, dict):
                message = str(body.get("errorMessage") or body.get("message") or body.get("errorCode") or "")
            message = redact(message or response.reason or "no access token in the answer", self.secrets())
            raise AuthError(
                f"IBM Cloud IAM refused the API key exchange (HTTP {response.status_code}): {message}",
                status=response.status_code,
                request_id=request_id,
                hint="Check the API key (IBM Cloud > Manage > Access (IAM) > API keys), or pass token=...",
            )
        lifetime = body.get("expires_in")
        if not isinstance(lifetime, (int, float)) or lifetime <= 0:
            lifetime = 3600
        self._token = str(body["access_token"])
        self._refresh_at = started + float(lifetime) * _REFRESH_AT
        self.exchanges += 1

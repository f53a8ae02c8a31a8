"""Where a project's flows are stored: the local SQLite store, the REST API, or memory.

Every backend implements :class:`Backend` over GET-shaped flow documents (see
:mod:`flowbuilder.backends.protocol`); :class:`flowbuilder.project.Project` is the API users call.

>>> backend = MemoryBackend()
>>> document = backend.create_flow({"name": "orders", "engine_version": "6.1.1"})
>>> document["flow"]["metadata"]["name"], document["flow"]["metadata"]["revision"]
('orders', 1)
"""

from typing import TYPE_CHECKING, Any

from ._auth import IAM_URL, TIMEOUT, Transport
from .local import LocalBackend
from .memory import MemoryBackend
from .protocol import Backend, FlowPage

if TYPE_CHECKING:
    from .http import HttpBackend, RetryPolicy

__all__ = [
    "IAM_URL",
    "TIMEOUT",
    "Backend",
    "FlowPage",
    "HttpBackend",
    "LocalBackend",
    "MemoryBackend",
    "RetryPolicy",
    "Transport",
]


def __getattr__(name: str) -> Any:
    # The REST backend brings requests: loaded when first asked for, not with every import.
    if name in ("HttpBackend", "RetryPolicy"):
        from . import http

        return getattr(http, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

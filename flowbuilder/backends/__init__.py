"""Where a project's flows are stored: the local SQLite store, the REST API, or memory.

Every backend implements :class:`Backend` over GET-shaped flow documents (see
:mod:`flowbuilder.backends.protocol`); :class:`flowbuilder.project.Project` is the API users call.

>>> backend = MemoryBackend()
>>> document = backend.create_flow({"name": "orders", "engine_version": "6.1.1"})
>>> document["flow"]["metadata"]["name"], document["flow"]["metadata"]["revision"]
('orders', 1)
"""

from .http import HttpBackend, RetryPolicy
from .local import LocalBackend
from .memory import MemoryBackend
from .protocol import Backend, FlowPage

__all__ = ["Backend", "FlowPage", "HttpBackend", "LocalBackend", "MemoryBackend", "RetryPolicy"]

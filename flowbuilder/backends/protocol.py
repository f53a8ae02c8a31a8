"""The one small protocol every project backend implements, over GET-shaped flow documents.

A *flow document* is what ``GET /sset/streamsets_flows/v1/streamsets_flows/{flow_id}`` answers::

    {"flow": {"metadata": {"asset_id", "name", "description", "project_id", "usage": {...},
                           "revision": 3, ...},
              "entity": {"streamsets_flow": {"engine_type", "engine_version", "environment_id",
                                             "fragment_ids", "connection_ids"}}},
     "pipeline_definition": {...}}          # absent for a flow never saved with stages

A *flow asset* is the ``"flow"`` part alone (what list calls answer). ``metadata.revision`` is
flowbuilder's revision counter: 1 on create, +1 on every update. An update names the revision it
was based on; a stale one raises :class:`~flowbuilder.errors.ConflictError`. Over HTTP the
revision travels as the ``ETag`` / ``If-Match`` headers; a server that sends no revision (the
IBM cloud today) gets plain last-writer-wins updates.

>>> from flowbuilder.backends import MemoryBackend
>>> backend: Backend = MemoryBackend()
>>> page = backend.list_flows()
>>> page.flows, page.total_count, page.next_start
([], 0, None)
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple, Protocol, runtime_checkable

__all__ = ["CONFLICT_RESOLUTIONS", "CREATE_FIELDS", "UPDATE_FIELDS", "Backend", "FlowPage"]

#: The body of a create call (``POST …/streamsets_flows``).
CREATE_FIELDS = ("name", "description", "environment_id", "engine_type", "engine_version")
#: The fields an update may change (``PUT …/streamsets_flows/{flow_id}``).
UPDATE_FIELDS = (
    "name",
    "connection_ids",
    "description",
    "environment_id",
    "engine_version",
    "fragment_ids",
    "pipeline_definition",
)
#: What ``import_flows`` does with a flow whose name is already taken.
CONFLICT_RESOLUTIONS = ("rename", "skip", "replace")


class FlowPage(NamedTuple):
    """One page of a flow listing: flow assets, the total count, and the cursor of the next page.

    >>> FlowPage([], 0, None).next_start is None
    True
    """

    flows: list[dict[str, Any]]
    total_count: int
    next_start: str | None


@runtime_checkable
class Backend(Protocol):
    """Where a project's flows live: list/get/create/update/duplicate/delete, environments,
    definitions, export and import. Every method raises a :class:`~flowbuilder.errors.BackendError`
    subclass on failure (``NotFoundError``, ``ConflictError``, ``AuthError``).

    >>> from flowbuilder.backends import LocalBackend, MemoryBackend
    >>> isinstance(MemoryBackend(), Backend)
    True
    """

    @property
    def project_id(self) -> str:
        """The id of the project this backend stores flows for."""
        ...

    def list_flows(
        self, *, start: str | None = None, limit: int | None = None, name: str | None = None
    ) -> FlowPage:
        """One page of flow assets in creation order, from the cursor ``start``."""
        ...

    def get_flow(self, flow_id: str) -> dict[str, Any]:
        """The flow document of one flow."""
        ...

    def create_flow(self, fields: Mapping[str, Any], *, if_name_free: bool = False) -> dict[str, Any]:
        """Create a flow from :data:`CREATE_FIELDS` (plus an optional ``pipeline_definition``).

        Never retried: a failed create raises, and the caller decides. With ``if_name_free``, a
        :class:`~flowbuilder.errors.ConflictError` instead when a flow of that name exists: atomic
        in the embedded stores (the check and the insert are one transaction, so concurrent
        writers never both create a name); a check just before the create over HTTP, where the
        service has no such condition.
        """
        ...

    def update_flow(
        self, flow_id: str, fields: Mapping[str, Any], *, revision: int | None = None
    ) -> dict[str, Any]:
        """Apply :data:`UPDATE_FIELDS`; the new flow document."""
        ...

    def duplicate_flow(self, flow_id: str, name: str, description: str) -> dict[str, Any]:
        """A copy of the stored flow under a new id and name; its flow document."""
        ...

    def delete_flow(self, flow_id: str) -> dict[str, str]:
        """Delete one flow; the headers that identify the request to the service (``X-Request-Id``
        ...), empty for stores that speak no HTTP."""
        ...

    def environments(self) -> list[dict[str, Any]]:
        """The project's environment assets (``{"metadata", "entity": {"streamsets_environment"}}``)."""
        ...

    def definitions(self, engine_type: str, engine_version: str) -> dict[str, Any] | None:
        """The engine's stage definitions for that version, or None to use the bundled catalog."""
        ...

    def export_flows(self, flow_ids: Sequence[str], *, with_plain_text_credentials: bool = False) -> bytes:
        """A zip of the flow documents (credentials blanked unless asked for)."""
        ...

    def import_flows(self, data: bytes, *, conflict_resolution: str) -> list[dict[str, Any]]:
        """Import a zip; one ``{"type", "name", "id"}`` entry per imported flow."""
        ...

    def close(self) -> None:
        """Release connections and files."""
        ...

"""The flow operations of the embedded stores, written once over a small transaction interface.

``LocalBackend`` (SQLite) and ``MemoryBackend`` (dicts) only say how to read and write rows; the
meaning of create, update, duplicate, delete, export and import lives here, so both behave alike
and ``flowbuilder serve`` answers exactly what the local store does.
"""

from __future__ import annotations

import copy
from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from contextlib import AbstractContextManager
from typing import Any, Protocol

from .._numbers import count
from ..catalog import Catalog
from ..errors import BackendError, NotFoundError
from . import _archive, documents
from .protocol import CONFLICT_RESOLUTIONS, FlowPage

__all__ = ["DEFAULT_PAGE_SIZE", "LOCAL_ENVIRONMENT", "MAX_PAGE_SIZE", "DocumentStore", "StoreTransaction"]

DEFAULT_PAGE_SIZE = 100
MAX_PAGE_SIZE = 1000
LOCAL_ENVIRONMENT = "local"
_LOCAL_DESCRIPTION = "The built-in environment: flows compile with flowbuilder's bundled stage catalog."


class StoreTransaction(Protocol):
    """Row access inside one transaction of an embedded store."""

    def get(self, flow_id: str) -> dict[str, Any] | None:
        """The flow document, or None."""
        ...

    def insert(self, document: Mapping[str, Any]) -> None:
        """Store a new flow document."""
        ...

    def replace(self, document: Mapping[str, Any]) -> None:
        """Overwrite the stored document with the same ``asset_id``."""
        ...

    def delete(self, flow_id: str) -> bool:
        """Remove a flow; False when there was none."""
        ...

    def page(self, after: int, limit: int, name: str | None) -> tuple[list[tuple[int, dict[str, Any]]], int]:
        """Up to ``limit`` ``(sequence, asset)`` rows after ``after`` in creation order, and the total."""
        ...

    def ids_named(self, name: str) -> list[str]:
        """The ids of the flows called ``name``, oldest first."""
        ...

    def all_ids(self) -> list[str]:
        """Every flow id, oldest first."""
        ...


def _not_found(flow_id: str, project_id: str) -> NotFoundError:
    return NotFoundError(
        f"no flow with id {flow_id!r} in project {project_id!r}",
        status=404,
        hint="List the flows with project.flows to see their ids.",
    )


class DocumentStore(ABC):
    """Backend operations over an embedded store; subclasses supply the transactions."""

    def __init__(self, project_id: str, environment_id: str) -> None:
        self._project_id = project_id
        self._environment_id = environment_id

    @property
    def project_id(self) -> str:
        """The id of the project this store holds."""
        return self._project_id

    @abstractmethod
    def _read(self) -> AbstractContextManager[StoreTransaction]:
        """A read-only transaction (one consistent snapshot)."""

    @abstractmethod
    def _write(self) -> AbstractContextManager[StoreTransaction]:
        """A write transaction: all of it is stored, or none of it."""

    # -- flows -----------------------------------------------------------------------------------

    def list_flows(
        self, *, start: str | None = None, limit: int | None = None, name: str | None = None
    ) -> FlowPage:
        """One page of flow assets in creation order; ``start`` is the previous page's cursor."""
        after = 0
        if start not in (None, ""):
            cursor = count(str(start))
            if cursor is None:
                raise BackendError(
                    f"bad page cursor start={str(start)[:40]!r}",
                    status=400,
                    hint="Pass the 'start' of the 'next' link.",
                )
            after = cursor
        size = DEFAULT_PAGE_SIZE if limit is None else limit
        if not 0 <= size <= MAX_PAGE_SIZE:
            raise BackendError(f"limit must be between 0 and {MAX_PAGE_SIZE}; got {size}", status=400)
        with self._read() as tx:
            rows, total = tx.page(after, size + 1, name)
        more = len(rows) > size
        rows = rows[:size]
        next_start = str(rows[-1][0]) if more and rows else None
        return FlowPage([asset for _, asset in rows], total, next_start)

    def get_flow(self, flow_id: str) -> dict[str, Any]:
        """The flow document; NotFoundError when there is none."""
        with self._read() as tx:
            document = tx.get(flow_id)
        if document is None:
            raise _not_found(flow_id, self._project_id)
        return document

    def create_flow(self, fields: Mapping[str, Any], *, if_name_free: bool = False) -> dict[str, Any]:
        """Store a new flow (and its pipeline definition, when given) in one transaction; with
        ``if_name_free``, the name is checked in that transaction (ConflictError when taken)."""
        checked = documents.check_create(fields)
        document = documents.new_document(self._project_id, checked)
        with self._write() as tx:
            if if_name_free:
                documents.check_name_free(tx.ids_named(checked["name"]), checked["name"])
            tx.insert(document)
        return document

    def update_flow(
        self, flow_id: str, fields: Mapping[str, Any], *, revision: int | None = None
    ) -> dict[str, Any]:
        """Apply an update; ConflictError when ``revision`` is not the stored one."""
        checked = documents.check_update(fields)
        with self._write() as tx:
            stored = tx.get(flow_id)
            if stored is None:
                raise _not_found(flow_id, self._project_id)
            updated = documents.apply_update(stored, checked, revision=revision)
            tx.replace(updated)
        return updated

    def duplicate_flow(self, flow_id: str, name: str, description: str) -> dict[str, Any]:
        """A copy of the stored flow under a new id."""
        checked = documents.check_create({"name": name, "description": description}, "duplicate flow")
        with self._write() as tx:
            stored = tx.get(flow_id)
            if stored is None:
                raise _not_found(flow_id, self._project_id)
            copy_ = documents.duplicate_document(
                stored, self._project_id, checked["name"], checked["description"]
            )
            tx.insert(copy_)
        return copy_

    def delete_flow(self, flow_id: str) -> dict[str, str]:
        """Delete one flow; NotFoundError when there is none."""
        with self._write() as tx:
            if not tx.delete(flow_id):
                raise _not_found(flow_id, self._project_id)
        return {}

    # -- environments and definitions -----------------------------------------------------------

    def environments(self) -> list[dict[str, Any]]:
        """The one environment of an embedded store: ``local``, at the bundled catalog's version."""
        version = Catalog.default().engine_version("data_collector")
        return [
            documents.environment_asset(
                self._project_id,
                self._environment_id,
                LOCAL_ENVIRONMENT,
                "data_collector",
                version,
                _LOCAL_DESCRIPTION,
            )
        ]

    def definitions(self, engine_type: str, engine_version: str) -> dict[str, Any] | None:
        """Always None: embedded stores compile with the bundled catalog."""
        return None

    # -- export and import ------------------------------------------------------------------------

    def export_flows(self, flow_ids: Sequence[str], *, with_plain_text_credentials: bool = False) -> bytes:
        """A zip of these flows (every flow when ``flow_ids`` is empty)."""
        with self._read() as tx:
            ids = list(flow_ids) or tx.all_ids()
            documents = []
            for flow_id in ids:
                document = tx.get(flow_id)
                if document is None:
                    raise _not_found(flow_id, self._project_id)
                documents.append(document)
        return _archive.write_archive(documents, with_plain_text_credentials=with_plain_text_credentials)

    def import_flows(self, data: bytes, *, conflict_resolution: str) -> list[dict[str, Any]]:
        """Import every flow of an export zip in one transaction."""
        if conflict_resolution not in CONFLICT_RESOLUTIONS:
            raise BackendError(
                f"conflict_resolution must be one of {', '.join(CONFLICT_RESOLUTIONS)}; "
                f"got {conflict_resolution!r}",
                status=400,
            )
        flows = _archive.read_archive(data)
        flows.reverse()
        imported = []
        with self._write() as tx:
            while flows:  # each parsed flow let go once stored: the store holds it as text
                imported.extend(self._import_one(tx, flows.pop(), conflict_resolution))
        return imported

    def _import_one(
        self, tx: StoreTransaction, flow: _archive.ImportedFlow, conflict_resolution: str
    ) -> list[dict[str, Any]]:
        entity = flow.entity
        fields: dict[str, Any] = {
            "name": flow.name,
            "description": flow.description,
            "engine_type": entity.get("engine_type") or "data_collector",
            "engine_version": entity.get("engine_version")
            or Catalog.default().engine_version("data_collector"),
            "environment_id": self._environment_id,
            "pipeline_definition": flow.pipeline_definition,
        }
        where = f"import {flow.member}"
        checked = documents.check_create(fields, where)
        for key in ("fragment_ids", "connection_ids"):
            if isinstance(entity.get(key), list):
                checked[key] = copy.deepcopy(entity[key])
        taken = tx.ids_named(checked["name"])
        if taken and conflict_resolution == "skip":
            return []
        if taken and conflict_resolution == "replace":
            stored = tx.get(taken[0])
            assert stored is not None
            update = documents.check_update(
                {k: checked[k] for k in ("description", "engine_version", "pipeline_definition")}, where
            )
            tx.replace(documents.apply_update(stored, update, revision=None))
            return [{"type": "streamsets_flow", "name": checked["name"], "id": taken[0]}]
        if taken:
            number = 1
            while tx.ids_named(documents.numbered_name(checked["name"], number)):
                number += 1
            checked["name"] = documents.numbered_name(checked["name"], number)
        document = documents.new_document(self._project_id, checked)
        tx.insert(document)
        flow_id = document["flow"]["metadata"]["asset_id"]
        return [{"type": "streamsets_flow", "name": checked["name"], "id": flow_id}]

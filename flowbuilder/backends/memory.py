"""An in-memory project: the local store's behaviour with nothing on disk, for unit tests."""

from __future__ import annotations

import copy
import json
import threading
import uuid
from collections.abc import Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager
from typing import Any, NamedTuple

from ._store import DocumentStore, StoreTransaction

__all__ = ["MemoryBackend"]


class _Row(NamedTuple):
    sequence: int
    asset: dict[str, Any]  # the flow asset (metadata, entity): small, deep-copied in and out
    definition: str | None  # the pipeline definition as JSON text, as the local store keeps it


class _Transaction:
    """Row access on the backend's dict; documents are copied in and out, the pipeline definition
    as JSON text: a copy that costs its size, where a deep copy of a large one costs 20 times it.

    ``flows`` is in creation (sequence) order without sorting: insert only adds new ids at the
    end, replace keeps an id's place and sequence, and a rollback restores an ordered copy.
    """

    def __init__(self, flows: dict[str, _Row], sequence: list[int]) -> None:
        self._flows = flows
        self._sequence = sequence

    def get(self, flow_id: str) -> dict[str, Any] | None:
        row = self._flows.get(flow_id)
        if row is None:
            return None
        document: dict[str, Any] = {"flow": copy.deepcopy(row.asset)}
        if row.definition is not None:
            document["pipeline_definition"] = json.loads(row.definition)
        return document

    def insert(self, document: Mapping[str, Any]) -> None:
        self._sequence[0] += 1
        self._flows[document["flow"]["metadata"]["asset_id"]] = _row(self._sequence[0], document)

    def replace(self, document: Mapping[str, Any]) -> None:
        flow_id = document["flow"]["metadata"]["asset_id"]
        self._flows[flow_id] = _row(self._flows[flow_id].sequence, document)

    def delete(self, flow_id: str) -> bool:
        return self._flows.pop(flow_id, None) is not None

    def page(self, after: int, limit: int, name: str | None) -> tuple[list[tuple[int, dict[str, Any]]], int]:
        rows = [row for row in self._flows.values() if name is None or row.asset["metadata"]["name"] == name]
        chosen = [(row.sequence, copy.deepcopy(row.asset)) for row in rows if row.sequence > after][:limit]
        return chosen, len(rows)

    def ids_named(self, name: str) -> list[str]:
        return [flow_id for flow_id, row in self._flows.items() if row.asset["metadata"]["name"] == name]

    def all_ids(self) -> list[str]:
        return list(self._flows)


def _row(sequence: int, document: Mapping[str, Any]) -> _Row:
    definition = document.get("pipeline_definition")
    text = None if definition is None else json.dumps(definition, ensure_ascii=False)
    return _Row(sequence, copy.deepcopy(dict(document["flow"])), text)


class MemoryBackend(DocumentStore):
    """A project held in memory: the same behaviour as the local store, gone when dropped.

    >>> backend = MemoryBackend()
    >>> document = backend.create_flow({"name": "orders"})
    >>> backend.list_flows().total_count
    1
    """

    def __init__(self, project_id: str | None = None) -> None:
        super().__init__(project_id or str(uuid.uuid4()), str(uuid.uuid4()))
        self._flows: dict[str, _Row] = {}
        self._sequence = [0]
        self._lock = threading.RLock()

    def __repr__(self) -> str:
        return f"MemoryBackend(project_id={self.project_id!r})"

    @contextmanager
    def _locked(self, rollback: bool) -> Iterator[StoreTransaction]:
        with self._lock:
            saved = (dict(self._flows), self._sequence[0]) if rollback else None
            try:
                yield _Transaction(self._flows, self._sequence)
            except BaseException:
                if saved is not None:
                    self._flows.clear()
                    self._flows.update(saved[0])
                    self._sequence[0] = saved[1]
                raise

    def _read(self) -> AbstractContextManager[StoreTransaction]:
        return self._locked(rollback=False)

    def _write(self) -> AbstractContextManager[StoreTransaction]:
        return self._locked(rollback=True)

    def close(self) -> None:
        """Nothing to release: the flows live as long as the backend object."""

"""The local store: a project's flows in one SQLite file, safe across crashes and processes.

``<path>/flows.sqlite3`` holds the project id, and one row per flow: the flow asset (metadata and
entity, JSON), the pipeline definition (JSON, or NULL when never saved) and the revision. Each
operation is one transaction (``BEGIN IMMEDIATE`` for writes) in WAL mode with
``synchronous=FULL``: a process killed at any moment leaves every committed flow readable. Every
value reaches SQLite as a bound parameter, never as SQL text.
"""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
import threading
import uuid
from collections.abc import Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any

from ..errors import BackendError
from ._store import DocumentStore, StoreTransaction

__all__ = ["DATABASE_NAME", "SCHEMA_VERSION", "LocalBackend"]

DATABASE_NAME = "flows.sqlite3"
SCHEMA_VERSION = 1
_BUSY_TIMEOUT = 30.0
_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS flows (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    flow_id TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    revision INTEGER NOT NULL,
    asset TEXT NOT NULL,
    definition TEXT
);
CREATE INDEX IF NOT EXISTS flows_by_name ON flows (name, seq);
"""


class _Transaction:
    """Row access on one SQLite connection inside an open transaction."""

    def __init__(self, connection: sqlite3.Connection) -> None:
        self._db = connection

    def get(self, flow_id: str) -> dict[str, Any] | None:
        row = self._db.execute("SELECT asset, definition FROM flows WHERE flow_id = ?", (flow_id,)).fetchone()
        if row is None:
            return None
        document: dict[str, Any] = {"flow": json.loads(row[0])}
        if row[1] is not None:
            document["pipeline_definition"] = json.loads(row[1])
        return document

    @staticmethod
    def _row(document: Mapping[str, Any]) -> tuple[str, str, int, str, str | None]:
        asset = document["flow"]
        definition = document.get("pipeline_definition")
        return (
            asset["metadata"]["asset_id"],
            asset["metadata"]["name"],
            int(asset["metadata"].get("revision") or 0),
            json.dumps(asset, ensure_ascii=False),
            None if definition is None else json.dumps(definition, ensure_ascii=False),
        )

    def insert(self, document: Mapping[str, Any]) -> None:
        self._db.execute(
            "INSERT INTO flows (flow_id, name, revision, asset, definition) VALUES (?, ?, ?, ?, ?)",
            self._row(document),
        )

    def replace(self, document: Mapping[str, Any]) -> None:
        flow_id, name, revision, asset, definition = self._row(document)
        self._db.execute(
            "UPDATE flows SET name = ?, revision = ?, asset = ?, definition = ? WHERE flow_id = ?",
            (name, revision, asset, definition, flow_id),
        )

    def delete(self, flow_id: str) -> bool:
        return self._db.execute("DELETE FROM flows WHERE flow_id = ?", (flow_id,)).rowcount > 0

    def page(self, after: int, limit: int, name: str | None) -> tuple[list[tuple[int, dict[str, Any]]], int]:
        if name is None:
            rows = self._db.execute(
                "SELECT seq, asset FROM flows WHERE seq > ? ORDER BY seq LIMIT ?", (after, limit)
            ).fetchall()
            total = self._db.execute("SELECT count(*) FROM flows").fetchone()[0]
        else:
            rows = self._db.execute(
                "SELECT seq, asset FROM flows WHERE name = ? AND seq > ? ORDER BY seq LIMIT ?",
                (name, after, limit),
            ).fetchall()
            total = self._db.execute("SELECT count(*) FROM flows WHERE name = ?", (name,)).fetchone()[0]
        return [(seq, json.loads(asset)) for seq, asset in rows], int(total)

    def ids_named(self, name: str) -> list[str]:
        rows = self._db.execute("SELECT flow_id FROM flows WHERE name = ? ORDER BY seq", (name,)).fetchall()
        return [row[0] for row in rows]

    def all_ids(self) -> list[str]:
        return [row[0] for row in self._db.execute("SELECT flow_id FROM flows ORDER BY seq").fetchall()]


class LocalBackend(DocumentStore):
    """A project stored in ``<path>/flows.sqlite3`` (the default store of ``Project.local()``).

    Safe to share between threads and processes; one transaction per operation.

    >>> import tempfile
    >>> backend = LocalBackend(tempfile.mkdtemp())
    >>> document = backend.create_flow({"name": "orders", "engine_version": "6.1.1"})
    >>> backend.get_flow(document["flow"]["metadata"]["asset_id"])["flow"]["metadata"]["name"]
    'orders'
    >>> backend.close()
    """

    def __init__(self, path: str | Path = ".flowbuilder") -> None:
        self.path = Path(path)
        self.database = self.path / DATABASE_NAME
        self._local = threading.local()
        self._connections: list[sqlite3.Connection] = []
        self._lock = threading.Lock()
        try:
            # The store holds CREDENTIAL values in clear (the engine needs them): owner-only.
            self.path.mkdir(parents=True, exist_ok=True, mode=0o700)
            if not self.database.exists():  # created empty and private; SQLite keeps the mode
                with contextlib.suppress(FileExistsError):
                    os.close(os.open(self.database, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
        except OSError as error:
            raise BackendError(
                f"cannot create the store directory: {error.strerror}",
                location=str(self.path),
                hint="Pick a writable directory with Project.local(path=...).",
            ) from None
        project_id, environment_id = self._initialise()
        super().__init__(project_id, environment_id)

    def __repr__(self) -> str:
        return f"LocalBackend(path={str(self.path)!r})"

    # -- connections -----------------------------------------------------------------------------

    def _error(self, error: sqlite3.Error) -> BackendError:
        text = str(error)
        if "locked" in text or "busy" in text:
            hint = "Another process held the store for too long; retry."
        elif isinstance(error, sqlite3.DatabaseError) and "not a database" in text:
            hint = "This file is not a flowbuilder store; move it aside (flowbuilder leaves it untouched)."
        else:
            hint = "Check the disk (space, permissions) and retry."
        return BackendError(f"local store failed: {text}", location=str(self.database), hint=hint)

    def _connection(self) -> sqlite3.Connection:
        connection: sqlite3.Connection | None = getattr(self._local, "connection", None)
        if connection is not None:
            return connection
        try:
            connection = sqlite3.connect(
                self.database, timeout=_BUSY_TIMEOUT, isolation_level=None, check_same_thread=False
            )
            connection.execute("PRAGMA journal_mode=WAL")
            connection.execute("PRAGMA synchronous=FULL")
        except sqlite3.Error as error:
            raise self._error(error) from None
        self._local.connection = connection
        with self._lock:
            self._connections.append(connection)
        return connection

    @contextmanager
    def _transaction(self, begin: str) -> Iterator[_Transaction]:
        connection = self._connection()
        try:
            connection.execute(begin)
        except sqlite3.Error as error:
            raise self._error(error) from None
        try:
            yield _Transaction(connection)
        except sqlite3.Error as error:
            connection.execute("ROLLBACK")
            raise self._error(error) from None
        except BaseException:
            connection.execute("ROLLBACK")
            raise
        try:
            connection.execute("COMMIT")
        except sqlite3.Error as error:
            if connection.in_transaction:
                connection.execute("ROLLBACK")
            raise self._error(error) from None

    def _read(self) -> AbstractContextManager[StoreTransaction]:
        return self._transaction("BEGIN")

    def _write(self) -> AbstractContextManager[StoreTransaction]:
        return self._transaction("BEGIN IMMEDIATE")

    def _initialise(self) -> tuple[str, str]:
        connection = self._connection()
        try:
            version = connection.execute("PRAGMA user_version").fetchone()[0]
            if version > SCHEMA_VERSION:
                raise BackendError(
                    f"the store has schema version {version}; this flowbuilder reads up to {SCHEMA_VERSION}",
                    location=str(self.database),
                    hint="Upgrade flowbuilder to open it.",
                )
            connection.execute("BEGIN IMMEDIATE")
            try:
                for statement in _SCHEMA.strip().split(";\n"):
                    connection.execute(statement)
                for key in ("project_id", "environment_id"):
                    connection.execute(
                        "INSERT OR IGNORE INTO meta (key, value) VALUES (?, ?)", (key, str(uuid.uuid4()))
                    )
                connection.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
                meta = dict(connection.execute("SELECT key, value FROM meta").fetchall())
                connection.execute("COMMIT")
            except BaseException:
                connection.execute("ROLLBACK")
                raise
        except sqlite3.Error as error:
            raise self._error(error) from None
        return meta["project_id"], meta["environment_id"]

    def close(self) -> None:
        """Close every connection this backend opened (in any thread)."""
        with self._lock:
            connections, self._connections = self._connections, []
        for connection in connections:
            connection.close()
        self._local = threading.local()

"""Record: one record of a preview, with its typed fields, header attributes and error details."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .._names import did_you_mean
from ..errors import PreviewError
from . import _paths
from ._fields import CONTAINER_TYPES, FIELD_TYPES, Field

__all__ = ["Record"]

_ERROR_KEYS = ("errorCode", "errorMessage", "errorStage", "errorStageLabel", "errorTimestamp")


class Record:
    """A record as the preview runner saw it: a root field, header attributes and a header.

    ``value`` is the root field as plain Python; ``record["/a/b"]`` reads one field with the
    engine's field-path syntax; ``field_type(path)`` gives the engine type the runner kept.
    ``attributes`` are the header attributes stages read and write
    (``record:attribute('x')``); ``header`` also holds the engine's own header entries
    (``sourceId``, ``stageCreator``, ``errorCode``...). Records sent to error carry
    ``error_code``, ``error_message`` and ``error_stage``.

    >>> record = Record({"a": {"b": 1}, "list": [10, 20], "odd key": True}, attributes={"topic": "t"})
    >>> record["/a/b"], record["/list[1]"], record["/'odd key'"], record.field_type("/a/b")
    (1, 20, True, 'INTEGER')
    >>> record.value["a"], record.attributes, record.error_code is None
    ({'b': 1}, {'topic': 't'}, True)

    ``types`` gives fields the engine type an origin would (values are converted):

    >>> Record({"qty": None, "day": "2024-01-31"}, types={"/qty": "LONG", "/day": "DATE"}).field("/day")
    Field('DATE', datetime.date(2024, 1, 31))
    """

    __slots__ = ("_attributes", "_header", "_root", "_source")

    def __init__(
        self,
        value: Any = None,
        *,
        attributes: Mapping[str, str] | None = None,
        types: Mapping[str, str] | None = None,
        header: Mapping[str, Any] | None = None,
    ) -> None:
        self._root: Field | None = Field.from_python(value) if value is not None else None
        self._attributes: dict[str, str] = {str(k): str(v) for k, v in (attributes or {}).items()}
        self._header: dict[str, Any] = dict(header or {})
        self._source: Record | None = None
        for path, kind in (types or {}).items():
            self._retype(path, kind)

    def _retype(self, path: str, kind: str) -> None:
        from ._convert import Conversion, convert

        if kind not in FIELD_TYPES or kind in CONTAINER_TYPES:
            raise PreviewError(
                f"types: {kind!r} is not a scalar field type",
                hint=did_you_mean(kind, FIELD_TYPES) or "Use STRING, INTEGER, LONG, DOUBLE, DECIMAL, DATE...",
            )
        field = self.field(path)
        if field is None:
            raise PreviewError(f"types: the record has no field {path!r}")
        try:
            converted = convert(field, Conversion(kind))
        except ValueError as error:
            raise PreviewError(f"types: field {path!r} cannot be {kind}: {error}") from None
        field.type, field.value = converted.type, converted.value

    @classmethod
    def _from_field(cls, root: Field | None, attributes: Mapping[str, str] | None = None) -> Record:
        made = cls(attributes=attributes)
        made._root = root
        return made

    def _created_by(self, stage: str, source_id: str) -> Record:
        """This record as new from ``stage``: header names it and ``source_id``; kept as the original."""
        self._header.update(stageCreator=stage, sourceId=source_id, stagesPath=stage)
        self._source = self.copy()
        return self

    # -- values ------------------------------------------------------------------------------

    @property
    def value(self) -> Any:
        """The root field as plain Python (dicts, lists, scalars); None for an empty record."""
        return self._root.to_python() if self._root is not None else None

    @property
    def root(self) -> Field | None:
        """The root field, with its type (``Field``); None for an empty record."""
        return self._root

    def __getitem__(self, path: str) -> Any:
        field = self.field(path)
        if field is None:
            known = _paths.all_paths(self._root, include_root=False)
            raise PreviewError(
                f"record has no field {path!r}",
                hint=did_you_mean(path, known)
                or (f"Its fields: {', '.join(known[:10])}." if known else None),
            )
        return field.to_python()

    def get(self, path: str, default: Any = None) -> Any:
        """The plain value at ``path``, or ``default`` when the record has no such field."""
        field = self.field(path)
        return default if field is None else field.to_python()

    def field(self, path: str) -> Field | None:
        """The typed field at ``path``, or None."""
        return _paths.get(self._root, path)

    def field_type(self, path: str = "/") -> str | None:
        """The engine field type at ``path`` (``INTEGER``, ``LIST_MAP``...), or None if missing."""
        field = self.field(path)
        return field.type if field is not None else None

    def has(self, path: str) -> bool:
        """True when the record has a field at ``path`` (``record:exists``)."""
        return self.field(path) is not None

    def __contains__(self, path: object) -> bool:
        return isinstance(path, str) and self.has(path)

    @property
    def paths(self) -> list[str]:
        """Every field path of the record, parents first (the root is left out)."""
        return _paths.all_paths(self._root, include_root=False)

    # -- header ------------------------------------------------------------------------------

    @property
    def attributes(self) -> dict[str, str]:
        """The header attributes (a copy): what ``record:attribute(name)`` reads."""
        return dict(self._attributes)

    @property
    def header(self) -> dict[str, Any]:
        """The engine's header: ``sourceId``, ``stageCreator``, ``stagesPath``, error entries, ``values``."""
        header = dict(self._header)
        header["values"] = dict(self._attributes)
        return header

    @property
    def error_code(self) -> str | None:
        """The error code of a record sent to error (``CONTAINER_0050``, ``EXPR_03``...), else None."""
        return self._header.get("errorCode")

    @property
    def error_message(self) -> str | None:
        """The error message of a record sent to error, else None."""
        return self._header.get("errorMessage")

    @property
    def error_stage(self) -> str | None:
        """The instance name of the stage that sent the record to error, else None."""
        return self._header.get("errorStage")

    @property
    def error_stage_label(self) -> str | None:
        """The label of the stage that sent the record to error, else None."""
        return self._header.get("errorStageLabel")

    # -- copies and comparison ---------------------------------------------------------------

    def copy(self) -> Record:
        """A deep copy: changing it never changes this record."""
        made = Record._from_field(self._root.copy() if self._root is not None else None, self._attributes)
        made._header = dict(self._header)
        made._source = self._source
        return made

    def _with_error(self, stage: str, label: str, code: str, message: str, timestamp: int) -> Record:
        made = self.copy()
        made._header.update(
            errorStage=stage,
            errorStageLabel=label,
            errorCode=code,
            errorMessage=message,
            errorTimestamp=timestamp,
        )
        return made

    def _error_from(self, other: Record) -> Record:
        made = self.copy()
        for key in _ERROR_KEYS:
            if key in other._header:
                made._header[key] = other._header[key]
        return made

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Record):
            return NotImplemented
        return self._root == other._root and self._attributes == other._attributes

    __hash__ = None  # type: ignore[assignment]

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready form: the value, and for an error record its code, message and stage.

        >>> Record({"a": 1}).to_dict()
        {'value': {'a': 1}}
        """
        data: dict[str, Any] = {"value": self.value}
        if self.error_code is not None:
            data.update(
                error_code=self.error_code, error_message=self.error_message, error_stage=self.error_stage
            )
        return data

    def __repr__(self) -> str:
        parts = [repr(self.value)]
        if self._attributes:
            parts.append(f"attributes={self._attributes!r}")
        if self.error_code is not None:
            parts.append(f"error_code={self.error_code!r}")
        return f"Record({', '.join(parts)})"

"""Typed fields: the engine's record values, with the field types it keeps (INTEGER, LONG, DATE...).

A record's value is a tree of :class:`Field` objects. Python users see plain values
(``Field.to_python``); the expression language sees values that remember their Java type
(``Field.to_el``), so ``${record:value('/a')}`` copies an INTEGER field as INTEGER while
``${record:value('/a') + 1}`` gives a LONG, as in the engine.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from ..errors import PreviewError

__all__ = [
    "CONTAINER_TYPES",
    "FIELD_TYPES",
    "Field",
    "JavaFloat",
    "JavaInt",
    "JavaMap",
    "el_type",
]

#: Every field type the engine knows (``Field.Type``), in the engine's order.
FIELD_TYPES = (
    "BOOLEAN",
    "CHAR",
    "BYTE",
    "SHORT",
    "INTEGER",
    "LONG",
    "FLOAT",
    "DOUBLE",
    "DATE",
    "DATETIME",
    "TIME",
    "DECIMAL",
    "STRING",
    "FILE_REF",
    "BYTE_ARRAY",
    "MAP",
    "LIST",
    "LIST_MAP",
    "ZONED_DATETIME",
)
CONTAINER_TYPES = frozenset({"MAP", "LIST_MAP", "LIST"})
_INT_MIN, _INT_MAX = -(2**31), 2**31 - 1
_LONG_MIN, _LONG_MAX = -(2**63), 2**63 - 1


_VALUE_TYPES = (str, int, float, Decimal, dt.date, dt.time, bytes, bytearray, Mapping, list, tuple)


class JavaInt(int):
    """An integer the expression language got from an INTEGER, SHORT or BYTE field.

    >>> JavaInt(5, "INTEGER") + 1, JavaInt(5, "INTEGER").java_type
    (6, 'INTEGER')
    """

    java_type: str

    def __new__(cls, value: int, java_type: str) -> JavaInt:
        made = super().__new__(cls, value)
        made.java_type = java_type
        return made


class JavaFloat(float):
    """A float the expression language got from a FLOAT field (plain floats are DOUBLE)."""

    java_type: str

    def __new__(cls, value: float, java_type: str = "FLOAT") -> JavaFloat:
        made = super().__new__(cls, value)
        made.java_type = java_type
        return made


class JavaMap(dict[str, Any]):
    """A dict the expression language got from a MAP field (plain dicts are LIST_MAP)."""

    java_type = "MAP"


def el_type(value: object) -> str:
    """The field type the engine gives an expression result (``ExpressionProcessor``).

    >>> el_type(1), el_type(1.5), el_type("a"), el_type(None), el_type({"a": 1})
    ('LONG', 'DOUBLE', 'STRING', 'STRING', 'LIST_MAP')
    """
    marked = getattr(value, "java_type", None)
    if isinstance(marked, str):
        return marked
    if value is None or isinstance(value, str):
        return "STRING"
    if isinstance(value, bool):
        return "BOOLEAN"
    if isinstance(value, int):
        return "LONG"
    if isinstance(value, float):
        return "DOUBLE"
    if isinstance(value, Decimal):
        return "DECIMAL"
    if isinstance(value, dt.datetime):
        return "ZONED_DATETIME" if _is_zoned(value) else "DATETIME"
    if isinstance(value, dt.date):
        return "DATE"
    if isinstance(value, dt.time):
        return "TIME"
    if isinstance(value, (bytes, bytearray)):
        return "BYTE_ARRAY"
    if isinstance(value, Mapping):
        return "LIST_MAP"
    if isinstance(value, (list, tuple)):
        return "LIST"
    return "STRING"


def _is_zoned(value: dt.datetime) -> bool:
    return value.tzinfo is not None and value.utcoffset() != dt.timedelta(0)


class Field:
    """One typed value of a record: ``type`` (an engine field type), ``value`` and ``attributes``.

    Containers hold fields: a MAP or LIST_MAP holds ``dict[str, Field]``, a LIST holds
    ``list[Field]``.

    >>> field = Field.from_python({"a": 1, "b": [1.5, None]})
    >>> field.type, field.value["a"].type, field.value["b"].value[0].type
    ('LIST_MAP', 'INTEGER', 'DOUBLE')
    >>> field.to_python()
    {'a': 1, 'b': [1.5, None]}
    """

    __slots__ = ("attributes", "type", "value")

    def __init__(self, type: str, value: Any, attributes: dict[str, str] | None = None) -> None:
        self.type = type
        self.value = value
        self.attributes = attributes

    # -- building ----------------------------------------------------------------------------

    @classmethod
    def from_python(cls, value: object) -> Field:
        """A field for a plain Python value, typed as the engine's JSON parser types it.

        Integers are INTEGER when they fit 32 bits, else LONG (DECIMAL beyond 64 bits);
        floats are DOUBLE; dicts are LIST_MAP; ``Field`` objects are copied.
        """
        if isinstance(value, Field):
            return value.copy()
        if isinstance(value, bool) or value is None or type(value) in (str, float, Decimal):
            return cls(el_type(value), value)
        if isinstance(value, int) and not isinstance(value, JavaInt):
            if _INT_MIN <= value <= _INT_MAX:
                return cls("INTEGER", int(value))
            if _LONG_MIN <= value <= _LONG_MAX:
                return cls("LONG", int(value))
            return cls("DECIMAL", Decimal(value))
        if not isinstance(value, _VALUE_TYPES):
            raise PreviewError(
                f"cannot use a {type(value).__name__} ({value!r:.60}) as a field value",
                hint="Use dicts, lists, str, int, float, bool, None, Decimal, dates, times or bytes.",
            )
        return cls.from_el(value, _nested=cls.from_python)

    @classmethod
    def from_el(cls, value: object, _nested: Any = None) -> Field:
        """A field for an expression-language result, typed as the Expression Evaluator types it."""
        nested = _nested or cls.from_el
        kind = el_type(value)
        if isinstance(value, Mapping):
            return cls(kind, {str(k): nested(v) for k, v in value.items()})
        if isinstance(value, (list, tuple)):
            return cls("LIST", [nested(v) for v in value])
        if isinstance(value, JavaInt):
            return cls(kind, int(value))
        if isinstance(value, JavaFloat):
            return cls(kind, float(value))
        if isinstance(value, bytearray):
            return cls(kind, bytes(value))
        return cls(kind, value)

    # -- reading -----------------------------------------------------------------------------

    @property
    def is_container(self) -> bool:
        """True for MAP, LIST_MAP and LIST fields."""
        return self.type in CONTAINER_TYPES

    @property
    def is_map(self) -> bool:
        """True for MAP and LIST_MAP fields."""
        return self.type in ("MAP", "LIST_MAP")

    def to_python(self) -> Any:
        """The plain Python value: dicts, lists and scalars, without type markers."""
        if self.value is None:
            return None
        if self.is_map:
            return {k: f.to_python() for k, f in self.value.items()}
        if self.type == "LIST":
            return [f.to_python() for f in self.value]
        return self.value

    def to_el(self) -> Any:
        """The value as the expression language sees it: scalars remember their field type."""
        value = self.value
        if value is None:
            return None
        if self.is_map:
            items = {k: f.to_el() for k, f in value.items()}
            return JavaMap(items) if self.type == "MAP" else items
        if self.type == "LIST":
            return [f.to_el() for f in value]
        if self.type in ("INTEGER", "SHORT", "BYTE") and isinstance(value, int):
            return JavaInt(value, self.type)
        if self.type == "FLOAT" and isinstance(value, (int, float)):
            return JavaFloat(float(value))
        return value

    def copy(self) -> Field:
        """A deep copy (containers copied, scalar values shared: they are immutable)."""
        value = self.value
        if value is not None and self.is_map:
            value = {k: f.copy() for k, f in value.items()}
        elif value is not None and self.type == "LIST":
            value = [f.copy() for f in value]
        return Field(self.type, value, dict(self.attributes) if self.attributes else None)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Field):
            return NotImplemented
        return (
            self.type == other.type
            and self.value == other.value
            and ((self.attributes or {}) == (other.attributes or {}))
        )

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"Field({self.type!r}, {self.to_python()!r})"

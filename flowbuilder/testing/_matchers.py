"""Matchers for preview records: compare what a stage produced with what a test expects."""

from __future__ import annotations

import pprint
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..preview import Record

__all__ = ["RecordMatcher", "assert_records", "record_with"]

_ANY = object()


class RecordMatcher:
    """Equal to every record that has the given fields, attributes and error details.

    Build it with :func:`record_with`; compare it with ``==`` (also inside lists, so
    ``assert stage.errors == [record_with(error_code="CONTAINER_0050")]`` reads well).
    """

    def __init__(
        self,
        fields: Mapping[str, Any] | None = None,
        *,
        value: Any = _ANY,
        types: Mapping[str, str] | None = None,
        attributes: Mapping[str, str] | None = None,
        error_code: str | None = None,
        error_stage: str | None = None,
        error_message: str | None = None,
    ) -> None:
        self.fields = dict(fields or {})
        self.value = value
        self.types = dict(types or {})
        self.attributes = dict(attributes or {})
        self.error_code = error_code
        self.error_stage = error_stage
        self.error_message = error_message

    def mismatches(self, record: Record) -> list[str]:
        """What differs between ``record`` and this matcher (empty when they match)."""
        problems: list[str] = []
        if self.value is not _ANY and record.value != self.value:
            problems.append(f"value is {record.value!r}, expected {self.value!r}")
        for path, expected in self.fields.items():
            if not record.has(path):
                problems.append(f"has no field {path!r} (expected {expected!r})")
            elif record.get(path) != expected:
                problems.append(f"field {path!r} is {record.get(path)!r}, expected {expected!r}")
        for path, kind in self.types.items():
            if record.field_type(path) != kind:
                problems.append(f"field {path!r} has type {record.field_type(path)}, expected {kind}")
        for name, expected in self.attributes.items():
            actual = record.attributes.get(name)
            if actual != expected:
                problems.append(f"attribute {name!r} is {actual!r}, expected {expected!r}")
        if self.error_code is not None and record.error_code != self.error_code:
            problems.append(f"error_code is {record.error_code!r}, expected {self.error_code!r}")
        if self.error_stage is not None and record.error_stage != self.error_stage:
            problems.append(f"error_stage is {record.error_stage!r}, expected {self.error_stage!r}")
        if self.error_message is not None and self.error_message not in (record.error_message or ""):
            problems.append(f"error_message {record.error_message!r} does not contain {self.error_message!r}")
        return problems

    def __eq__(self, other: object) -> bool:
        from ..preview import Record

        if not isinstance(other, Record):
            return NotImplemented
        return not self.mismatches(other)

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        parts = [repr(self.fields)] if self.fields else []
        # Any value may be asked for, None and {} included; only "not asked" is left out.
        if self.value is not _ANY:
            parts.append(f"value={self.value!r}")
        for name in ("types", "attributes", "error_code", "error_stage", "error_message"):
            current = getattr(self, name)
            if current not in (None, {}):
                parts.append(f"{name}={current!r}")
        return f"record_with({', '.join(parts)})"


def record_with(
    fields: Mapping[str, Any] | None = None,
    *,
    value: Any = _ANY,
    types: Mapping[str, str] | None = None,
    attributes: Mapping[str, str] | None = None,
    error_code: str | None = None,
    error_stage: str | None = None,
    error_message: str | None = None,
) -> RecordMatcher:
    """A matcher for records: ``fields`` maps field paths to values; only what is given is checked.

    ``value`` checks the whole record, ``types`` field types (``{"/n": "LONG"}``),
    ``error_message`` a substring of the error message.

    >>> from flowbuilder.preview import Record
    >>> record_with({"/a": 1}, types={"/a": "INTEGER"}) == Record({"a": 1, "b": 2})
    True
    >>> record_with({"/a": 2}).mismatches(Record({"a": 1}))
    ["field '/a' is 1, expected 2"]
    """
    return RecordMatcher(
        fields,
        value=value,
        types=types,
        attributes=attributes,
        error_code=error_code,
        error_stage=error_stage,
        error_message=error_message,
    )


def assert_records(records: Iterable[Record], expected: Iterable[Any], *, ordered: bool = True) -> None:
    """Fail unless ``records`` match ``expected`` one for one, saying which record differs and how.

    Each expected item is a :class:`RecordMatcher` or a plain value compared with
    ``record.value``. With ``ordered=False`` the order does not matter.

    >>> from flowbuilder.preview import Record
    >>> assert_records([Record({"a": 1}), Record({"a": 2})], [{"a": 1}, record_with({"/a": 2})])
    >>> assert_records([Record({"a": 1})], [{"a": 3}])
    Traceback (most recent call last):
    ...
    AssertionError: records differ from what was expected:
      record 0: value is {'a': 1}, expected {'a': 3}
    """
    __tracebackhide__ = True
    actual = list(records)
    wanted = [item if isinstance(item, RecordMatcher) else RecordMatcher(value=item) for item in expected]
    problems: list[str] = []
    if len(actual) != len(wanted):
        problems.append(f"  got {len(actual)} records, expected {len(wanted)}")
    if ordered:
        for index, (record, matcher) in enumerate(zip(actual, wanted, strict=False)):
            for problem in matcher.mismatches(record):
                problems.append(f"  record {index}: {problem}")
    else:
        unmatched = list(actual)
        for matcher in wanted:
            hit = next((r for r in unmatched if not matcher.mismatches(r)), None)
            if hit is None:
                problems.append(f"  no record matches {matcher!r}")
            else:
                unmatched.remove(hit)
    if problems:
        listing = pprint.pformat([r.value for r in actual], width=100)
        message = "records differ from what was expected:\n" + "\n".join(problems)
        if len(actual) != len(wanted) or not ordered:
            message += f"\n  records were: {listing}"
        raise AssertionError(message)

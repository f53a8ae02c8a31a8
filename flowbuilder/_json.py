"""Reading JSON that others wrote: size-checked, depth-checked, with errors that say where.

Every file, body and member flowbuilder reads as JSON goes through here, so one limit and one
set of messages hold everywhere (flow files, request bodies, archives, records for preview).

>>> load_json(b'{"stages": []}')
{'stages': []}
>>> as_mapping({"name": "orders"}), as_mapping(None), as_mapping(["orders"])
({'name': 'orders'}, {}, {})
"""

from __future__ import annotations

import copy
import json
import os
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from ._bounded_json import TooDense, parse
from ._gc import paused_gc
from .errors import FlowFormatError

__all__ = [
    "MAX_JSON_BYTES",
    "MAX_JSON_DEPTH",
    "MEMORY_FACTOR",
    "as_mapping",
    "check_document",
    "copy_json",
    "load_json",
    "load_json_held",
    "memory_limit",
    "read_json_bytes",
    "too_dense",
]

#: Flow JSON longer than this (bytes, or characters of a str) is refused before it is parsed:
#: parsed JSON takes several times its text in memory. Pass ``max_bytes=`` to read larger flows;
#: the largest real export in the corpus is 1.4 MB, a 10,000-stage flow about 30 MB.
MAX_JSON_BYTES = 64 * 1024 * 1024
#: Reading a document holds at most this many times its length in objects, plus 4 MiB (see
#: ``_bounded_json``): a real flow export takes 2.5 to 4.5 times; JSON packed with tiny values
#: (empty lists, numbers) would take up to 25 times, and is refused once past the limit.
MEMORY_FACTOR = 5
_MEMORY_ALLOWANCE = 4 * 1024 * 1024
#: Documents nested deeper than this are refused: real flow documents nest fewer than 20 levels,
#: and copying, compiling or drawing a much deeper one would exhaust Python's recursion.
MAX_JSON_DEPTH = 100


def as_mapping(value: object) -> Mapping[str, Any]:
    """``value`` when it is a mapping, else an empty one: for reading parts of others' JSON."""
    return value if isinstance(value, Mapping) else {}


def read_json_bytes(path: str | Path, *, max_bytes: int = MAX_JSON_BYTES) -> bytes:
    """The bytes of a JSON file that others wrote; FlowFormatError, naming the file, when it cannot
    be read or is larger than ``max_bytes`` (judged from its size, before reading it)."""
    try:
        with open(path, "rb") as file:
            size = os.fstat(file.fileno()).st_size
            if size > max_bytes:
                raise _too_large(size, max_bytes, "bytes", str(path))
            return file.read(max_bytes + 1)
    except OSError as error:
        raise FlowFormatError(f"cannot read file: {error.strerror}", location=str(path)) from None


def _too_large(size: int, limit: int, unit: str, location: str | None) -> FlowFormatError:
    return FlowFormatError(
        f"flow JSON is {size:,} {unit}, more than the limit of {limit:,}",
        location=location,
        hint="If it really is a flow, pass a larger max_bytes= to Flow.from_json or Flow.from_file "
        f"(the default is {MAX_JSON_BYTES:,}).",
    )


def memory_limit(size: int) -> int:
    """What reading a document of ``size`` bytes (or characters) may hold in memory, in bytes.

    >>> memory_limit(1_000_000)
    9194304
    """
    return MEMORY_FACTOR * size + _MEMORY_ALLOWANCE


def too_dense(size: int, location: str | None, what: str) -> FlowFormatError:
    """The error for a document that would take more than :func:`memory_limit` to read."""
    return FlowFormatError(
        f"JSON of {size:,} bytes would take more than {memory_limit(size):,} bytes in memory "
        f"({MEMORY_FACTOR} times its size) to read: {what}; a real flow export takes 2.5 to 4.5 "
        "times its size",
        location=location,
        hint="Check that this is the flow export you meant to read.",
    )


def load_json(data: str | bytes, *, max_bytes: int = MAX_JSON_BYTES, location: str | None = None) -> Any:
    """Parse JSON text that others wrote: FlowFormatError when it is longer than ``max_bytes``, not
    UTF-8, not JSON, refused by :func:`check_document`, or packed so tight that its objects would
    take more than :func:`memory_limit` of its size.

    >>> load_json(b'{"stages": []}')
    {'stages': []}
    >>> load_json("[" * 200 + "]" * 200)
    Traceback (most recent call last):
    ...
    flowbuilder.errors.FlowFormatError: JSON nests more than 100 levels deep at [0][0]...
    """
    return load_json_held(data, max_bytes=max_bytes, location=location)[0]


def load_json_held(
    data: str | bytes, *, max_bytes: int = MAX_JSON_BYTES, location: str | None = None
) -> tuple[Any, int]:
    """:func:`load_json`, and the bytes the document's objects hold (for what reads it next)."""
    if len(data) > max_bytes:
        raise _too_large(len(data), max_bytes, "bytes" if isinstance(data, bytes) else "characters", location)
    try:
        with paused_gc():  # parsed JSON holds no cycles; collections while building it cost 4x the parse
            document, held = parse(data, limit=memory_limit(len(data)))
    except TooDense as error:
        raise too_dense(
            len(data), location, f"it is made of tiny values by offset {error.offset:,}"
        ) from None
    except json.JSONDecodeError as error:
        where = f"{location}:{error.lineno}:{error.colno}" if location else f"line {error.lineno}"
        raise FlowFormatError(f"not valid JSON: {error.msg}", location=where) from None
    except UnicodeDecodeError as error:
        raise FlowFormatError(
            f"is not UTF-8 text (byte {error.object[error.start]:#04x} at offset {error.start})",
            location=location,
            hint="Save the file as UTF-8.",
        ) from None
    except RecursionError:
        raise FlowFormatError(
            f"JSON nests more than {MAX_JSON_DEPTH} levels deep", location=location
        ) from None
    except ValueError as error:  # an integer of more than 4,300 digits
        raise FlowFormatError(f"not valid JSON: {error}", location=location) from None
    check_document(document, location)
    return document, held


def check_document(document: object, location: str | None = None, *, max_depth: int = MAX_JSON_DEPTH) -> None:
    """Refuse a parsed document nested deeper than ``max_depth`` or holding a string that UTF-8
    cannot encode (JSON's ``\\ud800`` escapes give unpaired surrogates), naming where it is.

    Linear and iterative: it never recurses, whatever the nesting, and holds only the path it is
    on (one iterator per level), so checking costs no memory in the size of the document.
    """
    if isinstance(document, str):
        if not document.isascii():
            _check_text(document, (), location)
        return
    keys: list[str | int] = []  # the path to the container whose items levels[-1] walks
    levels = [_items(document)]
    while levels:
        for key, value in levels[-1]:
            if isinstance(key, str) and not key.isascii():
                _check_text(key, (*keys, key), location)
            if isinstance(value, str):
                if not value.isascii():
                    _check_text(value, (*keys, key), location)
            elif isinstance(value, (dict, list)):
                if len(levels) >= max_depth:
                    raise FlowFormatError(
                        f"JSON nests more than {max_depth} levels deep at {_path((*keys, key))}",
                        location=location,
                        hint="Flow documents nest fewer than 20 levels; this is not a flow export.",
                    )
                if value:  # an empty one has nothing to walk
                    keys.append(key)
                    levels.append(_items(value))
                    break  # walk the child now; this level's iterator goes on where it stopped
        else:
            levels.pop()
            if keys:
                keys.pop()


_ATOMS = frozenset({str, int, float, bool, type(None)})


def copy_json(value: Any) -> Any:
    """A copy of a JSON tree: every dict (or other mapping) and list new; strings, numbers,
    booleans and None shared (they cannot change); anything else deep-copied. Several times
    faster than ``copy.deepcopy``, which keeps a memo of every object it copies. Recursive: for
    trees ``check_document`` accepted (at most ``MAX_JSON_DEPTH`` levels).

    >>> tree = {"a": [1, {"b": "c"}], "d": None}
    >>> copied = copy_json(tree)
    >>> copied == tree, copied["a"] is tree["a"], copied["a"][1] is tree["a"][1]
    (True, False, False)
    """
    if isinstance(value, dict):
        return {key: item if type(item) in _ATOMS else copy_json(item) for key, item in value.items()}
    if isinstance(value, list):
        return [item if type(item) in _ATOMS else copy_json(item) for item in value]
    if type(value) in _ATOMS:
        return value
    if isinstance(value, Mapping):  # a read-only view (MappingProxyType)
        return copy_json(dict(value))
    return copy.deepcopy(value)


def _items(node: object) -> Iterator[tuple[str | int, object]]:
    if isinstance(node, dict):
        return iter(node.items())
    if isinstance(node, list):
        return enumerate(node)
    return iter(())


def _check_text(text: str, path: tuple[str | int, ...], location: str | None) -> None:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as error:
        raise FlowFormatError(
            f"holds an unpaired surrogate {text[error.start]!r} at {_path(path)}, which UTF-8 cannot encode",
            location=location,
            hint="Fix the \\u escape in the JSON: a surrogate (\\ud800-\\udfff) must come in a pair.",
        ) from None


def _path(path: tuple[str | int, ...]) -> str:
    text = "".join(f"[{step}]" if isinstance(step, int) else f".{step}" for step in path[:12])
    return (text.lstrip(".") + ("..." if len(path) > 12 else "")) or "the top level"

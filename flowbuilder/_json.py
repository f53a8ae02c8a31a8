"""Reading JSON that others wrote: size-checked, depth-checked, with errors that say where.

Every file, body and member flowbuilder reads as JSON goes through here, so one limit and one
set of messages hold everywhere (flow files, request bodies, archives, records for preview).

>>> load_json(b'{"stages": []}')
{'stages': []}
>>> as_mapping({"name": "orders"}), as_mapping(None), as_mapping(["orders"])
({'name': 'orders'}, {}, {})
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

from ._gc import paused_gc
from .errors import FlowFormatError

__all__ = ["MAX_JSON_BYTES", "MAX_JSON_DEPTH", "as_mapping", "check_document", "load_json", "read_json_bytes"]

#: Flow JSON longer than this (bytes, or characters of a str) is refused before it is parsed:
#: parsed JSON takes several times its text in memory. Pass ``max_bytes=`` to read larger flows;
#: the largest real export in the corpus is 1.4 MB, a 10,000-stage flow about 30 MB.
MAX_JSON_BYTES = 64 * 1024 * 1024
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


def load_json(data: str | bytes, *, max_bytes: int = MAX_JSON_BYTES, location: str | None = None) -> Any:
    """Parse JSON text that others wrote: FlowFormatError when it is longer than ``max_bytes``, not
    UTF-8, not JSON, or refused by :func:`check_document`.

    >>> load_json(b'{"stages": []}')
    {'stages': []}
    >>> load_json("[" * 200 + "]" * 200)
    Traceback (most recent call last):
    ...
    flowbuilder.errors.FlowFormatError: JSON nests more than 100 levels deep at [0][0]...
    """
    if len(data) > max_bytes:
        raise _too_large(len(data), max_bytes, "bytes" if isinstance(data, bytes) else "characters", location)
    try:
        with paused_gc():  # parsed JSON holds no cycles; collections while building it cost 4x the parse
            document = json.loads(data, object_hook=_sharing_strings())
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
    return document


def _sharing_strings() -> Callable[[dict[str, Any]], dict[str, Any]]:
    """An object hook that makes equal string values one object, as the parser already does for
    keys. Flow documents repeat the same values thousands of times (config types, groups, modes,
    lane names in the definitions an export embeds): sharing them takes a tenth off what a real
    export costs in memory, for a few percent more parsing time."""
    seen: dict[str, str] = {}
    share = seen.setdefault

    def hook(value: dict[str, Any]) -> dict[str, Any]:
        for key, item in value.items():
            if type(item) is str:
                value[key] = share(item, item)
            elif type(item) is list:  # lists of choices, labels, lanes
                for index, element in enumerate(item):
                    if type(element) is str:
                        item[index] = share(element, element)
        return value

    return hook


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

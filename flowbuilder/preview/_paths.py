"""Field paths in the engine's syntax: ``/a/b``, ``/list[0]``, ``/'weird key'``, wildcards ``/*``, ``[*]``.

A path is parsed into segments; reading, writing and deleting walk a record's field tree
the way the engine's ``Record.get/set/delete`` do. Field path expressions may also filter
with a predicate, ``/*[${f:type() == 'STRING'}]``, evaluated by the caller.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import lru_cache

from ..errors import PreviewError
from ._fields import Field

__all__ = [
    "Segment",
    "all_paths",
    "delete",
    "escape_name",
    "get",
    "has_wildcards",
    "join",
    "match",
    "parse",
    "set_field",
]

_PLAIN_NAME = re.compile(r"[A-Za-z0-9_]+")
_HINT = "Write field paths like /a/b, /list[0], /'key with spaces', /* or /list[*]."


@dataclass(frozen=True)
class Segment:
    """One step of a path: ``key`` (a map key), ``index`` (a list index), or a wildcard/filter.

    ``kind`` is ``key``, ``any_key``, ``index``, ``any_index`` or ``filter`` (``text`` holds
    the predicate expression).
    """

    kind: str
    name: str = ""
    index: int = 0
    text: str = ""


def escape_name(name: str) -> str:
    """One map key as a path element, quoted when the engine would quote it.

    >>> escape_name("a"), escape_name("a b"), escape_name("it's")
    ('/a', "/'a b'", "/'it\\\\'s'")
    """
    if _PLAIN_NAME.fullmatch(name) and name != "*":
        return "/" + name
    return "/'" + name.replace("\\", "\\\\").replace("'", "\\'") + "'"


def join(parent: str, segment: str | int) -> str:
    """The path of a child: a map key (str) or a list index (int) under ``parent``.

    >>> join("/a", "b"), join("/a", 0), join("", "x y")
    ('/a/b', '/a[0]', "/'x y'")
    """
    if isinstance(segment, int):
        return f"{parent}[{segment}]"
    return parent + escape_name(segment)


def _fail(path: str, position: int, what: str) -> PreviewError:
    return PreviewError(f"field path {path!r} is not valid at position {position}: {what}", hint=_HINT)


def parse(path: str) -> tuple[Segment, ...]:
    """The segments of ``path``; ``""`` and ``"/"`` are the root (no segments).

    >>> [s.kind for s in parse("/a/'b c'[0]/*[*]")]
    ['key', 'key', 'index', 'any_key', 'any_index']
    """
    # Checked before the cache, which would raise TypeError on an unhashable path.
    if not isinstance(path, str):
        raise PreviewError(f"field path must be a string; got {type(path).__name__} {path!r}", hint=_HINT)
    return _parse(path)


@lru_cache(maxsize=4096)
def _parse(path: str) -> tuple[Segment, ...]:
    if path in ("", "/"):
        return ()
    segments: list[Segment] = []
    i = 0
    n = len(path)
    while i < n:
        char = path[i]
        if char == "/":
            i += 1
            start = i
            # As the engine's PathElement.parse: quotes may open and close anywhere in a name
            # (/moved_'a/b' is the key moved_a/b).
            parts: list[str] = []
            quoted = False
            while i < n and path[i] not in "/[":
                if path[i] in "'\"":
                    text, i = _quoted(path, i)
                    parts.append(text)
                    quoted = True
                    continue
                if path[i] == "]":
                    raise _fail(path, i, f"unexpected {path[i]!r} in a field name; quote the name")
                parts.append(path[i])
                i += 1
            name = "".join(parts)
            if not name and not quoted:
                raise _fail(path, start, "empty field name")
            segments.append(Segment("any_key") if name == "*" and not quoted else Segment("key", name=name))
        elif char == "[":
            if path.startswith("[${", i):
                end = path.find("}]", i)
                if end < 0:
                    raise _fail(path, i, "a predicate [${...}] is not closed with '}]'")
                segments.append(Segment("filter", text=path[i + 1 : end + 1]))
                i = end + 2
                continue
            end = path.find("]", i)
            if end < 0:
                raise _fail(path, i, "'[' is not closed with ']'")
            inner = path[i + 1 : end].strip()
            if inner == "*":
                segments.append(Segment("any_index"))
            elif inner.isdigit() and inner.isascii() and len(inner) < 10:
                segments.append(Segment("index", index=int(inner)))
            else:
                raise _fail(path, i + 1, f"a list index must be a number or '*'; got {inner!r}")
            i = end + 1
        else:
            raise _fail(path, i, f"expected '/' or '['; got {char!r}")
    return tuple(segments)


def _quoted(path: str, start: int) -> tuple[str, int]:
    quote = path[start]
    out: list[str] = []
    i = start + 1
    while i < len(path):
        char = path[i]
        if char == "\\" and i + 1 < len(path):
            out.append(path[i + 1])
            i += 2
            continue
        if char == quote:
            return "".join(out), i + 1
        out.append(char)
        i += 1
    raise _fail(path, start, f"the quoted name is not closed with {quote}")


def has_wildcards(path: str) -> bool:
    """True when ``path`` has ``*``, ``[*]`` or a predicate, so it can match several fields."""
    return any(s.kind not in ("key", "index") for s in parse(path))


def _concrete(path: str) -> tuple[Segment, ...]:
    segments = parse(path)
    for segment in segments:
        if segment.kind not in ("key", "index"):
            raise PreviewError(
                f"field path {path!r} has a wildcard or predicate where one field is expected",
                hint="Name one field, e.g. /a/b or /list[0].",
            )
    return segments


def _child(field: Field | None, segment: Segment) -> Field | None:
    if field is None or field.value is None:
        return None
    if segment.kind == "key" and field.is_map:
        found: Field | None = field.value.get(segment.name)
        return found
    if segment.kind == "index" and field.type == "LIST":
        items: list[Field] = field.value
        return items[segment.index] if segment.index < len(items) else None
    return None


def _descend(field: Field | None, segments: tuple[Segment, ...]) -> Field | None:
    for segment in segments:
        field = _child(field, segment)
        if field is None:
            return None
    return field


def get(root: Field | None, path: str) -> Field | None:
    """The field at ``path`` (no wildcards), or None when the record has no such field."""
    return _descend(root, _concrete(path))


def set_field(root: Field | None, path: str, value: Field) -> bool:
    """Set the field at ``path`` below ``root``; False when its parent is missing or not a container.

    As in the engine, only the last element is created: a new key in a map, or the next
    index of a list.
    """
    segments = _concrete(path)
    if not segments:
        raise PreviewError("set_field() cannot replace the root; replace the record's root instead")
    parent = _descend(root, segments[:-1])
    last = segments[-1]
    if parent is None or parent.value is None:
        return False
    if last.kind == "key" and parent.is_map:
        parent.value[last.name] = value
        return True
    if last.kind == "index" and parent.type == "LIST":
        items: list[Field] = parent.value
        if last.index < len(items):
            items[last.index] = value
            return True
        if last.index == len(items):
            items.append(value)
            return True
    return False


def delete(root: Field | None, path: str) -> Field | None:
    """Remove the field at ``path``; returns it, or None when there was none."""
    segments = _concrete(path)
    if not segments:
        return None
    parent = _descend(root, segments[:-1])
    last = segments[-1]
    if parent is None or parent.value is None:
        return None
    if last.kind == "key" and parent.is_map:
        removed: Field | None = parent.value.pop(last.name, None)
        return removed
    if last.kind == "index" and parent.type == "LIST" and last.index < len(parent.value):
        taken: Field = parent.value.pop(last.index)
        return taken
    return None


def all_paths(root: Field | None, *, include_root: bool = True) -> list[str]:
    """Every field path of a record, parents before children, as the engine lists them.

    >>> all_paths(Field.from_python({"a": {"b": 1}, "c": [2]}))
    ['', '/a', '/a/b', '/c', '/c[0]']
    """
    found: list[str] = []
    if root is None:
        return found
    if include_root:
        found.append("")
    for path, _ in _walk(root, ""):
        found.append(path)
    return found


def _walk(field: Field, path: str) -> Iterator[tuple[str, Field]]:
    if field.value is None:
        return
    if field.is_map:
        for key, child in field.value.items():
            child_path = join(path, key)
            yield child_path, child
            yield from _walk(child, child_path)
    elif field.type == "LIST":
        for index, child in enumerate(field.value):
            child_path = join(path, index)
            yield child_path, child
            yield from _walk(child, child_path)


FilterFn = Callable[[str, Field, str], bool]


def match(root: Field | None, pattern: str, keep: FilterFn | None = None) -> list[str]:
    """The paths of the fields ``pattern`` matches, in record order (wildcards expanded).

    ``keep(path, field, predicate)`` decides ``[${...}]`` filters; without it, a pattern with
    a filter raises.

    >>> match(Field.from_python({"a": 1, "b": {"c": 2}, "d": [3, 4]}), "/*")
    ['/a', '/b', '/d']
    >>> match(Field.from_python({"d": [3, 4]}), "/d[*]")
    ['/d[0]', '/d[1]']
    """
    segments = parse(pattern)
    current: list[tuple[str, Field]] = [("", root)] if root is not None else []
    for segment in segments:
        following: list[tuple[str, Field]] = []
        if segment.kind == "filter":
            if keep is None:
                raise PreviewError(
                    f"field path {pattern!r} has a predicate, which this config does not support",
                    hint="Use a plain path or wildcards.",
                )
            following = [(p, f) for p, f in current if keep(p, f, segment.text)]
        else:
            for path, field in current:
                following.extend(_step(path, field, segment))
        current = following
    return [path for path, _ in current]


def _step(path: str, field: Field, segment: Segment) -> list[tuple[str, Field]]:
    if field.value is None:
        return []
    if segment.kind == "any_key" and field.is_map:
        return [(join(path, k), f) for k, f in field.value.items()]
    if segment.kind == "any_index" and field.type == "LIST":
        return [(join(path, i), f) for i, f in enumerate(field.value)]
    child = _child(field, segment)
    if child is None:
        return []
    return [(join(path, segment.name) if segment.kind == "key" else join(path, segment.index), child)]

"""A small code formatter for generated Python: black/ruff-format style for the calls and
literals flowbuilder generates (double quotes, magic trailing commas, 88 columns)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

__all__ = ["Call", "Raw", "format_statement", "literal"]

WIDTH = 88


@dataclass(frozen=True)
class Raw:
    """Source text used as is (a name, an expression)."""

    text: str


@dataclass(frozen=True)
class Call:
    """A call ``func(args, key=value)``; values are literals, Raw or nested Calls."""

    func: str
    args: Sequence[Any] = ()
    kwargs: Sequence[tuple[str, Any]] = ()


Node = Raw | Call | Any


def _string(text: str) -> str:
    """Double quotes unless that needs more escapes (black's rule)."""
    body = repr(text)
    inner, quote = body[1:-1], body[0]
    inner = inner.replace("\\'", "'") if quote == "'" else inner.replace('\\"', '"')
    wanted = "'" if text.count('"') > text.count("'") else '"'
    escaped = []
    backslashes = 0
    for char in inner:
        if char == wanted and backslashes % 2 == 0:
            escaped.append("\\")
        escaped.append(char)
        backslashes = backslashes + 1 if char == "\\" else 0
    return wanted + "".join(escaped) + wanted


def literal(value: Any) -> str:
    """The one-line source of a literal, in the formatter's quote style.

    >>> literal({"a": [1, "b", None, True]})
    '{"a": [1, "b", None, True]}'
    >>> literal([1.5, float("inf"), float("nan")])
    '[1.5, float("inf"), float("nan")]'
    """
    return _flat(value)


def _flat(node: Node) -> str:
    if isinstance(node, Raw):
        return node.text
    if isinstance(node, Call):
        parts = [_flat(a) for a in node.args] + [f"{k}={_flat(v)}" for k, v in node.kwargs]
        return f"{node.func}({', '.join(parts)})"
    if isinstance(node, str):
        return _string(node)
    if isinstance(node, dict):
        return "{" + ", ".join(f"{_flat(k)}: {_flat(v)}" for k, v in node.items()) + "}"
    if isinstance(node, list):
        return "[" + ", ".join(_flat(v) for v in node) + "]"
    if isinstance(node, tuple):
        inner = ", ".join(_flat(v) for v in node)
        return f"({inner},)" if len(node) == 1 else f"({inner})"
    if isinstance(node, float) and not math.isfinite(node):  # repr gives inf/nan: not Python names
        return f'float("{node!r}")'
    return repr(node)


def _parts(node: Node) -> tuple[str, list[tuple[str, Node]], str] | None:
    """Opening text, elements (prefix, value) and closing text of a splittable node."""
    if isinstance(node, Call):
        items = [("", a) for a in node.args] + [(f"{k}=", v) for k, v in node.kwargs]
        return f"{node.func}(", items, ")"
    if isinstance(node, dict):
        return "{", [(f"{_flat(k)}: ", v) for k, v in node.items()], "}"
    if isinstance(node, list):
        return "[", [("", v) for v in node], "]"
    if isinstance(node, tuple) and node:
        return "(", [("", v) for v in node], ")"
    return None


def _render(node: Node, indent: int, prefix: str, suffix: str) -> str:
    """``prefix + node + suffix`` at ``indent``, split the way black splits it when too long."""
    flat = prefix + _flat(node) + suffix
    if indent + len(flat) <= WIDTH:
        return " " * indent + flat
    parts = _parts(node)
    if parts is None or not parts[1]:
        return " " * indent + flat
    opening, items, closing = parts
    pad = " " * (indent + 4)
    head = " " * indent + prefix + opening
    tail = " " * indent + closing + suffix
    if len(items) == 1 and not isinstance(node, (list, dict, tuple)) and items[0][0] == "":
        body = _render(items[0][1], indent + 4, "", "")
        return f"{head}\n{body}\n{tail}"
    joined = ", ".join(p + _flat(v) for p, v in items)
    if len(pad) + len(joined) <= WIDTH and not isinstance(node, (list, dict, tuple)):
        return f"{head}\n{pad}{joined}\n{tail}"
    lines = [_render(value, indent + 4, item_prefix, ",") for item_prefix, value in items]
    return head + "\n" + "\n".join(lines) + "\n" + tail


def format_statement(target: str | None, node: Node) -> str:
    """One statement, ``target = node`` or just ``node``, formatted.

    >>> print(format_statement("x", Call("f", [Raw("flow")], [("name", "a")])))
    x = f(flow, name="a")
    """
    if target and _parts(node) is None:
        flat = f"{target} = {_flat(node)}"
        if len(flat) > WIDTH and 4 + len(_flat(node)) <= WIDTH:
            return f"{target} = (\n    {_flat(node)}\n)"
    return _render(node, 0, f"{target} = " if target else "", "")

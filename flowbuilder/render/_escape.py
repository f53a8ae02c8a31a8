"""Escaping user text (labels, predicates, names) for DOT, Graphviz HTML labels and Mermaid.

User text may hold anything: quotes, braces, ``<script>``, backslashes, newlines, control
characters, lone surrogates. Each output language gets text that reads back as the original.
"""

from __future__ import annotations

import html
import json
import re
import textwrap
from collections.abc import Callable

__all__ = [
    "clean",
    "dot_html",
    "dot_string",
    "dot_tooltip",
    "mermaid_text",
    "mermaid_title",
    "shorten",
    "wrap",
]

# XML 1.0 forbids these in SVG; dot would copy them through and break the file.
_FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
# Characters Mermaid reads as syntax, even inside a quoted label: entities (#...;), directives
# (%%{...}%%), HTML (<, >, &), markdown strings (`), the `style ...:...#...;` pre-pass (:), and
# the label's own quotes and pipes.
_MERMAID_ENTITIES = {
    "#": "#35;",
    '"': "#quot;",
    "&": "#amp;",
    "<": "#lt;",
    ">": "#gt;",
    "%": "#37;",
    "`": "#96;",
    ":": "#58;",
    "|": "#124;",
}
_MERMAID_SPECIAL = re.compile("[" + re.escape("".join(_MERMAID_ENTITIES)) + "]")
_ELLIPSIS = "…"
# Graphviz's lexer refuses a quoted string over 16,384 bytes ("longer than 16384?").
_DOT_LIMIT = 16_000
_BACKSLASH = "\u29f5"


def clean(text: str) -> str:
    """``text`` with line ends made ``\\n`` and the characters SVG cannot hold replaced by U+FFFD."""
    if text.isprintable():  # no line ends, controls, surrogates or non-characters: nothing to do
        return text
    text = text.encode("utf-8", "replace").decode("utf-8")
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return _FORBIDDEN.sub("\ufffd", text)


def shorten(text: str, width: int) -> str:
    """One line of at most ``width`` characters, ending in an ellipsis when cut."""
    line = " ".join(clean(text).split())
    return line if len(line) <= width else line[: width - 1].rstrip() + _ELLIPSIS


def wrap(text: str, width: int, max_lines: int) -> list[str]:
    """Lines of at most ``width`` characters; the user's own line breaks are kept."""
    lines: list[str] = []
    for paragraph in clean(text).split("\n"):
        lines.extend(textwrap.wrap(paragraph, width, break_on_hyphens=False) or [""])
    if len(lines) > max_lines:
        lines = lines[:max_lines]
        last = lines[-1]
        lines[-1] = last + " " + _ELLIPSIS if len(last) + 2 <= width else last[: width - 1] + _ELLIPSIS
    return lines


def _fit(text: str, escape: Callable[[str], str]) -> str:
    """``escape(text)``, with ``text`` cut (and an ellipsis added) until the result fits the
    longest string Graphviz's lexer reads: dot fails on a longer name, label or tooltip."""
    escaped = escape(text)
    size = len(escaped.encode("utf-8"))
    while size > _DOT_LIMIT:
        text = text[: max(0, len(text) * _DOT_LIMIT // size - 2)].rstrip() + _ELLIPSIS
        escaped = escape(text)
        size = len(escaped.encode("utf-8"))
    return escaped


def dot_string(text: str) -> str:
    r"""The body of a DOT ``escString``: backslashes and quotes escaped, newlines as ``\n``.

    ``&`` becomes ``&amp;``: Graphviz reads entities in these strings (``&lt;`` is drawn ``<``),
    so a user's own ``&lt;`` must stay text. Text too long for Graphviz ends in an ellipsis.
    """
    return _fit(clean(text), _dot_escape)


def _dot_escape(text: str) -> str:
    escaped = text.replace("&", "&amp;").replace("\\", "\\\\").replace('"', '\\"')
    return escaped.replace("\n", "\\n")


def dot_tooltip(text: str) -> str:
    r"""The body of a DOT ``tooltip``: as ``dot_string``, with each backslash drawn as U+29F5.

    Graphviz versions disagree on how often they unescape tooltips (2.43 does it twice, later
    ones once), so no count of backslashes reads back the same everywhere; a look-alike does.
    """
    return dot_string(clean(text).replace("\\", _BACKSLASH))


def dot_html(text: str) -> str:
    r"""Text for a Graphviz HTML-like label: XML entities for ``& < > "``, backslashes doubled.

    Graphviz expands ``\N``, ``\G`` and friends even inside HTML labels (entities too), and
    reads ``\\`` as one backslash. Text too long for Graphviz ends in an ellipsis.
    """
    return _fit(clean(text), lambda cut: html.escape(cut, quote=True).replace("\\", "\\\\"))


def mermaid_text(text: str) -> str:
    """Text for a quoted Mermaid label: syntax characters as ``#name;`` entities, newlines as ``<br/>``."""
    escaped = _MERMAID_SPECIAL.sub(lambda match: _MERMAID_ENTITIES[match.group()], clean(text))
    return escaped.replace("\n", "<br/>")


def mermaid_title(text: str) -> str:
    """A YAML (JSON) string for Mermaid's front-matter title, with nothing Mermaid pre-processes."""
    quoted = json.dumps(" ".join(clean(text).split()), ensure_ascii=False)
    for char in "#%<>&`":
        quoted = quoted.replace(char, f"\\u{ord(char):04x}")
    return quoted

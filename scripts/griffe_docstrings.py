"""A griffe extension for the API reference (mkdocs.yml): flowbuilder's docstrings as Markdown.

flowbuilder's docstrings are written for ``help()`` and doctest: examples are bare ``>>>``
sessions, cross-references are Sphinx roles (``:func:`preview```). Markdown would read a
doctest's output ``['a', 'b']`` as a link and show the roles verbatim, so this extension puts
each session in a ``pycon`` fence and turns each role into inline code. Docstrings in the
package stay as they are.
"""

from __future__ import annotations

import re
from typing import Any

import griffe

__all__ = ["DocstringsAsMarkdown", "to_markdown"]

_ROLE = re.compile(r":(?:func|class|meth|mod|data|attr|exc|obj):`~?(?:[\w.]*\.)?([^`]+?)`")


def to_markdown(text: str) -> str:
    """``text`` with doctest sessions fenced as ``pycon`` and Sphinx roles as inline code.

    >>> to_markdown("See :func:`~flowbuilder.preview.preview`:\\n>>> 1 + 1\\n2\\n\\nDone.").splitlines()
    ['See `preview`:', '```pycon', '>>> 1 + 1', '2', '```', '', 'Done.']
    """
    out: list[str] = []
    in_session = False
    indent = ""
    for line in text.splitlines():
        stripped = line.lstrip()
        if not in_session and stripped.startswith(">>>"):
            in_session = True
            indent = line[: len(line) - len(stripped)]
            out.append(f"{indent}```pycon")
        elif in_session and not stripped:
            out.append(f"{indent}```")
            in_session = False
        out.append(line if in_session else _ROLE.sub(r"`\1`", line))
    if in_session:
        out.append(f"{indent}```")
    return "\n".join(out)


class DocstringsAsMarkdown(griffe.Extension):
    """Rewrite every docstring griffe reads with :func:`to_markdown`."""

    def on_instance(self, *, obj: griffe.Object, **kwargs: Any) -> None:
        if obj.docstring is not None:
            obj.docstring.value = to_markdown(obj.docstring.value)

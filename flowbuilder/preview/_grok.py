"""Grok patterns as the engine compiles them (datacollector's shaded ``GrokDictionary`` and ``Grok``).

The dictionaries are the engine's (``common/src/main/resources/grok-patterns``, ``java-log``,
``apache-error-log`` and ``log4j-log`` in datacollector, themselves logstash's patterns). A
``%{NAME:field}`` becomes a named group; a match gives every named group in the order the
pattern names them first, None for a group that did not take part, as the engine's
``namedGroups()`` does. Java's regex syntax of these patterns (atomic groups, lookbehinds) is
Python's too; ``\\w``, ``\\d``, ``\\s`` and ``\\b`` are ASCII-only, as in Java.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterable
from dataclasses import dataclass

from ._grok_patterns import APACHE_ERROR_LOG, BASE, LOG4J_LOG

__all__ = [
    "APACHE_ERROR_LOG",
    "BASE",
    "LOG4J_LOG",
    "Grok",
    "GrokError",
    "JavaRegex",
    "compile_grok",
    "java_regex",
]

_NAMED = re.compile(r"\(\?<([^!=][^>]*)>")


class GrokError(ValueError):
    """A pattern the engine cannot compile (its ``GrokCompilationException``)."""


@dataclass(frozen=True)
class JavaRegex:
    """A Java regex compiled by Python's ``re``: ``names`` are the Java group names with the
    Python group of their first occurrence; ``groups[k - 1]`` is the Python group of Java's
    group ``k`` (they differ only where atomic groups had to be rewritten, see :func:`java_regex`)."""

    regex: re.Pattern[str]
    names: tuple[tuple[str, str], ...]
    groups: tuple[int, ...]


class Grok:
    """A compiled grok expression: ``match(line)`` gives its named groups, or None."""

    def __init__(self, compiled: JavaRegex) -> None:
        self.compiled = compiled

    def match(self, line: str) -> dict[str, str | None] | None:
        """The named groups of the first match in ``line`` (``Matcher.find``), None if none."""
        found = self.compiled.regex.search(line)
        if found is None or not self.compiled.names:
            return None
        return {name: found.group(group) for name, group in self.compiled.names}


def java_regex(pattern: str, atomic: bool = sys.version_info >= (3, 11)) -> JavaRegex:
    """Compile a Java regex: named groups ``(?<name>...)`` get Python names ``_g1``, ``_g2``...;
    ``\\w``, ``\\d``, ``\\s`` and ``\\b`` are ASCII, as Java's. Where ``re`` lacks atomic groups
    (Python 3.10, or ``atomic=False``) each ``(?>X)`` becomes ``(?:(?=(?P<_aN>X))(?P=_aN))``,
    which matches the same.

    >>> compiled = java_regex("(?<a>x)(?<b>y)?(?<a>z)?")
    >>> compiled.names, compiled.groups
    ((('a', '_g1'), ('b', '_g2')), (1, 2, 3))
    >>> java_regex("(a)(?>b+)(c)", atomic=False).groups
    (1, 3)
    """
    names: list[tuple[str, str]] = []
    counter = iter(range(1, 1 << 30))

    def rename(match: re.Match[str]) -> str:
        group = f"_g{next(counter)}"
        if all(match.group(1) != name for name, _ in names):
            names.append((match.group(1), group))
        return f"(?P<{group}>"

    translated = _NAMED.sub(rename, pattern)
    if not atomic:
        translated = _without_atomic_groups(translated)
    regex = re.compile(translated, re.ASCII)
    added = {number for name, number in regex.groupindex.items() if name.startswith("_a")}
    groups = tuple(n for n in range(1, regex.groups + 1) if n not in added)
    return JavaRegex(regex, tuple(names), groups)


def _without_atomic_groups(pattern: str) -> str:
    """``pattern`` with each atomic group ``(?>X)`` as a lookahead and a back reference."""
    out: list[list[str]] = [[]]
    kinds: list[bool] = []  # for each open group: is it atomic
    added = iter(range(1, 1 << 30))
    index = 0
    while index < len(pattern):
        char = pattern[index]
        if char == "\\":
            out[-1].append(pattern[index : index + 2])
            index += 2
        elif char == "[":
            end = index + 1
            end += pattern.startswith("^", end)
            end += pattern.startswith("]", end)
            while end < len(pattern) and pattern[end] != "]":
                end += 2 if pattern[end] == "\\" else 1
            out[-1].append(pattern[index : end + 1])
            index = end + 1
        elif pattern.startswith("(?>", index):
            kinds.append(True)
            out.append([])
            index += 3
        elif char == "(":
            kinds.append(False)
            out[-1].append(char)
            index += 1
        elif char == ")" and kinds and kinds.pop():
            name = f"_a{next(added)}"
            inner = "".join(out.pop())
            out[-1].append(f"(?:(?=(?P<{name}>{inner}))(?P={name}))")
            index += 1
        else:
            out[-1].append(char)
            index += 1
    return "".join(out[0]) if len(out) == 1 else pattern


def _dictionary(texts: Iterable[str]) -> dict[str, str]:
    entries: dict[str, str] = {}
    for text in texts:
        for raw in text.splitlines():
            line = raw.strip()
            if not line or line.startswith("#"):
                continue
            name, space, value = line.partition(" ")
            if not space or not name or not value.strip():
                raise GrokError(f"Dictionary entry (name and value) must be space-delimited: {line}")
            entries[name] = value.strip()
    return entries


def _digest(expression: str, entries: dict[str, str], depth: int = 0) -> str:
    if depth > 100:
        raise GrokError(f"Cannot resolve the grok expression {expression!r}: it refers to itself")
    out: list[str] = []
    position = 0
    while (start := expression.find("%{", position)) >= 0:
        stop = expression.find("}", start + 2)
        if stop < 0:
            break
        name, colon, field = expression[start + 2 : stop].partition(":")
        if name not in entries:
            raise GrokError(f"Missing value for regex name : {name}")
        value = _digest(entries[name], entries, depth + 1)
        out.append(expression[position:start])
        out.append(f"(?<{field}>{value})" if colon else value)
        position = stop + 1
    out.append(expression[position:])
    return "".join(out)


def compile_grok(expression: str, *dictionaries: str) -> Grok:
    """Compile ``expression`` against ``dictionaries`` (later definitions win).

    >>> grok = compile_grok("%{INT:n} %{WORD:w}", BASE)
    >>> grok.match("x 12 abc")
    {'n': '12', 'w': 'abc'}
    """
    digested = _digest(expression, _dictionary(dictionaries))
    try:
        return Grok(java_regex(digested))
    except re.error as error:
        raise GrokError(f"{error}") from None

"""CEF and LEEF log lines, read as the engine reads them (datacollector's ``ExtendedFormatParser``).

The header fields are split at each ``|`` not escaped by a backslash: the version (INTEGER
``cefVersion`` after ``CEF:``, DOUBLE ``leefVersion`` after ``LEEF:``), then ``vendor``,
``product``, ``version``, ``signature``, ``name``, ``severity`` (CEF) or ``vendor``, ``product``,
``version``, ``eventId`` (LEEF). The rest are ``key=value`` extensions, a MAP under
``extensions``, split at unescaped ``=`` and at the last attribute separator before it (a space
for CEF, a tab or LEEF 2.0's own delimiter field for LEEF); a value with no separator before the
next ``=`` is dropped, as the engine drops it, and ``xLabel=name`` renames the extension ``x``.
Escapes are kept as written. A header with too few fields is ``LOG_PARSER_12``.
"""

from __future__ import annotations

import re

from ._fields import Field
from ._hashmap import JavaHashMap, java_hash_order

__all__ = ["ExtendedFormatCrash", "ExtendedFormatError", "parse_extended"]

_HEADER = re.compile(r"(?<!\\)\|")
_EXT = re.compile(r"(?<!\\)=")
_CEF_NAMES = ("vendor", "product", "version", "signature", "name", "severity")
_LEEF_NAMES = ("vendor", "product", "version", "eventId")
_JAVA_INT = re.compile(r"[+-]?\d+\Z")


class ExtendedFormatError(Exception):
    """A line the engine's parser rejects (``LOG_PARSER_12``): it ends the message."""


class ExtendedFormatCrash(Exception):
    """A line on which the engine's parser throws a Java runtime exception, failing the pipeline."""


def _trim(text: str) -> str:
    """``String.trim``: every character up to the space is cut at both ends."""
    start, end = 0, len(text)
    while start < end and text[start] <= " ":
        start += 1
    while end > start and text[end - 1] <= " ":
        end -= 1
    return text[start:end]


def _version(kind: str, text: str) -> Field:
    after = text.partition(":")[2] if ":" in text else ""
    if kind == "CEF":
        if not _JAVA_INT.match(after):
            raise ExtendedFormatCrash(f'java.lang.NumberFormatException: For input string: "{after}"')
        return Field("INTEGER", int(after))
    try:
        return Field("DOUBLE", float(_trim(after)))
    except ValueError:
        raise ExtendedFormatCrash(f'java.lang.NumberFormatException: For input string: "{after}"') from None


def _leef_separator(line: str, index: int, found: re.Match[str] | None) -> str:
    if found is None:
        return "\t"
    value = line[index : found.start()]
    if len(value) == 1:
        return value
    digits = value[value.find("x") + 1 :] if "x" in value else value
    try:
        return chr(int(digits, 16) & 0xFFFF)
    except ValueError:
        raise ExtendedFormatCrash(f'java.lang.NumberFormatException: For input string: "{digits}"') from None


def parse_extended(line: str, kind: str) -> dict[str, Field]:
    """The fields of a CEF or LEEF (``kind``) line, in the order of the engine's HashMap."""
    names = _CEF_NAMES if kind == "CEF" else _LEEF_NAMES
    fields: dict[str, Field] = {}
    order: list[str] = []
    header_count, counter, index = 1, 0, 0
    found: re.Match[str] | None = None
    position = 0
    while counter < header_count and (found := _HEADER.search(line, position)) is not None:
        value = line[index : found.start()]
        if counter == 0:
            key = kind.lower() + "Version"
            fields[key] = _version(kind, value)
            header_count = len(names) + 1
        else:
            key = names[counter - 1]
            fields[key] = Field("STRING", value)
        order.append(key)
        index = position = found.end()
        counter += 1
    if counter < header_count:
        raise ExtendedFormatError(
            f"LOG_PARSER_12 - Error parsing {kind} record, expected {header_count} header fields, "
            f"but found {counter}"
        )
    separator = " "
    last_found: re.Match[str] | None = found
    if kind == "LEEF":
        last_found = _HEADER.search(line, position)
        separator = _leef_separator(line, index, last_found)
    if last_found is not None:  # the matcher did not hit the end: skip LEEF 2.0's delimiter field
        index = last_found.end()
    offset = 0 if separator.isspace() else 1
    extensions = _extensions(line[index:], separator, offset)
    fields["extensions"] = Field("MAP", extensions)
    order.append("extensions")
    return {key: fields[key] for key in java_hash_order(order, [])}


def _extensions(ext: str, separator: str, offset: int) -> dict[str, Field]:
    values: dict[str, Field] = {}
    table = JavaHashMap()
    labels: dict[str, str] = {}
    label_table = JavaHashMap()

    def put(key: str | None, value: str) -> None:
        if key is None:  # no '=' at all: the engine's key.endsWith throws
            raise ExtendedFormatCrash("java.lang.NullPointerException")
        if key.endswith("Label"):
            name = key[: key.find("Label")]
            labels[name] = value
            label_table.put(name)
        else:
            values[key] = Field("STRING", value)
            table.put(key)

    matches = list(_EXT.finditer(ext))
    key: str | None = None
    index = 0
    position = 0
    while position < len(matches):
        found = matches[position]
        position += 1
        if key is None:
            key = ext[index : found.start()]
            index = found.end()
            if position >= len(matches):
                break
            found = matches[position]
            position += 1
        value = ext[index : found.start()]
        index = found.end()
        last = value.rfind(separator)
        if last >= 0:
            put(key, _trim(value[:last]))
            key = _trim(value[last + offset :])
    put(key, ext[index:])
    for name in label_table.order():
        if name in values:
            values[labels[name]] = values.pop(name)
            table.remove(name)
            table.put(labels[name])
    return {key: values[key] for key in table.order()}

"""Parse JSON holding at most a given number of bytes of objects, whatever the document's shape.

Python's own parser (``json.loads``) holds every value it makes until the document ends, so its
cost is set by the document's shape: 5.5 to 6.5 times the text for a real flow export, 21 times
for a document of empty lists (``[[],[],...]``), which no limit on the text's size prevents. This
parser keeps Python's C scanner for the work and bounds what it holds:

- the C scanner reads at most a window of ``WINDOW`` characters at a time (a value that does
  not fit is walked here, one level down, its items again read by the scanner), so what the
  scanner holds before it hands a value over is bounded by the window, whatever the document;
- every value handed over is counted (``sys.getsizeof``) and equal strings become one object,
  keys and values alike (flow documents repeat config names, types and lanes thousands of
  times: the largest real exports then take 2.4 times their text);
- the moment the count passes the limit, parsing stops: :class:`TooDense`.

A document of at most an eighth of a window is read by ``json.loads`` alone: it can take no
more than ``_DENSEST`` times its text, which is the count given for it.

>>> parse(b'{"a": [1, "x"], "b": "x"}', limit=10_000)
({'a': [1, 'x'], 'b': 'x'}, 625)
>>> parse(b"[" + b"[]," * 100_000 + b"[]]", limit=1_000_000)
Traceback (most recent call last):
...
flowbuilder._bounded_json.TooDense: more than 1,000,000 bytes of objects by offset 46,254
"""

from __future__ import annotations

import codecs
import json
import sys
from collections.abc import Callable
from json.decoder import JSONDecodeError
from typing import Any

__all__ = ["WINDOW", "TooDense", "parse"]

#: Characters the C scanner reads at once. What it holds inside one window is at most
#: ``_DENSEST`` times the window, so 128 KiB bounds it at about 3.2 MB.
WINDOW = 128 * 1024
#: The most memory a byte of JSON can take once parsed: an array of empty lists (``[],`` is 3
#: bytes, a list 56 and its slot 8, with growth to spare), and what a window holds at most.
_DENSEST = 25
#: What a string kept in the sharing table costs beyond the string itself: its slot in the table
#: (a dict entry, 24 bytes, and its index, in a table kept at most two-thirds full).
_TABLE_ENTRY = 48
_WHITESPACE = " \t\n\r"


class TooDense(ValueError):
    """The document's objects would take more memory than the limit allows."""

    def __init__(self, limit: int, offset: int) -> None:
        super().__init__(f"more than {limit:,} bytes of objects by offset {offset:,}")
        self.limit = limit
        self.offset = offset


def parse(data: str | bytes, *, limit: int) -> tuple[Any, int]:
    """The value of JSON ``data`` and the bytes its objects hold, at most ``limit`` (while parsing,
    at most a window's worth more).

    Raises :class:`TooDense` past the limit, ``json.JSONDecodeError`` (positions in the whole
    document) when it is not JSON, ``UnicodeDecodeError`` for bytes that are not UTF-8, and
    ``RecursionError`` or ``ValueError`` as ``json.loads`` does.
    """
    if len(data) <= WINDOW // 8:  # a small document (a record, a body): Python's parser, and the
        return json.loads(data), _DENSEST * len(data)  # most such text can take: no need to count
    start = 0
    if isinstance(data, bytes):
        encoding = json.detect_encoding(data)
        if encoding == "utf-8-sig":
            start = len(codecs.BOM_UTF8)
        elif encoding != "utf-8":  # UTF-16 or UTF-32: rare, and their text is no smaller decoded
            data = data.decode(encoding, "surrogatepass")
    return _Parser(data, limit).document(start)


class _Parser:
    """One document's parse: its window on the text, the shared strings and the count so far."""

    def __init__(self, data: str | bytes, limit: int) -> None:
        self.data = data
        self.limit = limit
        self.cost = 0  # bytes of the objects made so far, strings in the table aside
        self.kept = 0  # bytes of the strings in the table, and of their slots
        self.strings: dict[str, str] = {}
        self.base = 0  # where the window starts in ``data`` (bytes for bytes, characters for str)
        self.text = ""
        self.ascii = True
        self.last = False  # the window reaches the end of ``data``
        self.start = 0  # where the text starts in ``data``: after a byte order mark
        make_scanner = json.scanner.make_scanner  # type: ignore[attr-defined]
        # ``probe`` finds where a value ends, at the C scanner's full speed: a value cut by the
        # window's end fails there before any of its objects reached Python. ``scan`` reads it
        # again, handing each object to :meth:`_object` to be counted and shared.
        self.probe: Callable[[str, int], tuple[Any, int]] = make_scanner(json.JSONDecoder())
        self.scan: Callable[[str, int], tuple[Any, int]] = make_scanner(
            json.JSONDecoder(object_pairs_hook=self._object)
        )

    # -- the window -----------------------------------------------------------------------------

    def _move(self, index: int, *, size: int = 0) -> None:
        """Start the window at ``index`` (an index into the current window), ``size`` long."""
        size = size or WINDOW
        if isinstance(self.data, str):
            self.base += index
            end = min(self.base + size, len(self.data))
            self.text = self.data[self.base : end]
        else:
            self.base += index if self.ascii else len(self.text[:index].encode("utf-8", "surrogatepass"))
            end = min(self.base + size, len(self.data))
            while end < len(self.data) and self.data[end] & 0xC0 == 0x80:  # not inside a character
                end += 1
            try:
                self.text = self.data[self.base : end].decode("utf-8", "surrogatepass")
            except UnicodeDecodeError as error:
                raise UnicodeDecodeError(
                    error.encoding, self.data, self.base + error.start, self.base + error.end, error.reason
                ) from None
        self.ascii = self.text.isascii()
        self.last = end >= len(self.data)

    def _offset(self, index: int) -> int:
        """Where ``index`` of the window is in ``data``: an index into it (bytes for bytes)."""
        if isinstance(self.data, str) or self.ascii:
            return self.base + index
        return self.base + len(self.text[:index].encode("utf-8", "surrogatepass"))

    def _error(self, message: str, index: int) -> JSONDecodeError:
        """``message`` at ``index`` of the window, with the line and column in the whole document."""
        offset = self._offset(index)
        if isinstance(self.data, str):
            return JSONDecodeError(message, self.data, offset)
        line_start = max(self.data.rfind(b"\n", 0, offset) + 1, self.start)  # after a BOM
        line = self.data[line_start:offset].decode("utf-8", "surrogatepass")
        error = JSONDecodeError(message, line, len(line))
        error.lineno = self.data.count(b"\n", 0, line_start) + 1
        error.pos = offset
        return error

    def _whole(self, value: Any, end: int) -> bool:
        """Whether ``value``, read up to ``end``, is all of it: a number at the window's end may go
        on past it (``12`` of ``12.5e3``); a string or container ends with its closing mark."""
        return self.last or end + 3 <= len(self.text) or type(value) not in (int, float)

    def _failure(self, error: JSONDecodeError | StopIteration) -> JSONDecodeError:
        """What the scanner found wrong, placed in the whole document."""
        if isinstance(error, StopIteration):  # no value where one must be: its index
            return self._error("Expecting value", error.value)
        return self._error(error.msg, error.pos)

    def _skip(self, index: int) -> int:
        """The index of the next character that is not whitespace, moving the window if needed."""
        while True:
            while index < len(self.text) and self.text[index] in _WHITESPACE:
                index += 1
            if index < len(self.text) or self.last:
                return index
            self._move(index)
            index = 0

    # -- values ---------------------------------------------------------------------------------

    def document(self, start: int) -> tuple[Any, int]:
        self.start = start
        self._move(start)
        if self.text.startswith("\ufeff"):
            raise self._error("Unexpected UTF-8 BOM (decode using utf-8-sig)", 0)
        index = self._skip(0)
        value, index = self._value(index)
        index = self._skip(index)
        if index < len(self.text):
            raise self._error("Extra data", index)
        return value, self.cost + self.kept

    def _value(self, index: int) -> tuple[Any, int]:
        """The value starting at ``index`` of the window, and the index just after it."""
        while True:
            try:
                value, end = self.probe(self.text, index)
            except (JSONDecodeError, StopIteration) as error:
                if self.last:
                    raise self._failure(error) from None
            else:
                if self._whole(value, end):
                    if type(value) is dict or type(value) is list:
                        del value  # what the probe made, freed before it is made again
                        try:
                            value, end = self.scan(self.text, index)
                        except TooDense:
                            raise TooDense(self.limit, self._offset(index)) from None
                        if type(value) is list:
                            self._list(value)
                    else:
                        value = self._scalar(value)
                    self._check(end)
                    return value, end
            # The value goes on past the window: read it again from a window that starts with it.
            if index == 0:
                return self._large()
            self._move(index)
            index = 0

    def _large(self) -> tuple[Any, int]:
        """A value longer than the window, which starts with it: walked one level here."""
        opening = self.text[0]
        if opening == "[":
            items: list[Any] = []
            self.cost += sys.getsizeof(items)
            index = self._skip(1)
            if self.text[index : index + 1] == "]":
                return items, index + 1
            while True:
                before = sys.getsizeof(items)
                item, index = self._value(index)
                items.append(item)
                self.cost += sys.getsizeof(items) - before
                index = self._skip(index)
                delimiter = self.text[index : index + 1]
                if delimiter == "]":
                    return items, index + 1
                if delimiter != ",":
                    raise self._error("Expecting ',' delimiter", index)
                index = self._skip(index + 1)
        if opening == "{":
            pairs: list[tuple[str, Any]] = []
            index = self._skip(1)
            if self.text[index : index + 1] == "}":
                return self._counted(pairs), index + 1
            while True:
                if self.text[index : index + 1] != '"':
                    raise self._error("Expecting property name enclosed in double quotes", index)
                key, index = self._value(index)
                index = self._skip(index)
                if self.text[index : index + 1] != ":":
                    raise self._error("Expecting ':' delimiter", index)
                item, index = self._value(self._skip(index + 1))
                pairs.append((key, item))
                index = self._skip(index)
                delimiter = self.text[index : index + 1]
                if delimiter == "}":
                    return self._counted(pairs), index + 1
                if delimiter != ",":
                    raise self._error("Expecting ',' delimiter", index)
                index = self._skip(index + 1)
        # A string or number longer than the window: widen the window until it holds the value
        # (what the value costs is about its text).
        size = WINDOW
        while True:
            size *= 2
            self._move(0, size=size)
            try:
                value, end = self.scan(self.text, 0)
            except (JSONDecodeError, StopIteration) as error:
                if self.last:
                    raise self._failure(error) from None
                continue
            if self._whole(value, end):
                value = self._scalar(value)
                self._check(end)
                return value, end

    # -- counting and sharing -------------------------------------------------------------------

    def _check(self, index: int) -> None:
        if self.cost + self.kept > self.limit:
            raise TooDense(self.limit, self._offset(index))

    def _share(self, text: str) -> str:
        shared = self.strings.get(text)
        if shared is None:
            self.strings[text] = shared = text
            self.kept += sys.getsizeof(text) + _TABLE_ENTRY
        return shared

    def _scalar(self, value: Any) -> Any:
        kind = type(value)
        if kind is str:
            return self._share(value)
        if kind is int or kind is float:
            self.cost += sys.getsizeof(value)
        return value

    def _list(self, items: list[Any]) -> None:
        """Count a list the scanner made and share its strings; its objects were counted already."""
        self.cost += sys.getsizeof(items)
        for index, item in enumerate(items):
            kind = type(item)
            if kind is str:
                items[index] = self._share(item)
            elif kind is list:
                self._list(item)
            elif kind is int or kind is float:
                self.cost += sys.getsizeof(item)

    def _counted(self, pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        """An object of keys and values read (so shared and counted) one by one, by :meth:`_large`."""
        value = dict(pairs)
        self.cost += sys.getsizeof(value)
        return value

    def _object(self, pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        """Called by the scanner for each object it completes. The sharing of :meth:`_share`,
        written out: this runs for every object of the document."""
        strings, size = self.strings, sys.getsizeof
        kept = cost = 0
        value: dict[str, Any] = {}
        for key, item in pairs:
            shared = strings.get(key)
            if shared is None:
                strings[key] = shared = key
                kept += size(key) + _TABLE_ENTRY
            kind = type(item)
            if kind is str:
                known = strings.get(item)
                if known is None:
                    strings[item] = item
                    kept += size(item) + _TABLE_ENTRY
                else:
                    item = known
            elif kind is list:
                self._list(item)
            elif kind is int or kind is float:
                cost += size(item)
            value[shared] = item
        self.kept += kept
        self.cost += cost + size(value)
        if self.cost + self.kept > self.limit:
            raise TooDense(self.limit, -1)  # the offset is set where the scanner was called
        return value

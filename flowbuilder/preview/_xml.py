"""The XML data format, read as the engine reads it (datacollector's ``StreamingXmlParser``).

A record is an element the record delimiter (``xmlRecordElement``) matches, or the whole
document when it is empty. Each element becomes a MAP: its text under ``value`` (only when the
element holds nothing but text), each child element under its name as a LIST (one entry per
occurrence), attributes as ``attr|name`` and namespace declarations as ``ns|xmlns:prefix``
fields (or, with ``outputFieldAttributes``, as the field attributes ``xmlAttr:name`` and
``xmlns:prefix``). Names in a namespace carry the prefix the engine gives them: the document's
prefix for the first one seen with that URI, ``ns1``, ``ns2``... for a namespace without one.
Text mixed with elements is dropped, as the engine drops it.

The delimiter is an element name (children of the root with that local name) or the engine's
simplified XPath (``/root/a:data/msg``, ``/*[1]/*``, ``/r/name[2]``, ``/r/name[@attr='v']``),
with the prefixes of ``xPathNamespaceContext``; :func:`xpath_error` says why the engine's
validation would reject one. ``preserveRootElement`` wraps each record in its element's name;
``includeFieldXpathAttributes`` gives leaves an ``xpath`` attribute and the record ``xmlns:``
header attributes. A record longer than ``xmlMaxObjectLen`` (the engine's reader positions) or a
malformed document ends the message (:class:`XmlError`).

Hostile XML cannot blow up: the document is read by expat with external entities and DTD
loading off, and a document that declares an entity (the billion-laughs and external-entity
attacks need one) is a parse error, where the engine (DTD support off) fails only on the first
use of such an entity. A DOCTYPE without entity declarations is skipped, as the engine skips it.
"""

from __future__ import annotations

import bisect
import itertools
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, NamedTuple
from xml.parsers import expat

from . import _paths
from ._fields import Field

__all__ = ["XmlError", "XmlOptions", "XmlRecord", "parse_xml", "xpath_error"]

_SEP = "\x01"  # joins uri, local name and prefix in expat's names: never a character of XML
_XMLNS_URI = "http://www.w3.org/2000/xmlns/"
_WHITESPACE = frozenset(" \t\r\n")
#: An XML name: a delimiter that is one is an element name, not an XPath (``XMLChar.isValidName``).
_XML_NAME = re.compile(r"[A-Za-z_:\u00c0-\uffff][\w.:\-\u00b7\u00c0-\uffff]*\Z")


class XmlError(Exception):
    """Why the document cannot be read, as the engine's exception says it: ``XML_PARSER_00``
    when it fails before the first record can start, ``XML_PARSER_01`` when it fails between
    two records, ``XML_PARSER_03`` inside one, or the record's length is over the maximum."""


class _Malformed(Exception):
    """The StAX reader's error (``XMLStreamException``) at the point the document is malformed."""


@dataclass(frozen=True)
class XmlOptions:
    """The data-format configs the XML parser reads."""

    record_element: str = ""
    namespaces: Mapping[str, str] = field(default_factory=dict)
    max_object_len: int = 4096
    field_attributes: bool = False
    preserve_root: bool = True
    include_xpath: bool = False


class XmlRecord(NamedTuple):
    """A record's root field and its header attributes (``xmlns:prefix`` with include_xpath)."""

    root: Field
    header: dict[str, str]


QName = tuple[str, str, str]  # (namespace uri, local name, prefix)


@dataclass
class _Event:
    kind: str  # start, end, chars, skip (comment, PI, prolog), enddoc, error
    start: int  # character offset where the event begins
    name: QName = ("", "", "")
    attributes: list[tuple[QName, str]] = field(default_factory=list)
    namespaces: list[tuple[str, str]] = field(default_factory=list)
    text: str = ""
    end: int = 0  # character offset where the event ends: the engine's reader position
    error: str = ""


def parse_xml(
    text: str, options: XmlOptions, reader_id: str = "rawData"
) -> tuple[list[XmlRecord], XmlError | None]:
    """The records ``text`` holds, and the error that ended the message (None if none did);
    ``reader_id`` names the message as the engine's errors name it.

    >>> records, error = parse_xml("<r><e>Hello</e><e>Bye</e></r>", XmlOptions("e", preserve_root=False))
    >>> [r.root.to_python() for r in records], error
    ([{'value': 'Hello'}, {'value': 'Bye'}], None)
    """
    events = _tokenize(text[1:] if text.startswith("\ufeff") else text)
    reader = _Reader(events, _Tracker(options.record_element or "*[1]", options.namespaces))
    records: list[XmlRecord] = []
    try:
        parser = _Parser(reader, options)
    except _Malformed as error:  # XmlCharDataParser's constructor fails
        return records, XmlError(
            f"XML_PARSER_00 - Cannot advance reader '{reader_id}' to offset '0': {error}"
        )
    while True:
        if records:  # XmlCharDataParser.parse asks the reader's position before each next record
            try:
                reader.position()
            except _Malformed as error:
                return records, XmlError(f"XML_PARSER_01 - Cannot obtain current reader position: {error}")
        try:
            record = parser.read()
        except _Malformed as error:
            return records, XmlError(f"XML_PARSER_03 - Can't parse XML: {error}")
        except RecursionError:  # the engine's recursive parse would overflow its stack too
            return records, XmlError("XML_PARSER_03 - Can't parse XML: elements nested too deeply")
        except XmlError as error:
            return records, error
        if record is None:
            return records, None
        header: dict[str, str] = {}
        if options.include_xpath:  # XmlCharDataParser.setFieldXpathAttributes
            _set_xpaths(record, parser.record_prefix, options.preserve_root)
            header = {f"xmlns:{prefix}": uri for uri, prefix in parser.prefixes.items()}
        records.append(XmlRecord(record, header))


_PREDICATE = re.compile(r"\[(?:(?:[0-9]+)|(?:@([^=]+)='[^']*'))\]")


def xpath_error(expression: str) -> str | None:
    """Why the engine rejects a record delimiter when it validates the stage (None if it does not),
    as ``XPathValidatorUtil`` says it.

    >>> xpath_error("msg"), xpath_error("/root/a:data/msg"), xpath_error("a/b"), xpath_error("//b")
    (None, None, 'XPath expression must start with /', 'descendent-or-self (//) is not allowed')
    """
    if not expression:
        return "expression cannot be empty"
    if not expression.startswith("/"):
        if "/" in expression:
            return "XPath expression must start with /"
        return None if _XML_NAME.match(expression) else f"invalid element name: {expression}"
    empty_seen = False
    for step in expression.split("/"):
        if not step:
            if empty_seen:
                return "descendent-or-self (//) is not allowed"
            empty_seen = True
            continue
        name = step
        start = step.find("[")
        if start > 0:
            name, predicate = step[:start], step[start:]
            matched = _PREDICATE.fullmatch(predicate)
            if matched is None:
                return f"invalid predicate: {predicate}"
            if matched.group(1) and not _XML_NAME.match(matched.group(1)):
                return f"attribute name is not valid: {matched.group(1)}"
        if name != "*" and not _XML_NAME.match(name):
            return f"invalid element name: {name}"
    return None


# -- reading the document into StAX-like events ---------------------------------------------


class _Refused(Exception):
    pass


def _tokenize(text: str) -> list[_Event]:
    """StAX's events for ``text`` (characters coalesced), ending with ``enddoc`` or ``error``."""
    data = text.encode("utf-8")
    starts = None if text.isascii() else _byte_starts(text)
    events: list[_Event] = []
    stack: list[str] = []
    pending_ns: list[tuple[str, str]] = []
    parser = expat.ParserCreate(encoding="utf-8", namespace_separator=_SEP)
    parser.namespace_prefixes = True
    parser.ordered_attributes = True
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)

    def at() -> int:
        index = parser.CurrentByteIndex
        return index if starts is None else bisect.bisect_left(starts, index)

    def add(kind: str, **values: Any) -> None:
        events.append(_Event(kind, at(), **values))

    def start(name: str, attributes: list[str]) -> None:
        pairs = [(_qname(attributes[i]), attributes[i + 1]) for i in range(0, len(attributes), 2)]
        add("start", name=_qname(name), attributes=pairs, namespaces=list(pending_ns))
        pending_ns.clear()
        stack.append(name.split(_SEP)[1] if _SEP in name else name)

    def end(name: str) -> None:
        stack.pop()
        add("end", name=_qname(name))

    def chars(data: str) -> None:
        if events and events[-1].kind == "chars":
            events[-1].text += data
        else:
            add("chars", text=data)

    def refuse(*_: Any) -> None:
        raise _Refused("the document declares an entity, which the preview does not expand")

    def refuse_external(*_: Any) -> int:
        raise _Refused("the document refers to an external entity, which the preview does not read")

    def undeclared(name: str, *_: Any) -> None:
        raise _Refused(f'The entity "{name}" was referenced, but not declared.')

    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = chars
    parser.StartNamespaceDeclHandler = lambda prefix, uri: pending_ns.append((prefix or "", uri))
    parser.CommentHandler = lambda _text: add("skip")
    parser.ProcessingInstructionHandler = lambda _target, _data: add("skip")
    parser.StartCdataSectionHandler = lambda: None  # CDATA joins the text around it (coalescing)
    parser.EndCdataSectionHandler = lambda: None
    parser.DefaultHandlerExpand = lambda _data: add("skip")
    parser.EntityDeclHandler = refuse
    parser.UnparsedEntityDeclHandler = refuse
    parser.ExternalEntityRefHandler = refuse_external
    parser.SkippedEntityHandler = undeclared
    try:
        parser.Parse(data, True)
        events.append(_Event("enddoc", len(text)))
    except _Refused as refused:
        events.append(_Event("error", at(), error=_located(parser, str(refused))))
    except expat.ExpatError as error:
        cause = expat.ErrorString(error.code) or str(error)
        if error.code == expat.errors.codes[expat.errors.XML_ERROR_TAG_MISMATCH] and stack:
            cause = (
                f'The element type "{stack[-1]}" must be terminated by the matching end-tag "</{stack[-1]}>".'
            )
        events.append(
            _Event(
                "error",
                at(),
                error=f"ParseError at [row,col]:[{error.lineno},{error.offset + 1}]\nMessage: {cause}",
            )
        )
    for event, following in itertools.pairwise(events):
        event.end = following.start
    events[-1].end = len(text)
    return events


def _located(parser: Any, message: str) -> str:
    where = f"[{parser.CurrentLineNumber},{parser.CurrentColumnNumber + 1}]"
    return f"ParseError at [row,col]:{where}\nMessage: {message}"


def _byte_starts(text: str) -> list[int]:
    starts, position = [], 0
    for char in text:
        starts.append(position)
        position += len(char.encode("utf-8", "surrogatepass"))
    return starts


def _qname(name: str) -> QName:
    parts = name.split(_SEP)
    if len(parts) == 1:
        return ("", name, "")
    return (parts[0], parts[1], parts[2] if len(parts) > 2 else "")


# -- the engine's reader: XPathMatchingEventReader over the events ------------------------


class _Matcher:
    """One step of the delimiter's XPath (``ElementMatcherImpl``)."""

    def __init__(self, step: str, namespaces: Mapping[str, str], ignore_namespaces: bool) -> None:
        self.namespaces = namespaces
        self.ignore_namespaces = ignore_namespaces
        colon = step.find(":")  # the engine splits at the first colon, even one in a predicate
        self.prefix = step[:colon] if colon > 0 else None
        local = step[colon + 1 :] if colon > 0 else step
        self.index = 0
        self.attribute: tuple[str, str] | None = None
        qualifier = local.rfind("[")
        if qualifier > 0:
            inside = local[qualifier + 1 : local.rfind("]")]
            if inside.startswith("@"):
                name, _, value = inside[1:].rpartition("=")
                self.attribute = (name, value[1:-1])
            else:
                self.index = int(inside)
            local = local[:qualifier]
        self.name = local
        self.seen = 0  # counts over the whole document, as the engine counts

    def matches(self, event: _Event) -> bool:
        if self.name != "*" and not self._qualified(event.name):
            return False
        self.seen += 1
        if self.index:
            return self.seen == self.index
        if self.attribute is not None:
            name, value = self.attribute
            # The engine's test reads (local name matches and value is '*') or value matches.
            return any((q[1] == name and value == "*") or v == value for q, v in event.attributes)
        return True

    def _qualified(self, name: QName) -> bool:
        uri, local, _ = name
        if self.prefix is None:
            ok = self.ignore_namespaces or not uri
        else:
            ok = self.namespaces.get(self.prefix) == uri
        return local == self.name and ok


class _Tracker:
    """Which start element is a record (``XPathMatchingEventTracker``)."""

    def __init__(self, xpath: str, namespaces: Mapping[str, str]) -> None:
        ignore = bool(_XML_NAME.match(xpath))
        if ignore:
            xpath = "*[1]/" + xpath
        self.matchers = [_Matcher(step, namespaces, ignore) for step in xpath.split("/") if step]
        self.depth = 0
        self.through = 0
        self.last = "undetermined"
        self.match: _Event | None = None

    def feed(self, event: _Event) -> None:
        result = "undetermined"
        if event.kind == "start":
            self.depth += 1
            if self.depth > len(self.matchers) or self.depth - 1 > self.through:
                result = "no"
            elif self.matchers[self.depth - 1].matches(event):
                self.through = self.depth
                result = "match" if self.through == len(self.matchers) else "undetermined"
            else:
                result = "no"
        elif event.kind == "end":
            self.depth -= 1
            self.through = min(self.through, self.depth)
        if result != "undetermined":
            self.last = result
            if result == "match":
                self.match = event

    def clear(self) -> None:
        self.last, self.match = "undetermined", None


class _Reader:
    """Events one at a time; comments and processing instructions are skipped, and reaching
    the point where the document is malformed raises, as the engine's StAX reader does."""

    def __init__(self, events: list[_Event], tracker: _Tracker) -> None:
        self.events = events
        self.index = 0
        self.tracker = tracker

    def has_next(self) -> bool:
        while self.index < len(self.events) and self.events[self.index].kind == "skip":
            self.index += 1
        if self.index >= len(self.events):
            return False
        if self.events[self.index].kind == "error":
            raise _Malformed(self.events[self.index].error)
        return True

    def peek(self) -> _Event:
        if not self.has_next():
            raise _Malformed("no more events")
        return self.events[self.index]

    def next(self) -> _Event:
        event = self.peek()
        self.index += 1
        self.tracker.feed(event)
        return event

    def position(self) -> int:
        """The engine's reader position: where the next event ends (-1 at the end)."""
        return self.peek().end if self.has_next() else -1


class _Parser:
    """``StreamingXmlParser`` with the object length check of ``OverrunStreamingXmlParser``."""

    def __init__(self, reader: _Reader, options: XmlOptions) -> None:
        self.reader = reader
        self.options = options
        self.prefixes: dict[str, str] = {}
        self.generated = 1
        self.limit = 0
        self.stack: list[str] = []  # names from the root to the element being read
        self.record_prefix = ""  # the engine's lastParsedFieldXpathPrefix after a record
        while reader.has_next() and reader.peek().kind not in ("enddoc", "start"):
            reader.next()
        if not reader.has_next() or reader.peek().kind != "start":
            raise _Malformed("the document has no root element")
        if options.record_element:
            self.stack.append(self._name(reader.next().name))  # the root is consumed, its name tracked

    def read(self) -> Field | None:
        reader = self.reader
        self.limit = reader.position() + self.options.max_object_len
        record = None
        if reader.has_next():
            while reader.has_next() and reader.tracker.last != "match":
                event = reader.next()
                if event.kind == "start":
                    self.stack.append(self._name(event.name))
                elif event.kind == "end":
                    self.stack.pop()
            if reader.has_next() and reader.tracker.match is not None:
                start = reader.tracker.match
                record = self._element(start)
                self.record_prefix = "/" + "/".join(self.stack)
                self.stack.pop()
                if self.options.preserve_root:
                    name = f"{start.name[2]}:{start.name[1]}" if start.name[2] else start.name[1]
                    record = Field("MAP", {name: record})
            reader.tracker.clear()
        self._check_length()
        return record

    def _check_length(self) -> None:
        maximum = self.options.max_object_len
        if maximum > -1 and (position := self.reader.position()) > self.limit:
            raise XmlError(
                f"com.streamsets.pipeline.api.ext.io.ObjectLengthException: XML Object at offset "
                f"'{self.limit - maximum}' exceeds max length '{maximum}'; current position '{position}'",
            )

    def _name(self, name: QName, prefix_key: str = "") -> str:
        """``getNameAndTrackNs``: the name the engine gives (the first prefix seen for a URI)."""
        uri, local, prefix = name
        if not uri:
            return prefix_key + local
        if uri not in self.prefixes:
            if not prefix:
                prefix = f"ns{self.generated}"
                self.generated += 1
            self.prefixes[uri] = prefix
        return f"{prefix_key}{self.prefixes[uri]}:{local}"

    def _declarations(self, start: _Event, attribute_key: str, namespace_key: str) -> dict[str, str]:
        named = {self._name(q, attribute_key): value for q, value in start.attributes}
        for prefix, uri in start.namespaces:
            named[self._name((_XMLNS_URI, prefix, "xmlns"), namespace_key)] = uri
        return named

    def _element(self, start: _Event) -> Field:
        reader = self.reader
        as_attributes = self.options.field_attributes
        fields: dict[str, Field] = {}
        if not as_attributes:
            fields = {k: Field("STRING", v) for k, v in self._declarations(start, "attr|", "ns|").items()}
        contents: dict[str, list[Field]] = {}
        text: Field | None = None
        maybe_text = True
        while reader.has_next() and reader.peek().kind != "end":
            event = reader.next()
            if event.kind == "chars":
                if all(c in _WHITESPACE for c in event.text):
                    continue
                following = reader.peek()
                if following.kind == "end" and maybe_text:
                    text = Field("STRING", event.text)
                elif following.kind == "start":
                    child_start = reader.next()
                    child = self._element(child_start)
                    self._add(contents, self._name(child_start.name), child)
                    if reader.has_next() and reader.peek().kind == "chars":
                        reader.next()
                elif maybe_text:
                    raise _Malformed(
                        f"Unexpected XMLEvent '{event.text}', it should be START_ELEMENT or END_ELEMENT"
                    )
            elif event.kind == "start":
                name = self._name(event.name)
                self._add(contents, name, self._element(event))
            else:
                raise _Malformed("Unexpected XMLEvent, it should be START_ELEMENT or CHARACTERS")
            maybe_text = False
        if reader.has_next():
            reader.next()  # the end element: expat has checked that it matches
            if text is not None:
                fields["value"] = text
            for key, children in contents.items():
                fields[key] = Field("LIST", children)
        made = Field("MAP", fields)
        if as_attributes:
            made.attributes = self._declarations(start, "xmlAttr:", "") or None
        return made

    def _add(self, contents: dict[str, list[Field]], name: str, child: Field) -> None:
        self._check_length()
        contents.setdefault(name, []).append(child)


# -- include_field_xpaths: XmlCharDataParser.setFieldXpathAttributes ----------------------------

_VALUE_PATH = re.compile(r"'?(\S+\[\d+\])?'?/value")
_ATTRIBUTE_PATH = re.compile(r"'?(\S+\[\d+\])?'?/'attr\|(\S+)'")
_INDEX_PATH = re.compile(r"((.*)/\S+)(\[\d+\]).*")
_QUOTES = re.compile(r"'?([^']*)'?(\[\d+\])?")


def _leaves(field: Field, path: str) -> list[tuple[str, Field]]:
    if field.type == "LIST":
        return [leaf for i, item in enumerate(field.value) for leaf in _leaves(item, f"{path}[{i}]")]
    if field.is_map:
        return [
            leaf
            for key, item in field.value.items()
            for leaf in _leaves(item, path + _paths.escape_name(key))
        ]
    return [(path, field)]


def _lookup(root: Field, path: str) -> Field | None:
    """The field at an unquoted path (``/a/b[0]``), as the engine's ``record.get`` reads it here."""
    field: Field | None = root
    for step in path.split("/")[1:]:
        name, _, rest = step.partition("[")
        if field is None or not field.is_map or name not in field.value:
            return None
        field = field.value[name]
        for index in re.findall(r"(\d+)\]", "[" + rest if rest else ""):
            if field is None or field.type != "LIST" or int(index) >= len(field.value):
                return None
            field = field.value[int(index)]
    return field


def _set_xpaths(root: Field, prefix: str, preserve_root: bool) -> None:
    """Give each ``value`` and ``attr|`` leaf the ``xpath`` attribute the engine gives it: the
    engine matches escaped field paths with regexes, and so does this."""
    if preserve_root and prefix:
        parts = prefix.split("/")
        prefix = "/".join(parts[:-1]) if len(parts) > 2 else ""
    for path, leaf in _leaves(root, ""):
        if (found := _VALUE_PATH.fullmatch(path)) is not None:
            xpath = _xpath(root, _QUOTES.sub(r"\1\2", found.group(1) or ""))
        elif (found := _ATTRIBUTE_PATH.fullmatch(path)) is not None:
            xpath = _xpath(root, _QUOTES.sub(r"\1\2", found.group(1) or "")) + "/@" + found.group(2)
        else:
            continue
        leaf.attributes = {**(leaf.attributes or {}), "xpath": prefix + xpath}


def _xpath(root: Field, path: str) -> str:
    """``path`` without the index of each list that has one item (``toXpath``)."""
    xpath = path
    found = _INDEX_PATH.fullmatch(path)
    while found is not None:
        current, index = found.group(1), found.group(3)
        target = _lookup(root, current)
        if target is not None and target.type == "LIST" and len(target.value) == 1:
            xpath = xpath.replace(current + index, current)
        found = _INDEX_PATH.fullmatch(found.group(2))
    return xpath

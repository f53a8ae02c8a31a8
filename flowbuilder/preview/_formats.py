"""Data formats an origin's raw data is parsed from: JSON, TEXT, DELIMITED, XML and LOG, as the
engine parses them (XML in :mod:`._xml`, LOG in :mod:`._logs`).

A record the parser cannot read goes to error the way the engine's parser service sends it
(datacollector's ``ServicesUtil.parseAll``): with ``SERVICE_ERROR_001`` and the parser's own
error in the message. A recoverable error (a delimited row with more columns than the header)
costs that record only; any other (JSON or XML that is not valid, a log line its format does
not match) sends the whole message, as bytes, to error and ends the message: the records parsed
before it go on, those after it are lost.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Callable, Sequence
from typing import Any, NamedTuple

from ..errors import PreviewError
from . import _logs, _xml
from ._fields import Field

__all__ = ["PARSE_ERROR", "SUPPORTED_FORMATS", "Parsed", "Unparsed", "parse"]

#: Data formats the preview runner parses.
SUPPORTED_FORMATS = ("DELIMITED", "JSON", "LOG", "TEXT", "XML")

#: The code the engine's parser service gives a record it cannot parse (``ServiceErrors``).
PARSE_ERROR = "SERVICE_ERROR_001"

Config = Callable[[str], Any]


class Parsed(NamedTuple):
    """A record with header attributes from its data format (XML's ``xmlns:prefix`` with
    ``include_field_xpaths``)."""

    root: Field
    header: dict[str, str]


class Unparsed(NamedTuple):
    """A record the data format could not parse as configured: the origin sends it to error (as
    its ``on_record_error`` says) with ``code``."""

    root: Field
    code: str
    message: str

    @classmethod
    def of(cls, root: Field, message_id: str, cause: str) -> Unparsed:
        """The engine's error for ``cause`` met while parsing the message ``message_id``."""
        return cls(root, PARSE_ERROR, f"Cannot parse record from message '{message_id}': {cause}")


_DELIMITERS = {
    "CSV": ",",
    "EXCEL": ",",
    "RFC4180": ",",
    "POSTGRES_CSV": ",",
    "TDF": "\t",
    "MYSQL": "\t",
    "POSTGRES_TEXT": "\t",
}


def parse(
    text: str,
    data_format: str | None,
    config: Config,
    unescape: Callable[[str], str],
    message_id: str = "rawData",
) -> list[Field | Parsed | Unparsed]:
    """The root fields ``text`` parses into, one per record (:class:`Unparsed` for one that fails).

    ``config(raw_name)`` reads the data-format configs (``dataFormatConfig.jsonContent``...);
    ``unescape`` turns Java escapes (``\\n``) into characters; ``message_id`` names the message
    in error messages, as the engine names it (the config the text came from).

    >>> [type(r).__name__ for r in parse('{"a": 1} {"a": } {"a": 3}', "JSON", dict().get, str)]
    ['Field', 'Unparsed']
    """
    if data_format in SUPPORTED_FORMATS and config("dataFormatConfig.removeCtrlChars"):
        # The engine's OverrunReader drops them before the parser reads; a message sent to
        # error keeps its bytes as they came.
        parsed = _parse(_CONTROL.sub("", text), data_format, config, unescape, message_id)
        return [
            item._replace(root=Field("BYTE_ARRAY", text.encode()))
            if isinstance(item, Unparsed) and item.root.type == "BYTE_ARRAY"
            else item
            for item in parsed
        ]
    return _parse(text, data_format, config, unescape, message_id)


#: What ``ignore_control_characters`` removes: the engine's ``OverrunReader.isControl``.
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _parse(
    text: str, data_format: str | None, config: Config, unescape: Callable[[str], str], message_id: str
) -> list[Field | Parsed | Unparsed]:
    if data_format == "JSON":
        content = str(config("dataFormatConfig.jsonContent") or "MULTIPLE_OBJECTS")
        return _json(text, content, message_id)
    if data_format == "TEXT":
        return _text(text, config, unescape)
    if data_format == "DELIMITED":
        return _delimited(text, config, message_id)
    if data_format == "XML":
        return _xml_records(text, config, message_id)
    if data_format == "LOG":
        return _log_records(text, config, message_id)
    raise PreviewError(
        f"data format {data_format!r} cannot be parsed by the preview runner",
        config="data_format",
        hint=f"Use one of {', '.join(SUPPORTED_FORMATS)}, or pass records=[...] to preview().",
    )


def _json(text: str, content: str, message_id: str) -> list[Field | Parsed | Unparsed]:
    # The engine's JSON reader streams: objects (or array elements) already read are records
    # even when a later one is not valid JSON; that one ends the message.
    decoder = json.JSONDecoder(object_pairs_hook=dict)
    fields: list[Field | Parsed | Unparsed] = []
    position = _skip_space(text, 0)
    array = content == "ARRAY_OBJECTS"
    try:
        if array:
            if not text.startswith("[", position):
                raise ValueError(f"expected a JSON array at line 1, column {position + 1}")
            position = _skip_space(text, position + 1)
            if text.startswith("]", position):
                return fields
        while position < len(text):
            value, position = decoder.raw_decode(text, position)
            fields.append(Field.from_python(value))
            position = _skip_space(text, position)
            if array:
                if text.startswith("]", position):
                    return fields
                if not text.startswith(",", position):
                    raise ValueError(f"expected ',' or ']' at offset {position}")
                position = _skip_space(text, position + 1)
        if array:
            raise ValueError("the array is not closed with ']'")
    except json.JSONDecodeError as error:
        cause = f"{error.msg} at line {error.lineno}, column {error.colno}"
        fields.append(Unparsed.of(Field("BYTE_ARRAY", text.encode()), message_id, cause))
    except ValueError as error:
        fields.append(Unparsed.of(Field("BYTE_ARRAY", text.encode()), message_id, str(error)))
    return fields


def _skip_space(text: str, position: int) -> int:
    while position < len(text) and text[position].isspace():
        position += 1
    return position


def _text(text: str, config: Config, unescape: Callable[[str], str]) -> list[Field | Parsed | Unparsed]:
    if config("dataFormatConfig.useCustomDelimiter"):
        delimiter = unescape(str(config("dataFormatConfig.customDelimiter") or "\\n"))
        keep = bool(config("dataFormatConfig.includeCustomDelimiterInTheText"))
        pieces = text.split(delimiter) if delimiter else [text]
        lines = [p + delimiter if keep and i < len(pieces) - 1 else p for i, p in enumerate(pieces)]
    else:
        lines = text.splitlines()
    if lines and lines[-1] == "":
        lines.pop()
    return [Field("LIST_MAP", {"text": Field("STRING", line)}) for line in lines]


def _delimited(text: str, config: Config, message_id: str) -> list[Field | Parsed | Unparsed]:
    file_format = str(config("dataFormatConfig.csvFileFormat") or "CSV")
    options: dict[str, Any] = {
        "delimiter": _DELIMITERS.get(file_format),
        "quotechar": '"',
        "doublequote": True,
    }
    if file_format == "CUSTOM":
        options = {
            "delimiter": str(config("dataFormatConfig.csvCustomDelimiter") or "|")[:1],
            "quotechar": str(config("dataFormatConfig.csvCustomQuote") or '"')[:1],
            "escapechar": str(config("dataFormatConfig.csvCustomEscape") or "\\")[:1],
            "doublequote": False,
        }
    if options["delimiter"] is None:
        raise PreviewError(
            f"delimiter format {file_format!r} cannot be parsed by the preview runner",
            config="delimiter_format_type",
            hint=f"Use one of {', '.join(sorted([*_DELIMITERS, 'CUSTOM']))}.",
        )
    rows = list(csv.reader(io.StringIO(text), strict=False, **options))
    skip = int(config("dataFormatConfig.csvSkipStartLines") or 0)
    rows = rows[skip:]
    if config("dataFormatConfig.csvIgnoreEmptyLines") is not False:
        rows = [row for row in rows if row and any(cell != "" for cell in row)]
    header_mode = str(config("dataFormatConfig.csvHeader") or "NO_HEADER")
    header: list[str] | None = None
    if header_mode in ("WITH_HEADER", "IGNORE_HEADER") and rows:
        first = rows.pop(0)
        header = first if header_mode == "WITH_HEADER" else None
    as_list = str(config("dataFormatConfig.csvRecordType") or "LIST_MAP") == "LIST"
    nulls = bool(config("dataFormatConfig.parseNull"))
    null_text = str(config("dataFormatConfig.nullConstant") or "\\N")
    allow_extra = bool(config("dataFormatConfig.csvAllowExtraColumns"))
    extra_prefix = str(config("dataFormatConfig.csvExtraColumnPrefix") or "_extra_")
    fields: list[Field | Parsed | Unparsed] = []
    for number, row in enumerate(rows, start=1):
        cells = [Field("STRING", None if nulls and cell == null_text else cell) for cell in row]
        names = [
            header[i]
            if header is not None and i < len(header)
            else f"{extra_prefix}{i - len(header) + 1:02d}"  # the engine's _extra_01, _extra_02...
            if header is not None
            else str(i)
            for i in range(len(cells))
        ]
        if header is not None and len(row) > len(header) and not allow_extra:
            # datacollector-tests test_dev_raw_data_source_origin.py::test_allow_extra_columns:
            # that row goes to error (its columns and the header, as the engine's
            # DelimitedCharDataParser keeps them), the rows after it are output.
            kept = {
                "columns": Field("LIST", [Field("STRING", cell) for cell in row]),
                "headers": Field("LIST", [Field("STRING", name) for name in header]),
            }
            cause = (
                f"DELIMITED_PARSER_01 - record {number} has {len(row)} columns but the header "
                f"has {len(header)} (allow_extra_columns is off)"
            )
            fields.append(Unparsed.of(Field("MAP", kept), message_id, cause))
            continue
        if as_list:
            columns = [
                Field(
                    "LIST_MAP",
                    {"header": Field("STRING", name), "value": cell}
                    if header is not None
                    else {"value": cell},
                )
                for name, cell in zip(names, cells, strict=True)
            ]
            fields.append(Field("LIST", columns))
        else:
            fields.append(Field("LIST_MAP", dict(zip(names, cells, strict=True))))
    return fields


def _ended_by(
    records: Sequence[Field | Parsed], cause: str | None, text: str, message_id: str
) -> list[Field | Parsed | Unparsed]:
    """The records read, then the whole message as bytes if an error ended it."""
    fields: list[Field | Parsed | Unparsed] = list(records)
    if cause is not None:
        fields.append(Unparsed.of(Field("BYTE_ARRAY", text.encode()), message_id, cause))
    return fields


def _xml_records(text: str, config: Config, message_id: str) -> list[Field | Parsed | Unparsed]:
    namespaces = config("dataFormatConfig.xPathNamespaceContext") or {}
    if isinstance(namespaces, list):  # the export's form: [{"key": prefix, "value": uri}...]
        namespaces = {str(item.get("key")): str(item.get("value")) for item in namespaces}
    maximum = config("dataFormatConfig.xmlMaxObjectLen")
    preserve = config("dataFormatConfig.preserveRootElement")
    element = str(config("dataFormatConfig.xmlRecordElement") or "")
    if element and (why := _xml.xpath_error(element)) is not None:  # the engine's validation
        raise PreviewError(
            f"DATA_FORMAT_03 - Invalid XML element name or XPath expression '{element}': {why}",
            config="dataFormatConfig.xmlRecordElement",
        )
    if maximum is not None and int(maximum) < 1:
        raise PreviewError(
            "DATA_FORMAT_01 - Max data object length cannot be less than 1",
            config="dataFormatConfig.xmlMaxObjectLen",
        )
    options = _xml.XmlOptions(
        record_element=element,
        namespaces=dict(namespaces),
        max_object_len=4096 if maximum is None else int(maximum),
        field_attributes=bool(config("dataFormatConfig.outputFieldAttributes")),
        preserve_root=True if preserve is None else bool(preserve),
        include_xpath=bool(config("dataFormatConfig.includeFieldXpathAttributes")),
    )
    records, error = _xml.parse_xml(text, options, message_id)
    made = [Parsed(r.root, r.header) if r.header else r.root for r in records]
    return _ended_by(made, None if error is None else str(error), text, message_id)


def _log_records(text: str, config: Config, message_id: str) -> list[Field | Parsed | Unparsed]:
    options = _logs.options_from(config)
    try:
        records, cause = _logs.parse_log(text, options)
    except _logs.LogConfigError as error:
        raise PreviewError(
            str(error),
            config=error.config or None,
            hint=f"Log formats the preview parses: {', '.join(_logs.LOG_MODES)}.",
        ) from None
    except _logs.LogFailure as error:
        raise PreviewError(str(error), config="raw_data") from None
    return _ended_by(records, cause, text, message_id)

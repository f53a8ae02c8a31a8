"""Data formats an origin's raw data is parsed from: JSON, TEXT and DELIMITED, as the engine parses them."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from typing import Any, NamedTuple

from ..errors import PreviewError
from ._fields import Field

__all__ = ["SUPPORTED_FORMATS", "Unparsed", "parse"]

#: Data formats the preview runner parses.
SUPPORTED_FORMATS = ("DELIMITED", "JSON", "TEXT")

Config = Callable[[str], Any]


class Unparsed(NamedTuple):
    """A record the data format could not parse as configured. The engine's parsers raise a
    recoverable error for it: the origin sends that record to error (as its ``on_record_error``
    says) with ``code``, and the records after it go on."""

    root: Field
    code: str
    message: str


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
    text: str, data_format: str | None, config: Config, unescape: Callable[[str], str]
) -> list[Field | Unparsed]:
    """The root fields ``text`` parses into, one per record (:class:`Unparsed` for one that fails).

    ``config(raw_name)`` reads the data-format configs (``dataFormatConfig.jsonContent``...);
    ``unescape`` turns Java escapes (``\\n``) into characters.
    """
    if data_format == "JSON":
        return _json(text, str(config("dataFormatConfig.jsonContent") or "MULTIPLE_OBJECTS"))
    if data_format == "TEXT":
        return _text(text, config, unescape)
    if data_format == "DELIMITED":
        return _delimited(text, config)
    raise PreviewError(
        f"data format {data_format!r} cannot be parsed by the preview runner",
        config="data_format",
        hint=f"Use one of {', '.join(SUPPORTED_FORMATS)}, or pass records=[...] to preview().",
    )


def _json_error(error: json.JSONDecodeError, text: str) -> PreviewError:
    return PreviewError(
        f"is not valid JSON at line {error.lineno}, column {error.colno}: {error.msg}",
        config="raw_data",
        hint="Write one JSON object per record (objects may follow each other), or an array with "
        "json_content='ARRAY_OBJECTS'.",
    )


def _json(text: str, content: str) -> list[Field | Unparsed]:
    decoder = json.JSONDecoder(object_pairs_hook=dict)
    if content == "ARRAY_OBJECTS":
        try:
            value = decoder.decode(text)
        except json.JSONDecodeError as error:
            raise _json_error(error, text) from None
        if not isinstance(value, list):
            raise PreviewError(
                "must hold a JSON array when json_content is ARRAY_OBJECTS",
                config="raw_data",
                hint="Wrap the objects in [...] or set json_content='MULTIPLE_OBJECTS'.",
            )
        return [Field.from_python(item) for item in value]
    fields: list[Field | Unparsed] = []
    position = 0
    while True:
        while position < len(text) and text[position].isspace():
            position += 1
        if position >= len(text):
            return fields
        try:
            value, position = decoder.raw_decode(text, position)
        except json.JSONDecodeError as error:
            raise _json_error(error, text) from None
        fields.append(Field.from_python(value))


def _text(text: str, config: Config, unescape: Callable[[str], str]) -> list[Field | Unparsed]:
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


def _delimited(text: str, config: Config) -> list[Field | Unparsed]:
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
    fields: list[Field | Unparsed] = []
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
            # that row goes to error with DELIMITED_PARSER_01, the rows after it are output.
            fields.append(
                Unparsed(
                    Field("LIST_MAP", dict(zip(names, cells, strict=True))),
                    "DELIMITED_PARSER_01",
                    f"cannot parse record {number}: it has {len(row)} columns but the header has "
                    f"{len(header)} (allow_extra_columns is off)",
                )
            )
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

"""The LOG data format, read as the engine reads it (datacollector's ``LogCharDataParser``).

Each line becomes a MAP record: the fields its format gives (every one a STRING, None for a part
that did not match), ``originalLine`` with ``retainOriginalLine``, ``truncated`` (true) for a
line longer than ``logMaxObjectLen`` (only its first characters are parsed). The record's fields
come in the order of the engine's ``HashMap``, which the preview reproduces.

Formats: COMMON_LOG_FORMAT, COMBINED_LOG_FORMAT, APACHE_ERROR_LOG_FORMAT and GROK (grok
patterns, see :mod:`._grok`), APACHE_CUSTOM_LOG_FORMAT and LOG4J (layouts turned into grok, see
:mod:`._layouts`; the log4j layout ``log4jCustomLogFormat`` is used whether or not the custom
format is enabled, as in the engine), REGEX (``fieldPathsToGroupName``: each field path, taken as
the field's name, gets its group) and CEF and LEEF (see :mod:`._cef`).

A line its format does not match is ``LOG_PARSER_03``, an error that ends the message: the engine
reads one line ahead, so the record of the line before the bad one is lost too. With LOG4J and
the other grok formats, ``onParseError`` IGNORE drops such a line, INCLUDE_AS_STACK_TRACE adds up
to ``maxStackTraceLines`` of them to the previous record's ``message`` (and ``originalLine``);
the first line is an error whatever the setting.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from . import _cef, _grok
from ._fields import Field
from ._hashmap import java_hash_order
from ._layouts import LayoutError, apache_to_grok, log4j_to_grok

__all__ = [
    "LOG_MODES",
    "LogConfigError",
    "LogFailure",
    "LogOptions",
    "options_from",
    "parse_log",
]

#: The log formats the preview reads.
LOG_MODES = (
    "COMMON_LOG_FORMAT",
    "COMBINED_LOG_FORMAT",
    "APACHE_ERROR_LOG_FORMAT",
    "APACHE_CUSTOM_LOG_FORMAT",
    "GROK",
    "LOG4J",
    "REGEX",
    "CEF",
    "LEEF",
)


class LogConfigError(ValueError):
    """A config the engine rejects when it validates the stage (``LOG_PARSER_0x``)."""

    def __init__(self, message: str, config: str) -> None:
        super().__init__(message)
        self.config = config


@dataclass(frozen=True)
class LogOptions:
    """The data-format configs the log parser reads (raw names in the comments)."""

    mode: str = "COMMON_LOG_FORMAT"  # logMode
    max_line_len: int = 1024  # logMaxObjectLen
    retain_original_line: bool = False  # retainOriginalLine
    custom_log_format: str = '%h %l %u %t "%r" %>s %b'  # customLogFormat
    regex: str = ""  # regex
    field_groups: tuple[tuple[str, int], ...] = ()  # fieldPathsToGroupName
    grok_pattern: str = "%{COMMONAPACHELOG}"  # grokPattern
    grok_definition: str = ""  # grokPatternDefinition
    log4j_format: str = "%r [%t] %-5p %c %x - %m%n"  # log4jCustomLogFormat
    on_parse_error: str = "ERROR"  # onParseError
    max_stack_trace_lines: int = 50  # maxStackTraceLines


class _NoMatch(Exception):
    pass


LineParser = Callable[[str], dict[str, Field]]


def _line_parser(options: LogOptions) -> tuple[LineParser, int]:
    """The function that parses one line, and how many unmatched lines may follow a record
    (-1: none, an unmatched line is an error), as ``LogDataParserFactory`` builds them."""
    if options.max_line_len == 0 or options.max_line_len < -1:  # LogDataFormatValidator
        raise LogConfigError(
            "LOG_PARSER_04 - Max data object length can be -1 or greater than 0",
            "dataFormatConfig.logMaxObjectLen",
        )
    if options.max_stack_trace_lines < 0:
        raise LogConfigError(
            "LOG_PARSER_10 - Max stack trace lines field cannot be less than 0",
            "dataFormatConfig.maxStackTraceLines",
        )
    stack = {"ERROR": -1, "IGNORE": 0}.get(options.on_parse_error, options.max_stack_trace_lines)
    mode = options.mode
    if mode == "REGEX":
        return _regex_parser(options), -1
    if mode == "LOG4J":
        try:
            expression = log4j_to_grok(options.log4j_format)
        except LayoutError as error:
            raise LogConfigError(
                f"LOG_PARSER_06 - Error parsing custom log format string {options.log4j_format}, "
                f"reason {error}",
                "dataFormatConfig.log4jCustomLogFormat",
            ) from None
        return _grok_parser(expression, "Log4j Log Format", _grok.BASE, _grok.LOG4J_LOG), stack
    named = {
        "COMMON_LOG_FORMAT": ("%{COMMONAPACHELOG}", "Common Log Format", ()),
        "COMBINED_LOG_FORMAT": ("%{COMBINEDAPACHELOG}", "Combined Log Format", ()),
        "APACHE_ERROR_LOG_FORMAT": (
            "%{APACHE_ERROR_LOG}",
            "Apache Error Log Format",
            (_grok.APACHE_ERROR_LOG,),
        ),
    }
    if mode == "APACHE_CUSTOM_LOG_FORMAT":
        where = "dataFormatConfig.customLogFormat"
        if not options.custom_log_format:
            raise LogConfigError("LOG_PARSER_05 - Custom Log Format field cannot be empty", where)
        try:
            expression = apache_to_grok(options.custom_log_format)
        except LayoutError as error:
            raise LogConfigError(
                f"LOG_PARSER_06 - Error parsing custom log format string {options.custom_log_format}, "
                f"reason {error}",
                where,
            ) from None
        return _grok_parser(expression, "Apache Access Log Format", _grok.BASE), stack
    if mode in ("CEF", "LEEF"):
        return _extended_parser(mode), -1
    if mode in named:
        expression, name, extra = named[mode]
        return _grok_parser(expression, name, _grok.BASE, *extra), stack
    if mode == "GROK":
        try:
            return _grok_parser(
                options.grok_pattern, "Grok Format", _grok.BASE, options.grok_definition
            ), stack
        except _grok.GrokError as error:
            raise LogConfigError(
                f"LOG_PARSER_11 - Error compiling grok pattern definition {options.grok_definition}, "
                f"reason {error}",
                "dataFormatConfig.grokPatternDefinition",
            ) from None
    raise LogConfigError(
        f"log format {mode!r} cannot be parsed by the preview runner", "dataFormatConfig.logMode"
    )


def _grok_parser(expression: str, name: str, *dictionaries: str) -> LineParser:
    grok = _grok.compile_grok(expression, *dictionaries)

    def parse(line: str) -> dict[str, Field]:
        groups = grok.match(line)
        if groups is None:
            raise _NoMatch(f"LOG_PARSER_03 - Log line '{line}' does not conform to '{name}'")
        return {key: Field("STRING", value) for key, value in groups.items()}

    return parse


class LogFailure(Exception):
    """Data on which the engine's parser throws a runtime exception: the pipeline fails."""


def _extended_parser(kind: str) -> LineParser:
    def parse(line: str) -> dict[str, Field]:
        try:
            return _cef.parse_extended(line, kind)
        except _cef.ExtendedFormatError as error:
            raise _NoMatch(str(error)) from None
        except _cef.ExtendedFormatCrash as error:
            raise LogFailure(f"the engine's {kind} parser fails on the line '{line}': {error}") from None

    return parse


def _regex_parser(options: LogOptions) -> LineParser:
    try:
        compiled = _grok.java_regex(options.regex)
    except re.error as error:
        raise LogConfigError(
            f"LOG_PARSER_07 - Error parsing regex {options.regex}, reason {error}", "dataFormatConfig.regex"
        ) from None
    groups: dict[str, int] = {}
    for path, group in options.field_groups:  # DataParserFormatConfig.getFieldPathToGroupMap: a HashMap
        groups[path] = group
        if group > len(compiled.groups):
            raise LogConfigError(
                f"LOG_PARSER_08 - RegEx {options.regex} contains {len(compiled.groups)} groups but the "
                f"field Path to group mapping specifies group {group}.",
                "dataFormatConfig.fieldPathsToGroupName",
            )
    paths = java_hash_order(groups, [])
    name = f"Regular Expression - {options.regex}"

    def parse(line: str) -> dict[str, Field]:
        found = compiled.regex.search(line)
        if found is None:
            raise _NoMatch(f"LOG_PARSER_03 - Log line '{line}' does not conform to '{name}'")
        # RegexParser fills a HashMap in the order of the group map, a HashMap too.
        fields = {path: Field("STRING", found.group(_python_group(compiled, groups[path]))) for path in paths}
        return {path: fields[path] for path in java_hash_order(fields, [])}

    return parse


def _python_group(compiled: _grok.JavaRegex, group: int) -> int:
    return 0 if group <= 0 else compiled.groups[group - 1]


def parse_log(text: str, options: LogOptions) -> tuple[list[Field], str | None]:
    """The records of ``text``'s lines, and the error that ended the message (None if none).

    >>> records, error = parse_log('127.0.0.1 - - [10/Oct/2000:13:55:36 -0700] "GET / HTTP/1.0" 200 -',
    ...                            LogOptions())
    >>> records[0].to_python()["verb"], records[0].to_python()["bytes"], error
    ('GET', None, None)
    """
    parser, stack = _line_parser(options)
    reader = _LineReader(text, options, parser, stack)
    records: list[Field] = []
    try:
        while (record := reader.parse()) is not None:
            records.append(record)
    except _NoMatch as error:
        return records, str(error)
    return records, None


_EOL = re.compile(r"\r\n|\r|\n")


class _LineReader:
    """``LogCharDataParser``: a record per line, read one line ahead to find stack traces."""

    def __init__(self, text: str, options: LogOptions, parser: LineParser, stack: int) -> None:
        self.text = text
        self.position = 0
        self.options = options
        self.parse_line = parser
        self.max_stack = stack
        self.current = ""
        self.previous = ""
        self.previous_read = 0
        self.previous_fields: dict[str, Field] = {}

    def _read_line(self) -> tuple[str, int]:
        """The next line (cut at the maximum length) and its full length (-1 at the end)."""
        if self.position >= len(self.text):
            return "", -1
        eol = _EOL.search(self.text, self.position)
        end = eol.start() if eol else len(self.text)
        line = self.text[self.position : end]
        self.position = eol.end() if eol else end
        maximum = self.options.max_line_len
        return (line[:maximum] if -1 < maximum < len(line) else line), len(line)

    def _truncated(self, read: int) -> bool:
        return -1 < self.options.max_line_len < read

    def _read_ahead(self, fields: dict[str, Field], stack: list[str]) -> int:
        line, read = self._read_line()
        skipped = 0
        while read > -1:
            try:
                fields.update(self.parse_line(line))
                self.current += line
                break
            except _NoMatch:
                if not self.previous or self.max_stack == -1:
                    raise
                if skipped < self.max_stack:
                    stack.append(line)
                skipped += 1
                line, read = self._read_line()
        return read

    def _record(self, original: str, read: int, fields: Mapping[str, Field] | None) -> Field:
        keys: list[str] = []
        values: dict[str, Field] = {}
        if self.options.retain_original_line:
            keys.append("originalLine")
            values["originalLine"] = Field("STRING", original)
        if self._truncated(read):
            keys.append("truncated")
            values["truncated"] = Field("BOOLEAN", True)
        if fields is None:  # the line gave no fields: the engine keeps it whole
            keys.append("parsedLine")
            values["parsedLine"] = Field("STRING", original)
            fields = {}
        values.update(fields)
        return Field("MAP", {key: values[key] for key in java_hash_order(keys, fields)})

    def parse(self) -> Field | None:
        if not self.previous and self.previous_read == -1:
            return None
        record = None
        if self.previous:
            record = self._record(self.current, self.previous_read, self.previous_fields)
        self.current = ""
        fields: dict[str, Field] = {}
        stack: list[str] = []
        read = self._read_ahead(fields, stack)
        if record is None:
            record = self._record(self.current, read, fields or None)
            self.previous_fields, self.previous, self.previous_read = dict(fields), self.current, read
            self.current = ""
            fields, stack = {}, []
            read = self._read_ahead(fields, stack)
        trace = "\n".join(stack)
        if trace:  # the engine tests the text, so one skipped empty line adds nothing
            for name in ("message", "originalLine"):
                if name in record.value:
                    old = record.value[name].value
                    record.value[name] = Field("STRING", f"{'null' if old is None else old}\n{trace}")
        self.previous_fields, self.previous, self.previous_read = fields, self.current, read
        return record


def _number(value: Any, default: int) -> int:
    return default if value is None or value == "" else int(value)


def options_from(config: Callable[[str], Any]) -> LogOptions:
    """The log options of a stage's data-format configs (``config(raw_name)``)."""
    groups = config("dataFormatConfig.fieldPathsToGroupName") or []
    defaults = LogOptions()
    return LogOptions(
        mode=str(config("dataFormatConfig.logMode") or defaults.mode),
        max_line_len=_number(config("dataFormatConfig.logMaxObjectLen"), defaults.max_line_len),
        retain_original_line=bool(config("dataFormatConfig.retainOriginalLine")),
        custom_log_format=str(config("dataFormatConfig.customLogFormat") or ""),
        regex=str(config("dataFormatConfig.regex") or ""),
        field_groups=tuple((str(g.get("fieldPath", "/")), int(g.get("group", 1))) for g in groups),
        grok_pattern=str(config("dataFormatConfig.grokPattern") or defaults.grok_pattern),
        grok_definition=str(config("dataFormatConfig.grokPatternDefinition") or ""),
        log4j_format=str(config("dataFormatConfig.log4jCustomLogFormat") or defaults.log4j_format),
        on_parse_error=str(config("dataFormatConfig.onParseError") or "ERROR"),
        max_stack_trace_lines=_number(
            config("dataFormatConfig.maxStackTraceLines"), defaults.max_stack_trace_lines
        ),
    )

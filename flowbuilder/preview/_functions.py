"""The expression-language functions the preview runner supports, with the engine's semantics.

``record:`` reads the current record, ``str:`` and ``math:`` work on values, ``time:`` reads
the injected clock, ``sdc:id()`` returns a fixed id, ``f:`` reads the field a field-path
predicate is looking at. Arguments are coerced as the engine coerces them (a ``String``
parameter turns ``null`` into ``""``, a ``long`` parameter turns ``"12"`` into 12).
"""

from __future__ import annotations

import datetime as dt
import math
import re
import urllib.parse
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from ..errors import PreviewError
from . import _java
from ._el import Env, coerce_bool, coerce_double, coerce_long
from ._fields import Field, JavaInt, JavaMap

__all__ = ["CONSTANTS", "FUNCTIONS", "PREVIEW_SDC_ID", "Function", "java_regex", "java_replacement"]

#: What ``sdc:id()`` returns in a preview: fixed, so previews are repeatable.
PREVIEW_SDC_ID = "flowbuilder-preview"

#: Constants the engine defines for expressions (time units in seconds, binary data units, and
#: ``NULL`` for checking or setting null values).
CONSTANTS: Mapping[str, int | None] = {
    "NULL": None,
    "SECONDS": 1,
    "MINUTES": 60,
    "HOURS": 3600,
    "DAYS": 86400,
    "KiB": 1024,
    "MiB": 1024**2,
    "GiB": 1024**3,
    "TiB": 1024**4,
}

Fail = Callable[..., PreviewError]


@dataclass(frozen=True)
class Function:
    """One function: its name, how each argument is coerced, and its body ``body(env, *args)``."""

    name: str
    params: tuple[str, ...]
    body: Callable[..., Any]

    def invoke(self, env: Env, args: list[Any], fail: Fail) -> Any:
        """Coerce ``args`` and call the body; every failure becomes the PreviewError ``fail`` makes."""
        if len(args) != len(self.params):
            plural = "argument" if len(self.params) == 1 else "arguments"
            raise fail(f"{self.name}() takes {len(self.params)} {plural}; got {len(args)}")
        coerced = []
        for number, (kind, value) in enumerate(zip(self.params, args, strict=True), start=1):
            try:
                coerced.append(_COERCE[kind](value))
            except ValueError as error:
                raise fail(f"{self.name}() argument {number}: {error}") from None
        try:
            return self.body(env, *coerced)
        except PreviewError as error:
            raise fail(f"{self.name}(): {error.message}", error.hint) from None
        except re.error as error:
            raise fail(f"{self.name}(): invalid regular expression: {error}") from None
        except (ValueError, ArithmeticError, TypeError, IndexError, KeyError, OverflowError) as error:
            raise fail(f"{self.name}(): {error}") from None


def _char(value: object) -> str:
    text = _java.to_string(value)
    return text[:1] if text else "\x00"


def _int(value: object) -> int:
    number = coerce_long(value)
    if not -(2**31) <= number < 2**31:
        raise ValueError(f"{number} does not fit an int")
    return number


def _number(value: object) -> int | float | Decimal:
    if isinstance(value, (Decimal, float)) or (isinstance(value, int) and not isinstance(value, bool)):
        return value
    if isinstance(value, str) and any(c in value for c in ".eE"):
        return coerce_double(value)
    return coerce_long(value)


_COERCE: dict[str, Callable[[Any], Any]] = {
    "any": lambda v: v,
    "str": _java.to_string,
    "long": coerce_long,
    "int": _int,
    "double": coerce_double,
    "bool": coerce_bool,
    "char": _char,
    "number": _number,
}

FUNCTIONS: dict[str, Function] = {}


def _register(name: str, *params: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    def add(body: Callable[..., Any]) -> Callable[..., Any]:
        FUNCTIONS[name] = Function(name, params, body)
        return body

    return add


# -- record: ---------------------------------------------------------------------------------


def _record(env: Env, name: str) -> Any:
    if env.record is None:
        raise PreviewError(f"{name}() needs a record, but this config is evaluated without one")
    return env.record


@_register("record:value", "str")
def _value(env: Env, path: str) -> Any:
    field = _record(env, "record:value").field(path)
    return field.to_el() if field is not None else None


@_register("record:valueOrDefault", "str", "any")
def _value_or_default(env: Env, path: str, default: Any) -> Any:
    field = _record(env, "record:valueOrDefault").field(path)
    return default if field is None or field.value is None else field.to_el()


@_register("record:exists", "str")
def _exists(env: Env, path: str) -> bool:
    return bool(_record(env, "record:exists").has(path))


@_register("record:type", "str")
def _type(env: Env, path: str) -> str | None:
    found: str | None = _record(env, "record:type").field_type(path)
    return found


@_register("record:attribute", "str")
def _attribute(env: Env, name: str) -> str | None:
    found: str | None = _record(env, "record:attribute")._attributes.get(name)
    return found


@_register("record:attributeOrDefault", "str", "str")
def _attribute_or_default(env: Env, name: str, default: str) -> str:
    found = _record(env, "record:attributeOrDefault")._attributes.get(name)
    return default if found is None or found == "" else str(found)


@_register("record:fieldAttribute", "str", "str")
def _field_attribute(env: Env, path: str, name: str) -> str | None:
    field = _record(env, "record:fieldAttribute").field(path)
    return (field.attributes or {}).get(name) if field is not None else None


@_register("record:fieldAttributeOrDefault", "str", "str", "str")
def _field_attribute_or_default(env: Env, path: str, name: str, default: str) -> str:
    found = _field_attribute(env, path, name)
    return default if found is None else found


def _header(key: str) -> Callable[[Env], Any]:
    def read(env: Env) -> Any:
        return _record(env, f"record:{key}")._header.get(key)

    return read


for _name, _key in (
    ("id", "sourceId"),
    ("creator", "stageCreator"),
    ("path", "stagesPath"),
    ("errorCode", "errorCode"),
    ("errorMessage", "errorMessage"),
    ("errorStage", "errorStage"),
    ("errorStageLabel", "errorStageLabel"),
):
    FUNCTIONS[f"record:{_name}"] = Function(f"record:{_name}", (), _header(_key))


def _event_attribute(suffix: str) -> Callable[[Env], Any]:
    def read(env: Env) -> Any:
        return _record(env, "record:event" + suffix.capitalize())._attributes.get(f"sdc.event.{suffix}")

    return read


FUNCTIONS["record:eventType"] = Function("record:eventType", (), _event_attribute("type"))
FUNCTIONS["record:eventVersion"] = Function("record:eventVersion", (), _event_attribute("version"))
FUNCTIONS["record:eventCreation"] = Function(
    "record:eventCreation", (), _event_attribute("creation_timestamp")
)


# -- str: ------------------------------------------------------------------------------------


def java_regex(pattern: str) -> re.Pattern[str]:
    """Compile a Java regular expression with Python's ``re`` (the common subset agrees)."""
    return re.compile(pattern)


def java_replacement(replacement: str) -> str:
    """A Java replacement string (``$1``, ``\\$``) as a Python ``re.sub`` template.

    >>> java_replacement("$1-x\\\\$")
    '\\\\g<1>-x$'
    """
    out: list[str] = []
    i = 0
    while i < len(replacement):
        char = replacement[i]
        if char == "\\" and i + 1 < len(replacement):
            nxt = replacement[i + 1]
            out.append("\\\\" if nxt == "\\" else nxt)
            i += 2
        elif char == "$":
            found = re.match(r"\$(\d+|\{\w+\})", replacement[i:])
            if found is None:
                raise ValueError(f"illegal group reference in replacement {replacement!r}")
            group = found.group(1).strip("{}")
            out.append(f"\\g<{group}>")
            i += len(found.group(0))
        else:
            out.append("\\\\" if char == "\\" else char)
            i += 1
    return "".join(out)


_SIMPLE: dict[str, tuple[tuple[str, ...], Callable[..., Any]]] = {
    "str:toUpper": (("str",), lambda s: s.upper()),
    "str:toLower": (("str",), lambda s: s.lower()),
    "str:trim": (("str",), lambda s: s.strip(" \t\n\r\x0b\x0c\x00")),
    "str:concat": (("str", "str"), lambda a, b: a + b),
    "str:replace": (("str", "str", "str"), lambda s, old, new: s.replace(old, new)),
    "str:contains": (("str", "str"), lambda s, part: part in s),
    "str:startsWith": (("str", "str"), lambda s, prefix: s.startswith(prefix)),
    "str:endsWith": (("str", "str"), lambda s, suffix: s.endswith(suffix)),
    "str:length": (("str",), lambda s: JavaInt(len(s), "INTEGER")),
    "str:indexOf": (("str", "str"), lambda s, part: JavaInt(s.find(part), "INTEGER")),
    "str:isNullOrEmpty": (("any",), lambda s: s is None or s == ""),
    "str:urlEncode": (("str", "str"), lambda s, enc: urllib.parse.quote_plus(s, encoding=enc, safe="*-._")),
    "str:urlDecode": (("str", "str"), lambda s, enc: urllib.parse.unquote_plus(s, encoding=enc)),
}

for _fname, (_params, _body) in _SIMPLE.items():
    FUNCTIONS[_fname] = Function(_fname, _params, lambda env, *args, _b=_body: _b(*args))


@_register("str:substring", "str", "int", "int")
def _substring(env: Env, text: str, begin: int, end: int) -> str:
    if begin < 0 or end < 0:
        raise ValueError("beginIndex and endIndex must be 0 or greater")
    if not text or begin > len(text):
        return "" if text else text
    end = min(end, len(text))
    if begin > end:
        raise ValueError(f"beginIndex {begin} is greater than endIndex {end}")
    return text[begin:end]


@_register("str:truncate", "str", "int")
def _truncate(env: Env, text: str, end: int) -> str:
    if end < 0:
        raise ValueError(f"Unable to truncate {text!r} at index {end}")
    return text[:end]


@_register("str:replaceAll", "str", "str", "str")
def _replace_all(env: Env, text: str, regex: str, replacement: str) -> str:
    return java_regex(regex).sub(java_replacement(replacement), text)


@_register("str:regExCapture", "str", "str", "int")
def _regex_capture(env: Env, text: str, regex: str, group: int) -> str | None:
    found = java_regex(regex).search(text)
    if found is None:
        return None
    if group > (found.re.groups or 0):
        raise ValueError(f"No group {group}")
    captured: str | None = found.group(group)
    return captured


@_register("str:matches", "str", "str")
def _matches(env: Env, text: str, regex: str) -> bool:
    return java_regex(regex).fullmatch(text) is not None


_JAVA_ESCAPES = {"b": "\b", "t": "\t", "n": "\n", "f": "\f", "r": "\r", '"': '"', "'": "'", "\\": "\\"}


@_register("str:unescapeJava", "str")
def _unescape_java(env: Env, text: str) -> str:
    out: list[str] = []
    i = 0
    while i < len(text):
        char = text[i]
        if char != "\\" or i + 1 >= len(text):
            out.append(char)
            i += 1
            continue
        nxt = text[i + 1]
        if nxt in _JAVA_ESCAPES:
            out.append(_JAVA_ESCAPES[nxt])
            i += 2
        elif nxt == "u":
            j = i + 1
            while j < len(text) and text[j] == "u":
                j += 1
            digits = text[j : j + 4]
            if len(digits) != 4 or not all(c in "0123456789abcdefABCDEF" for c in digits):
                raise ValueError(f"Unable to parse unicode value: {digits!r}")
            out.append(chr(int(digits, 16)))
            i = j + 4
        elif nxt in "01234567":
            found = re.match(r"[0-3][0-7]{0,2}|[4-7][0-7]?", text[i + 1 :])
            assert found is not None
            out.append(chr(int(found.group(0), 8)))
            i += 1 + len(found.group(0))
        else:
            out.append(nxt)
            i += 2
    return "".join(out)


@_register("str:splitKV", "str", "str", "str")
def _split_kv(env: Env, text: str, pair_separator: str, kv_separator: str) -> JavaMap:
    result = JavaMap()
    if not text:
        return result
    if not pair_separator or not kv_separator:
        raise ValueError("the separators must not be empty")
    for pair in text.split(pair_separator):
        entry = pair.strip()
        if not entry:
            continue
        pieces = entry.split(kv_separator)
        if len(pieces) != 2:
            raise ValueError(f"Chunk [{entry}] is not a valid entry")
        key, value = pieces[0].strip(), pieces[1].strip()
        if key in result:
            raise ValueError(f"Duplicate key [{key}] found.")
        result[key] = value
    return result


# -- math: -----------------------------------------------------------------------------------


def _same_kind(value: int | float | Decimal) -> int | float | Decimal:
    return _java.wrap_long(value) if isinstance(value, int) else value


FUNCTIONS["math:abs"] = Function("math:abs", ("number",), lambda env, x: _same_kind(abs(x)))
FUNCTIONS["math:ceil"] = Function(
    "math:ceil", ("double",), lambda env, x: float(math.ceil(x)) if math.isfinite(x) else x
)
FUNCTIONS["math:floor"] = Function(
    "math:floor", ("double",), lambda env, x: float(math.floor(x)) if math.isfinite(x) else x
)


def _extreme(pick: Callable[[Any, Any], Any]) -> Callable[..., Any]:
    def body(env: Env, a: int | float | Decimal, b: int | float | Decimal) -> Any:
        if isinstance(a, int) and isinstance(b, int):
            return pick(a, b)
        if isinstance(a, Decimal) or isinstance(b, Decimal):
            return pick(
                Decimal(repr(a)) if isinstance(a, float) else Decimal(a),
                Decimal(repr(b)) if isinstance(b, float) else Decimal(b),
            )
        return float(pick(float(a), float(b)))

    return body


FUNCTIONS["math:max"] = Function("math:max", ("number", "number"), _extreme(max))
FUNCTIONS["math:min"] = Function("math:min", ("number", "number"), _extreme(min))


@_register("math:round", "double")
def _round(env: Env, value: float) -> int:
    if math.isnan(value):
        return 0
    if math.isinf(value):
        return 2**63 - 1 if value > 0 else -(2**63)
    # Java's Math.round: floor(x + 0.5), so halves round towards positive infinity.
    return _java.wrap_long(math.floor(Decimal(repr(value)) + Decimal("0.5")))


# -- time:, sdc:, pipeline:, basics --------------------------------------------------------


def _now(env: Env) -> dt.datetime:
    moment = env.clock()
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=_java.UTC)


@_register("time:now")
def _time_now(env: Env) -> dt.datetime:
    return _now(env)


@_register("time:nowNanoTimestampString")
def _time_nano(env: Env) -> str:
    moment = _now(env).astimezone(_java.UTC)
    nanos = f"{moment.microsecond * 1000:09d}".rstrip("0") or "0"
    return moment.strftime("%Y-%m-%d %H:%M:%S") + "." + nanos


@_register("time:millisecondsToDateTime", "long")
def _millis_to_datetime(env: Env, millis: int) -> dt.datetime:
    return dt.datetime(1970, 1, 1, tzinfo=_java.UTC) + dt.timedelta(milliseconds=millis)


@_register("time:dateTimeToMilliseconds", "any")
def _datetime_to_millis(env: Env, value: Any) -> int:
    if not isinstance(value, (dt.date, dt.datetime)):
        raise ValueError(f"expects a date; got {_java.to_string(value)!r}")
    return _java.to_millis(value)


@_register("time:extractStringFromDate", "any", "str")
def _string_from_date(env: Env, value: Any, pattern: str) -> str:
    if not isinstance(value, (dt.date, dt.datetime)):
        raise ValueError(f"expects a date; got {_java.to_string(value)!r}")
    return _java.format_date(value, pattern)


def _time_part(pattern: str) -> Callable[[Env], str]:
    def read(env: Env) -> str:
        return _java.format_date(_now(env).astimezone(_java.UTC), pattern)

    return read


for _fname, _pattern in (
    ("YYYY", "yyyy"),
    ("YY", "yy"),
    ("MM", "MM"),
    ("DD", "dd"),
    ("hh", "HH"),
    ("mm", "mm"),
    ("ss", "ss"),
):
    FUNCTIONS[_fname] = Function(_fname, (), _time_part(_pattern))

FUNCTIONS["sdc:id"] = Function("sdc:id", (), lambda env: PREVIEW_SDC_ID)
FUNCTIONS["pipeline:name"] = Function("pipeline:name", (), lambda env: env.flow)
FUNCTIONS["pipeline:title"] = Function("pipeline:title", (), lambda env: env.flow)
FUNCTIONS["pipeline:id"] = Function("pipeline:id", (), lambda env: env.flow)
FUNCTIONS["emptyMap"] = Function("emptyMap", (), lambda env: JavaMap())
FUNCTIONS["emptyList"] = Function("emptyList", (), lambda env: [])


# -- f: (the field a field-path predicate or a Field Replacer rule is looking at) -------------


def _current(env: Env, name: str) -> tuple[str, Field]:
    if env.field_path is None or env.field_value is None:
        raise PreviewError(
            f"{name}() reads the current field and works only in field path predicates "
            "and Field Replacer rules"
        )
    return env.field_path, env.field_value


FUNCTIONS["f:type"] = Function("f:type", (), lambda env: _current(env, "f:type")[1].type)
FUNCTIONS["f:value"] = Function("f:value", (), lambda env: _current(env, "f:value")[1].to_el())
FUNCTIONS["f:path"] = Function("f:path", (), lambda env: _current(env, "f:path")[0])


@_register("f:name")
def _field_name(env: Env) -> str:
    from ._paths import parse

    path, _ = _current(env, "f:name")
    segments = parse(path)
    if not segments:
        return ""
    last = segments[-1]
    return last.name if last.kind == "key" else str(last.index)


@_register("f:attribute", "str")
def _current_attribute(env: Env, name: str) -> str | None:
    return (_current(env, "f:attribute")[1].attributes or {}).get(name)

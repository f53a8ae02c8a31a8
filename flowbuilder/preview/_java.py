"""Java value semantics the engine's output depends on: number and date text, 64-bit longs.

The engine runs on the JVM, so ``String.valueOf(1.0)`` is ``"1.0"``, ``1e7`` prints as
``"1.0E7"``, longs wrap at 64 bits and dates follow ``SimpleDateFormat`` patterns. The preview
runner reproduces these so previewed values match what the engine writes.
"""

from __future__ import annotations

import datetime as dt
import math
import re
import struct
from collections.abc import Callable
from decimal import Decimal, InvalidOperation

from ..errors import PreviewError

__all__ = [
    "UTC",
    "date_to_string",
    "double_to_string",
    "float_to_string",
    "format_date",
    "parse_date",
    "parse_double",
    "parse_long",
    "to_millis",
    "to_string",
    "wrap_long",
]

UTC = dt.timezone.utc
_LONG = 2**64
_LONG_HALF = 2**63
_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_DAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_MONTH_NAMES = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)


def wrap_long(value: int) -> int:
    """``value`` as a Java long: wrapped to 64 bits, two's complement.

    >>> wrap_long(2**63), wrap_long(-1)
    (-9223372036854775808, -1)
    """
    return ((value + _LONG_HALF) % _LONG) - _LONG_HALF


def double_to_string(value: float) -> str:
    """Java's ``Double.toString``: ``1.0``, ``0.001``, ``1.0E7``, ``1.0E-4``, ``NaN``, ``Infinity``.

    >>> [double_to_string(x) for x in (1.0, 0.1, 1e7, 1.5e-4, 123456.789, -0.0)]
    ['1.0', '0.1', '1.0E7', '1.5E-4', '123456.789', '-0.0']
    """
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    return _java_decimal_text(repr(float(value)))


def float_to_string(value: float) -> str:
    """Java's ``Float.toString`` for a FLOAT field: the shortest text that reads back as the same float.

    >>> float_to_string(1.100000023841858)
    '1.1'
    """
    if math.isnan(value) or math.isinf(value):
        return double_to_string(value)
    single = struct.unpack("f", struct.pack("f", value))[0]
    for digits in range(1, 10):
        text = f"{single:.{digits}g}"
        if struct.unpack("f", struct.pack("f", float(text)))[0] == single:
            return _java_decimal_text(text)
    return _java_decimal_text(repr(single))


def _java_decimal_text(text: str) -> str:
    number = Decimal(text)
    sign, digits_tuple, exponent = number.as_tuple()
    assert isinstance(exponent, int)
    digits = "".join(map(str, digits_tuple)).rstrip("0") or "0"
    scientific = len("".join(map(str, digits_tuple))) - 1 + exponent
    prefix = "-" if sign else ""
    if digits == "0":
        return prefix + "0.0"
    if -3 <= scientific < 7:
        if scientific >= 0:
            whole = digits[: scientific + 1].ljust(scientific + 1, "0")
            fraction = digits[scientific + 1 :] or "0"
        else:
            whole = "0"
            fraction = "0" * (-scientific - 1) + digits
        return f"{prefix}{whole}.{fraction}"
    return f"{prefix}{digits[0]}.{digits[1:] or '0'}E{scientific}"


def date_to_string(value: dt.date | dt.datetime) -> str:
    """Java's ``Date.toString`` in UTC: ``Mon Jan 01 00:00:00 UTC 2024``.

    >>> date_to_string(dt.datetime(2024, 1, 1, 8, 30, tzinfo=UTC))
    'Mon Jan 01 08:30:00 UTC 2024'
    """
    moment = _as_datetime(value).astimezone(UTC)
    return (
        f"{_DAYS[moment.weekday()]} {_MONTHS[moment.month - 1]} {moment.day:02d} "
        f"{moment.hour:02d}:{moment.minute:02d}:{moment.second:02d} UTC {moment.year}"
    )


def _as_datetime(value: dt.date | dt.datetime) -> dt.datetime:
    if isinstance(value, dt.datetime):
        return value if value.tzinfo is not None else value.replace(tzinfo=UTC)
    return dt.datetime(value.year, value.month, value.day, tzinfo=UTC)


def to_millis(value: dt.date | dt.datetime) -> int:
    """Milliseconds since the epoch (``Date.getTime()``); dates count from midnight UTC.

    >>> to_millis(dt.date(1970, 1, 2))
    86400000
    """
    delta = _as_datetime(value) - dt.datetime(1970, 1, 1, tzinfo=UTC)
    return (delta.days * 86_400 + delta.seconds) * 1000 + delta.microseconds // 1000


def to_string(value: object) -> str:
    """The expression language's coercion to String: ``null`` is ``""``, Java number and date text.

    >>> to_string(None), to_string(True), to_string(2.0), to_string(Decimal("1.50"))
    ('', 'true', '2.0', '1.50')
    """
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        if getattr(value, "java_type", None) == "FLOAT":
            return float_to_string(value)
        return double_to_string(value)
    if isinstance(value, int):
        return str(int(value))
    if isinstance(value, (dt.datetime, dt.date)):
        return date_to_string(value)
    if isinstance(value, dt.time):
        return value.isoformat()
    if isinstance(value, (bytes, bytearray)):
        return bytes(value).decode("utf-8", errors="replace")
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}={to_string(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(to_string(v) for v in value) + "]"
    return str(value)


_LONG_TEXT = re.compile(r"[+-]?[0-9]+")
_DOUBLE_TEXT = re.compile(r"[+-]?(NaN|Infinity|([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?)[fFdD]?")


def parse_long(text: str) -> int:
    """Java's ``Long.parseLong``: digits only, within 64 bits; ValueError otherwise.

    >>> parse_long("-42")
    -42
    """
    if not _LONG_TEXT.fullmatch(text) or len(text) > 20:
        raise ValueError(f"For input string: {text!r}")
    value = int(text)
    if wrap_long(value) != value:
        raise ValueError(f"For input string: {text!r} (out of the 64-bit range)")
    return value


def parse_double(text: str) -> float:
    """Java's ``Double.parseDouble`` (surrounding spaces allowed); ValueError otherwise.

    >>> parse_double(" 1.5e2 "), parse_double("3")
    (150.0, 3.0)
    """
    stripped = text.strip()
    if not _DOUBLE_TEXT.fullmatch(stripped) or len(stripped) > 400:
        raise ValueError(f"For input string: {text!r}")
    body = stripped.rstrip("fFdD") if stripped[-1:] in "fFdD" and "Infinity" not in stripped else stripped
    if body.lstrip("+-") == "Infinity":
        return -math.inf if body.startswith("-") else math.inf
    try:
        return float(Decimal(body)) if body.lstrip("+-") != "NaN" else math.nan
    except (InvalidOperation, OverflowError) as error:
        raise ValueError(f"For input string: {text!r}") from error


# -- SimpleDateFormat ----------------------------------------------------------------------

_PATTERN_TOKEN = re.compile(r"'(?:[^']|'')*'|([A-Za-z])\1*|.", re.S)


def _tokens(pattern: str) -> list[tuple[str, str]]:
    tokens: list[tuple[str, str]] = []
    for found in _PATTERN_TOKEN.finditer(pattern):
        text = found.group(0)
        if text.startswith("'"):
            literal = "'" if text == "''" else text[1:-1].replace("''", "'")
            tokens.append(("", literal))
        elif text[0].isalpha():
            if text[0] not in _FORMATTERS:
                raise PreviewError(
                    f"date pattern {pattern!r} uses letter {text[0]!r}, "
                    "which the preview runner does not support",
                    hint="Use y, M, d, H, h, m, s, S, a, E, z, Z or X, and quote literal text with '...'.",
                )
            tokens.append((text[0], text))
        else:
            tokens.append(("", text))
    return tokens


def _offset_text(moment: dt.datetime, style: str) -> str:
    offset = moment.utcoffset() or dt.timedelta(0)
    minutes = int(offset.total_seconds()) // 60
    sign = "-" if minutes < 0 else "+"
    hours, rest = divmod(abs(minutes), 60)
    if style == "X" and minutes == 0:
        return "Z"
    if style in ("X", "XX", "Z", "ZZ", "ZZZ"):
        return f"{sign}{hours:02d}{rest:02d}"
    return f"{sign}{hours:02d}:{rest:02d}"


def _hour12(moment: dt.datetime) -> int:
    return moment.hour % 12 or 12


_FORMATTERS: dict[str, Callable[[dt.datetime, int], str]] = {
    "y": lambda m, n: f"{m.year % 100:02d}" if n == 2 else f"{m.year:0{n}d}",
    "M": lambda m, n: (
        _MONTH_NAMES[m.month - 1] if n >= 4 else _MONTHS[m.month - 1] if n == 3 else f"{m.month:0{n}d}"
    ),
    "d": lambda m, n: f"{m.day:0{n}d}",
    "H": lambda m, n: f"{m.hour:0{n}d}",
    "h": lambda m, n: f"{_hour12(m):0{n}d}",
    "m": lambda m, n: f"{m.minute:0{n}d}",
    "s": lambda m, n: f"{m.second:0{n}d}",
    "S": lambda m, n: f"{m.microsecond // 1000:0{n}d}",
    "a": lambda m, n: "AM" if m.hour < 12 else "PM",
    "E": lambda m, n: _DAY_NAMES[m.weekday()] if n >= 4 else _DAYS[m.weekday()],
    "z": lambda m, n: "UTC" if not m.utcoffset() else _offset_text(m, "z"),
    "Z": lambda m, n: _offset_text(m, "Z"),
    "X": lambda m, n: _offset_text(m, "X" * min(n, 3)),
}


def format_date(value: dt.date | dt.datetime, pattern: str) -> str:
    """Format like Java's ``SimpleDateFormat(pattern)`` in UTC (or the value's own zone).

    >>> format_date(dt.datetime(2024, 3, 5, 14, 7, 9, 123000, tzinfo=UTC), "yyyy-MM-dd'T'HH:mm:ss.SSS")
    '2024-03-05T14:07:09.123'
    """
    moment = _as_datetime(value)
    return "".join(
        _FORMATTERS[letter](moment, len(text)) if letter else text for letter, text in _tokens(pattern)
    )


_PARSE_PARTS: dict[str, str] = {
    "y": r"(?P<y>[0-9]{1,4})",
    "M": r"(?P<M>[0-9]{1,2}|[A-Za-z]{3,9})",
    "d": r"(?P<d>[0-9]{1,2})",
    "H": r"(?P<H>[0-9]{1,2})",
    "h": r"(?P<h>[0-9]{1,2})",
    "m": r"(?P<m>[0-9]{1,2})",
    "s": r"(?P<s>[0-9]{1,2})",
    "S": r"(?P<S>[0-9]{1,3})",
    "a": r"(?P<a>AM|PM|am|pm)",
    "E": r"(?P<E>[A-Za-z]{3,9})",
    "z": r"(?P<z>[A-Za-z]{1,5}|[+-][0-9]{2}:?[0-9]{2})",
    "Z": r"(?P<Z>[+-][0-9]{4})",
    "X": r"(?P<X>Z|[+-][0-9]{2}(?::?[0-9]{2})?)",
}


def parse_date(text: str, pattern: str) -> dt.datetime:
    """Parse like Java's ``SimpleDateFormat(pattern).parse(text)``, in UTC unless the text has a zone.

    >>> parse_date("2024-03-05 14:07", "yyyy-MM-dd HH:mm")
    datetime.datetime(2024, 3, 5, 14, 7, tzinfo=datetime.timezone.utc)
    """
    regex = []
    seen: set[str] = set()
    for letter, token in _tokens(pattern):
        if not letter:
            regex.append(re.escape(token))
        elif letter in seen:
            raise PreviewError(f"date pattern {pattern!r} uses {letter!r} twice")
        else:
            seen.add(letter)
            part = _PARSE_PARTS[letter]
            if letter in "yMdHhmsS" and len(token) > 1 and not (letter == "M" and len(token) >= 3):
                part = part.replace("{1,2}", "{" + str(len(token)) + "}").replace(
                    "{1,4}", "{" + str(len(token)) + "}"
                )
            regex.append(part)
    found = re.fullmatch("".join(regex), text.strip())
    if found is None:
        raise ValueError(f"Unparseable date: {text!r} (pattern {pattern!r})")
    parts = found.groupdict()
    year = int(parts.get("y") or 1970)
    if parts.get("y") and len(parts["y"]) <= 2 and "yyyy" not in pattern:
        year += 2000 if year < 80 else 1900
    month_text = parts.get("M") or "1"
    month = int(month_text) if month_text.isdigit() else _month_number(month_text, text)
    hour = int(parts.get("H") or parts.get("h") or 0)
    if parts.get("a"):
        hour = hour % 12 + (12 if parts["a"].upper() == "PM" else 0)
    zone = _zone(parts.get("Z") or parts.get("X") or parts.get("z"))
    try:
        return dt.datetime(
            year,
            month,
            int(parts.get("d") or 1),
            hour,
            int(parts.get("m") or 0),
            int(parts.get("s") or 0),
            int((parts.get("S") or "0").ljust(3, "0")[:3]) * 1000,
            tzinfo=zone,
        )
    except ValueError as error:
        raise ValueError(f"Unparseable date: {text!r} ({error})") from error


def _month_number(name: str, text: str) -> int:
    for number, month in enumerate(_MONTHS, start=1):
        if name.lower().startswith(month.lower()):
            return number
    raise ValueError(f"Unparseable date: {text!r} (unknown month {name!r})")


def _zone(text: str | None) -> dt.tzinfo:
    if not text or text in ("Z", "UTC", "GMT"):
        return UTC
    found = re.fullmatch(r"([+-])([0-9]{2}):?([0-9]{2})?", text)
    if found is None:
        raise ValueError(f"unknown time zone {text!r}; only UTC and numeric offsets are supported")
    minutes = int(found.group(2)) * 60 + int(found.group(3) or 0)
    return dt.timezone(dt.timedelta(minutes=-minutes if found.group(1) == "-" else minutes))

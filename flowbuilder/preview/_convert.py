"""Field type conversion as the Field Type Converter does it (STRING, INTEGER, LONG, DECIMAL, DATE...)."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import (
    ROUND_CEILING,
    ROUND_DOWN,
    ROUND_FLOOR,
    ROUND_HALF_DOWN,
    ROUND_HALF_EVEN,
    ROUND_HALF_UP,
    ROUND_UP,
    Decimal,
    InvalidOperation,
)
from typing import Any

from . import _java
from ._fields import Field

__all__ = ["DATE_FORMATS", "Conversion", "convert"]

#: The converter's date formats, as Java ``SimpleDateFormat`` patterns.
DATE_FORMATS: Mapping[str, str] = {
    "YYYY_MM_DD": "yyyy-MM-dd",
    "DD_MM_YYYY": "dd-MM-yyyy",
    "YYYY_MM_DD_HH_MM_SS": "yyyy-MM-dd HH:mm:ss",
    "YYYY_MM_DD_HH_MM_SS_SSS": "yyyy-MM-dd HH:mm:ss.SSS",
    "YYYY_MM_DD_HH_MM_SS_SSS_Z": "yyyy-MM-dd HH:mm:ss.SSS Z",
    "YYYY_MM_DD_T_HH_MM_Z": "yyyy-MM-dd'T'HH:mm'Z'",
    "YYYY_MM_DD_T_HH_MM_SS_SSS_Z": "yyyy-MM-dd'T'HH:mm:ss.SSS'Z'",
}
_ROUNDING = {
    "ROUND_UP": ROUND_UP,
    "ROUND_DOWN": ROUND_DOWN,
    "ROUND_CEILING": ROUND_CEILING,
    "ROUND_FLOOR": ROUND_FLOOR,
    "ROUND_HALF_UP": ROUND_HALF_UP,
    "ROUND_HALF_DOWN": ROUND_HALF_DOWN,
    "ROUND_HALF_EVEN": ROUND_HALF_EVEN,
}
_RANGES = {"BYTE": 8, "SHORT": 16, "INTEGER": 32, "LONG": 64}
_NUMBERS = frozenset({"BYTE", "SHORT", "INTEGER", "LONG", "FLOAT", "DOUBLE", "DECIMAL"})
_DATES = frozenset({"DATE", "DATETIME", "TIME", "ZONED_DATETIME"})


@dataclass(frozen=True)
class Conversion:
    """One converter row: the target type and the options that shape the conversion."""

    target: str
    date_format: str = "YYYY_MM_DD"
    other_date_format: str | None = None
    scale: int = -1
    rounding: str = "ROUND_UNNECESSARY"
    encoding: str = "UTF-8"
    locale: str = "en,US"
    treat_as_date: bool = False

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> Conversion:
        """Read a ``fieldTypeConverterConfigs`` / ``wholeTypeConverterConfigs`` row."""
        scale = row.get("scale")
        return cls(
            target=str(row.get("targetType") or "INTEGER"),
            date_format=str(row.get("dateFormat") or "YYYY_MM_DD"),
            other_date_format=row.get("otherDateFormat"),
            scale=int(scale) if isinstance(scale, (int, float)) and not isinstance(scale, bool) else -1,
            rounding=str(row.get("decimalScaleRoundingStrategy") or "ROUND_UNNECESSARY"),
            encoding=str(row.get("encoding") or "UTF-8"),
            locale=str(row.get("dataLocale") or "en,US"),
            treat_as_date=bool(row.get("treatInputFieldAsDate")),
        )

    @property
    def pattern(self) -> str | None:
        """The Java date pattern of ``date_format`` (None for the UNIX timestamp formats)."""
        if self.date_format == "OTHER":
            return self.other_date_format or "yyyy-MM-dd"
        return DATE_FORMATS.get(self.date_format)


def convert(field: Field, conversion: Conversion) -> Field:
    """``field`` converted to ``conversion.target``; ValueError saying why when it cannot be.

    >>> convert(Field("STRING", "42"), Conversion("INTEGER"))
    Field('INTEGER', 42)
    >>> convert(Field("STRING", "2024-02-03"), Conversion("DATE")).value
    datetime.date(2024, 2, 3)
    """
    target = conversion.target
    if field.is_container:
        raise ValueError(f"a {field.type} field cannot be converted to {target}")
    if field.value is None:
        return Field(target, None, field.attributes)
    value = _convert_value(field, conversion)
    return Field(target, value, field.attributes)


def _convert_value(field: Field, conversion: Conversion) -> Any:
    target = conversion.target
    source = field.type
    value = field.value
    if target == "STRING":
        return _to_text(field, conversion)
    if target == "BOOLEAN":
        if isinstance(value, str):
            return value.strip().lower() == "true"
        if isinstance(value, (bool, int, float, Decimal)):
            return bool(value)
    elif target in _RANGES:
        return _to_integer(field, conversion)
    elif target in ("FLOAT", "DOUBLE"):
        if isinstance(value, str):
            return float(_java.parse_double(_plain_number(value, conversion)))
        if isinstance(value, (bool, int, float, Decimal)):
            return float(value)
        if isinstance(value, (dt.date, dt.datetime)):
            return float(_java.to_millis(value))
    elif target == "DECIMAL":
        return _to_decimal(field, conversion)
    elif target in _DATES:
        return _to_date(field, conversion)
    elif target == "BYTE_ARRAY" and isinstance(value, str):
        return value.encode(_python_encoding(conversion.encoding))
    elif target == "CHAR" and isinstance(value, str):
        if not value:
            raise ValueError("an empty string has no character")
        return value[0]
    raise ValueError(f"cannot convert {source} to {target}")


def _python_encoding(name: str) -> str:
    return name.replace("UTF-16BE", "utf-16-be").replace("UTF-16LE", "utf-16-le")


def _plain_number(text: str, conversion: Conversion) -> str:
    stripped = text.strip()
    if conversion.locale.startswith("en"):
        stripped = stripped.replace(",", "")
    if not stripped:
        raise ValueError("the value is empty")
    return stripped


def _to_text(field: Field, conversion: Conversion) -> str:
    value = field.value
    if isinstance(value, (dt.date, dt.datetime)):
        pattern = conversion.pattern
        if pattern is None:
            millis = _java.to_millis(value)
            return str(millis // 1000 if conversion.date_format == "UNIX_TIMESTAMP_IN_SECONDS" else millis)
        return _java.format_date(value, pattern)
    if isinstance(value, bytes):
        return value.decode(_python_encoding(conversion.encoding))
    if field.type == "FLOAT" and isinstance(value, float):
        return _java.float_to_string(value)
    return _java.to_string(value)


def _to_integer(field: Field, conversion: Conversion) -> int:
    value = field.value
    target = conversion.target
    number: int
    if isinstance(value, bool):
        number = int(value)
    elif isinstance(value, int):
        number = value
    elif isinstance(value, (float, Decimal)):
        if isinstance(value, float) and not math.isfinite(value):
            raise ValueError(f"{_java.double_to_string(value)} is not a number")
        number = int(value)
    elif isinstance(value, str):
        text = _plain_number(value, conversion)
        try:
            number = int(Decimal(text)) if any(c in text for c in ".eE") else _java.parse_long(text)
        except (InvalidOperation, ValueError):
            raise ValueError(f"'{value}' is not a number") from None
    elif isinstance(value, (dt.date, dt.datetime)) and target == "LONG":
        number = _java.to_millis(value)
    else:
        raise ValueError(f"cannot convert {field.type} to {target}")
    bits = _RANGES[target]
    if not -(2 ** (bits - 1)) <= number < 2 ** (bits - 1):
        raise ValueError(f"{number} is out of the {target} range")
    return number


def _to_decimal(field: Field, conversion: Conversion) -> Decimal:
    value = field.value
    try:
        if isinstance(value, bool):
            number = Decimal(int(value))
        elif isinstance(value, str):
            number = Decimal(_plain_number(value, conversion))
        elif isinstance(value, float):
            number = Decimal(repr(value))
        elif isinstance(value, (int, Decimal)):
            number = Decimal(value)
        else:
            raise ValueError(f"cannot convert {field.type} to DECIMAL")
    except InvalidOperation:
        raise ValueError(f"'{value}' is not a number") from None
    if not number.is_finite():
        raise ValueError(f"'{value}' is not a finite number")
    if conversion.scale >= 0:
        exponent = Decimal(1).scaleb(-conversion.scale)
        if conversion.rounding == "ROUND_UNNECESSARY":
            rounded = number.quantize(exponent)
            if rounded != number:
                raise ValueError(f"{number} needs rounding to scale {conversion.scale} (ROUND_UNNECESSARY)")
            return rounded
        return number.quantize(exponent, rounding=_ROUNDING.get(conversion.rounding, ROUND_HALF_UP))
    return number


def _to_date(field: Field, conversion: Conversion) -> Any:
    value = field.value
    target = conversion.target
    unix = conversion.date_format.startswith("UNIX_TIMESTAMP")
    moment: dt.datetime
    if isinstance(value, str):
        moment = _parse_moment(value, conversion)
    elif isinstance(value, dt.datetime):
        moment = value if value.tzinfo else value.replace(tzinfo=_java.UTC)
    elif isinstance(value, dt.date):
        moment = dt.datetime(value.year, value.month, value.day, tzinfo=_java.UTC)
    elif isinstance(value, int) and not isinstance(value, bool) and (field.type == "LONG" or unix):
        # A number is milliseconds since the epoch, or seconds with UNIX_TIMESTAMP_IN_SECONDS; JSON
        # gives INTEGER for a timestamp in seconds, which the engine converts too.
        millis = value * 1000 if conversion.date_format == "UNIX_TIMESTAMP_IN_SECONDS" else value
        moment = dt.datetime(1970, 1, 1, tzinfo=_java.UTC) + dt.timedelta(milliseconds=millis)
    else:
        raise ValueError(f"cannot convert {field.type} to {target}")
    if target == "DATE":
        return moment.astimezone(_java.UTC).date()
    if target == "TIME":
        return moment.astimezone(_java.UTC).time()
    if target == "ZONED_DATETIME":
        return moment
    return moment.astimezone(_java.UTC)


def _parse_moment(text: str, conversion: Conversion) -> dt.datetime:
    if conversion.target == "ZONED_DATETIME":
        iso = text.strip().split("[", 1)[0].replace("Z", "+00:00")
        try:
            return dt.datetime.fromisoformat(iso)
        except ValueError:
            raise ValueError(f"'{text}' is not an ISO date-time with an offset") from None
    if conversion.date_format.startswith("UNIX_TIMESTAMP"):
        number = _java.parse_long(text.strip())
        millis = number * 1000 if conversion.date_format == "UNIX_TIMESTAMP_IN_SECONDS" else number
        return dt.datetime(1970, 1, 1, tzinfo=_java.UTC) + dt.timedelta(milliseconds=millis)
    pattern = conversion.pattern or "yyyy-MM-dd"
    return _java.parse_date(text, pattern)

"""The casts of the mapping engine: a remote value → str, int, Decimal, date, aware UTC datetime
or bool.

Pure functions. Each raises ``ValueError`` with a reason that names the expected shape, never
the value found (values may be sensitive and reasons are stored in plaintext); the mapper turns
it into a ``MappingError`` naming the hub field. ``cast_function`` resolves a rule's cast (and
time zone) to one function once, so a compiled mapping does not dispatch on the cast's name per
value.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import UTC, date, datetime
from decimal import Decimal
from functools import partial
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from connectors.mapping_config import Cast

__all__ = ["cast_function", "cast_value", "describe_kind", "to_str"]

_DECIMAL = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")
_TRUE = frozenset({"true", "1", "y", "yes"})
_FALSE = frozenset({"false", "0", "n", "no"})


def _to_decimal(value: Any) -> Decimal:
    if isinstance(value, bool):
        raise ValueError("expected a decimal number, got a boolean")
    if isinstance(value, Decimal):
        result = value
    elif isinstance(value, int):
        result = Decimal(value)
    elif isinstance(value, float):
        result = Decimal(str(value))  # the shortest repr, never the binary expansion
    elif isinstance(value, str):
        text = value.strip()
        if not _DECIMAL.fullmatch(text):
            raise ValueError(
                "expected a decimal number (digits, an optional '.', no thousands separators)"
            )
        result = Decimal(text)
    else:
        raise ValueError(f"expected a decimal number, got {describe_kind(value)}")
    if not result.is_finite():
        raise ValueError("expected a finite decimal number")
    return result


def _to_int(value: Any) -> int:
    if isinstance(value, bool):
        raise ValueError("expected an integer, got a boolean")
    if isinstance(value, int):
        return value
    try:
        number = _to_decimal(value)
    except ValueError:
        raise ValueError("expected an integer") from None
    if number != number.to_integral_value():
        raise ValueError("expected an integer, got a number with a fraction")
    return int(number)


def _to_date(value: Any) -> date:
    if isinstance(value, datetime):
        raise ValueError("expected a date, got a date and time")
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            raise ValueError("expected an ISO 8601 date (YYYY-MM-DD)") from None
    raise ValueError(f"expected a date, got {describe_kind(value)}")


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone {name!r}") from None


def _to_datetime(value: Any, zone: str) -> datetime:
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value.strip())
        except ValueError:
            raise ValueError("expected an ISO 8601 date and time") from None
    else:
        raise ValueError(f"expected a date and time, got {describe_kind(value)}")
    if moment.tzinfo is None or moment.utcoffset() is None:
        moment = moment.replace(tzinfo=_zone(zone))
    return moment.astimezone(UTC)


def _to_bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, str):
        text = value.strip().casefold()
        if text in _TRUE:
            return True
        if text in _FALSE:
            return False
    raise ValueError("expected a boolean (true/false, 1/0, Y/N)")


def to_str(value: Any) -> str:
    """``value`` as text (dates in ISO 8601); ValueError for objects and lists."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool | int | float | Decimal | date):
        return value.isoformat() if isinstance(value, date) else str(value)
    raise ValueError(f"expected a text value, got {describe_kind(value)}")


def describe_kind(value: Any) -> str:
    """What ``value`` is, in words that never show the value itself."""
    if isinstance(value, Mapping):
        return "an object"
    if isinstance(value, list | tuple):
        return "a list"
    return f"a value of type {type(value).__name__}"


_CASTS: dict[str, Callable[[Any], Any]] = {
    "str": to_str,
    "int": _to_int,
    "decimal": _to_decimal,
    "date": _to_date,
}


def cast_function(cast: Cast, timezone: str = "UTC") -> Callable[[Any], Any]:
    """The one-argument function that applies ``cast`` (``timezone``: for naive date-times)."""
    if cast == "datetime":
        return partial(_to_datetime, zone=timezone)
    return _CASTS.get(cast, _to_bool)


def cast_value(value: Any, cast: Cast, *, timezone: str = "UTC") -> Any:
    """``value`` converted by ``cast``; raises ``ValueError`` naming the expected shape."""
    return cast_function(cast, timezone)(value)

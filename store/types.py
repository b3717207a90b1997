"""Column types that keep money exact and times in UTC on every database.

``Money`` is NUMERIC on PostgreSQL and a scaled integer on SQLite (which has no exact decimal
type), so sums and comparisons stay exact in SQL on both. ``UTCDateTime`` refuses naive
datetimes and always returns timezone-aware UTC values.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import BigInteger, DateTime, Dialect, Numeric
from sqlalchemy.types import TypeDecorator, TypeEngine

MONEY_SCALE = 4
_FACTOR = Decimal(10) ** MONEY_SCALE
_QUANT = Decimal(1).scaleb(-MONEY_SCALE)
_CENTS = Decimal("0.01")


def _tidy(value: Decimal) -> Decimal:
    """Two decimal places when the value has no more precision than cents, else four."""
    cents = value.quantize(_CENTS)
    return cents if cents == value else value.quantize(_QUANT)


class Money(TypeDecorator[Decimal]):
    """An exact amount with up to four decimal places, read back with at least two."""

    impl = Numeric(18, MONEY_SCALE)
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "sqlite":
            return dialect.type_descriptor(BigInteger())
        return dialect.type_descriptor(Numeric(18, MONEY_SCALE, asdecimal=True))

    def process_bind_param(self, value: Decimal | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        if not isinstance(value, Decimal):
            raise TypeError(f"Money takes Decimal, got {type(value).__name__}")
        value = value.quantize(_QUANT)
        if dialect.name == "sqlite":
            return int(value * _FACTOR)
        return value

    def process_result_value(self, value: Any, dialect: Dialect) -> Decimal | None:
        if value is None:
            return None
        if dialect.name == "sqlite":
            return _tidy(Decimal(int(value)) / _FACTOR)
        return _tidy(Decimal(value))


class UTCDateTime(TypeDecorator[datetime]):
    """A point in time, stored as UTC and returned timezone-aware."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime: ChannelHub stores timezone-aware UTC times only")
        value = value.astimezone(UTC)
        if dialect.name == "sqlite":
            return value.replace(tzinfo=None)
        return value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)

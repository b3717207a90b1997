"""Rounding money to a currency's minor unit: once, at the end, half-up unless configured.

Interface (others call these names)::

    round_money(value: Decimal, currency: str = "CNY", rounding: str = ROUND_HALF_UP) -> Decimal
    minor_unit(currency: str) -> int          # decimal places of the currency (JPY 0, CNY 2)
    money_quantum(currency: str) -> Decimal   # the smallest amount: Decimal("0.01") for CNY
    is_minor_multiple(value: Decimal, currency: str) -> bool

Exception tree::

    MoneyError(field, message)     a ValueError: an unknown currency, an unknown rounding
                                   mode or a value that is not a finite number

Worked examples (``ROUND_HALF_UP`` rounds a half away from zero)::

    round_money(Decimal("1234.565"))             == Decimal("1234.57")   # CNY, 2 places
    round_money(Decimal("1234.564"))             == Decimal("1234.56")
    round_money(Decimal("-0.005"))               == Decimal("-0.01")     # half away from 0
    round_money(Decimal("1234.5"), "JPY")        == Decimal("1235")      # JPY, 0 places
    round_money(Decimal("0.0005"), "KWD")        == Decimal("0.001")     # KWD, 3 places
    round_money(Decimal("2.675"), rounding=ROUND_HALF_EVEN) == Decimal("2.68")
    round_money(Decimal("2.665"), rounding=ROUND_HALF_EVEN) == Decimal("2.66")

Rounding is exact whatever the size of the value (the local precision grows with it).
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import (
    ROUND_05UP,
    ROUND_CEILING,
    ROUND_DOWN,
    ROUND_FLOOR,
    ROUND_HALF_DOWN,
    ROUND_HALF_EVEN,
    ROUND_HALF_UP,
    ROUND_UP,
    Decimal,
    localcontext,
)

__all__ = [
    "MINOR_UNITS",
    "ROUNDING_MODES",
    "MoneyError",
    "is_minor_multiple",
    "minor_unit",
    "money_quantum",
    "round_money",
]

MINOR_UNITS: Mapping[str, int] = {
    "CNY": 2,
    "USD": 2,
    "EUR": 2,
    "GBP": 2,
    "HKD": 2,
    "TWD": 2,
    "SGD": 2,
    "AUD": 2,
    "CAD": 2,
    "CHF": 2,
    "INR": 2,
    "THB": 2,
    "MYR": 2,
    "JPY": 0,
    "KRW": 0,
    "VND": 0,
    "BHD": 3,
    "KWD": 3,
    "OMR": 3,
}
"""Decimal places of each supported currency (ISO 4217 minor units)."""

ROUNDING_MODES = frozenset(
    {
        ROUND_HALF_UP,
        ROUND_HALF_EVEN,
        ROUND_HALF_DOWN,
        ROUND_UP,
        ROUND_DOWN,
        ROUND_CEILING,
        ROUND_FLOOR,
        ROUND_05UP,
    }
)
"""The rounding modes of :mod:`decimal`, by their string names (``"ROUND_HALF_UP"``, …)."""


class MoneyError(ValueError):
    """A currency, rounding mode or value that money arithmetic refuses; names the field."""

    def __init__(self, field: str, message: str) -> None:
        self.field = field
        self.message = message
        super().__init__(f"{field}: {message}")


def minor_unit(currency: str) -> int:
    """The number of decimal places of ``currency``: ``minor_unit("JPY") == 0``.

    Codes are matched case-insensitively; an unknown code raises ``MoneyError("currency", …)``.
    """
    places = MINOR_UNITS.get(currency.upper()) if isinstance(currency, str) else None
    if places is None:
        known = ", ".join(sorted(MINOR_UNITS))
        raise MoneyError("currency", f"unknown currency {currency!r}; known: {known}")
    return places


def money_quantum(currency: str) -> Decimal:
    """The smallest amount of ``currency``: ``Decimal("0.01")`` for CNY, ``Decimal(1)`` for JPY."""
    return Decimal(1).scaleb(-minor_unit(currency))


def _finite(value: Decimal, field: str) -> Decimal:
    if not isinstance(value, Decimal) or not value.is_finite():
        raise MoneyError(field, f"must be a finite Decimal, got {value!r}")
    return value


def round_money(value: Decimal, currency: str = "CNY", rounding: str = ROUND_HALF_UP) -> Decimal:
    """``value`` rounded to the minor unit of ``currency`` with ``rounding`` (half-up default).

    >>> round_money(Decimal("1234.565"))
    Decimal('1234.57')
    >>> round_money(Decimal("1234.5"), "JPY")
    Decimal('1235')
    """
    _finite(value, "value")
    if rounding not in ROUNDING_MODES:
        raise MoneyError("rounding", f"unknown rounding mode {rounding!r}")
    quantum = money_quantum(currency)
    with localcontext() as ctx:
        # Enough digits for the integer part plus the places, so quantize never overflows.
        ctx.prec = max(28, value.adjusted() + minor_unit(currency) + 2)
        return value.quantize(quantum, rounding=rounding)


def is_minor_multiple(value: Decimal, currency: str) -> bool:
    """Whether ``value`` is a whole number of minor units: ``Decimal("1.50")`` in CNY is."""
    _finite(value, "value")
    quantum = money_quantum(currency)
    with localcontext() as ctx:
        ctx.prec = max(28, value.adjusted() + minor_unit(currency) + 2)
        return value == value.quantize(quantum)

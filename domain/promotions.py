"""Promotion subsidies: a per-unit amount or a percentage of the amount, in a date window.

Interface (others call these names)::

    Subsidy(per_unit: Decimal | None, percent: Decimal | None, starts: date, ends: date)
    validate_subsidy(subsidy) -> None        # raises PromotionRuleError(field, message)
    active_on(subsidy, on: date) -> bool     # starts <= on <= ends (both days included)
    subsidy_for(subsidy, quantity, amount, on) -> Decimal   # UNROUNDED; 0 outside the window

Meaning: exactly one of ``per_unit`` (money per unit sold) and ``percent`` (a percentage of
the amount: ``Decimal("5")`` is 5 %, at most 100). The window runs from ``starts`` to
``ends``, **both days included**, as a promotion is announced ("1 to 31 May"). Which
products, regions or tiers a promotion covers is the caller's filter. A return (negative
quantity and amount) gives a negative subsidy: the subsidy is clawed back.

Worked examples, a promotion from 2026-05-01 to 2026-05-31:

- 4.50 per unit; 120 units sold on 2026-05-31 for 6 000.00: 120 × 4.50 = 540.00.
- 5 %; the same sale: 5 % × 6 000.00 = 300.00.
- the same sale on 2026-06-01 (or 2026-04-30): 0.
- 12.5 %; 3 units for 99.99 on 2026-05-01: 12.49875 (unrounded; CNY rounds it to 12.50).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

__all__ = ["PromotionRuleError", "Subsidy", "active_on", "subsidy_for", "validate_subsidy"]

_HUNDRED = Decimal(100)


class PromotionRuleError(ValueError):
    """A promotion subsidy the rules refuse; ``field`` names the culprit."""

    def __init__(self, field: str, message: str) -> None:
        self.field = field
        self.message = message
        super().__init__(f"{field}: {message}")


@dataclass(frozen=True)
class Subsidy:
    per_unit: Decimal | None
    percent: Decimal | None
    starts: date
    ends: date


def _non_negative(value: object, field: str) -> Decimal:
    if not isinstance(value, Decimal) or not value.is_finite():
        raise PromotionRuleError(field, f"must be a finite Decimal, got {value!r}")
    if value < 0:
        raise PromotionRuleError(field, "must not be negative")
    return value


def validate_subsidy(subsidy: Subsidy) -> None:
    """Refuse both or neither of per-unit and percent, a negative one, a percent over 100,
    a window with no start or end, or one that ends before it starts."""
    if subsidy.per_unit is not None and subsidy.percent is not None:
        raise PromotionRuleError("per_unit", "give a per-unit amount or a percent, not both")
    if subsidy.per_unit is not None:
        _non_negative(subsidy.per_unit, "per_unit")
    elif subsidy.percent is not None:
        if _non_negative(subsidy.percent, "percent") > _HUNDRED:
            raise PromotionRuleError("percent", "must be at most 100")
    else:
        raise PromotionRuleError("per_unit", "needs a per-unit amount or a percent")
    if not isinstance(subsidy.starts, date):
        raise PromotionRuleError("starts", "a promotion needs a start day")
    if not isinstance(subsidy.ends, date):
        raise PromotionRuleError("ends", "a promotion needs an end day")
    if subsidy.ends < subsidy.starts:
        raise PromotionRuleError("ends", f"must not be before the start ({subsidy.starts})")


def active_on(subsidy: Subsidy, on: date) -> bool:
    """Whether ``on`` falls in the window (``starts`` and ``ends`` both included)."""
    return subsidy.starts <= on <= subsidy.ends


def subsidy_for(subsidy: Subsidy, quantity: Decimal, amount: Decimal, on: date) -> Decimal:
    """The UNROUNDED subsidy of a sale of ``quantity`` for ``amount`` on day ``on``.

    >>> may = Subsidy(Decimal("4.50"), None, date(2026, 5, 1), date(2026, 5, 31))
    >>> subsidy_for(may, Decimal(120), Decimal("6000.00"), date(2026, 5, 31))
    Decimal('540.00')
    >>> subsidy_for(may, Decimal(120), Decimal("6000.00"), date(2026, 6, 1))
    Decimal('0')
    """
    validate_subsidy(subsidy)
    for value, field in ((quantity, "quantity"), (amount, "amount")):
        if not isinstance(value, Decimal) or not value.is_finite():
            raise PromotionRuleError(field, f"must be a finite Decimal, got {value!r}")
    if not active_on(subsidy, on):
        return Decimal(0)
    if subsidy.per_unit is not None:
        return subsidy.per_unit * quantity
    assert subsidy.percent is not None
    return subsidy.percent * amount / _HUNDRED

"""Rebate accrual periods and the year-to-date true-up.

Interface (others call these names)::

    class PeriodKind(StrEnum): MONTH, QUARTER, YEAR
    period_bounds(kind, year, index) -> tuple[date, date]     # half-open [start, end); index from 1
    periods_of_year(kind, year) -> tuple[tuple[date, date], ...]
    period_index(kind, day) -> int                            # the index of the period holding day
    period_closed(kind, year, index, today) -> bool           # today is on or after its end
    year_to_date(kind, year, index) -> tuple[date, date]      # [1 January, end of the period)
    check_period(starts, ends, *, ends_included=False) -> None  # refuses a period with no end
    accrual_for_period(entitlement_ytd, accrued_before, currency, rounding=ROUND_HALF_UP)
        -> Decimal                                            # round(ytd) - accrued before
    accruals_for_year(entitlements_ytd, currency) -> tuple[Decimal, ...]

Errors are ``domain.rebates.RebateRuleError(field, message)`` (``period.index``,
``period.ends``, ``accrued_before``, …) and ``domain.money.MoneyError`` for a currency.

The true-up: each period accrues the year-to-date entitlement, rounded once, minus what
the earlier periods of the year accrued. A retroactive tier reached late in the year
therefore catches up, returns true down (a negative accrual), and the accruals of the year
always add up to the year's rounded entitlement.

Worked example, quarterly, retroactive ``[0, 100 000) 1 %``, ``[100 000, ∞) 2 %`` (CNY):

=======  ============  =====================  ============  =========================
quarter  sales YTD     entitlement YTD        accrued before accrual
=======  ============  =====================  ============  =========================
Q1        40 000.00    1 % → 400.00               0.00        400.00
Q2        90 000.00    1 % → 900.00             400.00        500.00
Q3       130 000.00    2 % → 2 600.00           900.00      1 700.00 (the catch-up)
Q4       125 000.00    2 % → 2 500.00         2 600.00       -100.00 (returns: true-down)
=======  ============  =====================  ============  =========================

The year accrued 400 + 500 + 1 700 - 100 = 2 500.00 = the year's entitlement. Rounding
happens on the YTD figure only: YTD entitlements 333.333 then 666.666 accrue 333.33 then
666.67 - 333.33 = 333.34.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum

from domain.money import is_minor_multiple, money_quantum, round_money
from domain.rebates import RebateRuleError

__all__ = [
    "PeriodKind",
    "accrual_for_period",
    "accruals_for_year",
    "check_period",
    "period_bounds",
    "period_closed",
    "period_index",
    "periods_in_year",
    "periods_of_year",
    "year_to_date",
]


class PeriodKind(StrEnum):
    MONTH = "MONTH"
    QUARTER = "QUARTER"
    YEAR = "YEAR"


_MONTHS_PER_PERIOD = {PeriodKind.MONTH: 1, PeriodKind.QUARTER: 3, PeriodKind.YEAR: 12}


def periods_in_year(kind: PeriodKind) -> int:
    """How many periods of ``kind`` a year has: 12, 4 or 1."""
    return 12 // _MONTHS_PER_PERIOD[PeriodKind(kind)]


def _check_year(year: int) -> None:
    if isinstance(year, bool) or not isinstance(year, int) or not 1 <= year <= 9998:
        raise RebateRuleError("period.year", f"must be a year from 1 to 9998, got {year!r}")


def period_bounds(kind: PeriodKind, year: int, index: int) -> tuple[date, date]:
    """The half-open ``[start, end)`` of period ``index`` (from 1) of ``year``.

    >>> period_bounds(PeriodKind.QUARTER, 2026, 4)
    (datetime.date(2026, 10, 1), datetime.date(2027, 1, 1))
    >>> period_bounds(PeriodKind.MONTH, 2028, 2)
    (datetime.date(2028, 2, 1), datetime.date(2028, 3, 1))
    """
    _check_year(year)
    count = periods_in_year(kind)
    if isinstance(index, bool) or not isinstance(index, int) or not 1 <= index <= count:
        raise RebateRuleError("period.index", f"a {kind} index runs from 1 to {count}")
    months = _MONTHS_PER_PERIOD[PeriodKind(kind)]
    first_month = (index - 1) * months + 1
    start = date(year, first_month, 1)
    end_month = first_month + months
    end = date(year + 1, 1, 1) if end_month > 12 else date(year, end_month, 1)
    return start, end


def periods_of_year(kind: PeriodKind, year: int) -> tuple[tuple[date, date], ...]:
    """Every period of ``year`` in order; together they tile the year exactly."""
    return tuple(period_bounds(kind, year, i) for i in range(1, periods_in_year(kind) + 1))


def period_index(kind: PeriodKind, day: date) -> int:
    """The index (from 1) of the period of ``kind`` holding ``day``: 15 May is Q2, month 5."""
    return (day.month - 1) // _MONTHS_PER_PERIOD[PeriodKind(kind)] + 1


def period_closed(kind: PeriodKind, year: int, index: int, today: date) -> bool:
    """Whether the period is over on ``today`` (its end day is the first day after it)."""
    return today >= period_bounds(kind, year, index)[1]


def year_to_date(kind: PeriodKind, year: int, index: int) -> tuple[date, date]:
    """The half-open span from 1 January to the end of the period: the true-up's sales."""
    return date(year, 1, 1), period_bounds(kind, year, index)[1]


def check_period(starts: date | None, ends: date | None, *, ends_included: bool = False) -> None:
    """Refuse a period with no start, no end, or one that ends before it starts.

    By default ``ends`` is exclusive (the half-open ``[starts, ends)`` of ``period_bounds``),
    so it must be after ``starts``; with ``ends_included=True`` (a promotion's "1 to 31 May")
    a one-day period ``starts == ends`` is fine.
    """
    if not isinstance(starts, date):
        raise RebateRuleError("period.starts", "a period needs a start")
    if not isinstance(ends, date):
        raise RebateRuleError("period.ends", "a period needs an end")
    if ends < starts or (ends == starts and not ends_included):
        raise RebateRuleError("period.ends", f"must be after the start ({starts.isoformat()})")


def accrual_for_period(
    entitlement_ytd: Decimal,
    accrued_before: Decimal,
    currency: str,
    rounding: str = ROUND_HALF_UP,
) -> Decimal:
    """The period's accrual: ``round(entitlement_ytd) - accrued_before``; may be negative.

    ``accrued_before`` is the sum of the year's earlier (rounded) accruals, so it must be a
    whole number of minor units of ``currency``.

    >>> accrual_for_period(Decimal("2600.0000"), Decimal("900.00"), "CNY")
    Decimal('1700.00')
    >>> accrual_for_period(Decimal("666.666"), Decimal("333.33"), "CNY")
    Decimal('333.34')
    """
    if not isinstance(entitlement_ytd, Decimal) or not entitlement_ytd.is_finite():
        raise RebateRuleError("entitlement_ytd", "must be a finite Decimal")
    if not isinstance(accrued_before, Decimal) or not accrued_before.is_finite():
        raise RebateRuleError("accrued_before", "must be a finite Decimal")
    if not is_minor_multiple(accrued_before, currency):
        quantum = money_quantum(currency)
        raise RebateRuleError(
            "accrued_before", f"must be whole minor units of {currency.upper()} ({quantum})"
        )
    accrual = round_money(entitlement_ytd, currency, rounding) - accrued_before
    return accrual.quantize(money_quantum(currency))


def accruals_for_year(
    entitlements_ytd: Sequence[Decimal], currency: str, rounding: str = ROUND_HALF_UP
) -> tuple[Decimal, ...]:
    """The accrual of each period given each period's year-to-date entitlement, in order."""
    accruals: list[Decimal] = []
    accrued = Decimal(0)
    for ytd in entitlements_ytd:
        accrual = accrual_for_period(ytd, accrued, currency, rounding)
        accruals.append(accrual)
        accrued += accrual
    return tuple(accruals)

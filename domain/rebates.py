"""Rebate entitlement: tiered (retroactive or marginal), growth against a baseline, and a cap.

Interface (others call these names)::

    class RebateMethod(StrEnum): RETROACTIVE, MARGINAL
    class RebateBasis(StrEnum): QUANTITY, AMOUNT
    Tier(lower, upper: Decimal | None, rate=None, per_unit=None)   # [lower, upper); one of
                                                                   # rate / per_unit
    Growth(baseline, threshold, rate, on="total" | "increment")
    RebateTerms(method, basis, tiers, growth=None, cap=None)
    Sales(quantity, amount)
    validate_terms(terms) -> None                       # raises RebateRuleError(field, message)
    entitlement(terms, sales) -> Decimal                # UNROUNDED, cap applied, never negative
    breakdown(terms, sales) -> Entitlement              # the same, with its parts
    RebateRuleError(field: str, message: str)           # a ValueError naming e.g. "tiers[2].lower"

Meaning of the numbers:

- The *basis* picks the measure that places sales in a tier: the quantity or the amount. The
  caller filters the sales first (only the agreement's products or categories, its period).
- A tier is the half-open interval ``[lower, upper)`` of that measure; the last tier is
  open-ended (``upper=None``). Tiers are contiguous and ascending. Below the first tier's
  ``lower`` nothing is earned.
- ``rate`` is a fraction of the **amount** (``Decimal("0.02")`` is 2 %); ``per_unit`` is money
  per unit of **quantity**. All tiers use the same kind, and no tier pays less than the tier
  below it (so a dealer never earns less by selling more).
- *Retroactive*: all sales at the rate of the tier reached. *Marginal*: each band of the
  measure at its own tier's rate. When the basis and the kind differ (a quantity basis with
  rates, an amount basis with per-unit amounts), a band carries its pro-rata share of the
  other measure: a band holding 40 % of the quantity carries 40 % of the amount.
- *Growth*: growth is ``(measure - baseline) / baseline``; when it reaches ``threshold``
  (``Decimal("0.10")`` = 10 %, reaching exactly counts), ``rate`` is paid on the total amount
  (``on="total"``) or on the increment's amount (``on="increment"``). It adds to the tiers.
- *Cap*: the entitlement never exceeds ``cap`` (money; give it in whole minor units so the
  rounded figure cannot exceed it either). It is never negative: net-negative sales (more
  returned than sold) earn nothing.
- Nothing is rounded here: round once, at the end (``domain.money.round_money``), or let
  ``domain.accrual.accrual_for_period`` do it.

Worked examples (a brand manager can check them by hand). Amount basis, tiers
``[0, 100 000) 1 %``, ``[100 000, 500 000) 2 %``, ``[500 000, ∞) 3 %``:

=============  ============================  ==================================
sales amount   retroactive                   marginal
=============  ============================  ==================================
300 000.00     2 % × 300 000 = 6 000         1 000 + 2 % × 200 000 = 5 000
100 000.00     2 % × 100 000 = 2 000         1 % × 100 000 = 1 000
 99 999.99     1 % × 99 999.99 = 999.9999    999.9999
100 000.01     2 % × 100 000.01 = 2 000.0002 1 000 + 2 % × 0.01 = 1 000.0002
600 000.00     3 % → 18 000; cap 5 000 → 5 000   1 000 + 8 000 + 3 000 = 12 000
=============  ============================  ==================================

Quantity basis, per-unit tiers ``[0, 1 000) 0.50``, ``[1 000, ∞) 0.80``; 1 500 units:
retroactive 1 500 × 0.80 = 1 200; marginal 1 000 × 0.50 + 500 × 0.80 = 900.

Quantity basis with a rate, tiers ``[0, 1 000) 1 %``, ``[1 000, ∞) 2 %``; 1 500 units for
60 000.00: retroactive 2 % × 60 000 = 1 200; marginal: the first 1 000 units carry
2/3 of the amount (40 000) at 1 % = 400, the last 500 units 20 000 at 2 % = 400; total 800.

Growth, baseline 200 000.00, threshold 10 %, rate 1 % (no tiers): sales 230 000.00 grow
15 %: ``on="total"`` pays 2 300.00, ``on="increment"`` pays 1 % × 30 000 = 300.00. Sales
220 000.00 grow exactly 10 %: 2 200.00 or 200.00. Sales 219 999.99: 0.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal, localcontext
from enum import StrEnum
from typing import Literal

__all__ = [
    "Entitlement",
    "Growth",
    "RebateBasis",
    "RebateMethod",
    "RebateRuleError",
    "RebateTerms",
    "Sales",
    "Tier",
    "breakdown",
    "entitlement",
    "tier_reached",
    "validate_terms",
]

ZERO = Decimal(0)
ONE = Decimal(1)
_PRECISION = 120
"""Working precision: products of realistic figures are exact; a pro-rata share is the one
correctly rounded division (to 120 digits), far below any currency's minor unit."""


class RebateMethod(StrEnum):
    RETROACTIVE = "RETROACTIVE"
    MARGINAL = "MARGINAL"


class RebateBasis(StrEnum):
    QUANTITY = "QUANTITY"
    AMOUNT = "AMOUNT"


class RebateRuleError(ValueError):
    """Rebate terms (or a period) the rules refuse; ``field`` names the culprit."""

    def __init__(self, field: str, message: str) -> None:
        self.field = field
        self.message = message
        super().__init__(f"{field}: {message}")


@dataclass(frozen=True)
class Tier:
    """The half-open band ``[lower, upper)`` of the basis measure, paying a rate or per unit."""

    lower: Decimal
    upper: Decimal | None
    rate: Decimal | None = None
    per_unit: Decimal | None = None


@dataclass(frozen=True)
class Growth:
    """Pay ``rate`` on the total or the increment once growth over ``baseline`` ≥ ``threshold``."""

    baseline: Decimal
    threshold: Decimal
    rate: Decimal
    on: Literal["total", "increment"]


@dataclass(frozen=True)
class RebateTerms:
    method: RebateMethod
    basis: RebateBasis
    tiers: tuple[Tier, ...]
    growth: Growth | None = None
    cap: Decimal | None = None


@dataclass(frozen=True)
class Sales:
    """The period's (or year-to-date) sales the agreement covers, already filtered."""

    quantity: Decimal
    amount: Decimal


@dataclass(frozen=True)
class Entitlement:
    """An entitlement and its parts, all unrounded; ``total`` is what ``entitlement`` returns."""

    tiered: Decimal
    growth: Decimal
    uncapped: Decimal
    total: Decimal
    tier_index: int | None
    """The tier the measure reached (index into ``terms.tiers``), or None below the first."""


def _is_decimal(value: object) -> bool:
    return isinstance(value, Decimal) and value.is_finite()


def _check_decimal(value: object, field: str, *, minimum: Decimal | None = ZERO) -> Decimal:
    """``value`` if it is a finite Decimal (not negative unless ``minimum`` is None)."""
    if not _is_decimal(value):
        raise RebateRuleError(field, f"must be a finite Decimal, got {value!r}")
    assert isinstance(value, Decimal)
    if minimum is not None and value < minimum:
        raise RebateRuleError(field, "must not be negative")
    return value


def _check_fraction(value: object, field: str) -> Decimal:
    fraction = _check_decimal(value, field)
    if fraction > ONE:
        raise RebateRuleError(field, "is a fraction of the amount and must be at most 1 (100 %)")
    return fraction


def _tier_value(tier: Tier, index: int) -> tuple[str, Decimal]:
    """Validate one tier's payout and return its kind ("rate" or "per_unit") and value."""
    field = f"tiers[{index}]"
    if tier.rate is not None and tier.per_unit is not None:
        raise RebateRuleError(f"{field}.rate", "give a rate or a per-unit amount, not both")
    if tier.rate is not None:
        return "rate", _check_fraction(tier.rate, f"{field}.rate")
    if tier.per_unit is not None:
        return "per_unit", _check_decimal(tier.per_unit, f"{field}.per_unit")
    raise RebateRuleError(f"{field}.rate", "needs a rate or a per-unit amount")


def _validate_tiers(tiers: Sequence[Tier]) -> None:
    first_kind: str | None = None
    previous_value = ZERO
    for index, tier in enumerate(tiers):
        field = f"tiers[{index}]"
        lower = _check_decimal(tier.lower, f"{field}.lower")
        last = index == len(tiers) - 1
        if tier.upper is None:
            if not last:
                raise RebateRuleError(f"{field}.upper", "only the last tier may be open-ended")
        else:
            upper = _check_decimal(tier.upper, f"{field}.upper")
            if upper <= lower:
                raise RebateRuleError(f"{field}.upper", f"must be above lower ({lower})")
            if last:
                raise RebateRuleError(
                    f"{field}.upper", "the last tier must be open-ended (use cap to limit)"
                )
        if index > 0:
            below = tiers[index - 1].upper
            assert below is not None
            if lower < below:
                raise RebateRuleError(
                    f"{field}.lower", f"overlaps tier {index - 1}, which runs to {below}"
                )
            if lower > below:
                raise RebateRuleError(
                    f"{field}.lower", f"leaves a gap after tier {index - 1}, which ends at {below}"
                )
        kind, value = _tier_value(tier, index)
        if first_kind is None:
            first_kind = kind
        elif kind != first_kind:
            raise RebateRuleError(
                f"{field}.{kind}", f"all tiers must use the same kind ({first_kind})"
            )
        if value < previous_value:
            raise RebateRuleError(
                f"{field}.{kind}", f"must not be below the tier under it ({previous_value})"
            )
        previous_value = value


def _validate_growth(growth: Growth) -> None:
    baseline = _check_decimal(growth.baseline, "growth.baseline")
    if baseline == ZERO:
        raise RebateRuleError("growth.baseline", "must be above 0 (growth over nothing)")
    _check_decimal(growth.threshold, "growth.threshold")
    _check_fraction(growth.rate, "growth.rate")
    if growth.on not in ("total", "increment"):
        raise RebateRuleError("growth.on", f"must be 'total' or 'increment', got {growth.on!r}")


def validate_terms(terms: RebateTerms) -> None:
    """Raise ``RebateRuleError(field, message)`` for the first thing wrong with ``terms``.

    Refused: an unknown method or basis; no tiers and no growth; a tier whose lower is
    negative, whose upper is not above its lower, that overlaps or leaves a gap after the
    tier below (``tiers[i].lower``), an open-ended tier that is not the last, a bounded
    last tier; both or neither of rate and per-unit, a negative one, a rate above 1, tiers
    mixing rates and per-unit amounts or paying less than the tier below; a growth
    baseline ≤ 0, negative threshold or rate; a negative cap.
    """
    if not isinstance(terms.method, RebateMethod):
        raise RebateRuleError("method", f"must be one of {', '.join(RebateMethod)}")
    if not isinstance(terms.basis, RebateBasis):
        raise RebateRuleError("basis", f"must be one of {', '.join(RebateBasis)}")
    if not terms.tiers and terms.growth is None:
        raise RebateRuleError("tiers", "needs at least one tier (or a growth rebate)")
    _validate_tiers(terms.tiers)
    if terms.growth is not None:
        _validate_growth(terms.growth)
    if terms.cap is not None:
        _check_decimal(terms.cap, "cap")


def _measure(basis: RebateBasis, sales: Sales) -> Decimal:
    return sales.quantity if basis is RebateBasis.QUANTITY else sales.amount


def tier_reached(terms: RebateTerms, sales: Sales) -> int | None:
    """The index of the tier holding the basis measure, or None below the first tier."""
    measure = _measure(terms.basis, sales)
    for index, tier in enumerate(terms.tiers):
        if tier.lower <= measure and (tier.upper is None or measure < tier.upper):
            return index
    return None


def _pay_all(tier: Tier, sales: Sales) -> Decimal:
    """What ``tier`` pays on all the sales: its rate on the amount or per unit on the quantity."""
    if tier.rate is not None:
        return tier.rate * sales.amount
    assert tier.per_unit is not None
    return tier.per_unit * sales.quantity


def _tier_payout(tier: Tier) -> Decimal:
    value = tier.rate if tier.rate is not None else tier.per_unit
    assert value is not None
    return value


def _tiered(terms: RebateTerms, sales: Sales, reached: int | None) -> Decimal:
    if reached is None:
        return ZERO
    measure = _measure(terms.basis, sales)
    if terms.method is RebateMethod.RETROACTIVE or measure == ZERO:
        # At a zero measure only a tier from 0 is reached: it carries all the (other) measure.
        return _pay_all(terms.tiers[reached], sales)
    # Marginal: each band's share of the basis measure at its own rate (exact products) ...
    weighted = ZERO
    for tier in terms.tiers[: reached + 1]:
        top = measure if tier.upper is None else min(measure, tier.upper)
        weighted += _tier_payout(tier) * (top - tier.lower)
    pays_on_amount = terms.tiers[0].rate is not None
    if pays_on_amount == (terms.basis is RebateBasis.AMOUNT):
        return weighted
    # ... and when the tiers pay on the other measure, one pro-rata division at the end, so
    # the bands together never carry more than all of it.
    other = sales.amount if pays_on_amount else sales.quantity
    return weighted * other / measure


def _growth(terms: RebateTerms, sales: Sales) -> Decimal:
    growth = terms.growth
    if growth is None:
        return ZERO
    measure = _measure(terms.basis, sales)
    increment = measure - growth.baseline
    if increment < growth.threshold * growth.baseline:
        return ZERO
    if growth.on == "total":
        return growth.rate * sales.amount
    if terms.basis is RebateBasis.AMOUNT:
        return growth.rate * increment
    return growth.rate * (sales.amount * increment / measure)


def breakdown(terms: RebateTerms, sales: Sales) -> Entitlement:
    """The entitlement of ``sales`` under ``terms`` with its parts (see the module examples)."""
    validate_terms(terms)
    _check_decimal(sales.quantity, "sales.quantity", minimum=None)
    _check_decimal(sales.amount, "sales.amount", minimum=None)
    with localcontext() as ctx:
        ctx.prec = _PRECISION
        reached = tier_reached(terms, sales)
        tiered = _tiered(terms, sales, reached)
        growth = _growth(terms, sales)
        uncapped = max(tiered + growth, ZERO)
        total = uncapped if terms.cap is None else min(uncapped, terms.cap)
    return Entitlement(tiered, growth, uncapped, total, reached)


def entitlement(terms: RebateTerms, sales: Sales) -> Decimal:
    """The UNROUNDED rebate ``sales`` earn under ``terms``: tiers + growth, capped, ≥ 0.

    >>> tiers = (Tier(Decimal(0), Decimal(100000), rate=Decimal("0.01")),
    ...          Tier(Decimal(100000), None, rate=Decimal("0.02")))
    >>> terms = RebateTerms(RebateMethod.RETROACTIVE, RebateBasis.AMOUNT, tiers)
    >>> entitlement(terms, Sales(Decimal(10), Decimal("100000.01")))
    Decimal('2000.0002')
    """
    return breakdown(terms, sales).total

"""Allocation of scarce stock across partners' requests: four rules, caps, whole units.

Interface (others call these names)::

    class AllocationRule(StrEnum): PROPORTIONAL, TIER_WEIGHTED, STRICT_PRIORITY, SELL_THROUGH
    AllocationRequest(key: str, requested: int, tier_weight=Decimal(1), priority=0,
                      sell_through=Decimal(0), weight_multiplier=Decimal(1))
    allocate(stock: int, requests: Sequence[AllocationRequest], rule) -> AllocationResult
    AllocationResult(rule, stock, lines: tuple[AllocationLine, ...], allocated, unallocated)
    AllocationLine(key, requested, allocated, weight: Decimal, exact_share: Fraction,
                   capped: bool, rounded_up: bool, explanation: str)
    AllocationError(field: str, message: str)   # a ValueError naming e.g. "requests[2].requested"

The rules (each line's *weight* decides its share of the stock):

- ``PROPORTIONAL`` (fair share): weight = the quantity requested.
- ``TIER_WEIGHTED``: weight = ``tier_weight`` × requested (a gold partner at 1.5 gets 1.5 times
  the fair share of a partner at 1.0 asking for as much).
- ``STRICT_PRIORITY``: lower ``priority`` numbers are served first and in full; stock left for
  a priority level that cannot be served in full is shared fairly (by request) within it.
- ``SELL_THROUGH``: weight = ``sell_through`` (units sold per period, or a rate — any
  non-negative measure of how fast the partner sells). New products go first to the partners
  that sell fastest. Partners with zero sell-through get stock only when the faster ones are
  full; among themselves they share by request.

``weight_multiplier`` (default 1) multiplies every rule's weight, and for ``STRICT_PRIORITY``
the fair share within a level. It is the hook for points-based priority supply rights: a
partner who redeemed one is given, e.g., ``Decimal("1.5")`` for the next run.

Every line is capped at its request; what a capped line cannot take is redistributed over the
others by the same weights (water-filling, computed exactly with fractions). Then the exact
shares are rounded to whole units by **largest remainder**: each line gets the floor of its
share, and the units left go one each to the lines with the largest fractional remainders;
ties are broken by the larger weight, then by the order of the requests (earlier first) — so
the same input always gives the same allocation. A line never gets more than it asked for.

Bad input: more stock than requested is not an error — every line gets its request and the
rest stays unallocated (``unallocated``). A negative request, negative stock, negative
weights or multipliers, or a duplicated key raise :class:`AllocationError` naming the field.

Worked examples. Stock 10, requests A 6, B 4, C 2 (12 requested), proportional: exact
shares 5, 3⅓, 1⅔; floors 5, 3, 1 (9); the last unit goes to C (remainder ⅔ beats B's ⅓):
A 5, B 3, C 2.

Caps binding, tier-weighted: stock 10, A asks 2 at tier 4.0, B asks 10 at tier 1.0: weights
8 and 10; A's share 10 × 8/18 = 4.44 exceeds its request, so A is capped at 2 and B gets
the other 8.

Ties: stock 1, A and B each ask 1, proportional: shares ½ and ½, equal weights, so A (first)
gets the unit. Stock 100 with requests 30 and 20: both get their request, 50 unallocated.

Strict priority: stock 10, A asks 6 at priority 1, B 6 and C 2 at priority 2: A gets 6;
the 4 left are shared by B and C by request (3 and 1).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from fractions import Fraction
from math import floor

__all__ = [
    "AllocationError",
    "AllocationLine",
    "AllocationRequest",
    "AllocationResult",
    "AllocationRule",
    "allocate",
]


class AllocationRule(StrEnum):
    PROPORTIONAL = "proportional"
    TIER_WEIGHTED = "tier_weighted"
    STRICT_PRIORITY = "strict_priority"
    SELL_THROUGH = "sell_through"


class AllocationError(ValueError):
    """Refused allocation input; ``field`` names the offending input, e.g. ``requests[2]``."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


@dataclass(frozen=True)
class AllocationRequest:
    key: str
    requested: int
    tier_weight: Decimal = Decimal(1)
    priority: int = 0
    sell_through: Decimal = Decimal(0)
    weight_multiplier: Decimal = Decimal(1)


@dataclass(frozen=True)
class AllocationLine:
    key: str
    requested: int
    allocated: int
    weight: Decimal
    exact_share: Fraction
    capped: bool
    rounded_up: bool
    explanation: str


@dataclass(frozen=True)
class AllocationResult:
    rule: AllocationRule
    stock: int
    lines: tuple[AllocationLine, ...]
    allocated: int
    unallocated: int
    by_key: dict[str, AllocationLine] = field(default_factory=dict, compare=False, repr=False)


def _validate(stock: int, requests: Sequence[AllocationRequest]) -> None:
    if stock < 0:
        raise AllocationError("stock", f"must not be negative (got {stock})")
    seen: set[str] = set()
    for i, r in enumerate(requests):
        name = f"requests[{i}]"
        if r.key in seen:
            raise AllocationError(f"{name}.key", f"duplicated key {r.key!r}")
        seen.add(r.key)
        if r.requested < 0:
            raise AllocationError(f"{name}.requested", f"must not be negative (got {r.requested})")
        for attr in ("tier_weight", "sell_through", "weight_multiplier"):
            value: Decimal = getattr(r, attr)
            if not value.is_finite() or value < 0:
                raise AllocationError(f"{name}.{attr}", f"must be a non-negative number ({value})")


def _weight(rule: AllocationRule, r: AllocationRequest) -> Decimal:
    if rule is AllocationRule.TIER_WEIGHTED:
        base = r.tier_weight * r.requested
    elif rule is AllocationRule.SELL_THROUGH:
        base = r.sell_through
    else:
        base = Decimal(r.requested)
    return base * r.weight_multiplier


def _water_fill(stock: Fraction, caps: list[int], weights: list[Fraction]) -> list[Fraction]:
    """Exact shares of ``stock`` by ``weights``, each capped; zero weights fill last, by cap."""
    shares = [Fraction(0)] * len(caps)
    active = [i for i, c in enumerate(caps) if c > 0]
    left = stock
    while active and left > 0:
        total = sum((weights[i] for i in active), Fraction(0))
        use = weights if total > 0 else [Fraction(c) for c in caps]
        positive = [i for i in active if use[i] > 0]
        total = sum((use[i] for i in positive), Fraction(0))
        full = [i for i in positive if left * use[i] / total >= caps[i]]
        if not full:
            for i in positive:
                shares[i] = left * use[i] / total
            # zero-weight lines wait until every positive-weight line is full
            return shares
        for i in full:
            shares[i] = Fraction(caps[i])
            left -= caps[i]
        active = [i for i in active if i not in full]
    return shares


def _shares(
    rule: AllocationRule, stock: int, requests: Sequence[AllocationRequest], weights: list[Decimal]
) -> list[Fraction]:
    caps = [r.requested for r in requests]
    if rule is not AllocationRule.STRICT_PRIORITY:
        return _water_fill(Fraction(stock), caps, [Fraction(w) for w in weights])
    shares = [Fraction(0)] * len(requests)
    left = Fraction(stock)
    for level in sorted({r.priority for r in requests}):
        idx = [i for i, r in enumerate(requests) if r.priority == level]
        sub = _water_fill(left, [caps[i] for i in idx], [Fraction(weights[i]) for i in idx])
        for i, s in zip(idx, sub, strict=True):
            shares[i] = s
        left -= sum(sub, Fraction(0))
    return shares


def _round(
    shares: list[Fraction], weights: list[Decimal], units: int
) -> tuple[list[int], set[int]]:
    floors = [floor(s) for s in shares]
    extra = units - sum(floors)
    order = sorted(range(len(shares)), key=lambda i: (-(shares[i] - floors[i]), -weights[i], i))
    up = {i for i in order[:extra] if shares[i] != floors[i]}
    return [f + (1 if i in up else 0) for i, f in enumerate(floors)], up


def allocate(
    stock: int, requests: Sequence[AllocationRequest], rule: AllocationRule
) -> AllocationResult:
    """Allocate ``stock`` whole units across ``requests`` by ``rule`` (see the module doc)."""
    _validate(stock, requests)
    weights = [_weight(rule, r) for r in requests]
    units = min(stock, sum(r.requested for r in requests))
    shares = _shares(rule, units, requests, weights)
    allocated, up = _round(shares, weights, units)
    lines = []
    for i, r in enumerate(requests):
        capped = shares[i] == r.requested and r.requested > 0
        lines.append(
            AllocationLine(
                key=r.key,
                requested=r.requested,
                allocated=allocated[i],
                weight=weights[i],
                exact_share=shares[i],
                capped=capped,
                rounded_up=i in up,
                explanation=_explain(rule, r, weights[i], shares[i], allocated[i], capped, i in up),
            )
        )
    result_lines = tuple(lines)
    return AllocationResult(
        rule=rule,
        stock=stock,
        lines=result_lines,
        allocated=sum(allocated),
        unallocated=stock - sum(allocated),
        by_key={line.key: line for line in result_lines},
    )


def _explain(
    rule: AllocationRule,
    r: AllocationRequest,
    weight: Decimal,
    share: Fraction,
    allocated: int,
    capped: bool,
    rounded_up: bool,
) -> str:
    if rule is AllocationRule.STRICT_PRIORITY:
        basis = f"priority {r.priority}, fair share within the level by request {r.requested}"
    elif rule is AllocationRule.TIER_WEIGHTED:
        basis = f"weight {weight} = tier weight {r.tier_weight} × request {r.requested}"
    elif rule is AllocationRule.SELL_THROUGH:
        basis = f"weight {weight} = sell-through {r.sell_through}"
    else:
        basis = f"weight {weight} = request {r.requested}"
    if r.weight_multiplier != 1:
        basis += f" × multiplier {r.weight_multiplier}"
    if r.requested == 0:
        return f"{rule.value}: nothing requested"
    if capped:
        how = f"capped at its request {r.requested}"
    else:
        rounding = "rounded up by largest remainder" if rounded_up else "rounded down"
        how = f"exact share {float(share):.4f}, {rounding}"
    return f"{rule.value}: {basis}; {how}; allocated {allocated} of {r.requested}"

"""Stock rules: reorder suggestions, low stock, slow-moving stock and ageing buckets.

Interface (others call these names)::

    projected_stock(on_hand, reserved, in_transit) -> int      # on_hand - reserved + in_transit
    reorder_suggestion(on_hand, reserved, in_transit, minimum, maximum, multiple) -> int
    is_below_minimum(stock, minimum) -> bool                   # raise a low-stock alert
    AgeingBucket = Literal["0-30", "31-60", "61-90", "90+"]
    AGEING_BUCKETS: tuple[tuple[AgeingBucket, int, int | None], ...]  # (label, first, last day)
    ageing_bucket(days) -> AgeingBucket
    is_slow_moving(days_since_last_sale: int | None, threshold_days=90) -> bool
    slow_moving_share(slow_value, total_value) -> Decimal      # a fraction, unrounded
    StockRuleError(field: str, message: str)                   # a ValueError

Reorder worked examples (min 20, max 100, multiple 12):

- on hand 30, reserved 15, in transit 0: projected 15 < 20, so order 100 - 15 = 85 rounded
  up to a multiple of 12: 96 (projected 111 afterwards).
- on hand 30, reserved 10, in transit 0: projected 20 is not under 20: suggest 0.
- on hand 10, reserved 0, in transit 9: projected 19: 81 → 84.
- on hand 5, reserved 8, in transit 0: projected -3: 103 → 108.

Ageing: 0-30 days (0 to 30 inclusive), 31-60, 61-90, then 90+ (91 days and more).
Slow-moving: no sale for ``threshold_days`` days or more (90 by default), or never sold.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Literal

__all__ = [
    "AGEING_BUCKETS",
    "AgeingBucket",
    "StockRuleError",
    "ageing_bucket",
    "is_below_minimum",
    "is_slow_moving",
    "projected_stock",
    "reorder_suggestion",
    "slow_moving_share",
]

AgeingBucket = Literal["0-30", "31-60", "61-90", "90+"]

AGEING_BUCKETS: tuple[tuple[AgeingBucket, int, int | None], ...] = (
    ("0-30", 0, 30),
    ("31-60", 31, 60),
    ("61-90", 61, 90),
    ("90+", 91, None),
)
"""The buckets in order with their first and last day (inclusive; None: no end), for SQL."""

DEFAULT_SLOW_MOVING_DAYS = 90


class StockRuleError(ValueError):
    """A stock figure or rule the rules refuse; ``field`` names the culprit."""

    def __init__(self, field: str, message: str) -> None:
        self.field = field
        self.message = message
        super().__init__(f"{field}: {message}")


def _count(value: object, field: str, *, minimum: int | None = 0) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise StockRuleError(field, f"must be a whole number, got {value!r}")
    if minimum is not None and value < minimum:
        raise StockRuleError(field, f"must be at least {minimum}")
    return value


def projected_stock(on_hand: int, reserved: int, in_transit: int) -> int:
    """What will be free once what is on the way arrives: ``on_hand - reserved + in_transit``."""
    return (
        _count(on_hand, "on_hand") - _count(reserved, "reserved") + _count(in_transit, "in_transit")
    )


def reorder_suggestion(
    on_hand: int, reserved: int, in_transit: int, minimum: int, maximum: int, multiple: int
) -> int:
    """How much to reorder: 0 unless projected stock is under ``minimum``; then
    ``maximum - projected`` rounded UP to ``multiple``.

    >>> reorder_suggestion(30, 15, 0, minimum=20, maximum=100, multiple=12)
    96
    >>> reorder_suggestion(30, 10, 0, minimum=20, maximum=100, multiple=12)
    0
    """
    projected = projected_stock(on_hand, reserved, in_transit)
    _count(minimum, "minimum")
    if _count(maximum, "maximum") < minimum:
        raise StockRuleError("maximum", f"must be at least the minimum ({minimum})")
    _count(multiple, "multiple", minimum=1)
    if projected >= minimum:
        return 0
    need = maximum - projected
    return -(-need // multiple) * multiple


def is_below_minimum(stock: int, minimum: int) -> bool:
    """Whether ``stock`` is under ``minimum`` (a low-stock alert); at the minimum is fine."""
    return _count(stock, "stock", minimum=None) < _count(minimum, "minimum")


def ageing_bucket(days: int) -> AgeingBucket:
    """The ageing bucket of stock ``days`` old: 30 → "0-30", 31 → "31-60", 91 → "90+"."""
    _count(days, "days")
    for label, _first, last in AGEING_BUCKETS:
        if last is None or days <= last:
            return label
    raise AssertionError("the last bucket is open-ended")  # pragma: no cover


def is_slow_moving(
    days_since_last_sale: int | None, threshold_days: int = DEFAULT_SLOW_MOVING_DAYS
) -> bool:
    """Whether stock with no sale for ``days_since_last_sale`` days (None: never) is slow."""
    _count(threshold_days, "threshold_days", minimum=1)
    if days_since_last_sale is None:
        return True
    return _count(days_since_last_sale, "days_since_last_sale") >= threshold_days


def slow_moving_share(slow_value: Decimal, total_value: Decimal) -> Decimal:
    """The slow-moving share of stock value, a fraction from 0 to 1 (0 when there is none)."""
    for value, field in ((slow_value, "slow_value"), (total_value, "total_value")):
        if not isinstance(value, Decimal) or not value.is_finite() or value < 0:
            raise StockRuleError(field, "must be a finite, non-negative Decimal")
    if slow_value > total_value:
        raise StockRuleError("slow_value", "must not exceed the total value")
    if total_value == 0:
        return Decimal(0)
    return slow_value / total_value

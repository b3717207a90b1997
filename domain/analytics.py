"""Sales analytics rules on aggregated values: year-over-year growth, Pareto shares and the
sell-through estimate. Pure functions; the sums come from SQL (``store.repositories.analytics``).

Ratios are Decimal rounded half-even to 4 places (0.1234 = 12.34 %).

Worked examples::

    >>> yoy_growth(Decimal("150"), Decimal("100"))
    Decimal('0.5000')
    >>> yoy_growth(Decimal("150"), None) is None   # no sales in the same month last year
    True
    >>> [(r.key, r.share, r.cumulative_share) for r in pareto([("B", Decimal("30")),
    ...     ("A", Decimal("30")), ("C", Decimal("40"))])]
    [('C', Decimal('0.4000'), Decimal('0.4000')), ('A', Decimal('0.3000'), Decimal('0.7000')), \
('B', Decimal('0.3000'), Decimal('1.0000'))]
    >>> sell_through(100, 25)
    Decimal('0.7500')

Sell-through: the hub records sell-in (order lines) but no sell-out rows, only the stock each
partner holds now. ``sell_through(sell_in, on_hand)`` estimates the share of the period's
sell-in that has left the partner's shelves, ``(sell_in - on_hand) / sell_in`` floored at 0,
assuming what the partner holds today came from that sell-in (exact when the partner started
the period with no stock and the period ends now; an underestimate otherwise). No sell-in: None.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal

RATIO_PLACES = Decimal("0.0001")


def ratio(numerator: Decimal, denominator: Decimal) -> Decimal:
    """numerator / denominator rounded to 4 places (denominator must not be 0)."""
    return (numerator / denominator).quantize(RATIO_PLACES, rounding=ROUND_HALF_EVEN)


def yoy_growth(current: Decimal, base: Decimal | None) -> Decimal | None:
    """(current - base) / base; None when there is no base (missing or zero)."""
    if base is None or base == 0:
        return None
    return ratio(current - base, base)


@dataclass(frozen=True)
class ParetoRow:
    key: str
    amount: Decimal
    share: Decimal
    cumulative_share: Decimal


def pareto(amounts: Iterable[tuple[str, Decimal]]) -> list[ParetoRow]:
    """Rows by amount descending (ties by key), with share and cumulative share of the total.

    The cumulative share is computed from the running sum (not by adding rounded shares), so
    the last row is exactly 1 whenever the total is positive; a zero total gives shares of 0.
    """
    ordered = sorted(amounts, key=lambda item: (-item[1], item[0]))
    total = sum((amount for _key, amount in ordered), Decimal(0))
    rows: list[ParetoRow] = []
    running = Decimal(0)
    for key, amount in ordered:
        running += amount
        if total == 0:
            rows.append(ParetoRow(key, amount, Decimal(0), Decimal(0)))
        else:
            rows.append(ParetoRow(key, amount, ratio(amount, total), ratio(running, total)))
    return rows


def sell_through(sell_in: int, on_hand: int) -> Decimal | None:
    """Estimated sold share of the sell-in: max(0, sell_in - on_hand) / sell_in (None: none in)."""
    if sell_in <= 0:
        return None
    return ratio(Decimal(max(0, sell_in - on_hand)), Decimal(sell_in))

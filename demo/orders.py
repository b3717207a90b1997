"""Order, order-line and status-history rows drawn from order plans, one batch at a time.

Lines pick distinct products on sale that day (popular ones more often), in quantities that
fit the buyer (distributors buy by the case). Unit prices are the list price, sometimes
discounted 3-15 %; every amount is computed in whole cents, so ``line_total = quantity *
unit_price`` and ``total = Σ line_total`` hold exactly.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from datetime import date
from itertools import accumulate
from typing import NamedTuple

from demo.catalog import CatalogItem
from demo.order_plan import OrderPlan
from demo.partners import QUANTITY
from demo.values import Row, money, uniform_int
from domain.enums import OrderStatus, PartnerType

CHANGED_BY = "demo-seed"
DISCOUNT_ODDS = 0.15
ORDER_NOTES = (
    "Please deliver before the weekend",
    "Restock for the Spring Festival promotion",
    "Split delivery accepted",
    "Call the store manager on arrival",
)
CANCEL_REASONS = ("Cancelled by the partner", "Credit limit exceeded", "Duplicate order")


class OrderBatch(NamedTuple):
    orders: list[Row]
    lines: list[Row]
    changes: list[Row]


def _on_sale(item: CatalogItem, day: date) -> bool:
    return item.sellable_from <= day and (item.sellable_until is None or day <= item.sellable_until)


class OrderRows:
    """Turns plans into rows in plan order, numbering lines and status changes from 1."""

    def __init__(self, rng: random.Random, items: Sequence[CatalogItem]) -> None:
        self._rng = rng
        self._items = [item for item in items if item.popularity > 0]
        self._cum = list(accumulate(item.popularity for item in self._items))
        self._next_line_id = 1
        self._next_change_id = 1

    def _products(self, count: int, day: date) -> list[CatalogItem]:
        chosen: dict[int, CatalogItem] = {}
        for _ in range(20):
            for item in self._rng.choices(self._items, cum_weights=self._cum, k=count * 2):
                if item.id not in chosen and _on_sale(item, day):
                    chosen[item.id] = item
                    if len(chosen) == count:
                        return list(chosen.values())
        for item in self._items:  # a tiny catalogue: take whatever is on sale
            if len(chosen) == count:
                break
            if item.id not in chosen and _on_sale(item, day):
                chosen[item.id] = item
        return list(chosen.values())

    def _quantity(self, kind: PartnerType) -> int:
        low, high = QUANTITY[kind]
        quantity = int(self._rng.triangular(low, high, low + (high - low) * 0.15))
        if kind is PartnerType.DISTRIBUTOR:
            return max(6, quantity - quantity % 6)
        return max(1, quantity)

    def _unit_cents(self, item: CatalogItem) -> int:
        if self._rng.random() >= DISCOUNT_ODDS:
            return item.list_price_cents
        percent_paid = 100 - uniform_int(self._rng, 3, 15)
        return (item.list_price_cents * percent_paid + 50) // 100

    def batch(self, plans: Sequence[OrderPlan]) -> OrderBatch:
        out = OrderBatch([], [], [])
        for plan in plans:
            total_cents = 0
            day = plan.created_at.date()
            for line_no, item in enumerate(self._products(plan.line_count, day), start=1):
                quantity = self._quantity(plan.partner.type)
                unit_cents = self._unit_cents(item)
                total_cents += quantity * unit_cents
                out.lines.append(
                    {
                        "id": self._next_line_id,
                        "order_id": plan.id,
                        "line_no": line_no,
                        "product_id": item.id,
                        "quantity": quantity,
                        "unit_price": money(unit_cents),
                        "line_total": money(quantity * unit_cents),
                    }
                )
                self._next_line_id += 1
            self._add_changes(out.changes, plan)
            status, last_change = plan.path[-1]
            out.orders.append(
                {
                    "id": plan.id,
                    "number": f"SO-{plan.created_at.year}-{plan.id:06d}",
                    "partner_id": plan.partner.id,
                    "status": status,
                    "currency": "CNY",
                    "total": money(total_cents),
                    "note": self._rng.choice(ORDER_NOTES) if self._rng.random() < 0.04 else None,
                    "created_at": plan.created_at,
                    "updated_at": last_change,
                }
            )
        return out

    def _add_changes(self, changes: list[Row], plan: OrderPlan) -> None:
        previous: OrderStatus | None = None
        for status, changed_at in plan.path:
            note = None
            if status is OrderStatus.CANCELLED:
                note = self._rng.choice(CANCEL_REASONS)
            changes.append(
                {
                    "id": self._next_change_id,
                    "order_id": plan.id,
                    "from_status": previous,
                    "to_status": status,
                    "changed_by": CHANGED_BY,
                    "changed_at": changed_at,
                    "note": note,
                }
            )
            self._next_change_id += 1
            previous = status

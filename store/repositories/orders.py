"""Orders, their lines and status history; pages of orders per partner in one statement."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import aliased

from domain.enums import OrderStatus
from store.models import Order, OrderLine, OrderStatusChange
from store.pagination import (
    DATETIME,
    DECIMAL,
    Page,
    SortKey,
    Window,
    make_page,
    window_order,
    window_predicates,
)
from store.repositories.base import ScopedRepository


@dataclass(frozen=True)
class OrderFilter:
    partner_ids: tuple[int, ...] = ()
    statuses: tuple[OrderStatus, ...] = ()
    created_from: datetime | None = None
    created_to: datetime | None = None


class OrderRepository(ScopedRepository[Order, OrderFilter]):
    model = Order
    orderings = {
        "CREATED_AT_DESC": SortKey("CREATED_AT_DESC", Order.created_at, True, DATETIME),
        "CREATED_AT_ASC": SortKey("CREATED_AT_ASC", Order.created_at, False, DATETIME),
        "NUMBER_ASC": SortKey("NUMBER_ASC", Order.number),
        "TOTAL_DESC": SortKey("TOTAL_DESC", Order.total, True, DECIMAL),
    }

    def visible(self) -> ColumnElement[bool]:
        return self.scope.via_partner(Order.partner_id)

    def matching(self, filter_: OrderFilter) -> list[ColumnElement[bool]]:
        clauses: list[ColumnElement[bool]] = []
        if filter_.partner_ids:
            clauses.append(Order.partner_id.in_(filter_.partner_ids))
        if filter_.statuses:
            clauses.append(Order.status.in_(filter_.statuses))
        if filter_.created_from is not None:
            clauses.append(Order.created_at >= filter_.created_from)
        if filter_.created_to is not None:
            clauses.append(Order.created_at < filter_.created_to)
        return clauses

    async def pages_by_partner(
        self, partner_ids: list[int], filter_: OrderFilter | None, ordering: str, window: Window
    ) -> dict[int, Page[Order]]:
        """One page of orders for each partner, read with a single windowed statement."""
        key = self.sort_key(ordering)
        rank = (
            func.row_number()
            .over(partition_by=Order.partner_id, order_by=window_order(key, Order.id, window))
            .label("rank")
        )
        ranked = (
            self.select_matching(filter_)
            .add_columns(rank)
            .where(Order.partner_id.in_(sorted(set(partner_ids))))
            .where(*window_predicates(key, Order.id, window))
            .subquery()
        )
        row = aliased(Order, ranked)
        stmt = (
            select(row)
            .where(ranked.c.rank <= window.size + 1)
            .order_by(ranked.c.partner_id, ranked.c.rank)
        )
        groups: dict[int, list[Order]] = defaultdict(list)
        for order in await self.session.scalars(stmt):
            groups[order.partner_id].append(order)
        return {pid: make_page(groups.get(pid, []), key, window) for pid in partner_ids}

    async def counts_by_partner(
        self, partner_ids: list[int], filter_: OrderFilter | None
    ) -> dict[int, int]:
        stmt = (
            select(Order.partner_id, func.count())
            .where(self.visible(), Order.partner_id.in_(sorted(set(partner_ids))))
            .group_by(Order.partner_id)
        )
        if filter_ is not None:
            stmt = stmt.where(*self.matching(filter_))
        counts = {pid: int(n) for pid, n in await self.session.execute(stmt)}
        return {pid: counts.get(pid, 0) for pid in partner_ids}

    async def lines_of(self, order_ids: list[int]) -> dict[int, list[OrderLine]]:
        groups: dict[int, list[OrderLine]] = defaultdict(list)
        stmt = (
            select(OrderLine)
            .where(OrderLine.order_id.in_(sorted(set(order_ids))))
            .order_by(OrderLine.order_id, OrderLine.line_no)
        )
        if not self.scope.all_partners:
            stmt = stmt.where(OrderLine.order_id.in_(select(Order.id).where(self.visible())))
        for line in await self.session.scalars(stmt):
            groups[line.order_id].append(line)
        return groups

    async def history_of(self, order_ids: list[int]) -> dict[int, list[OrderStatusChange]]:
        groups: dict[int, list[OrderStatusChange]] = defaultdict(list)
        change = OrderStatusChange
        stmt = (
            select(change)
            .where(change.order_id.in_(sorted(set(order_ids))))
            .order_by(change.order_id, change.changed_at, change.id)
        )
        if not self.scope.all_partners:
            stmt = stmt.where(change.order_id.in_(select(Order.id).where(self.visible())))
        for entry in await self.session.scalars(stmt):
            groups[entry.order_id].append(entry)
        return groups

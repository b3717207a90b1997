"""Writes of orders: insert an order with its lines and first history entry, and change its
status by compare-and-set so that of two concurrent changes exactly one wins."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from domain.enums import OrderStatus
from store.models import Order, OrderLine, OrderStatusChange
from store.repositories.orders import OrderRepository
from store.scope import Scope


@dataclass(frozen=True)
class NewLine:
    product_id: int
    line_no: int
    quantity: int
    unit_price: Decimal
    line_total: Decimal


@dataclass(frozen=True)
class NewOrder:
    number: str
    partner_id: int
    status: OrderStatus
    total: Decimal
    note: str | None
    lines: Sequence[NewLine]


class OrderWrites:
    def __init__(self, session: AsyncSession, scope: Scope) -> None:
        self.session = session
        self.scope = scope

    async def current(self, order_id: int) -> Order | None:
        """The order as committed now, if the viewer may see it."""
        stmt = (
            select(Order)
            .where(Order.id == order_id, OrderRepository(self.session, self.scope).visible())
            .execution_options(populate_existing=True)
        )
        return (await self.session.scalars(stmt)).first()

    async def insert(self, new: NewOrder, changed_by: str, now: datetime) -> Order:
        """Insert the order, its lines and the history entry "created in ``new.status``".

        A taken ``number`` raises ``IntegrityError`` on the first flush, before anything else.
        """
        order = Order(
            number=new.number,
            partner_id=new.partner_id,
            status=new.status,
            total=new.total,
            note=new.note,
            created_at=now,
            updated_at=now,
        )
        self.session.add(order)
        await self.session.flush()
        self.session.add_all(
            OrderLine(
                order_id=order.id,
                product_id=line.product_id,
                line_no=line.line_no,
                quantity=line.quantity,
                unit_price=line.unit_price,
                line_total=line.line_total,
            )
            for line in new.lines
        )
        await self.record_change(order.id, None, new.status, changed_by, None, now)
        await self.session.refresh(order)
        return order

    async def compare_and_set_status(
        self, order_id: int, expected: OrderStatus, to: OrderStatus, now: datetime
    ) -> Order | None:
        """Set the status to ``to`` only if it is still ``expected``; None if it was not."""
        stmt = (
            update(Order)
            .where(Order.id == order_id, Order.status == expected)
            .values(status=to, updated_at=now)
            .returning(Order)
            .execution_options(populate_existing=True, synchronize_session=False)
        )
        return (await self.session.scalars(stmt)).first()

    async def record_change(
        self,
        order_id: int,
        from_status: OrderStatus | None,
        to_status: OrderStatus,
        changed_by: str,
        note: str | None,
        at: datetime,
    ) -> None:
        self.session.add(
            OrderStatusChange(
                order_id=order_id,
                from_status=from_status,
                to_status=to_status,
                changed_by=changed_by,
                changed_at=at,
                note=note,
            )
        )
        await self.session.flush()

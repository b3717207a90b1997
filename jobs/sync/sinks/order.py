"""Orders from a stream: header, lines and status history; matched by order number.

Lines come from the mapping's ``lines`` (``product_id`` by ``ref: product``, ``quantity``,
optional ``unit_price`` — the product's list price when missing —, ``line_total`` —
``unit_price × quantity`` when missing, computed exactly — and ``line_no`` — the position
when missing). ``total`` defaults to the sum of the line totals. An order already in the
hub is updated in place: its header, its lines (replaced when the mapping has ``lines``)
and its status.

A status change follows the order status machine (``domain.orders.TRANSITIONS``). An ERP
often moves an order several steps between two syncs (SUBMITTED → SHIPPED): the change is
accepted when the table allows a path, and each step is recorded in the history
(``changed_by`` ``sync:<connector>``). A change the table does not allow (a CLOSED order
back to SUBMITTED) rejects the record; the order keeps its status. Rows whose status may
change are locked (``FOR UPDATE`` on PostgreSQL) before they are read.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence
from decimal import Decimal, Inexact, localcontext
from typing import Any

from sqlalchemy import delete, insert, select

from domain.enums import OrderStatus
from domain.orders import TRANSITIONS, amount_problem, quantity_problem
from jobs.channel_events import defer_order_status
from jobs.sync.fields import Field
from jobs.sync.references import chunks, one_of
from jobs.sync.sinks.base import Plan, Sink, SinkContext
from store.models import Order, OrderLine, OrderStatusChange, Product

__all__ = ["OrderSink", "current_statuses", "record_steps", "transition_path"]


def transition_path(from_status: OrderStatus, to_status: OrderStatus) -> list[OrderStatus] | None:
    """The statuses after ``from_status`` on the shortest allowed way to ``to_status``.

    ``[]`` when they are equal; None when the status machine allows no way.
    """
    if from_status == to_status:
        return []
    previous: dict[OrderStatus, OrderStatus] = {}
    queue = deque([from_status])
    while queue:
        status = queue.popleft()
        for following in TRANSITIONS[status]:
            if following in previous or following == from_status:
                continue
            previous[following] = status
            if following == to_status:
                path = [following]
                while path[-1] in previous and previous[path[-1]] != from_status:
                    path.append(previous[path[-1]])
                return path[::-1]
            queue.append(following)
    return None


async def current_statuses(ctx: SinkContext, order_ids: Sequence[int]) -> dict[int, OrderStatus]:
    """The status of each order, its row locked until the page commits (PostgreSQL)."""
    found: dict[int, OrderStatus] = {}
    for chunk in chunks(order_ids):
        rows = await ctx.session.execute(
            select(Order.id, Order.status)
            .where(one_of(ctx.session, Order.id, chunk))
            .with_for_update()
        )
        found.update((int(row_id), OrderStatus(status)) for row_id, status in rows)
    return found


def check_path(plan: Plan, current: OrderStatus | None, wanted: OrderStatus) -> None:
    """Note the steps from ``current`` to ``wanted`` on the plan, or reject it."""
    if current is None:
        plan.reject("the order is no longer in the hub")
        return
    path = transition_path(current, wanted)
    if path is None:
        plan.reject(f"status: an order cannot go from {current} to {wanted}")
    else:
        plan.extra["steps"] = (current, path)


def record_steps(
    ctx: SinkContext, plan: Plan, note: str | None = None, at: Any = None
) -> list[dict[str, Any]]:
    """History rows for the plan's status steps (``extra["steps"]``); each step is also an
    ``orderStatusChanged`` event, published once the page commits (``jobs.channel_events``)."""
    current, path = plan.extra.get("steps", (None, []))
    rows = []
    for step in path:
        if plan.row_id is not None:
            defer_order_status(
                ctx.session,
                order_id=plan.row_id,
                from_status=current,
                to_status=step,
                changed_by=ctx.actor,
                at=at or ctx.now,
            )
        rows.append(
            {
                "order_id": plan.row_id,
                "from_status": current,
                "to_status": step,
                "changed_by": ctx.actor,
                "changed_at": at or ctx.now,
                "note": note,
            }
        )
        current = step
    return rows


class OrderSink(Sink):
    entity = "order"
    label = "order"
    model = Order
    fields = {
        "number": Field("str", nullable=False, max_length=64, nonempty=True),
        "partner_id": Field("id", nullable=False, ref="partner"),
        "status": Field("enum", nullable=False, enum=OrderStatus),
        "currency": Field("str", nullable=False, max_length=3, nonempty=True),
        "total": Field("money", nullable=False),
        "note": Field("str"),
        "created_at": Field("datetime", nullable=False),
    }
    line_fields = {
        "product_id": Field("id", nullable=False, ref="product"),
        "quantity": Field("int", nullable=False),
        "unit_price": Field("money"),
        "line_total": Field("money"),
        "line_no": Field("count"),
    }
    required = ("number", "partner_id")
    natural_key = "number"
    insert_key = ("number",)
    unique = ("number",)

    async def check(self, ctx: SinkContext, plans: Sequence[Plan]) -> None:
        if ctx.has_lines:
            prices = await _list_prices(ctx, plans)
            for plan in plans:
                _price(plan, prices)
        for plan in plans:
            if plan.is_new and plan.reason is None:
                status = plan.values.setdefault("status", OrderStatus.DRAFT)
                plan.extra["steps"] = (None, [status])
        changing = [p for p in plans if not p.is_new and "status" in p.values]
        current = await current_statuses(ctx, [p.row_id for p in changing if p.row_id])
        for plan in changing:
            if plan.reason is None:
                check_path(plan, current.get(plan.row_id or 0), plan.values["status"])

    async def write(self, ctx: SinkContext, inserts: list[Plan], updates: list[Plan]) -> None:
        await super().write(ctx, inserts, updates)
        session = ctx.session
        replaced = [p.row_id for p in updates if ctx.has_lines]
        for chunk in chunks(i for i in replaced if i is not None):
            await session.execute(
                delete(OrderLine).where(one_of(session, OrderLine.order_id, chunk))
            )
        lines = [
            {**line, "order_id": plan.row_id}
            for plan in (inserts + updates if ctx.has_lines else inserts)
            for line in plan.lines
        ]
        if lines:
            await session.execute(insert(OrderLine), lines)
        history = [row for plan in inserts + updates for row in record_steps(ctx, plan)]
        if history:
            await session.execute(insert(OrderStatusChange), history)


async def _list_prices(ctx: SinkContext, plans: Sequence[Plan]) -> dict[int, Decimal]:
    wanted = {
        line["product_id"]
        for plan in plans
        for line in plan.lines
        if line.get("unit_price") is None and line.get("product_id") is not None
    }
    prices: dict[int, Decimal] = {}
    for chunk in chunks(wanted):
        rows = await ctx.session.execute(
            select(Product.id, Product.list_price).where(one_of(ctx.session, Product.id, chunk))
        )
        prices.update((int(row_id), price) for row_id, price in rows)
    return prices


def _price(plan: Plan, prices: dict[int, Decimal]) -> None:
    """Complete and check the plan's lines and total (exact arithmetic), or reject it."""
    problems: list[str] = []
    priced: list[dict[str, Any]] = []
    with localcontext() as context:
        context.prec = 60
        context.traps[Inexact] = True
        for number, line in enumerate(plan.lines):
            where = f"lines[{number}]."
            if line.get("product_id") is None:
                problems.append(f"{where}product_id: is required")
                continue
            quantity = line.get("quantity")
            if (problem := quantity_problem(quantity)) is not None or quantity is None:
                problems.append(f"{where}quantity: {problem or 'is required'}")
                continue
            price = line.get("unit_price")
            if price is None:
                price = prices.get(line["product_id"])
            if price is None:
                problems.append(f"{where}unit_price: is required (the product has no list price)")
                continue
            total = line.get("line_total")
            total = price * quantity if total is None else total
            if (problem := amount_problem(total)) is not None:
                problems.append(f"{where}line_total: {problem}")
                continue
            line_no = line.get("line_no")
            priced.append(
                {
                    "product_id": line["product_id"],
                    "quantity": quantity,
                    "unit_price": price,
                    "line_total": total,
                    "line_no": number + 1 if line_no is None else line_no,
                }
            )
        if problems:
            plan.reject("; ".join(problems))
            return
        plan.lines = priced
        if "total" not in plan.values:
            order_total = sum((line["line_total"] for line in priced), Decimal(0))
            if (problem := amount_problem(order_total)) is not None:
                plan.reject(f"total: the sum of the lines {problem}")
                return
            plan.values["total"] = order_total

"""Order status changes from a stream: the status of an order already in the hub.

The record's external id names the order: an order synced from the same connector with that
external id, else an order with that number. A status stream never creates orders: a record
for an unknown order is rejected (quarantined) and can be retried once the order is there.
The change follows the status machine like an order stream's (``sinks.order``): each step is
recorded in the order's history with the record's ``note`` and ``changed_at`` (default: now).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import insert, select

from domain.enums import OrderStatus
from jobs.sync.fields import Field
from jobs.sync.references import chunks, one_of
from jobs.sync.sinks.base import Plan, Sink, SinkContext, bulk_update
from jobs.sync.sinks.order import check_path, current_statuses, record_steps
from store.models import ExternalRef, Order, OrderStatusChange


class OrderStatusSink(Sink):
    entity = "order_status"
    label = "order"
    model = Order
    fields = {
        "status": Field("enum", nullable=False, enum=OrderStatus),
        "note": Field("str"),
        "changed_at": Field("datetime"),
    }
    required = ("status",)
    creates = False

    def missing_reason(self, plan: Plan) -> str:
        return f"no order with external id {plan.external_id!r} from this connector or number"

    async def match(self, ctx: SinkContext, plans: Sequence[Plan]) -> None:
        wanted = {p.external_id: p for p in plans}
        for chunk in chunks(wanted):
            rows = await ctx.session.execute(
                select(ExternalRef.external_id, ExternalRef.entity_id).where(
                    ExternalRef.connector == ctx.connector,
                    ExternalRef.entity == "order",
                    one_of(ctx.session, ExternalRef.external_id, chunk),
                )
            )
            for external_id, row_id in rows:
                plan = wanted.pop(external_id)
                plan.row_id, plan.linked = int(row_id), True
        for chunk in chunks(wanted):
            rows = await ctx.session.execute(
                select(Order.number, Order.id).where(one_of(ctx.session, Order.number, chunk))
            )
            for number, row_id in rows:
                plan = wanted[number]
                plan.row_id, plan.linked = int(row_id), True

    async def check(self, ctx: SinkContext, plans: Sequence[Plan]) -> None:
        current = await current_statuses(ctx, [p.row_id for p in plans if p.row_id is not None])
        for plan in plans:
            if plan.reason is None and "status" in plan.values:
                check_path(plan, current.get(plan.row_id or 0), plan.values["status"])

    async def write(self, ctx: SinkContext, inserts: list[Plan], updates: list[Plan]) -> None:
        history: list[dict[str, Any]] = []
        changed: list[dict[str, Any]] = []
        for plan in updates:
            _, path = plan.extra.get("steps", (None, []))
            if path:
                changed.append({"id": plan.row_id, "status": path[-1], "updated_at": ctx.now})
            history += record_steps(
                ctx, plan, plan.values.get("note"), plan.values.get("changed_at")
            )
        await bulk_update(ctx.session, Order, changed)
        if history:
            await ctx.session.execute(insert(OrderStatusChange), history)

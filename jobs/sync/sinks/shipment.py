"""Shipments from a stream: one row per (carrier, tracking number), linked to its order.

The order comes from a ``ref`` rule (``order_id: {source: …, ref: order}`` resolves an
order synced from the same connector by external id, else by its number). A record without
an external ref yet is matched to the hub's shipment with the same carrier and tracking
number (so shipments entered in the graph are linked, not duplicated); a pair another
shipment (or another record of the page) holds is rejected. A new shipment, and each change
of a shipment's status, is also a SHIPMENT tracking event of its order (the timeline), in
the page's transaction.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import and_, insert, or_, select

from jobs.sync.fields import Field
from jobs.sync.references import CHUNK
from jobs.sync.sinks.base import Plan, Sink, SinkContext
from store.models import Shipment, TrackingEvent
from store.models.shipment import ShipmentStatus, TrackingKind

Pair = tuple[str, str]


def _pair(plan: Plan) -> Pair | None:
    carrier, number = plan.values.get("carrier"), plan.values.get("tracking_number")
    if carrier is None or number is None:
        return None
    return str(carrier), str(number)


async def _holders(ctx: SinkContext, pairs: Iterable[Pair]) -> dict[Pair, int]:
    ordered = sorted(set(pairs))
    found: dict[Pair, int] = {}
    step = CHUNK // 2
    for start in range(0, len(ordered), step):
        condition = or_(
            *(
                and_(Shipment.carrier == carrier, Shipment.tracking_number == number)
                for carrier, number in ordered[start : start + step]
            )
        )
        rows = await ctx.session.execute(
            select(Shipment.carrier, Shipment.tracking_number, Shipment.id).where(condition)
        )
        found.update(((str(c), str(n)), int(row_id)) for c, n, row_id in rows)
    return found


class ShipmentSink(Sink):
    entity = "shipment"
    label = "shipment"
    model = Shipment
    fields = {
        "order_id": Field("id", nullable=False, ref="order"),
        "carrier": Field("str", nullable=False, max_length=100, nonempty=True),
        "tracking_number": Field("str", nullable=False, max_length=100, nonempty=True),
        "status": Field("enum", nullable=False, enum=ShipmentStatus),
        "eta": Field("datetime"),
        "shipped_at": Field("datetime"),
        "delivered_at": Field("datetime"),
    }
    required = ("order_id", "carrier", "tracking_number")
    insert_key = ("carrier", "tracking_number")

    async def match(self, ctx: SinkContext, plans: Sequence[Plan]) -> None:
        wanted = {pair: plan for plan in plans if (pair := _pair(plan)) is not None}
        for pair, row_id in (await _holders(ctx, wanted)).items():
            wanted[pair].row_id, wanted[pair].linked = row_id, True

    async def check(self, ctx: SinkContext, plans: Sequence[Plan]) -> None:
        holders: dict[Pair, Plan] = {}
        for plan in plans:
            pair = _pair(plan)
            if pair is None or plan.reason is not None:
                continue
            if pair in holders:
                plan.reject(
                    "tracking_number: another record of this page has this carrier and number"
                )
            else:
                holders[pair] = plan
        for pair, row_id in (await _holders(ctx, holders)).items():
            if holders[pair].row_id != row_id:
                holders[pair].reject(
                    "tracking_number: another shipment has this carrier and tracking number"
                )
        known = [p.row_id for p in plans if p.row_id is not None and p.reason is None]
        current: dict[int, tuple[int, ShipmentStatus]] = {}
        for start in range(0, len(known), CHUNK):
            rows = await ctx.session.execute(
                select(Shipment.id, Shipment.order_id, Shipment.status).where(
                    Shipment.id.in_(known[start : start + CHUNK])
                )
            )
            current.update((int(i), (int(o), s)) for i, o, s in rows)
        for plan in plans:
            if plan.row_id in current:
                plan.extra["before"] = current[plan.row_id]

    async def write(self, ctx: SinkContext, inserts: list[Plan], updates: list[Plan]) -> None:
        for plan in inserts:
            plan.values.setdefault("status", ShipmentStatus.PLANNED)
        await super().write(ctx, inserts, updates)
        events: list[dict[str, Any]] = []
        for plan in [*inserts, *updates]:
            order_id, before = plan.extra.get("before", (None, None))
            status = plan.values.get("status")
            if status is None or status == before:
                continue
            events.append(
                {
                    "order_id": plan.values.get("order_id", order_id),
                    "shipment_id": plan.row_id,
                    "kind": TrackingKind.SHIPMENT,
                    "status": str(status),
                    "note": None,
                    "occurred_at": ctx.now,
                    "recorded_by": ctx.actor,
                }
            )
        if events:
            await ctx.session.execute(insert(TrackingEvent), events)

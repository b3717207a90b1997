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

from collections.abc import Sequence
from typing import Any

from sqlalchemy import insert, select

from jobs.sync.fields import Field
from jobs.sync.references import CHUNK
from jobs.sync.sinks.base import Plan, SinkContext
from jobs.sync.sinks.pair_keyed import PairKeyedSink
from store.models import Shipment, TrackingEvent
from store.models.shipment import ShipmentStatus, TrackingKind


class ShipmentSink(PairKeyedSink):
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
    pair_cast = str
    clash_in_page = "tracking_number: another record of this page has this carrier and number"
    clash_in_store = "tracking_number: another shipment has this carrier and tracking number"

    async def check(self, ctx: SinkContext, plans: Sequence[Plan]) -> None:
        await super().check(ctx, plans)
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

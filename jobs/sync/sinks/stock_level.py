"""Stock levels from a stream: one row per (location, product), matched by that pair.

The location and the product come from ``ref`` rules (``location_id: {source: …, ref:
location}`` resolves a location by external id or by its code; ``product_id`` by external id
or SKU). A level that exists for the pair is linked and updated, never duplicated; an update
that would move a level onto a pair another level holds is rejected. After the write, the
low-stock alerts of the written pairs are raised or resolved (``jobs.stock_alerts``) in the
page's transaction; their events are published after the page commits.
"""

from __future__ import annotations

from sqlalchemy import select

from jobs.stock_alerts import refresh_alerts
from jobs.sync.fields import Field
from jobs.sync.references import CHUNK
from jobs.sync.sinks.base import Plan, SinkContext
from jobs.sync.sinks.pair_keyed import PairKeyedSink
from store.models import StockLevel

Pair = tuple[int, int]


class StockLevelSink(PairKeyedSink):
    entity = "stock_level"
    label = "stock level"
    model = StockLevel
    fields = {
        "location_id": Field("id", nullable=False, ref="location"),
        "product_id": Field("id", nullable=False, ref="product"),
        "on_hand": Field("count", nullable=False),
        "reserved": Field("count", nullable=False),
        "in_transit": Field("count", nullable=False),
        "min_quantity": Field("count"),
        "last_sale_at": Field("datetime"),
        "last_received_at": Field("datetime"),
    }
    required = ("location_id", "product_id")
    insert_key = ("location_id", "product_id")
    pair_cast = int
    clash_in_page = "location_id: another record of this page has this location and product"
    clash_in_store = "location_id: another stock level has this location and product"

    async def write(self, ctx: SinkContext, inserts: list[Plan], updates: list[Plan]) -> None:
        for plan in [*inserts, *updates]:
            plan.values["updated_at"] = ctx.now
        await super().write(ctx, inserts, updates)
        ids = sorted(p.row_id for p in [*inserts, *updates] if p.row_id is not None)
        pairs: list[Pair] = []
        for start in range(0, len(ids), CHUNK):
            rows = await ctx.session.execute(
                select(StockLevel.location_id, StockLevel.product_id).where(
                    StockLevel.id.in_(ids[start : start + CHUNK])
                )
            )
            pairs += [(int(loc), int(prod)) for loc, prod in rows]
        await refresh_alerts(ctx.session, pairs, ctx.now)

"""Stock levels from a stream: one row per (location, product), matched by that pair.

The location and the product come from ``ref`` rules (``location_id: {source: …, ref:
location}`` resolves a location by external id or by its code; ``product_id`` by external id
or SKU). A level that exists for the pair is linked and updated, never duplicated; an update
that would move a level onto a pair another level holds is rejected. After the write, the
low-stock alerts of the written pairs are raised or resolved (``jobs.stock_alerts``) in the
page's transaction; their events are published after the page commits.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from sqlalchemy import and_, or_, select

from jobs.stock_alerts import refresh_alerts
from jobs.sync.fields import Field
from jobs.sync.references import CHUNK
from jobs.sync.sinks.base import Plan, Sink, SinkContext
from store.models import StockLevel

Pair = tuple[int, int]


def _pair(plan: Plan) -> Pair | None:
    location, product = plan.values.get("location_id"), plan.values.get("product_id")
    if location is None or product is None:
        return None
    return int(location), int(product)


async def _levels(ctx: SinkContext, pairs: Iterable[Pair]) -> dict[Pair, int]:
    """The stock level id of each pair that has one."""
    ordered = sorted(set(pairs))
    found: dict[Pair, int] = {}
    step = CHUNK // 2
    for start in range(0, len(ordered), step):
        condition = or_(
            *(
                and_(StockLevel.location_id == location, StockLevel.product_id == product)
                for location, product in ordered[start : start + step]
            )
        )
        rows = await ctx.session.execute(
            select(StockLevel.location_id, StockLevel.product_id, StockLevel.id).where(condition)
        )
        found.update(((int(loc), int(prod)), int(row_id)) for loc, prod, row_id in rows)
    return found


class StockLevelSink(Sink):
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

    async def match(self, ctx: SinkContext, plans: Sequence[Plan]) -> None:
        wanted = {pair: plan for plan in plans if (pair := _pair(plan)) is not None}
        for pair, row_id in (await _levels(ctx, wanted)).items():
            wanted[pair].row_id, wanted[pair].linked = row_id, True

    async def check(self, ctx: SinkContext, plans: Sequence[Plan]) -> None:
        holders: dict[Pair, Plan] = {}
        for plan in plans:
            pair = _pair(plan)
            if pair is None or plan.reason is not None:
                continue
            if pair in holders:
                plan.reject(
                    "location_id: another record of this page has this location and product"
                )
            else:
                holders[pair] = plan
        for pair, row_id in (await _levels(ctx, holders)).items():
            if holders[pair].row_id != row_id:
                holders[pair].reject(
                    "location_id: another stock level has this location and product"
                )

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

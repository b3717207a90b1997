"""A small, hand-checked sales dataset for the analytics and chart tests.

Regions North (→ North-East) and South; dealers DA (North) with sub-partner DA1 (North), DC
(North-East) and DB (South); products X (Snacks, 10.00) and Y (Drinks, 2.50). Sales
(orders APPROVED or later), by month:

- 2025-03: DA 100.00 (X×10)                       — last year's base for March 2026
- 2026-03: DA 160.00 (X×15 + Y×4), DC 50.00 (X×5), DB 100.00 (Y×40 at 23:59:59 on the 31st)
- 2026-04: DB 20.00 (X×2 at 00:00 on the 1st), DA1 50.00 (Y×20)

Not sales: a SUBMITTED order of DA (1000.00) and a CANCELLED one of DB (1000.00) in March
2026. Stock now: DA's site holds 5 of X, DC's site 10 of X.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from domain.enums import OrderStatus
from schema.node import encode_id
from store.models import Partner, Region
from tests import factories as f

S = OrderStatus


@dataclass
class Sales:
    north: Region
    north_east: Region
    south: Region
    da: Partner
    da1: Partner
    db: Partner
    dc: Partner

    def region_id(self, region: Region) -> str:
        return encode_id("Region", region.id)


def at(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)  # type: ignore[arg-type, misc]


async def make_sales(sessions: Any) -> Sales:
    async with sessions.begin() as s:
        north = await f.create_region(s, name="North")
        north_east = await f.create_region(s, name="North-East", parent=north)
        south = await f.create_region(s, name="South")
        da = await f.create_partner(s, code="DA", region=north)
        da1 = await f.create_partner(s, code="DA1", region=north, parent=da)
        dc = await f.create_partner(s, code="DC", region=north_east)
        db = await f.create_partner(s, code="DB", region=south)
        x = await f.create_product(s, sku="X", price=Decimal("10.00"), category="Snacks")
        y = await f.create_product(s, sku="Y", price=Decimal("2.50"), category="Drinks")
        sales = [
            (da, [(x, 10)], S.APPROVED, at(2025, 3, 10)),
            (da, [(x, 15), (y, 4)], S.SHIPPED, at(2026, 3, 5)),
            (dc, [(x, 5)], S.DELIVERED, at(2026, 3, 20)),
            (db, [(y, 40)], S.CLOSED, at(2026, 3, 31, 23, 59, 59)),
            (db, [(x, 2)], S.APPROVED, at(2026, 4, 1)),
            (da1, [(y, 20)], S.APPROVED, at(2026, 4, 10)),
            (da, [(x, 100)], S.SUBMITTED, at(2026, 3, 15)),
            (db, [(x, 100)], S.CANCELLED, at(2026, 3, 16)),
        ]
        for partner, lines, status, created in sales:
            await f.create_order(s, partner=partner, lines=lines, status=status, created_at=created)
        site_a = await f.create_location(s, partner=da, code="SITE-A")
        site_c = await f.create_location(s, partner=dc, code="SITE-C")
        await f.create_stock(s, location=site_a, product=x, on_hand=5)
        await f.create_stock(s, location=site_c, product=x, on_hand=10)
    return Sales(north, north_east, south, da, da1, db, dc)

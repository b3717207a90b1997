"""Stock ageing and slow-moving stock through the graph, on a small known dataset: bucket
values at their day boundaries, totals and the slow-moving share per partner, per region
(subtree) and overall, each role seeing only its scope."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from security.viewer import Role
from store.base import utcnow
from store.models import Location, Product
from tests import factories as f
from tests.schema.stock_control_data import make_channel

AGEING = """query($by: StockGroupBy!, $days: Int) {
  stockAgeing(groupBy: $by, slowMovingDays: $days) {
  partner { code } region { name } buckets { bucket value }
  totalValue slowMovingValue slowMovingShare quantity } }"""

SLOW = """query($days: Int) { slowMovingStock(days: $days) {
  value daysSinceSale stockLevel { onHand location { code } product { sku } } } }"""


def ago(days: int, now: datetime) -> datetime:
    return now - timedelta(days=days)


async def level(
    s: Any,
    location: Location,
    product: Product,
    on_hand: int,
    received: int | None,
    sold: int | None,
    now: datetime,
) -> None:
    row = await f.create_stock(s, location=location, product=product, on_hand=on_hand)
    row.last_received_at = None if received is None else ago(received, now)
    row.last_sale_at = None if sold is None else ago(sold, now)


async def dataset(sessions: Any) -> Any:
    ch = await make_channel(sessions)  # SKU-X at 10.00
    now = utcnow()
    async with sessions.begin() as s:
        cheap = await f.create_product(s, sku="SKU-Y", price=Decimal("2.50"))
        dear = await f.create_product(s, sku="SKU-Z", price=Decimal("100.00"))
        east = await f.create_region(s, name="North-East", parent=ch.north)
        dealer_c = await f.create_partner(s, code="DC", region=east)
        site_c = await f.create_location(s, partner=dealer_c, code="SITE-C")
        x = ch.product
        await level(s, ch.site_a, x, 3, received=30, sold=5, now=now)  # 30.00 in 0-30
        await level(s, ch.site_a, cheap, 2, received=31, sold=89, now=now)  # 5.00 in 31-60
        await level(s, ch.site_b, x, 4, received=90, sold=90, now=now)  # 40.00 61-90, slow
        await level(s, ch.site_b, cheap, 1, received=None, sold=None, now=now)  # 2.50 90+ slow
        await level(s, ch.site_b, dear, 0, received=200, sold=None, now=now)  # nothing on hand
        await level(s, ch.warehouse, x, 10, received=91, sold=1, now=now)  # 100.00 in 90+
        await level(s, site_c, x, 1, received=0, sold=100, now=now)  # 10.00 in 0-30, slow
    return ch, dealer_c


def buckets(group: dict[str, Any]) -> dict[str, Decimal]:
    return {b["bucket"]: Decimal(b["value"]) for b in group["buckets"]}


def money(*values: str) -> list[Decimal]:
    return [Decimal(v) for v in values]


async def test_overall_ageing_buckets_and_slow_moving_share_for_the_brand(sessions, gql):
    await dataset(sessions)
    [overall] = (await gql.data(AGEING, by="OVERALL"))["stockAgeing"]
    assert buckets(overall) == dict(
        zip(["0-30", "31-60", "61-90", "90+"], money("40", "5", "40", "102.5"), strict=True)
    )
    assert Decimal(overall["totalValue"]) == Decimal("187.50")
    assert Decimal(overall["slowMovingValue"]) == Decimal("52.50")
    assert Decimal(overall["slowMovingShare"]) == Decimal("52.50") / Decimal("187.50")
    assert overall["quantity"] == 21
    assert overall["partner"] is None and overall["region"] is None
    # a longer threshold: only stock unsold for 100 days or never sold is slow
    [longer] = (await gql.data(AGEING, by="OVERALL", days=100))["stockAgeing"]
    assert Decimal(longer["slowMovingValue"]) == Decimal("12.50")


async def test_ageing_per_partner_and_per_region_subtree(sessions, gql):
    await dataset(sessions)
    partners = (await gql.data(AGEING, by="PARTNER"))["stockAgeing"]
    by_partner = {
        (g["partner"] or {"code": None})["code"]: (g["totalValue"], g["slowMovingValue"])
        for g in partners
    }
    assert {k: tuple(map(Decimal, v)) for k, v in by_partner.items()} == {
        "DA": (Decimal("35"), Decimal("0")),
        "DB": (Decimal("42.5"), Decimal("42.5")),
        "DC": (Decimal("10"), Decimal("10")),
        None: (Decimal("100"), Decimal("0")),  # the brand warehouse
    }
    regions = (await gql.data(AGEING, by="REGION"))["stockAgeing"]
    by_region = {g["region"]["name"]: g for g in regions}
    assert set(by_region) == {"North", "North-East", "South"}
    north = by_region["North"]  # its own dealer and the one in its sub-region
    assert Decimal(north["totalValue"]) == Decimal("45")
    assert buckets(north) == dict(
        zip(["0-30", "31-60", "61-90", "90+"], money("40", "5", "0", "0"), strict=True)
    )
    assert Decimal(north["slowMovingShare"]) == Decimal("10") / Decimal("45")
    assert Decimal(by_region["North-East"]["totalValue"]) == Decimal("10")
    assert Decimal(by_region["South"]["slowMovingShare"]) == Decimal(1)


async def test_each_role_aggregates_only_its_scope(sessions, gql_as):
    ch, dealer_c = await dataset(sessions)

    async def total(client: Any, by: str = "OVERALL") -> list[Decimal]:
        return [Decimal(g["totalValue"]) for g in (await client.data(AGEING, by=by))["stockAgeing"]]

    assert await total(gql_as(Role.DEALER, partner=ch.dealer_a)) == [Decimal("35")]
    assert await total(gql_as(Role.DEALER, partner=dealer_c), "PARTNER") == [Decimal("10")]
    assert await total(gql_as(Role.REGION_MANAGER, regions=[ch.north])) == [Decimal("45")]
    assert await total(gql_as(Role.REGION_MANAGER, regions=[ch.south]), "REGION") == [
        Decimal("42.5")
    ]
    dealer_b = gql_as(Role.DEALER, partner=ch.dealer_b)
    slow = (await dealer_b.data(SLOW))["slowMovingStock"]
    assert [s["stockLevel"]["location"]["code"] for s in slow] == ["SITE-B", "SITE-B"]
    erp = await gql_as(Role.ERP_ADMIN).post(AGEING, by="OVERALL")
    assert erp.json()["errors"][0]["extensions"]["code"] == "FORBIDDEN"


async def test_slow_moving_stock_lists_unsold_levels_by_value(sessions, gql):
    await dataset(sessions)
    slow = (await gql.data(SLOW))["slowMovingStock"]
    got = [
        (
            s["stockLevel"]["location"]["code"],
            s["stockLevel"]["product"]["sku"],
            Decimal(s["value"]),
            s["daysSinceSale"],
        )
        for s in slow
    ]
    assert got == [
        ("SITE-B", "SKU-X", Decimal("40"), 90),
        ("SITE-C", "SKU-X", Decimal("10"), 100),
        ("SITE-B", "SKU-Y", Decimal("2.5"), None),
    ]
    longer = (await gql.data(SLOW, days=91))["slowMovingStock"]
    assert [s["daysSinceSale"] for s in longer] == [100, None]
    refused = await gql.post(SLOW, days=0)
    assert "must be at least 1" in refused.json()["errors"][0]["message"]

"""Forecasts through the graph per role, on both backends: the brand admin sees every
series and total, a dealer only its own, a region manager only its region's; aggregates sum
the points and combine the intervals; an unknown series is null; a bad id is an error."""

from __future__ import annotations

import math
from datetime import UTC, date, datetime
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from domain.enums import OrderStatus
from jobs.forecast import run_forecast
from schema.node import encode_id
from security.viewer import Role
from store.models import Partner, Product, ReorderRule
from tests.factories import (
    create_location,
    create_order,
    create_partner,
    create_product,
    create_region,
    create_stock,
)
from tests.schema.test_statement_count import counting

pytestmark = pytest.mark.anyio

SERIES = """query($partner: ID!, $product: ID!) {
  forecast(partner: $partner, product: $product) {
    status seriesClass method adi points { month point lower upper } } }"""
TOTALS = """{ forecastByProduct { groupId month point lower upper series }
  forecastByRegion { groupId month point series } }"""
RUNS = "{ forecastRuns { status firstMonth seriesTotal seriesForecast chosenWape models } }"


async def seed(sessions: async_sessionmaker[AsyncSession]) -> dict[str, Any]:
    async with sessions.begin() as s:
        north, south = await create_region(s), await create_region(s)
        a = await create_partner(s, region=north)
        b = await create_partner(s, region=south)
        cola = await create_product(s)
        for month in range(1, 7):
            for partner, units in ((a, 10 + month), (b, 20)):
                await create_order(
                    s,
                    partner=partner,
                    lines=[(cola, units)],
                    status=OrderStatus.APPROVED,
                    created_at=datetime(2026, month, 10, tzinfo=UTC),
                )
        return {"north": north.id, "a": a.id, "b": b.id, "cola": cola.id}


async def test_forecasts_per_role(sessions, gql_as):
    ids = await seed(sessions)
    await run_forecast(sessions, as_of=date(2026, 7, 3), history_months=6)
    a, b = encode_id("Partner", ids["a"]), encode_id("Partner", ids["b"])
    cola = encode_id("Product", ids["cola"])

    admin = gql_as(Role.BRAND_ADMIN)
    [run] = (await admin.data(RUNS))["forecastRuns"]
    assert (run["status"], run["firstMonth"], run["seriesTotal"]) == ("DONE", "2026-07-01", 2)
    assert "smooth" in run["models"]
    series_b = (await admin.data(SERIES, partner=b, product=cola))["forecast"]
    assert (series_b["status"], series_b["seriesClass"]) == ("FORECAST", "smooth")
    assert [p["month"] for p in series_b["points"]] == ["2026-07-01", "2026-08-01", "2026-09-01"]
    assert all(p["point"] == pytest.approx(20.0) for p in series_b["points"])
    series_a = (await admin.data(SERIES, partner=a, product=cola))["forecast"]

    totals = await admin.data(TOTALS)
    july = [t for t in totals["forecastByProduct"] if t["month"] == "2026-07-01"]
    assert len(july) == 1 and july[0]["series"] == 2
    pa, pb = series_a["points"][0], series_b["points"][0]
    assert july[0]["point"] == pytest.approx(pa["point"] + pb["point"])
    half = math.hypot(pa["upper"] - pa["point"], pb["upper"] - pb["point"])
    assert july[0]["upper"] == pytest.approx(july[0]["point"] + half)
    assert len(totals["forecastByRegion"]) == 6  # two regions × three months

    dealer = gql_as(Role.DEALER, partner=ids["a"])
    assert (await dealer.data(SERIES, partner=b, product=cola))["forecast"] is None
    own = (await dealer.data(SERIES, partner=a, product=cola))["forecast"]
    assert own == series_a
    mine = await dealer.data(TOTALS)
    assert {t["series"] for t in mine["forecastByProduct"]} == {1}
    assert mine["forecastByProduct"][0]["point"] == pytest.approx(pa["point"])

    manager = gql_as(Role.REGION_MANAGER, regions=[ids["north"]])
    regions = (await manager.data(TOTALS))["forecastByRegion"]
    assert {t["groupId"] for t in regions} == {encode_id("Region", ids["north"])}
    assert (await manager.data(SERIES, partner=b, product=cola))["forecast"] is None


async def test_no_run_and_bad_ids(sessions, gql_as):
    ids = await seed(sessions)
    admin = gql_as(Role.BRAND_ADMIN)
    product = encode_id("Product", ids["cola"])
    partner = encode_id("Partner", ids["a"])
    assert (await admin.data(SERIES, partner=partner, product=product))["forecast"] is None
    assert await admin.data(TOTALS) == {"forecastByProduct": [], "forecastByRegion": []}
    body = await admin(SERIES, partner=product, product=product)
    assert body["data"] is None or body["data"]["forecast"] is None
    assert "expected a Partner id" in body["errors"][0]["message"]
    assert "errors" in await gql_as(None)(RUNS)


REORDER = """{ reorderSuggestions { projected quantity forecastDemand forecastQuantity
  rule { location { code } } } }"""


async def test_reorder_suggestions_use_the_latest_forecast(sessions, gql_as):
    ids = await seed(sessions)
    async with sessions.begin() as s:
        a, b = await s.get(Partner, ids["a"]), await s.get(Partner, ids["b"])
        cola = await s.get(Product, ids["cola"])
        assert a is not None and b is not None and cola is not None
        for partner, code in ((a, "SITE-A"), (b, "SITE-B")):
            site = await create_location(s, partner=partner, code=code)
            await create_stock(s, location=site, product=cola, on_hand=15)
            s.add(ReorderRule(location_id=site.id, product_id=cola.id, minimum=20, maximum=40))
        warehouse = await create_location(s, code="WH")
        s.add(ReorderRule(location_id=warehouse.id, product_id=cola.id, minimum=5, maximum=9))
    admin = gql_as(Role.BRAND_ADMIN)
    before = {
        x["rule"]["location"]["code"]: x for x in (await admin.data(REORDER))["reorderSuggestions"]
    }
    assert before["SITE-B"]["forecastDemand"] is None
    assert before["SITE-B"]["forecastQuantity"] is None

    await run_forecast(sessions, as_of=date(2026, 7, 3), history_months=6)
    after = {
        x["rule"]["location"]["code"]: x for x in (await admin.data(REORDER))["reorderSuggestions"]
    }
    site_b = after["SITE-B"]
    # B sold 20 a month: 60 over three months; 20 + 60 - 15 = 65 beats 40 - 15 = 25
    assert site_b["forecastDemand"] == pytest.approx(60.0)
    assert (site_b["quantity"], site_b["forecastQuantity"]) == (25, 65)
    assert after["SITE-A"]["forecastDemand"] > 0
    assert after["WH"]["forecastDemand"] is None  # a brand warehouse has no partner series

    dealer = gql_as(Role.DEALER, partner=ids["a"])
    mine = (await dealer.data(REORDER))["reorderSuggestions"]
    assert [x["rule"]["location"]["code"] for x in mine] == ["SITE-A"]
    assert mine[0]["forecastDemand"] == after["SITE-A"]["forecastDemand"]


BOTH = TOTALS[:-1] + " forecastRuns { seriesTotal } }"


async def test_statements_do_not_grow_with_the_series(app, sessions, gql_as):
    ids = await seed(sessions)
    admin = gql_as(Role.BRAND_ADMIN)
    await run_forecast(sessions, as_of=date(2026, 7, 3), history_months=6)
    with counting(app) as few:
        small = await admin.data(BOTH)
    async with sessions.begin() as s:
        cola = await s.get(Product, ids["cola"])
        assert cola is not None
        for _ in range(4):
            partner = await create_partner(s, region=await create_region(s))
            for month in range(1, 7):
                await create_order(
                    s,
                    partner=partner,
                    lines=[(cola, 5)],
                    status=OrderStatus.APPROVED,
                    created_at=datetime(2026, month, 10, tzinfo=UTC),
                )
    await run_forecast(sessions, as_of=date(2026, 7, 3), history_months=6)
    with counting(app) as many:
        large = await admin.data(BOTH)
    assert len(large["forecastByRegion"]) == 3 * len(small["forecastByRegion"])
    assert len(many) == len(few) <= 6

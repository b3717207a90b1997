"""Sales trends and the partner ranking through the graph on the hand-checked dataset of
``tests.schema.analytics_data``: month sums, region subtrees, categories, year-over-year
growth, Pareto shares with ties, sell-through, each role seeing only its scope, bad input."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from security.viewer import Role
from tests.schema.analytics_data import make_sales
from tests.schema.test_statement_count import counting

D = Decimal

TRENDS = """query($from: Date!, $to: Date!, $regions: [ID!], $cat: Boolean!) {
  salesTrends(from: $from, to: $to, regions: $regions, byCategory: $cat) {
    region { name } category
    points { month amount quantity lastYearAmount yoyGrowth } } }"""

RANKING = """query($from: Date!, $to: Date!, $region: ID, $first: Int) {
  partnerRanking(from: $from, to: $to, region: $region, first: $first) {
    start end total
    partners { rank partner { code } amount quantity share cumulativeShare onHand
               sellThrough } } }"""

SPRING = {"from": "2026-03-01", "to": "2026-04-30"}


def dec(value: str | None) -> Decimal | None:
    return None if value is None else D(value)


def series(data: dict[str, Any]) -> dict[tuple[str | None, str | None], list[tuple[Any, ...]]]:
    """{(region, category): [(month, amount, quantity, last year, growth)]}"""
    return {
        ((s["region"] or {}).get("name"), s["category"]): [
            (
                p["month"],
                D(p["amount"]),
                p["quantity"],
                dec(p["lastYearAmount"]),
                dec(p["yoyGrowth"]),
            )
            for p in s["points"]
        ]
        for s in data["salesTrends"]
    }


def ranking(data: dict[str, Any]) -> list[tuple[Any, ...]]:
    return [
        (
            p["rank"],
            p["partner"]["code"],
            D(p["amount"]),
            p["quantity"],
            D(p["share"]),
            D(p["cumulativeShare"]),
            p["onHand"],
            dec(p["sellThrough"]),
        )
        for p in data["partnerRanking"]["partners"]
    ]


async def test_overall_trend_with_growth_over_last_year(sessions, gql):
    await make_sales(sessions)
    found = series(await gql.data(TRENDS, cat=False, **SPRING))
    assert found == {
        (None, None): [
            ("2026-03-01", D("310.00"), 64, D("100.00"), D("2.1000")),
            ("2026-04-01", D("70.00"), 22, None, None),
        ]
    }


async def test_trend_per_region_subtree(sessions, gql):
    data = await make_sales(sessions)
    regions = [data.region_id(r) for r in (data.north, data.north_east, data.south)]
    found = series(await gql.data(TRENDS, cat=False, regions=regions, **SPRING))
    assert found == {
        ("North", None): [  # DA, DA1 and DC (North-East is below North)
            ("2026-03-01", D("210.00"), 24, D("100.00"), D("1.1000")),
            ("2026-04-01", D("50.00"), 20, None, None),
        ],
        ("North-East", None): [("2026-03-01", D("50.00"), 5, None, None)],
        ("South", None): [
            ("2026-03-01", D("100.00"), 40, None, None),
            ("2026-04-01", D("20.00"), 2, None, None),
        ],
    }


async def test_trend_per_category(sessions, gql):
    await make_sales(sessions)
    found = series(await gql.data(TRENDS, cat=True, **SPRING))
    assert found == {
        (None, "Drinks"): [
            ("2026-03-01", D("110.00"), 44, None, None),
            ("2026-04-01", D("50.00"), 20, None, None),
        ],
        (None, "Snacks"): [
            ("2026-03-01", D("200.00"), 20, D("100.00"), D("1.0000")),
            ("2026-04-01", D("20.00"), 2, None, None),
        ],
    }


async def test_ranking_pareto_ties_by_code_and_sell_through(sessions, gql):
    await make_sales(sessions)
    data = await gql.data(RANKING, **SPRING)
    assert D(data["partnerRanking"]["total"]) == D("380.00")
    assert ranking(data) == [
        (1, "DA", D("160.00"), 19, D("0.4211"), D("0.4211"), 5, D("0.7368")),  # (19-5)/19
        (2, "DB", D("120.00"), 42, D("0.3158"), D("0.7368"), 0, D("1.0000")),
        (3, "DA1", D("50.00"), 20, D("0.1316"), D("0.8684"), 0, D("1.0000")),
        (4, "DC", D("50.00"), 5, D("0.1316"), D("1.0000"), 10, D("0.0000")),
    ]


async def test_ranking_period_bounds_region_and_first(sessions, gql):
    data = await make_sales(sessions)
    march = await gql.data(RANKING, **{"from": "2026-03-01", "to": "2026-03-31"})
    assert [(r[1], r[2]) for r in ranking(march)] == [
        ("DA", D("160.00")),
        ("DB", D("100.00")),  # 23:59:59 on the 31st counts; 00:00 on 1 April does not
        ("DC", D("50.00")),
    ]
    north = await gql.data(RANKING, region=data.region_id(data.north), first=2, **SPRING)
    assert D(north["partnerRanking"]["total"]) == D("260.00")  # first cuts the list only
    assert [(r[1], r[5]) for r in ranking(north)] == [("DA", D("0.6154")), ("DA1", D("0.8077"))]


async def test_region_manager_sees_its_regions_only(sessions, gql_as):
    data = await make_sales(sessions)
    manager = gql_as(Role.REGION_MANAGER, regions=[data.north])
    found = series(await manager.data(TRENDS, cat=False, **SPRING))
    assert [p[1] for p in found[(None, None)]] == [D("210.00"), D("50.00")]
    south = [data.region_id(data.south)]
    assert (await manager.data(TRENDS, cat=False, regions=south, **SPRING))["salesTrends"] == []
    ranked = await manager.data(RANKING, **SPRING)
    assert D(ranked["partnerRanking"]["total"]) == D("260.00")
    assert [r[1] for r in ranking(ranked)] == ["DA", "DA1", "DC"]


async def test_dealer_sees_itself_and_its_sub_partners(sessions, gql_as):
    data = await make_sales(sessions)
    dealer = gql_as(Role.DEALER, partner=data.da)
    ranked = await dealer.data(RANKING, **SPRING)
    assert [(r[1], r[2], r[4]) for r in ranking(ranked)] == [
        ("DA", D("160.00"), D("0.7619")),
        ("DA1", D("50.00"), D("0.2381")),
    ]
    found = series(await dealer.data(TRENDS, cat=False, **SPRING))
    assert [p[1] for p in found[(None, None)]] == [D("160.00"), D("50.00")]
    other = gql_as(Role.DEALER, partner=data.db)
    assert [r[1] for r in ranking(await other.data(RANKING, **SPRING))] == ["DB"]


async def test_anonymous_is_refused_and_bad_periods_are_client_errors(sessions, gql, gql_as):
    await make_sales(sessions)
    anonymous = await gql_as(None)(RANKING, **SPRING)
    assert anonymous["data"] is None and anonymous["errors"]
    backwards = {"from": "2026-04-01", "to": "2026-03-01"}
    for query, extra in ((RANKING, {}), (TRENDS, {"cat": False})):
        body = await gql(query, **backwards, **extra)
        assert body["errors"][0]["message"] == "to: must not be before from"
    body = await gql(RANKING, first=0, **SPRING)
    assert body["errors"][0]["message"] == "first: must be at least 1"


async def test_one_aggregate_statement_per_field_plus_one_batch_per_nested_type(app, sessions, gql):
    data = await make_sales(sessions)
    regions = [data.region_id(r) for r in (data.north, data.north_east, data.south)]
    with counting(app) as statements:
        await gql.data(RANKING, **SPRING)
    assert len(statements) == 2  # the ranking's GROUP BY, then one batch of partners
    assert "GROUP BY" in statements[0].upper()
    with counting(app) as statements:
        await gql.data(TRENDS, cat=True, regions=regions, **SPRING)
    assert len(statements) == 2  # the trends' GROUP BY, then one batch of regions


async def test_default_periods_are_the_last_twelve_months_and_the_year_to_date(sessions, gql):
    await make_sales(sessions)
    today = datetime.now(UTC).date()
    index = today.year * 12 + today.month - 1 - 11
    twelve = {"from": date(index // 12, index % 12 + 1, 1).isoformat(), "to": today.isoformat()}
    year = {"from": date(today.year, 1, 1).isoformat(), "to": today.isoformat()}
    defaults = "{ salesTrends { points { month amount } } partnerRanking { start end total } }"
    found = await gql.data(defaults)
    assert found["partnerRanking"]["start"] == year["from"]
    assert found["partnerRanking"]["end"] == year["to"]
    explicit = await gql.data(RANKING, **year)
    assert found["partnerRanking"]["total"] == explicit["partnerRanking"]["total"]
    trends = await gql.data(TRENDS, cat=False, **twelve)
    assert found["salesTrends"] == [
        {"points": [{"month": p["month"], "amount": p["amount"]} for p in s["points"]]}
        for s in trends["salesTrends"]
    ]

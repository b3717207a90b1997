"""Allocation through the graph: preview then apply, once; the next preview asks only for
what is still missing; the weight-multiplier hook; each role's scope (a region manager
allocates over its partners' lines, a dealer may not allocate and sees only its own line);
bad input as typed errors with nothing stored."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select

from domain.enums import OrderStatus
from schema.node import encode_id
from security.viewer import Role
from store.models import AllocationRun
from tests.factories import create_order, create_partner, create_product, create_region, create_tier
from tests.schema.test_statement_count import counting

PREVIEW = """mutation($input: PreviewAllocationInput!) {
  previewAllocation(input: $input) {
    __typename
    ... on AllocationRunPayload { run { id rule stock allocated unallocated status
        lines { lineNo requested allocated weight weightMultiplier explanation
                partner { code } } } }
    ... on InvalidInputError { fields { field message } }
    ... on NotFoundError { field }
    ... on ForbiddenError { permission }
  } }"""

APPLY = """mutation($id: ID!) {
  applyAllocation(runId: $id) {
    __typename
    ... on AllocationRunPayload { run { id status appliedAt } }
    ... on UserError { message }
  } }"""

RUNS = """{ allocationRuns(first: 10) { totalCount
  nodes { id status lines { allocated partner { code } } } } }"""


async def setup(sessions: Any) -> dict[str, Any]:
    async with sessions.begin() as s:
        north, south = await create_region(s, name="North"), await create_region(s, name="South")
        gold = await create_tier(s, name="Gold", rank=1)  # allocation weight 1.5
        a = await create_partner(s, code="A", region=north, tier=gold)
        b = await create_partner(s, code="B", region=north)
        c = await create_partner(s, code="C", region=south)
        product, other = await create_product(s), await create_product(s)
        for day, (partner, qty) in enumerate(((a, 6), (b, 4), (c, 2)), start=1):
            await create_order(
                s,
                partner=partner,
                lines=[(product, qty)],
                created_at=datetime(2026, 1, day, tzinfo=UTC),
            )
        # not waiting: delivered (C's sell-through) and draft orders are no requests
        await create_order(
            s,
            partner=c,
            lines=[(other, 30)],
            status=OrderStatus.DELIVERED,
            created_at=datetime.now(UTC),
        )
        await create_order(s, partner=a, lines=[(product, 50)], status=OrderStatus.DRAFT)
        return {
            "north": north.id,
            "a": a.id,
            "b": b.id,
            "product": encode_id("Product", product.id),
        }


def lines(payload: dict[str, Any]) -> list[tuple[str, int, int]]:
    return [
        (line["partner"]["code"], line["requested"], line["allocated"])
        for line in payload["run"]["lines"]
    ]


async def test_preview_apply_once_then_only_what_is_missing(sessions, gql):
    ids = await setup(sessions)
    data = await gql.data(
        PREVIEW, input={"product": ids["product"], "stock": 10, "rule": "PROPORTIONAL"}
    )
    payload = data["previewAllocation"]
    assert payload["__typename"] == "AllocationRunPayload"
    assert lines(payload) == [("A", 6, 5), ("B", 4, 3), ("C", 2, 2)]
    run = payload["run"]
    assert (run["status"], run["allocated"], run["unallocated"]) == ("preview", 10, 0)
    assert "rounded up by largest remainder" in run["lines"][2]["explanation"]

    applied = (await gql.data(APPLY, id=run["id"]))["applyAllocation"]
    assert applied["__typename"] == "AllocationRunPayload"
    assert applied["run"]["status"] == "applied" and applied["run"]["appliedAt"]
    again = (await gql.data(APPLY, id=run["id"]))["applyAllocation"]
    assert again["__typename"] == "ConflictError" and "already applied" in again["message"]

    # A still misses 1, B 1, C nothing: 5 units give 2, 3 stay
    nxt = (
        await gql.data(
            PREVIEW, input={"product": ids["product"], "stock": 5, "rule": "PROPORTIONAL"}
        )
    )["previewAllocation"]
    assert lines(nxt) == [("A", 1, 1), ("B", 1, 1)]
    assert (nxt["run"]["allocated"], nxt["run"]["unallocated"]) == (2, 3)

    runs = (await gql.data(RUNS))["allocationRuns"]
    assert runs["totalCount"] == 2
    assert [r["status"] for r in runs["nodes"]] == ["preview", "applied"]


async def test_stale_preview_is_refused(sessions, gql):
    ids = await setup(sessions)
    inp = {"product": ids["product"], "stock": 3, "rule": "STRICT_PRIORITY"}
    first = (await gql.data(PREVIEW, input=inp))["previewAllocation"]["run"]
    second = (await gql.data(PREVIEW, input=inp))["previewAllocation"]["run"]
    # strict priority: Gold (rank 1) first
    assert [line["allocated"] for line in first["lines"]] == [3, 0, 0]
    assert (await gql.data(APPLY, id=first["id"]))["applyAllocation"]["__typename"] == (
        "AllocationRunPayload"
    )
    stale = (await gql.data(APPLY, id=second["id"]))["applyAllocation"]
    assert stale["__typename"] == "ConflictError" and "preview again" in stale["message"]


async def test_tier_weights_and_multiplier_hook(sessions, gql):
    ids = await setup(sessions)
    inp: dict[str, Any] = {"product": ids["product"], "stock": 6, "rule": "TIER_WEIGHTED"}
    plain = (await gql.data(PREVIEW, input=inp))["previewAllocation"]
    # weights 9 (1.5 × 6), 4, 2 of 15: shares 3.6, 1.6, 0.8; floors 3, 1, 0; the 2 units
    # left go to C (.8), then A (.6 ties B's .6; A's weight is larger)
    assert lines(plain) == [("A", 6, 4), ("B", 4, 1), ("C", 2, 1)]
    inp["weightMultipliers"] = [{"partner": encode_id("Partner", ids["b"]), "multiplier": "4"}]
    boosted = (await gql.data(PREVIEW, input=inp))["previewAllocation"]
    # B's weight 16: weights 9, 16, 2 of 27 → 2, 3.56, 0.44; the unit left goes to B
    assert lines(boosted) == [("A", 6, 2), ("B", 4, 4), ("C", 2, 0)]
    assert boosted["run"]["lines"][1]["weightMultiplier"] == "4.00"
    assert "multiplier 4" in boosted["run"]["lines"][1]["explanation"]


async def test_region_manager_allocates_over_its_partners_dealer_may_not(sessions, gql, gql_as):
    ids = await setup(sessions)
    manager = gql_as(Role.REGION_MANAGER, regions=[ids["north"]])
    payload = (
        await manager.data(
            PREVIEW, input={"product": ids["product"], "stock": 5, "rule": "PROPORTIONAL"}
        )
    )["previewAllocation"]
    assert lines(payload) == [("A", 6, 3), ("B", 4, 2)]
    await gql.data(PREVIEW, input={"product": ids["product"], "stock": 12, "rule": "PROPORTIONAL"})

    dealer = gql_as(Role.DEALER, partner=ids["b"])
    refused = (
        await dealer.data(
            PREVIEW, input={"product": ids["product"], "stock": 5, "rule": "PROPORTIONAL"}
        )
    )["previewAllocation"]
    assert refused == {"__typename": "ForbiddenError", "permission": "ORDERS_MANAGE"}
    runs = (await dealer.data(RUNS))["allocationRuns"]
    assert runs["totalCount"] == 2
    assert all(
        r["lines"] == [{"allocated": r["lines"][0]["allocated"], "partner": {"code": "B"}}]
        for r in runs["nodes"]
    )
    south_manager = gql_as(Role.REGION_MANAGER, regions=[ids["north"] + 1])
    assert (await south_manager.data(RUNS))["allocationRuns"]["totalCount"] == 1


async def test_bad_input_is_typed_and_stores_nothing(sessions, gql):
    ids = await setup(sessions)
    bad = [
        ({"product": ids["product"], "stock": -1, "rule": "PROPORTIONAL"}, "stock"),
        (
            {"product": ids["product"], "stock": 1, "rule": "SELL_THROUGH", "sellThroughDays": 0},
            "sellThroughDays",
        ),
        (
            {
                "product": ids["product"],
                "stock": 1,
                "rule": "PROPORTIONAL",
                "weightMultipliers": [
                    {"partner": encode_id("Partner", ids["a"]), "multiplier": "-1"}
                ],
            },
            "weightMultipliers",
        ),
        (
            {
                "product": ids["product"],
                "stock": 1,
                "rule": "PROPORTIONAL",
                "weightMultipliers": [{"partner": ids["product"], "multiplier": "2"}],
            },
            "weightMultipliers",
        ),
        ({"product": "nonsense", "stock": 1, "rule": "PROPORTIONAL"}, "product"),
    ]
    for inp, field in bad:
        payload = (await gql.data(PREVIEW, input=inp))["previewAllocation"]
        assert payload["__typename"] == "InvalidInputError", (inp, payload)
        assert [f["field"] for f in payload["fields"]] == [field]
    missing = (
        await gql.data(
            PREVIEW,
            input={"product": encode_id("Product", 999999), "stock": 1, "rule": "PROPORTIONAL"},
        )
    )["previewAllocation"]
    assert missing == {"__typename": "NotFoundError", "field": "product"}
    unknown = (await gql.data(APPLY, id=encode_id("AllocationRun", 999999)))["applyAllocation"]
    assert unknown["__typename"] == "NotFoundError"
    async with sessions() as s:
        assert await s.scalar(select(func.count()).select_from(AllocationRun)) == 0


async def test_sell_through_favours_the_fastest_seller(sessions, gql):
    ids = await setup(sessions)
    # only C delivered anything (30 units) lately: it is served first, A and B get the rest
    # (zero sell-through shares by request: 4 units over 6 and 4 → 2.4, 1.6 → 2, 2)
    payload = (
        await gql.data(
            PREVIEW, input={"product": ids["product"], "stock": 6, "rule": "SELL_THROUGH"}
        )
    )["previewAllocation"]
    assert lines(payload) == [("A", 6, 2), ("B", 4, 2), ("C", 2, 2)]
    assert "sell-through 30" in payload["run"]["lines"][2]["explanation"]


async def test_statements_do_not_grow_with_runs(app, sessions, gql):
    ids = await setup(sessions)
    query = """{ allocationRuns(first: 10) {
      nodes { id lines { allocated partner { code } } product { sku } } } }"""
    inp = {"product": ids["product"], "stock": 3, "rule": "PROPORTIONAL"}
    await gql.data(PREVIEW, input=inp)
    with counting(app) as one:
        await gql.data(query)
    for _ in range(3):
        await gql.data(PREVIEW, input=inp)
    with counting(app) as four:
        data = await gql.data(query)
    assert len(data["allocationRuns"]["nodes"]) == 4
    assert len(one) == len(four) == 4  # runs, their lines, one batch of partners, of products


async def test_two_previews_applied_at_once_only_one_wins(sessions, gql):
    ids = await setup(sessions)
    inp = {"product": ids["product"], "stock": 4, "rule": "PROPORTIONAL"}
    first = (await gql.data(PREVIEW, input=inp))["previewAllocation"]["run"]["id"]
    second = (await gql.data(PREVIEW, input=inp))["previewAllocation"]["run"]["id"]
    results = await asyncio.gather(gql.data(APPLY, id=first), gql.data(APPLY, id=second))
    kinds = sorted(r["applyAllocation"]["__typename"] for r in results)
    assert kinds == ["AllocationRunPayload", "ConflictError"]
    async with sessions() as s:
        applied = await s.scalar(
            select(func.count()).select_from(AllocationRun).where(AllocationRun.status == "applied")
        )
    assert applied == 1


async def test_a_redeemed_priority_supply_right_weights_the_next_run_once(sessions, gql):
    from store.models import Reward, RewardRedemption
    from store.repositories.points import PointsRepository
    from store.scope import Scope

    ids = await setup(sessions)
    async with sessions.begin() as s:
        s.add(Reward(code="PRIO", name="Priority supply", kind="PRIORITY_SUPPLY", cost_points=10))
        points = PointsRepository(s, Scope.everything())
        await points.earn(ids["b"], 10, "task", 1, "system")
    async with sessions.begin() as s:
        await PointsRepository(s, Scope.everything()).redeem(ids["b"], "PRIO", "dealer-b")
    inp: dict[str, Any] = {"product": ids["product"], "stock": 6, "rule": "TIER_WEIGHTED"}
    favoured = (await gql.data(PREVIEW, input=inp))["previewAllocation"]
    # B's weight 4 × 1.5 = 6: weights 9, 6, 2 of 17 → 3.18, 2.12, 0.71; floors 3, 2, 0; the
    # unit left goes to C (.71)
    assert lines(favoured) == [("A", 6, 3), ("B", 4, 2), ("C", 2, 1)]
    assert favoured["run"]["lines"][1]["weightMultiplier"] == "1.50"
    applied = (await gql.data(APPLY, id=favoured["run"]["id"]))["applyAllocation"]
    assert applied["run"]["status"] == "applied"
    async with sessions() as s:
        [used] = (await s.scalars(select(RewardRedemption))).all()
    assert used.consumed_by_allocation_run_id is not None  # the right is used up
    again = (await gql.data(PREVIEW, input={**inp, "stock": 1}))["previewAllocation"]
    assert all(line["weightMultiplier"] == "1.00" for line in again["run"]["lines"])

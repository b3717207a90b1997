"""Reorder rules and low-stock alerts through the graph: alerts raised and resolved by
setStockLevel and setReorderRule, each role seeing only its scope, reorder suggestions with
their numbers, and bad input refused with nothing changed."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from schema.node import encode_id
from security.viewer import Role
from store.models import ReorderRule, StockAlert, StockLevel
from tests import factories as f
from tests.schema.stock_control_data import Channel, make_channel

SET_RULE = """mutation($input: SetReorderRuleInput!) { setReorderRule(input: $input) {
  __typename
  ... on ReorderRulePayload { reorderRule { id minimum maximum multiple updatedBy
      location { code } product { sku } } }
  ... on UserError { message }
  ... on InvalidInputError { fields { field message } }
  ... on NotFoundError { field } } }"""

SET_STOCK = """mutation($input: SetStockLevelInput!) { setStockLevel(input: $input) {
  __typename
  ... on StockLevelPayload { stockLevel { onHand } }
  ... on InvalidInputError { fields { field message } } } }"""

ALERTS = """query($filter: StockAlertFilter) { stockAlerts(filter: $filter) {
  totalCount
  nodes { open minimum onHand resolvedOnHand resolvedAt location { code } product { sku } } } }"""

SUGGEST = """{ reorderSuggestions { onHand reserved inTransit projected quantity
  rule { minimum maximum multiple location { code } } } }"""

DELETE = """mutation($id: ID!) { deleteReorderRule(id: $id) {
  __typename ... on DeleteReorderRulePayload { deletedId } ... on NotFoundError { field } } }"""


def rule_input(ch: Channel, site: str, minimum: int, maximum: int, multiple: int = 1) -> Any:
    return {
        "location": ch.ids()[site],
        "product": ch.ids()["product"],
        "minimum": minimum,
        "maximum": maximum,
        "multiple": multiple,
    }


def stock_input(ch: Channel, site: str, on_hand: int, **more: int) -> Any:
    return {"location": ch.ids()[site], "product": ch.ids()["product"], "onHand": on_hand, **more}


async def alert_rows(sessions: Any) -> list[StockAlert]:
    async with sessions() as s:
        return list((await s.scalars(select(StockAlert).order_by(StockAlert.id))).all())


async def test_stock_under_the_minimum_raises_an_alert_and_a_refill_resolves_it(sessions, gql_as):
    ch = await make_channel(sessions)
    dealer = gql_as(Role.DEALER, partner=ch.dealer_a)
    set_rule = await dealer.data(SET_RULE, input=rule_input(ch, "siteA", 10, 50, 6))
    rule = set_rule["setReorderRule"]["reorderRule"]
    assert (rule["minimum"], rule["maximum"], rule["multiple"]) == (10, 50, 6)
    assert rule["location"] == {"code": "SITE-A"} and rule["updatedBy"] == "test-dealer"
    assert await alert_rows(sessions) == []  # no stock level yet: nothing to alert on

    await dealer.data(SET_STOCK, input=stock_input(ch, "siteA", 4))
    opened = (await dealer.data(ALERTS, filter={"open": True}))["stockAlerts"]
    assert opened["totalCount"] == 1
    [alert] = opened["nodes"]
    assert (alert["open"], alert["minimum"], alert["onHand"]) == (True, 10, 4)

    await dealer.data(SET_STOCK, input=stock_input(ch, "siteA", 3))  # still low: same alert
    [row] = await alert_rows(sessions)
    assert row.resolved_at is None and row.on_hand == 3

    await dealer.data(SET_STOCK, input=stock_input(ch, "siteA", 10))  # at the minimum: fine
    assert (await dealer.data(ALERTS, filter={"open": True}))["stockAlerts"]["totalCount"] == 0
    resolved = (await dealer.data(ALERTS, filter={"open": False}))["stockAlerts"]["nodes"]
    assert [(a["open"], a["resolvedOnHand"]) for a in resolved] == [(False, 10)]
    assert resolved[0]["resolvedAt"] is not None

    await dealer.data(SET_STOCK, input=stock_input(ch, "siteA", 9))  # low again: a new alert
    assert [a.resolved_at is None for a in await alert_rows(sessions)] == [False, True]


async def test_a_level_minimum_alone_raises_and_a_rule_takes_precedence(sessions, gql):
    ch = await make_channel(sessions)
    await gql.data(SET_STOCK, input=stock_input(ch, "warehouse", 5, minQuantity=6))
    [alert] = await alert_rows(sessions)
    assert (alert.minimum, alert.on_hand, alert.resolved_at) == (6, 5, None)
    # a rule with a lower minimum wins over the level's own: 5 is not under 5
    data = await gql.data(SET_RULE, input=rule_input(ch, "warehouse", 5, 20))
    [alert] = await alert_rows(sessions)
    assert alert.resolved_at is not None and alert.resolved_on_hand == 5
    # deleting the rule falls back to the level's minimum: low again
    deleted = await gql.data(DELETE, id=data["setReorderRule"]["reorderRule"]["id"])
    assert deleted["deleteReorderRule"]["__typename"] == "DeleteReorderRulePayload"
    rows = await alert_rows(sessions)
    assert [(a.minimum, a.resolved_at is None) for a in rows] == [(6, False), (6, True)]


async def test_each_role_sees_only_the_alerts_of_its_scope(sessions, gql, gql_as):
    ch = await make_channel(sessions)
    for site in ("siteA", "siteB", "warehouse"):
        await gql.data(SET_RULE, input=rule_input(ch, site, 10, 20))
        await gql.data(SET_STOCK, input=stock_input(ch, site, 1))

    async def seen(client: Any) -> list[str]:
        nodes = (await client.data(ALERTS))["stockAlerts"]["nodes"]
        return sorted(n["location"]["code"] for n in nodes)

    assert await seen(gql) == ["SITE-A", "SITE-B", "WH"]
    assert await seen(gql_as(Role.DEALER, partner=ch.dealer_a)) == ["SITE-A"]
    assert await seen(gql_as(Role.DEALER, partner=ch.dealer_b)) == ["SITE-B"]
    assert await seen(gql_as(Role.REGION_MANAGER, regions=[ch.north])) == ["SITE-A"]
    assert await seen(gql_as(Role.REGION_MANAGER, regions=[ch.south])) == ["SITE-B"]
    suggestions = (await gql_as(Role.DEALER, partner=ch.dealer_b).data(SUGGEST))[
        "reorderSuggestions"
    ]
    assert [s["rule"]["location"]["code"] for s in suggestions] == ["SITE-B"]


async def test_a_dealer_may_not_set_rules_at_another_dealers_site(sessions, gql_as):
    ch = await make_channel(sessions)
    dealer = gql_as(Role.DEALER, partner=ch.dealer_a)
    refused = await dealer.data(SET_RULE, input=rule_input(ch, "siteB", 1, 2))
    assert refused["setReorderRule"]["__typename"] == "NotFoundError"
    assert refused["setReorderRule"]["field"] == "location"
    auditor = gql_as(Role.SECURITY_AUDITOR)
    forbidden = await auditor.data(SET_RULE, input=rule_input(ch, "siteA", 1, 2))
    assert forbidden["setReorderRule"]["__typename"] == "ForbiddenError"
    async with sessions() as s:
        assert await s.scalar(select(func.count()).select_from(ReorderRule)) == 0


async def test_reorder_suggestions_bring_projected_stock_back_to_the_maximum(sessions, gql):
    ch = await make_channel(sessions)
    async with sessions.begin() as s:
        level = await f.create_stock(s, location=ch.site_a, product=ch.product, on_hand=30)
        level.reserved = 15  # projected 15 < 20: order 100 - 15 = 85 → 96 (multiple of 12)
        other = await f.create_stock(s, location=ch.site_b, product=ch.product, on_hand=30)
        other.reserved = 10  # projected 20: not under the minimum
        transit = await f.create_stock(s, location=ch.warehouse, product=ch.product, on_hand=10)
        transit.in_transit = 9  # projected 19: 81 → 84
    for site in ("siteA", "siteB", "warehouse"):
        await gql.data(SET_RULE, input=rule_input(ch, site, 20, 100, 12))
    suggestions = (await gql.data(SUGGEST))["reorderSuggestions"]
    got = [
        (s["rule"]["location"]["code"], s["projected"], s["quantity"], s["onHand"])
        for s in suggestions
    ]
    assert got == [("SITE-A", 15, 96, 30), ("WH", 19, 84, 10)]


async def test_bad_input_is_refused_by_field_and_nothing_changes(sessions, gql):
    ch = await make_channel(sessions)
    await gql.data(SET_STOCK, input=stock_input(ch, "siteA", 5, minQuantity=3))
    negative = await gql.data(SET_STOCK, input=stock_input(ch, "siteA", -1))
    assert negative["setStockLevel"]["__typename"] == "InvalidInputError"
    assert negative["setStockLevel"]["fields"] == [
        {"field": "onHand", "message": "must not be negative"}
    ]
    bad = await gql.data(SET_RULE, input=rule_input(ch, "siteA", 10, 5, 0))
    assert bad["setReorderRule"]["__typename"] == "InvalidInputError"
    assert {e["field"] for e in bad["setReorderRule"]["fields"]} == {"maximum", "multiple"}
    below = await gql.data(SET_RULE, input=rule_input(ch, "siteA", -1, 5))
    assert below["setReorderRule"]["fields"] == [
        {"field": "minimum", "message": "must not be negative"}
    ]
    async with sessions() as s:
        assert (await s.scalars(select(StockLevel.on_hand))).all() == [5]
        assert await s.scalar(select(func.count()).select_from(ReorderRule)) == 0
    assert await alert_rows(sessions) == []
    unknown = await gql.data(DELETE, id=encode_id("ReorderRule", 999))
    assert unknown["deleteReorderRule"] == {"__typename": "NotFoundError", "field": "id"}

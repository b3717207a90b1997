"""Who sees what: roles and scopes on connections, nested fields, lookups and ``node``.

The channel (tests/schema/channel.py): distributor D001 in Zhejiang with sub-partners A001
and C001 (Hangzhou); B001 and S001 in Nanjing (Jiangsu); six orders of A001, one of B001.
"""

from __future__ import annotations

from typing import Any

import pytest

from schema.node import encode_id
from security.viewer import Role
from tests.schema.channel import Channel, build_channel

PARTNERS = "{ partners { totalCount nodes { code } } }"
ORDERS = "{ orders(first: 50) { totalCount nodes { partner { code } } } }"
NESTED = """{ partners { nodes { code parent { code } children { code }
  orders(first: 50) { totalCount } stock { onHand } } } }"""
ROOT_FIELDS = [
    "{ partners { totalCount } }",
    "{ orders { totalCount } }",
    "{ products { totalCount } }",
    "{ stockLevels { totalCount } }",
    "{ regions { totalCount } }",
    "{ tiers { name } }",
    '{ partner(id: "UGFydG5lcjox") { code } }',
    '{ order(id: "T3JkZXI6MQ") { number } }',
    '{ product(sku: "TEA-1") { sku } }',
    '{ node(id: "UGFydG5lcjox") { id } }',
    '{ nodes(ids: ["UGFydG5lcjox"]) { id } }',
]


@pytest.fixture
async def channel(sessions) -> Channel:
    async with sessions.begin() as s:
        return await build_channel(s)


def codes(connection: dict[str, Any]) -> list[str]:
    return sorted(n["code"] for n in connection["nodes"])


def order_partners(data: dict[str, Any]) -> set[str]:
    return {n["partner"]["code"] for n in data["orders"]["nodes"]}


async def test_a_dealer_sees_its_own_partner_and_its_sub_partners_only(gql_as, channel):
    distributor = gql_as(Role.DEALER, partner=channel.distributor)
    data = await distributor.data(PARTNERS)
    assert codes(data["partners"]) == ["A001", "C001", "D001"]
    assert data["partners"]["totalCount"] == 3
    dealer_b = gql_as(Role.DEALER, partner=channel.dealer_b)
    assert codes((await dealer_b.data(PARTNERS))["partners"]) == ["B001"]


async def test_a_dealer_sees_its_orders_only(gql_as, channel):
    dealer_b = gql_as(Role.DEALER, partner=channel.dealer_b)
    data = await dealer_b.data(ORDERS)
    assert data["orders"]["totalCount"] == 1 and order_partners(data) == {"B001"}
    distributor = await gql_as(Role.DEALER, partner=channel.distributor).data(ORDERS)
    assert distributor["orders"]["totalCount"] == 6 and order_partners(distributor) == {"A001"}


async def test_nested_fields_follow_the_scope(gql_as, channel):
    dealer_a = gql_as(Role.DEALER, partner=channel.dealer_a)
    [alpha] = (await dealer_a.data(NESTED))["partners"]["nodes"]
    # Its parent is outside a dealer's scope (sub-partners only, never the parent).
    assert alpha == {
        "code": "A001",
        "parent": None,
        "children": [],
        "orders": {"totalCount": 6},
        "stock": [{"onHand": 2}, {"onHand": 50}],
    }


async def test_another_partners_rows_are_null_by_id_and_by_node(gql_as, gql, channel):
    b_order = await gql.data(
        "query($p: [ID!]) { orders(filter: {partner: $p}) { nodes { id } } }",
        p=[encode_id("Partner", channel.dealer_b.id)],
    )
    b_order_id = b_order["orders"]["nodes"][0]["id"]
    dealer_a = gql_as(Role.DEALER, partner=channel.dealer_a)
    other = encode_id("Partner", channel.dealer_b.id)
    own = encode_id("Partner", channel.dealer_a.id)
    data = await dealer_a.data(
        "query($o: ID!, $p: ID!, $own: ID!) { partner(id: $p) { code } order(id: $o) { number }"
        " node(id: $o) { id } nodes(ids: [$p, $own]) { ... on Partner { code } } }",
        o=b_order_id,
        p=other,
        own=own,
    )
    assert data == {"partner": None, "order": None, "node": None, "nodes": [None, {"code": "A001"}]}


async def test_a_region_manager_sees_its_regions_subtrees(gql_as, channel):
    jiangsu = gql_as(Role.REGION_MANAGER, regions=[channel.jiangsu])
    assert codes((await jiangsu.data(PARTNERS))["partners"]) == ["B001", "S001"]
    assert order_partners(await jiangsu.data(ORDERS)) == {"B001"}
    both = gql_as(Role.REGION_MANAGER, regions=[channel.hangzhou, channel.nanjing])
    assert codes((await both.data(PARTNERS))["partners"]) == ["A001", "B001", "C001", "S001"]
    # Reference data (regions, products) is visible to every channel reader.
    products = await jiangsu.data("{ products { totalCount } regions { totalCount } }")
    assert (products["products"]["totalCount"], products["regions"]["totalCount"]) == (3, 5)


async def test_brand_admin_and_security_auditor_see_the_whole_channel(gql, gql_as, channel):
    assert (await gql.data(PARTNERS))["partners"]["totalCount"] == 5
    auditor = gql_as(Role.SECURITY_AUDITOR)
    assert (await auditor.data(PARTNERS))["partners"]["totalCount"] == 5


@pytest.mark.parametrize("query", ROOT_FIELDS)
async def test_every_root_channel_field_refuses_anonymous_and_erp_admin(gql_as, channel, query):
    anonymous = await gql_as(None)(query)
    assert [e["extensions"]["code"] for e in anonymous["errors"]] == ["UNAUTHENTICATED"]
    erp = await gql_as(Role.ERP_ADMIN)(query)
    assert [e["extensions"]["code"] for e in erp["errors"]] == ["FORBIDDEN"]
    assert erp["errors"][0]["message"] == "your role may not read channel data"
    for body in (anonymous, erp):
        assert not any(body["data"].values()) if body["data"] else body["data"] is None

"""Connections, filters, orderings, relations both ways and node lookups of the core graph."""

from __future__ import annotations

from typing import Any

import pytest

from schema.node import encode_id
from tests.schema.channel import Channel, build_channel


@pytest.fixture
async def channel(sessions) -> Channel:
    async with sessions.begin() as s:
        return await build_channel(s)


def codes(connection: dict[str, Any]) -> list[str]:
    return [n["code"] for n in connection["nodes"]]


async def test_partners_filter_by_region_means_its_whole_subtree(gql, channel):
    data = await gql.data(
        "query($r: ID!) { partners(filter: {region: $r}) { totalCount nodes { code } } }",
        r=encode_id("Region", channel.zhejiang.id),
    )
    assert codes(data["partners"]) == ["A001", "C001", "D001"]
    assert data["partners"]["totalCount"] == 3


async def test_partners_filter_by_type_status_tier_parent_and_text(gql, channel):
    q = "query($f: PartnerFilter) { partners(filter: $f) { nodes { code } } }"
    assert codes((await gql.data(q, f={"type": ["STORE", "AGENT"]}))["partners"]) == [
        "C001",
        "S001",
    ]
    assert codes((await gql.data(q, f={"status": ["SUSPENDED"]}))["partners"]) == ["S001"]
    tier = encode_id("Tier", channel.dealer_a.tier_id)
    assert codes((await gql.data(q, f={"tier": [tier]}))["partners"]) == ["A001", "B001"]
    parent = encode_id("Partner", channel.distributor.id)
    assert codes((await gql.data(q, f={"parent": parent}))["partners"]) == ["A001", "C001"]
    assert codes((await gql.data(q, f={"text": "beta"}))["partners"]) == ["B001"]
    assert codes((await gql.data(q, f={"text": "%"}))["partners"]) == []


async def test_partners_paginate_forward_and_backward_with_stable_cursors(gql, channel):
    q = """query($first: Int, $after: String, $last: Int, $before: String) {
      partners(first: $first, after: $after, last: $last, before: $before, orderBy: NAME_ASC) {
        edges { cursor node { name } }
        pageInfo { hasNextPage hasPreviousPage startCursor endCursor } } }"""
    names: list[str] = []
    after = None
    while True:
        page = (await gql.data(q, first=2, after=after))["partners"]
        names += [e["node"]["name"] for e in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert names == sorted(names) and len(names) == 5
    last_two = (await gql.data(q, last=2))["partners"]
    assert [e["node"]["name"] for e in last_two["edges"]] == names[-2:]
    assert last_two["pageInfo"]["hasPreviousPage"] is True
    before = last_two["pageInfo"]["startCursor"]
    previous = (await gql.data(q, last=2, before=before))["partners"]
    assert [e["node"]["name"] for e in previous["edges"]] == names[1:3]


async def test_orders_descending_pages_do_not_skip_or_repeat(gql, channel):
    q = """query($after: String) { orders(first: 3, after: $after, orderBy: CREATED_AT_DESC) {
      nodes { number createdAt } pageInfo { hasNextPage endCursor } } }"""
    seen: list[str] = []
    after = None
    while True:
        page = (await gql.data(q, after=after))["orders"]
        seen += [n["createdAt"] for n in page["nodes"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert len(seen) == 7
    assert seen == sorted(seen, reverse=True)


async def test_orders_filter_by_partner_status_and_date_range(gql, channel):
    q = "query($f: OrderFilter) { orders(filter: $f) { totalCount } }"
    a = encode_id("Partner", channel.dealer_a.id)
    assert (await gql.data(q, f={"partner": [a]}))["orders"]["totalCount"] == 6
    assert (await gql.data(q, f={"status": ["DELIVERED"]}))["orders"]["totalCount"] == 3
    window = {"createdFrom": "2026-01-02T00:00:00Z", "createdTo": "2026-01-04T00:00:00+00:00"}
    assert (await gql.data(q, f=window))["orders"]["totalCount"] == 2


async def test_order_created_range_without_time_zone_is_refused(gql, channel):
    body = await gql(
        "query($f: OrderFilter) { orders(filter: $f) { totalCount } }",
        f={"createdFrom": "2026-01-02T00:00:00"},
    )
    assert "time zone" in body["errors"][0]["message"]


def skus(data: dict[str, Any]) -> list[str]:
    return [n["sku"] for n in data["products"]["nodes"]]


async def test_products_filter_by_category_lifecycle_and_text(gql, channel):
    q = "query($f: ProductFilter) { products(filter: $f) { nodes { sku } } }"
    assert skus(await gql.data(q, f={"category": ["Tea"]})) == ["OLD-1", "TEA-1"]
    assert skus(await gql.data(q, f={"lifecycle": ["DISCONTINUED"]})) == ["OLD-1"]
    assert skus(await gql.data(q, f={"text": "cup"})) == ["CUP-1"]
    by_price = await gql.data("{ products(orderBy: LIST_PRICE_DESC) { nodes { sku } } }")
    assert skus(by_price) == ["TEA-1", "CUP-1", "OLD-1"]


async def test_stock_levels_filter_below_min_partner_and_product(gql, channel):
    q = """query($f: StockFilter) { stockLevels(filter: $f) {
      nodes { onHand available belowMin product { sku } location { partner { code } } } } }"""
    low = (await gql.data(q, f={"belowMin": True}))["stockLevels"]["nodes"]
    assert [(n["product"]["sku"], n["onHand"], n["belowMin"]) for n in low] == [("TEA-1", 2, True)]
    by_partner = await gql.data(q, f={"partner": encode_id("Partner", channel.dealer_b.id)})
    assert [n["location"]["partner"]["code"] for n in by_partner["stockLevels"]["nodes"]] == [
        "B001"
    ]
    by_product = await gql.data(q, f={"product": encode_id("Product", channel.tea.id)})
    assert len(by_product["stockLevels"]["nodes"]) == 2


async def test_relations_both_ways(gql, channel):
    data = await gql.data(
        """query($id: ID!) { partner(id: $id) {
             code parent { code children { code } } region { name parent { name } }
             tier { name rank allocationWeight }
             stock { product { sku stock { onHand } } }
             orders(first: 2, orderBy: CREATED_AT_ASC) { totalCount
               nodes { total partner { code } lines { product { sku } } history { toStatus } } }
           } }""",
        id=encode_id("Partner", channel.dealer_a.id),
    )
    partner = data["partner"]
    assert partner["parent"]["code"] == "D001"
    assert [c["code"] for c in partner["parent"]["children"]] == ["A001", "C001"]
    assert partner["region"] == {"name": "Hangzhou", "parent": {"name": "Zhejiang"}}
    assert partner["tier"] == {"name": "Silver", "rank": 2, "allocationWeight": "1.50"}
    assert {s["product"]["sku"] for s in partner["stock"]} == {"TEA-1", "CUP-1"}
    orders = partner["orders"]
    assert orders["totalCount"] == 6
    assert orders["nodes"][0]["total"] == "18.70"  # 1 * 12.50 + 2 * 3.10
    assert orders["nodes"][0]["lines"][0]["product"]["sku"] == "TEA-1"
    assert orders["nodes"][0]["history"][0]["toStatus"] == "DELIVERED"
    assert orders["nodes"][0]["partner"]["code"] == "A001"


async def test_nested_partner_orders_page_per_partner_in_a_list(gql, channel):
    data = await gql.data(
        """{ partners(filter: {type: [DEALER]}) { nodes { code
             orders(first: 2) { totalCount pageInfo { hasNextPage } nodes { number } } } } }"""
    )
    by_code = {n["code"]: n["orders"] for n in data["partners"]["nodes"]}
    assert by_code["A001"]["totalCount"] == 6 and len(by_code["A001"]["nodes"]) == 2
    assert by_code["A001"]["pageInfo"]["hasNextPage"] is True
    assert (
        by_code["B001"]["totalCount"] == 1 and by_code["B001"]["pageInfo"]["hasNextPage"] is False
    )


async def test_regions_tree_and_subtree_filter(gql, channel):
    data = await gql.data(
        """query($r: ID!) { roots: regions(filter: {rootsOnly: true}) { nodes { name level
             children { name children { name } } } }
           within: regions(filter: {within: $r}, orderBy: PATH_ASC) { nodes { name } } }""",
        r=encode_id("Region", channel.jiangsu.id),
    )
    root = data["roots"]["nodes"][0]
    assert root["name"] == "China" and root["level"] == 0
    assert {c["name"] for c in root["children"]} == {"Zhejiang", "Jiangsu"}
    assert [n["name"] for n in data["within"]["nodes"]] == ["Jiangsu", "Nanjing"]


async def test_node_and_nodes_resolve_every_node_type(gql, channel):
    ids = [
        encode_id("Partner", channel.dealer_a.id),
        encode_id("Region", channel.china.id),
        encode_id("Product", channel.tea.id),
        encode_id("Partner", 999_999),
    ]
    data = await gql.data(
        """query($ids: [ID!]!) { nodes(ids: $ids) { __typename id
             ... on Partner { code } ... on Region { name } ... on Product { sku } } }""",
        ids=ids,
    )
    nodes = data["nodes"]
    assert [n and n["__typename"] for n in nodes] == ["Partner", "Region", "Product", None]
    assert [n["id"] for n in nodes[:3]] == ids[:3]
    order = (await gql.data("{ orders(first: 1) { nodes { id } } }"))["orders"]["nodes"][0]
    node = await gql.data(
        "query($id: ID!) { node(id: $id) { ... on Order { number } } }", id=order["id"]
    )
    assert node["node"]["number"].startswith("SO-")


async def test_product_by_sku(gql, channel):
    data = await gql.data(
        '{ product(sku: "CUP-1") { name listPrice } missing: product(sku: "x") { sku } }'
    )
    assert data["product"]["listPrice"] == "3.10"
    assert data["missing"] is None


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ('{ node(id: "not-base64!") { id } }', "invalid global id"),
        (f'{{ partner(id: "{encode_id("Order", 1)}") {{ code }} }}', "expected a Partner id"),
        (f'{{ node(id: "{encode_id("Secret", 1)}") {{ id }} }}', "no node type"),
        ("{ partners(first: 501) { totalCount } }", "between 0 and 500"),
        ("{ partners(first: -1) { totalCount } }", "between 0 and 500"),
        ("{ partners(first: 1, last: 1) { totalCount } }", "either `first` or `last`"),
        ('{ partners(after: "garbage") { totalCount } }', "invalid cursor"),
    ],
)
async def test_bad_ids_and_windows_get_clear_errors(gql, channel, query, message):
    body = await gql(query)
    assert body["errors"], body
    assert message in body["errors"][0]["message"]


async def test_cursor_of_another_ordering_is_refused(gql, channel):
    page = await gql.data("{ partners(first: 1, orderBy: NAME_ASC) { pageInfo { endCursor } } }")
    cursor = page["partners"]["pageInfo"]["endCursor"]
    body = await gql("query($c: String) { partners(after: $c) { totalCount } }", c=cursor)
    assert "belongs to ordering NAME_ASC" in body["errors"][0]["message"]


async def test_max_page_size_is_configurable(app, gql, channel):
    app.state.hub.settings.max_page_size = 2
    body = await gql("{ partners(first: 3) { totalCount } }")
    assert "between 0 and 2" in body["errors"][0]["message"]

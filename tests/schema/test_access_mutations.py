"""Who may change what: permissions and scopes in the mutation services, and their audit."""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy import func, select

from schema.node import encode_id
from security.viewer import Role
from store.models import AuditEntry, Location, Order, Partner
from tests.schema.channel import Channel, build_channel

RESULT = """__typename ... on UserError { message } ... on NotFoundError { field id }
  ... on ForbiddenError { permission }"""
PLACE = f"""mutation($input: PlaceOrderInput!) {{ placeOrder(input: $input) {{ {RESULT}
  ... on OrderPayload {{ order {{ id status history {{ changedBy }} }} }} }} }}"""
CHANGE = f"""mutation($input: ChangeOrderStatusInput!) {{ changeOrderStatus(input: $input) {{
  {RESULT} ... on OrderPayload {{ order {{ status }} }} }} }}"""
CREATE_PARTNER = f"""mutation($input: CreatePartnerInput!) {{ createPartner(input: $input) {{
  {RESULT} ... on PartnerPayload {{ partner {{ code }} }} }} }}"""
UPDATE_PARTNER = f"""mutation($input: UpdatePartnerInput!) {{ updatePartner(input: $input) {{
  {RESULT} ... on PartnerPayload {{ partner {{ code }} }} }} }}"""
CREATE_PRODUCT = f"""mutation($input: CreateProductInput!) {{ createProduct(input: $input) {{
  {RESULT} }} }}"""
CREATE_REGION = f"""mutation($input: CreateRegionInput!) {{ createRegion(input: $input) {{
  {RESULT} }} }}"""
SET_STOCK = f"""mutation($input: SetStockLevelInput!) {{ setStockLevel(input: $input) {{
  {RESULT} ... on StockLevelPayload {{ stockLevel {{ onHand }} }} }} }}"""


@pytest.fixture
async def channel(sessions) -> Channel:
    async with sessions.begin() as s:
        return await build_channel(s)


def gid(type_name: str, row: Any) -> str:
    return encode_id(type_name, row if isinstance(row, int) else row.id)


def order_input(partner: Any, channel: Channel) -> dict[str, Any]:
    return {"partner": gid("Partner", partner), "lines": [{"sku": "TEA-1", "quantity": 1}]}


async def count(sessions, model: Any, *where: Any) -> int:
    async with sessions() as s:
        return int(await s.scalar(select(func.count()).select_from(model).where(*where)) or 0)


async def denials(sessions) -> list[dict[str, Any]]:
    async with sessions() as s:
        rows = await s.scalars(select(AuditEntry).where(AuditEntry.action == "authz.denied"))
        return [
            {"actor": e.actor, "table": e.table_name, "hashed_row": e.row_hash is not None}
            | json.loads(e.detail)
            for e in rows
        ]


async def first_order_of(sessions, partner: Partner) -> int:
    async with sessions() as s:
        return int(await s.scalar(select(func.min(Order.id)).where(Order.partner_id == partner.id)))


async def location_of(sessions, partner: Partner) -> int:
    async with sessions() as s:
        return int(await s.scalar(select(Location.id).where(Location.partner_id == partner.id)))


async def test_dealer_ordering_for_another_dealer_is_not_found_written_nowhere_and_audited(
    gql_as, sessions, channel
):
    dealer_a = gql_as(Role.DEALER, partner=channel.dealer_a)
    before = await count(sessions, Order)
    data = await dealer_a.data(PLACE, input=order_input(channel.dealer_b, channel))
    missing = await dealer_a.data(PLACE, input=order_input(9999, channel))
    assert (
        data["placeOrder"]["__typename"] == missing["placeOrder"]["__typename"] == "NotFoundError"
    )
    assert data["placeOrder"]["message"] == f"no partner {gid('Partner', channel.dealer_b)!r}"
    assert await count(sessions, Order) == before
    assert await denials(sessions) == [
        {
            "actor": "test-dealer",
            "table": "partners",
            "hashed_row": True,
            "mutation": "placeOrder",
            "field": "partner",
        }
    ]


async def test_dealer_places_its_own_orders_recorded_under_its_subject(gql_as, channel):
    dealer_a = gql_as(Role.DEALER, partner=channel.dealer_a, subject="alice@alpha")
    data = await dealer_a.data(PLACE, input=order_input(channel.dealer_a, channel))
    order = data["placeOrder"]["order"]
    assert order["status"] == "SUBMITTED" and order["history"] == [{"changedBy": "alice@alpha"}]


async def test_dealer_cannot_approve_but_may_cancel_its_own_orders(gql_as, sessions, channel):
    dealer_a = gql_as(Role.DEALER, partner=channel.dealer_a)
    own = gid("Order", await first_order_of(sessions, channel.dealer_a))
    approve = await dealer_a.data(CHANGE, input={"order": own, "to": "APPROVED"})
    assert approve["changeOrderStatus"]["__typename"] == "ForbiddenError"
    assert approve["changeOrderStatus"]["permission"] == "ORDERS_MANAGE"
    other = gid("Order", await first_order_of(sessions, channel.dealer_b))
    cancel_other = await dealer_a.data(CHANGE, input={"order": other, "to": "CANCELLED"})
    assert cancel_other["changeOrderStatus"]["__typename"] == "NotFoundError"
    own_submitted = gid("Order", await first_order_of(sessions, channel.dealer_a) + 3)
    cancel = await dealer_a.data(CHANGE, input={"order": own_submitted, "to": "CANCELLED"})
    assert cancel["changeOrderStatus"]["order"]["status"] == "CANCELLED"
    assert [
        (d["mutation"], d.get("permission"), d.get("field")) for d in await denials(sessions)
    ] == [
        ("changeOrderStatus", "orders:manage", None),
        ("changeOrderStatus", None, "order"),
    ]


async def test_a_region_manager_approves_orders_in_its_regions_only(gql_as, sessions, channel):
    zhejiang = gql_as(Role.REGION_MANAGER, regions=[channel.zhejiang])
    own = gid("Order", await first_order_of(sessions, channel.dealer_a) + 3)
    approved = await zhejiang.data(CHANGE, input={"order": own, "to": "APPROVED"})
    assert approved["changeOrderStatus"]["order"]["status"] == "APPROVED"
    other = gid("Order", await first_order_of(sessions, channel.dealer_b))
    refused = await zhejiang.data(CHANGE, input={"order": other, "to": "APPROVED"})
    assert refused["changeOrderStatus"]["__typename"] == "NotFoundError"


async def test_partner_writes_stay_inside_the_callers_scope(gql_as, gql, sessions, channel):
    dealer = gql_as(Role.DEALER, partner=channel.dealer_a)
    new = {"code": "N1", "name": "New", "type": "DEALER", "region": gid("Region", channel.nanjing)}
    refused = await dealer.data(CREATE_PARTNER, input=new)
    assert refused["createPartner"]["permission"] == "CHANNEL_WRITE"
    zhejiang = gql_as(Role.REGION_MANAGER, regions=[channel.zhejiang])
    outside = await zhejiang.data(CREATE_PARTNER, input=new)
    assert outside["createPartner"]["__typename"] == "ForbiddenError"
    assert outside["createPartner"]["message"] == "you may not create a partner outside your scope"
    inside = await zhejiang.data(
        CREATE_PARTNER, input=new | {"region": gid("Region", channel.hangzhou)}
    )
    assert inside["createPartner"]["partner"] == {"code": "N1"}
    move_out = {"id": gid("Partner", channel.dealer_a), "region": gid("Region", channel.nanjing)}
    moved = await zhejiang.data(UPDATE_PARTNER, input=move_out)
    assert moved["updatePartner"]["__typename"] == "ForbiddenError"
    foreign = await zhejiang.data(UPDATE_PARTNER, input={"id": gid("Partner", channel.dealer_b)})
    assert foreign["updatePartner"]["__typename"] == "NotFoundError"
    assert await count(sessions, Partner, Partner.code == "N1") == 1
    assert await count(sessions, Partner, Partner.region_id == channel.nanjing.id) == 2
    assert (await gql.data(UPDATE_PARTNER, input=move_out))["updatePartner"]["partner"]


async def test_catalogue_writes_need_catalog_write(gql_as, gql, channel):
    product = {"sku": "NEW-1", "name": "New", "category": "Tea", "listPrice": "1.00"}
    for client in (gql_as(Role.REGION_MANAGER, regions=[channel.china]), gql_as(None)):
        refused = await client.data(CREATE_PRODUCT, input=product)
        assert refused["createProduct"]["__typename"] == "ForbiddenError"
        region = await client.data(CREATE_REGION, input={"code": "X", "name": "X"})
        assert region["createRegion"]["__typename"] == "ForbiddenError"
    anonymous = await gql_as(None).data(CREATE_PRODUCT, input=product)
    assert anonymous["createProduct"]["message"] == "authentication required to create a product"
    assert anonymous["createProduct"]["permission"] is None
    created = await gql.data(CREATE_PRODUCT, input=product)
    assert created["createProduct"]["__typename"] == "ProductPayload"


async def test_dealers_set_stock_at_their_own_sites_only(gql_as, sessions, channel):
    dealer_a = gql_as(Role.DEALER, partner=channel.dealer_a)
    mine = await location_of(sessions, channel.dealer_a)
    theirs = await location_of(sessions, channel.dealer_b)
    tea = gid("Product", channel.tea)
    ok = await dealer_a.data(
        SET_STOCK, input={"location": gid("Location", mine), "product": tea, "onHand": 7}
    )
    assert ok["setStockLevel"]["stockLevel"] == {"onHand": 7}
    other = {"location": gid("Location", theirs), "product": tea, "onHand": 0}
    refused = await dealer_a.data(SET_STOCK, input=other)
    assert refused["setStockLevel"]["__typename"] == "NotFoundError"
    erp = await gql_as(Role.ERP_ADMIN).data(SET_STOCK, input=other)
    assert erp["setStockLevel"]["permission"] == "STOCK_WRITE"

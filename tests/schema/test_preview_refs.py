"""previewStream resolves references the way a sync does, reading only: the demo ERP's sales
orders map to the hub's partners and products (by external id synced from this connector,
then by partner code and SKU), an order of a customer the hub does not know — or knows only
through another connector — is rejected naming it, a customer billed to a customer later on
the same page is mapped with that reference pending, and nothing is written. The demo ERP
is served on 127.0.0.1."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from demo.erp.configs import SALES_CONNECTOR, demo_connector_configs
from demo.erp.erp import DemoErp
from demo.erp.server import serve_erp
from jobs.connector_configs import apply_configs
from security.viewer import Role
from store.models import ExternalRef, Order, Partner, Product, Region, Tier
from tests.factories import create_partner, create_product, create_region, create_tier

NOW = datetime(2026, 3, 15, 9, 30, tzinfo=UTC)
ABSENT = "DLR-00014"  # a customer the hub does not have
ELSEWHERE = "DLR-00010"  # a customer the hub knows only through another connector
PREVIEW = """
mutation($id: ID!, $stream: String!) {
  previewStream(id: $id, stream: $stream) {
    __typename
    ... on StreamPreview { records rejected { index reason } rawCount }
    ... on ConnectorFailure { message kind }
    ... on UserError { message }
  }
}"""


@pytest.fixture
def erp() -> DemoErp:
    erp = DemoErp.build("tiny", now=NOW, utcnow=lambda: NOW + timedelta(hours=1))
    customer = erp.dataset.customer("STR-00005")
    assert customer is not None
    customer.bill_to = "DIS-09999"  # on no page and not in the hub: never resolves
    return erp


@pytest.fixture
def erp_url(erp: DemoErp) -> Iterator[str]:
    with serve_erp(erp) as url:
        yield url


async def _connector_id(app: Any, admin: Any, erp: DemoErp, url: str) -> str:
    sales = demo_connector_configs(url, erp)[0]
    await apply_configs(app.state.hub.fields, [sales])
    listed = (await admin.data("{ connectors { id name } }"))["connectors"]
    return next(str(c["id"]) for c in listed if c["name"] == SALES_CONNECTOR)


async def _counts(app: Any) -> tuple[int, ...]:
    counts: list[int] = []
    async with app.state.hub.sessions() as session:
        for model in (Partner, Product, Order, ExternalRef, Region, Tier):
            count = (await session.execute(select(func.count()).select_from(model))).scalar_one()
            counts.append(int(count))
    return tuple(counts)


async def _preview(admin: Any, connector: str, stream: str) -> dict[str, Any]:
    result: dict[str, Any] = (await admin.data(PREVIEW, id=connector, stream=stream))[
        "previewStream"
    ]
    assert result["__typename"] == "StreamPreview", result
    return result


async def test_a_sales_order_preview_resolves_partners_and_products(
    app: Any, gql_as: Any, erp: DemoErp, erp_url: str
) -> None:
    data = erp.dataset
    partners: dict[str, int] = {}
    products: dict[str, int] = {}
    async with app.state.hub.sessions.begin() as session:
        for n, customer in enumerate(data.customers):
            if customer.no == ABSENT:
                continue
            if n % 2 or customer.no == ELSEWHERE:  # known under another code: by its ref
                partner = await create_partner(session, code=f"HUB-{n}")
                connector = "other-erp" if customer.no == ELSEWHERE else SALES_CONNECTOR
                session.add(
                    ExternalRef(
                        connector=connector,
                        entity="partner",
                        entity_id=partner.id,
                        external_id=customer.no,
                    )
                )
            else:  # by its natural key: the partner code is the customer No
                partner = await create_partner(session, code=customer.no)
            partners[customer.no] = partner.id
        for item in data.items:
            products[item.no] = (await create_product(session, sku=item.no)).id
    admin = gql_as(Role.ERP_ADMIN)
    connector = await _connector_id(app, admin, erp, erp_url)
    before = await _counts(app)

    preview = await _preview(admin, connector, "sales_orders")

    assert await _counts(app) == before  # nothing written
    assert preview["rawCount"] == len(data.orders)
    unknown = {ABSENT, ELSEWHERE}
    mapped = {r["externalId"]: r for r in preview["records"]}
    expected = {o.no for o in data.orders if o.customer_no not in unknown}
    assert set(mapped) == expected and len(expected) > 0
    for order in data.orders:
        if order.no not in mapped:
            continue
        record = mapped[order.no]
        assert record["entity"] == "order" and "pending" not in record
        assert record["values"]["partner_id"] == partners[order.customer_no]
        assert [line["product_id"] for line in record["lines"]] == [
            products[line.item_no] for line in order.lines
        ]
    rejected = preview["rejected"]
    assert len(rejected) == len(data.orders) - len(expected) > 0
    for rejection in rejected:
        order = data.orders[rejection["index"]]
        assert order.customer_no in unknown
        assert rejection["reason"] == (
            f"partner_id: no partner with external id {order.customer_no!r} from this connector"
        )


async def test_a_customer_preview_leaves_a_parent_on_the_same_page_pending(
    app: Any, gql_as: Any, erp: DemoErp, erp_url: str
) -> None:
    data = erp.dataset
    async with app.state.hub.sessions.begin() as session:
        for code in sorted({c.territory_code for c in data.customers}):
            region = await create_region(session)
            region.code = code
        for rank, name in enumerate(("Bronze", "Silver", "Gold", "Platinum"), start=1):
            await create_tier(session, name=name, rank=rank)
        stored = await create_partner(session, code="DIS-00003")  # a parent already in the hub
        await session.flush()
    admin = gql_as(Role.ERP_ADMIN)
    connector = await _connector_id(app, admin, erp, erp_url)
    before = await _counts(app)

    preview = await _preview(admin, connector, "customers")

    assert await _counts(app) == before
    assert preview["rawCount"] == len(data.customers)
    mapped = {r["externalId"]: r for r in preview["records"]}
    [rejected] = preview["rejected"]
    assert data.customers[rejected["index"]].no == "STR-00005"
    assert rejected["reason"] == (
        "parent_id: no partner with external id 'DIS-09999' from this connector"
    )
    assert set(mapped) == {c.no for c in data.customers} - {"STR-00005"}
    pending_seen = 0
    for customer in data.customers:
        record = mapped.get(customer.no)
        if record is None:
            continue
        assert record["values"]["region_id"] is not None
        assert record["values"]["tier_id"] is not None
        if customer.bill_to is None:
            assert record["values"]["parent_id"] is None and "pending" not in record
        elif customer.bill_to == "DIS-00003":
            assert record["values"]["parent_id"] == stored.id and "pending" not in record
        else:  # billed to a customer of this page: stored first by a sync
            assert record["values"]["parent_id"] is None
            assert record["pending"] == {"parent_id": customer.bill_to}
            pending_seen += 1
    assert pending_seen > 0

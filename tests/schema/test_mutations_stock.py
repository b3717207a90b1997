"""setStockLevel: an upsert per location and product that keeps unspecified quantities."""

import asyncio

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from schema.node import encode_id
from store.models import StockLevel
from tests.factories import create_location, create_product, create_stock

Sessions = async_sessionmaker[AsyncSession]

SET = """mutation($input: SetStockLevelInput!) { setStockLevel(input: $input) {
  __typename
  ... on StockLevelPayload { stockLevel { id onHand reserved inTransit minQuantity available
      location { code } product { sku } } }
  ... on UserError { message }
  ... on InvalidInputError { fields { field message } }
  ... on NotFoundError { field id } } }"""


async def levels(sessions: Sessions) -> list[StockLevel]:
    async with sessions() as s:
        return list((await s.scalars(select(StockLevel))).all())


async def test_set_stock_level_creates_the_level_with_defaults(sessions, gql):
    async with sessions.begin() as s:
        location = await create_location(s, code="WH")
        product = await create_product(s, sku="SKU-1")
    data = await gql.data(
        SET,
        input={
            "location": encode_id("Location", location.id),
            "product": encode_id("Product", product.id),
            "onHand": 12,
        },
    )
    level = data["setStockLevel"]["stockLevel"]
    assert (level["onHand"], level["reserved"], level["inTransit"], level["minQuantity"]) == (
        12,
        0,
        0,
        None,
    )
    assert (level["location"], level["product"]) == ({"code": "WH"}, {"sku": "SKU-1"})
    [row] = await levels(sessions)
    assert row.updated_at is not None and row.updated_at.tzinfo is not None


async def test_set_stock_level_updates_in_place_keeping_unspecified_quantities(sessions, gql):
    async with sessions.begin() as s:
        location = await create_location(s)
        product = await create_product(s)
        existing = await create_stock(
            s, location=location, product=product, on_hand=5, min_quantity=3
        )
        existing.reserved = 2
    ids = {
        "location": encode_id("Location", location.id),
        "product": encode_id("Product", product.id),
    }
    data = await gql.data(SET, input=ids | {"onHand": 8, "inTransit": 4})
    level = data["setStockLevel"]["stockLevel"]
    assert level["id"] == encode_id("StockLevel", existing.id)
    assert (level["onHand"], level["reserved"], level["inTransit"], level["minQuantity"]) == (
        8,
        2,
        4,
        3,
    )
    assert level["available"] == 6
    data = await gql.data(SET, input=ids | {"onHand": 8, "minQuantity": None})
    assert data["setStockLevel"]["stockLevel"]["minQuantity"] is None
    [row] = await levels(sessions)
    assert (row.on_hand, row.reserved, row.in_transit, row.min_quantity) == (8, 2, 4, None)
    assert row.updated_at is not None


async def test_set_stock_level_refuses_negative_quantities_and_writes_nothing(sessions, gql):
    async with sessions.begin() as s:
        location = await create_location(s)
        product = await create_product(s)
    data = await gql.data(
        SET,
        input={
            "location": encode_id("Location", location.id),
            "product": encode_id("Product", product.id),
            "onHand": -1,
            "reserved": -2,
            "minQuantity": -3,
        },
    )
    result = data["setStockLevel"]
    assert result["__typename"] == "InvalidInputError"
    assert {f["field"] for f in result["fields"]} == {"onHand", "reserved", "minQuantity"}
    assert await levels(sessions) == []


async def test_set_stock_level_for_unknown_or_mistyped_ids_is_a_typed_error(sessions, gql):
    async with sessions.begin() as s:
        product = await create_product(s)
    missing = encode_id("Location", 999)
    data = await gql.data(
        SET, input={"location": missing, "product": encode_id("Product", product.id), "onHand": 1}
    )
    assert (data["setStockLevel"]["__typename"], data["setStockLevel"]["field"]) == (
        "NotFoundError",
        "location",
    )
    data = await gql.data(
        SET, input={"location": missing, "product": encode_id("Order", 1), "onHand": 1}
    )
    result = data["setStockLevel"]
    assert result["__typename"] == "InvalidInputError"
    assert [f["field"] for f in result["fields"]] == ["product"]
    assert await levels(sessions) == []


async def test_concurrent_first_sets_of_one_pair_make_one_level(sessions, gql):
    async with sessions.begin() as s:
        location = await create_location(s)
        product = await create_product(s)
    ids = {
        "location": encode_id("Location", location.id),
        "product": encode_id("Product", product.id),
    }
    results = await asyncio.gather(*(gql.data(SET, input=ids | {"onHand": n}) for n in range(1, 6)))
    assert all(r["setStockLevel"]["__typename"] == "StockLevelPayload" for r in results)
    async with sessions() as s:
        assert await s.scalar(select(func.count()).select_from(StockLevel)) == 1

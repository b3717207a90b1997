"""Products, tiers and locations: create, update, typed refusals that write nothing."""

from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from domain.enums import LocationKind, ProductLifecycle
from schema.node import encode_id
from store.models import Location, Product, Tier
from tests.factories import create_location, create_partner, create_product, create_tier

Sessions = async_sessionmaker[AsyncSession]

ERRORS = """
  ... on UserError { __typename message }
  ... on InvalidInputError { fields { field message } }
  ... on NotFoundError { field id }
  ... on DuplicateError { field value }
"""
CREATE_PRODUCT = f"""mutation($input: CreateProductInput!) {{ createProduct(input: $input) {{
  ... on ProductPayload {{ product {{ id sku listPrice lifecycle unit barcode }} }}
  {ERRORS} }} }}"""
UPDATE_PRODUCT = f"""mutation($input: UpdateProductInput!) {{ updateProduct(input: $input) {{
  ... on ProductPayload {{ product {{ sku name listPrice lifecycle barcode }} }} {ERRORS} }} }}"""
CREATE_TIER = f"""mutation($input: CreateTierInput!) {{ createTier(input: $input) {{
  ... on TierPayload {{ tier {{ name rank allocationWeight }} }} {ERRORS} }} }}"""
UPDATE_TIER = f"""mutation($input: UpdateTierInput!) {{ updateTier(input: $input) {{
  ... on TierPayload {{ tier {{ name rank allocationWeight }} }} {ERRORS} }} }}"""
CREATE_LOCATION = f"""mutation($input: CreateLocationInput!) {{ createLocation(input: $input) {{
  ... on LocationPayload {{ location {{ code kind partner {{ code }} }} }} {ERRORS} }} }}"""
UPDATE_LOCATION = f"""mutation($input: UpdateLocationInput!) {{ updateLocation(input: $input) {{
  ... on LocationPayload {{ location {{ code kind partner {{ code }} }} }} {ERRORS} }} }}"""


async def count(sessions: Sessions, model: type[Any], *where: Any) -> int:
    async with sessions() as s:
        return int(await s.scalar(select(func.count()).select_from(model).where(*where)) or 0)


def product_input(**overrides: str | None) -> dict[str, str | None]:
    return {"sku": "SKU-1", "name": "Crisps", "category": "Snacks", "listPrice": "9.9"} | overrides


async def test_create_product_writes_it_with_defaults(sessions, gql):
    data = await gql.data(CREATE_PRODUCT, input=product_input())
    product = data["createProduct"]["product"]
    assert (product["sku"], product["listPrice"], product["lifecycle"], product["unit"]) == (
        "SKU-1",
        "9.90",
        "ACTIVE",
        "EA",
    )
    async with sessions() as s:
        row = (await s.scalars(select(Product))).one()
    assert row.list_price == Decimal("9.90")


@pytest.mark.parametrize(
    ("price", "problem"),
    [("-0.01", "negative"), ("1.23456", "decimal places"), ("NaN", "finite")],
)
async def test_create_product_refuses_a_bad_list_price_and_writes_nothing(
    sessions, gql, price, problem
):
    data = await gql.data(CREATE_PRODUCT, input=product_input(listPrice=price))
    result = data["createProduct"]
    assert result["__typename"] == "InvalidInputError"
    assert result["fields"][0]["field"] == "listPrice"
    assert problem in result["fields"][0]["message"]
    assert await count(sessions, Product) == 0


async def test_create_product_refuses_a_taken_sku_or_barcode(sessions, gql):
    async with sessions.begin() as s:
        await create_product(s, sku="SKU-1")
        other = await create_product(s, sku="SKU-2")
    data = await gql.data(CREATE_PRODUCT, input=product_input())
    assert (data["createProduct"]["field"], data["createProduct"]["value"]) == ("sku", "SKU-1")
    data = await gql.data(CREATE_PRODUCT, input=product_input(sku="SKU-3", barcode=other.barcode))
    assert data["createProduct"]["field"] == "barcode"
    assert await count(sessions, Product) == 2


async def test_update_product_changes_lifecycle_and_clears_barcode(sessions, gql):
    async with sessions.begin() as s:
        product = await create_product(s, sku="SKU-1")
    data = await gql.data(
        UPDATE_PRODUCT,
        input={
            "id": encode_id("Product", product.id),
            "lifecycle": "DISCONTINUED",
            "barcode": None,
            "listPrice": "12.5",
        },
    )
    result = data["updateProduct"]["product"]
    assert (result["lifecycle"], result["barcode"], result["listPrice"]) == (
        "DISCONTINUED",
        None,
        "12.50",
    )
    async with sessions() as s:
        row = await s.get(Product, product.id)
    assert row is not None and row.lifecycle == ProductLifecycle.DISCONTINUED


async def test_update_product_with_a_partner_id_is_invalid_and_unknown_product_not_found(
    sessions, gql
):
    data = await gql.data(UPDATE_PRODUCT, input={"id": encode_id("Partner", 1), "name": "x"})
    assert data["updateProduct"]["__typename"] == "InvalidInputError"
    missing = encode_id("Product", 77)
    data = await gql.data(UPDATE_PRODUCT, input={"id": missing, "name": "x"})
    assert (data["updateProduct"]["__typename"], data["updateProduct"]["id"]) == (
        "NotFoundError",
        missing,
    )


async def test_create_and_update_tier(sessions, gql):
    data = await gql.data(CREATE_TIER, input={"name": "Gold", "rank": 1})
    assert data["createTier"]["tier"] == {"name": "Gold", "rank": 1, "allocationWeight": "1.00"}
    async with sessions() as s:
        tier = (await s.scalars(select(Tier))).one()
    data = await gql.data(
        UPDATE_TIER, input={"id": encode_id("Tier", tier.id), "allocationWeight": "2.25"}
    )
    assert data["updateTier"]["tier"] == {"name": "Gold", "rank": 1, "allocationWeight": "2.25"}


async def test_tier_names_are_unique_and_weights_not_negative(sessions, gql):
    async with sessions.begin() as s:
        await create_tier(s, name="Gold")
    data = await gql.data(CREATE_TIER, input={"name": "Gold", "rank": 2})
    assert data["createTier"]["__typename"] == "DuplicateError"
    data = await gql.data(
        CREATE_TIER, input={"name": "Silver", "rank": 2, "allocationWeight": "-1"}
    )
    assert data["createTier"]["fields"][0]["field"] == "allocationWeight"
    assert await count(sessions, Tier) == 1


async def test_create_location_as_a_partner_site(sessions, gql):
    async with sessions.begin() as s:
        partner = await create_partner(s, code="P1")
    data = await gql.data(
        CREATE_LOCATION,
        input={
            "code": "L1",
            "name": "Shop",
            "kind": "PARTNER_SITE",
            "partner": encode_id("Partner", partner.id),
        },
    )
    assert data["createLocation"]["location"] == {
        "code": "L1",
        "kind": "PARTNER_SITE",
        "partner": {"code": "P1"},
    }


async def test_location_kind_and_owner_must_agree(sessions, gql):
    async with sessions.begin() as s:
        partner = await create_partner(s)
        warehouse = await create_location(s, code="WH")
    data = await gql.data(
        CREATE_LOCATION, input={"code": "L1", "name": "Shop", "kind": "PARTNER_SITE"}
    )
    assert data["createLocation"]["fields"][0]["field"] == "partner"
    data = await gql.data(
        UPDATE_LOCATION,
        input={
            "id": encode_id("Location", warehouse.id),
            "partner": encode_id("Partner", partner.id),
        },
    )
    assert data["updateLocation"]["__typename"] == "InvalidInputError"
    data = await gql.data(
        UPDATE_LOCATION,
        input={
            "id": encode_id("Location", warehouse.id),
            "kind": "PARTNER_SITE",
            "partner": encode_id("Partner", partner.id),
        },
    )
    assert data["updateLocation"]["location"]["kind"] == "PARTNER_SITE"
    assert await count(sessions, Location) == 1
    async with sessions() as s:
        row = await s.get(Location, warehouse.id)
    assert row is not None and (row.kind, row.partner_id) == (LocationKind.PARTNER_SITE, partner.id)


async def test_location_codes_are_unique(sessions, gql):
    async with sessions.begin() as s:
        await create_location(s, code="WH")
    data = await gql.data(
        CREATE_LOCATION, input={"code": "WH", "name": "Other", "kind": "BRAND_WAREHOUSE"}
    )
    assert (data["createLocation"]["__typename"], data["createLocation"]["field"]) == (
        "DuplicateError",
        "code",
    )
    assert await count(sessions, Location) == 1

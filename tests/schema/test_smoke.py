from decimal import Decimal

from tests.factories import create_order, create_partner, create_product, create_region


async def test_nested_order_query_returns_partner_region_and_lines(sessions, gql):
    async with sessions.begin() as s:
        region = await create_region(s, name="Zhejiang")
        partner = await create_partner(s, region=region)
        product = await create_product(s, price=Decimal("12.50"))
        await create_order(s, partner=partner, lines=[(product, 3)])
    data = await gql.data(
        """{ orders(first: 5) { totalCount nodes { number total partner { code region { name } }
             lines { quantity unitPrice lineTotal product { sku } } } } }"""
    )
    order = data["orders"]["nodes"][0]
    assert data["orders"]["totalCount"] == 1
    assert order["total"] == "37.50"
    assert order["partner"]["region"]["name"] == "Zhejiang"
    assert order["lines"][0]["lineTotal"] == "37.50"

"""A small channel for the stock-control tests: two regions, two dealers with a site each,
a brand warehouse and one product at 10.00."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from schema.node import encode_id
from store.models import Location, Partner, Product, Region
from tests import factories as f


@dataclass
class Channel:
    north: Region
    south: Region
    dealer_a: Partner
    dealer_b: Partner
    site_a: Location
    site_b: Location
    warehouse: Location
    product: Product

    def ids(self) -> dict[str, Any]:
        return {
            "siteA": encode_id("Location", self.site_a.id),
            "siteB": encode_id("Location", self.site_b.id),
            "warehouse": encode_id("Location", self.warehouse.id),
            "product": encode_id("Product", self.product.id),
        }


async def make_channel(sessions: Any) -> Channel:
    async with sessions.begin() as s:
        north = await f.create_region(s, name="North")
        south = await f.create_region(s, name="South")
        dealer_a = await f.create_partner(s, code="DA", region=north)
        dealer_b = await f.create_partner(s, code="DB", region=south)
        site_a = await f.create_location(s, partner=dealer_a, code="SITE-A")
        site_b = await f.create_location(s, partner=dealer_b, code="SITE-B")
        warehouse = await f.create_location(s, code="WH")
        product = await f.create_product(s, sku="SKU-X", price=Decimal("10.00"))
    return Channel(north, south, dealer_a, dealer_b, site_a, site_b, warehouse, product)

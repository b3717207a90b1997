"""A small, fully known channel for query tests: regions, tiers, partners, stock, orders."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from domain.enums import OrderStatus, PartnerStatus, PartnerType, ProductLifecycle
from store.models import Partner, Product, Region
from tests import factories as f


@dataclass
class Channel:
    china: Region
    zhejiang: Region
    hangzhou: Region
    jiangsu: Region
    nanjing: Region
    distributor: Partner
    dealer_a: Partner
    dealer_b: Partner
    store_c: Partner
    suspended: Partner
    tea: Product
    cup: Product
    old: Product


async def build_channel(s: AsyncSession) -> Channel:
    china = await f.create_region(s, name="China")
    zhejiang = await f.create_region(s, name="Zhejiang", parent=china)
    hangzhou = await f.create_region(s, name="Hangzhou", parent=zhejiang)
    jiangsu = await f.create_region(s, name="Jiangsu", parent=china)
    nanjing = await f.create_region(s, name="Nanjing", parent=jiangsu)
    gold = await f.create_tier(s, name="Gold", rank=1)
    silver = await f.create_tier(s, name="Silver", rank=2)
    distributor = await f.create_partner(
        s,
        code="D001",
        name="East Distribution",
        type=PartnerType.DISTRIBUTOR,
        region=zhejiang,
        tier=gold,
    )
    dealer_a = await f.create_partner(
        s, code="A001", name="Alpha Trading", region=hangzhou, tier=silver, parent=distributor
    )
    dealer_b = await f.create_partner(
        s, code="B001", name="Beta Foods", region=nanjing, tier=silver
    )
    store_c = await f.create_partner(
        s,
        code="C001",
        name="Corner Store",
        type=PartnerType.STORE,
        region=hangzhou,
        parent=distributor,
    )
    suspended = await f.create_partner(
        s,
        code="S001",
        name="Sleepy Agent",
        type=PartnerType.AGENT,
        status=PartnerStatus.SUSPENDED,
        region=nanjing,
    )
    tea = await f.create_product(s, sku="TEA-1", price=Decimal("12.50"), category="Tea")
    cup = await f.create_product(s, sku="CUP-1", price=Decimal("3.10"), category="Ware")
    old = await f.create_product(
        s,
        sku="OLD-1",
        price=Decimal("1.00"),
        category="Tea",
        lifecycle=ProductLifecycle.DISCONTINUED,
    )
    site_a = await f.create_location(s, partner=dealer_a)
    site_b = await f.create_location(s, partner=dealer_b)
    await f.create_stock(s, location=site_a, product=tea, on_hand=2, min_quantity=5)
    await f.create_stock(s, location=site_a, product=cup, on_hand=50, min_quantity=5)
    await f.create_stock(s, location=site_b, product=tea, on_hand=9)
    start = datetime(2026, 1, 1, tzinfo=UTC)
    for day in range(6):
        await f.create_order(
            s,
            partner=dealer_a,
            lines=[(tea, day + 1), (cup, 2)],
            created_at=start + timedelta(days=day),
            status=OrderStatus.DELIVERED if day < 3 else OrderStatus.SUBMITTED,
        )
    await f.create_order(s, partner=dealer_b, lines=[(tea, 1)], created_at=start)
    return Channel(
        china,
        zhejiang,
        hangzhou,
        jiangsu,
        nanjing,
        distributor,
        dealer_a,
        dealer_b,
        store_c,
        suspended,
        tea,
        cup,
        old,
    )

"""Keyword-only factories for test rows; each flushes and returns the row with its id."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from domain.enums import LocationKind, OrderStatus, PartnerStatus, PartnerType, ProductLifecycle
from store.models import (
    Location,
    Order,
    OrderLine,
    OrderStatusChange,
    Partner,
    Product,
    Region,
    StockLevel,
    Tier,
)

_seq = itertools.count(1)


async def create_region(
    session: AsyncSession, *, name: str | None = None, parent: Region | None = None
) -> Region:
    n = next(_seq)
    region = Region(
        code=f"R{n}",
        name=name or f"Region {n}",
        parent_id=parent.id if parent else None,
        level=parent.level + 1 if parent else 0,
    )
    session.add(region)
    await session.flush()
    region.path = f"{parent.path if parent else '/'}{region.id}/"
    await session.flush()
    return region


async def create_tier(session: AsyncSession, *, name: str | None = None, rank: int = 1) -> Tier:
    tier = Tier(name=name or f"Tier {next(_seq)}", rank=rank, allocation_weight=Decimal("1.5"))
    session.add(tier)
    await session.flush()
    return tier


async def create_partner(
    session: AsyncSession,
    *,
    code: str | None = None,
    name: str | None = None,
    type: PartnerType = PartnerType.DEALER,
    status: PartnerStatus = PartnerStatus.ACTIVE,
    region: Region | None = None,
    tier: Tier | None = None,
    parent: Partner | None = None,
    credit_limit: Decimal = Decimal("10000.00"),
) -> Partner:
    n = next(_seq)
    partner = Partner(
        code=code or f"P{n:05d}",
        name=name or f"Partner {n}",
        type=type,
        status=status,
        region_id=region.id if region else None,
        tier_id=tier.id if tier else None,
        parent_id=parent.id if parent else None,
        joined_on=date(2024, 1, 1),
        credit_limit=credit_limit,
    )
    session.add(partner)
    await session.flush()
    return partner


async def create_product(
    session: AsyncSession,
    *,
    sku: str | None = None,
    price: Decimal = Decimal("9.90"),
    category: str = "Snacks",
    lifecycle: ProductLifecycle = ProductLifecycle.ACTIVE,
) -> Product:
    n = next(_seq)
    product = Product(
        sku=sku or f"SKU-{n:05d}",
        name=f"Product {n}",
        category=category,
        unit="EA",
        list_price=price,
        lifecycle=lifecycle,
        barcode=f"69{n:011d}",
    )
    session.add(product)
    await session.flush()
    return product


async def create_location(
    session: AsyncSession, *, partner: Partner | None = None, code: str | None = None
) -> Location:
    location = Location(
        code=code or f"L{next(_seq)}",
        name="Site",
        kind=LocationKind.PARTNER_SITE if partner else LocationKind.BRAND_WAREHOUSE,
        partner_id=partner.id if partner else None,
        region_id=partner.region_id if partner else None,
    )
    session.add(location)
    await session.flush()
    return location


async def create_stock(
    session: AsyncSession,
    *,
    location: Location,
    product: Product,
    on_hand: int = 10,
    min_quantity: int | None = None,
) -> StockLevel:
    level = StockLevel(
        location_id=location.id,
        product_id=product.id,
        on_hand=on_hand,
        reserved=0,
        in_transit=0,
        min_quantity=min_quantity,
    )
    session.add(level)
    await session.flush()
    return level


async def create_order(
    session: AsyncSession,
    *,
    partner: Partner,
    lines: list[tuple[Product, int]],
    status: OrderStatus = OrderStatus.SUBMITTED,
    created_at: datetime | None = None,
) -> Order:
    n = next(_seq)
    created = created_at or datetime(2026, 1, 1, tzinfo=UTC)
    order = Order(
        number=f"SO-{n:06d}",
        partner_id=partner.id,
        status=status,
        created_at=created,
        updated_at=created,
        total=Decimal(0),
    )
    session.add(order)
    await session.flush()
    total = Decimal(0)
    for line_no, (product, quantity) in enumerate(lines, start=1):
        line_total = product.list_price * quantity
        total += line_total
        session.add(
            OrderLine(
                order_id=order.id,
                line_no=line_no,
                product_id=product.id,
                quantity=quantity,
                unit_price=product.list_price,
                line_total=line_total,
            )
        )
    order.total = total
    session.add(
        OrderStatusChange(
            order_id=order.id,
            from_status=None,
            to_status=status,
            changed_by="test",
            changed_at=created,
        )
    )
    await session.flush()
    return order

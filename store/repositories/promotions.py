"""Promotions: scoped reads and writes for the graph, and the system reads the promotion
accrual job needs (ACTIVE promotions of a year, their sales per partner summed in SQL, and
their accruals). Nothing here commits.

Scoping: promotions are reference data (every channel reader sees them, ``promotions``);
their accruals follow the partner like any accrual (``SettlementRepository.accruals``).
``active_in``, ``sales`` and ``accruals_of`` are system reads for ``jobs.promotion_accrual``,
never reachable from GraphQL.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, time
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from store.models import Accrual, Order, OrderLine, Partner, Promotion, Region
from store.repositories.rebates import SALES_STATUSES, PartnerSales
from store.scope import Scope

__all__ = ["ACTIVE", "PENDING_APPROVAL", "REJECTED", "PromotionRepository"]

PENDING_APPROVAL, ACTIVE, REJECTED = "PENDING_APPROVAL", "ACTIVE", "REJECTED"


def _start_of(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=UTC)


class PromotionRepository:
    def __init__(self, session: AsyncSession, scope: Scope) -> None:
        self.session = session
        self.scope = scope

    async def promotion(self, promotion_id: int) -> Promotion | None:
        if not self.scope.reference_data:
            return None
        return await self.session.get(Promotion, promotion_id)

    async def code_taken(self, code: str, other_than: int | None = None) -> bool:
        stmt = select(Promotion.id).where(Promotion.code == code)
        if other_than is not None:
            stmt = stmt.where(Promotion.id != other_than)
        return (await self.session.scalar(stmt)) is not None

    # -- system reads for the accrual job ---------------------------------------------------

    async def active_in(self, year: int) -> list[int]:
        """Ids of ACTIVE promotions whose window touches ``year``, by code."""
        stmt = (
            select(Promotion.id)
            .where(
                Promotion.status == ACTIVE,
                Promotion.starts <= date(year, 12, 31),
                Promotion.ends >= date(year, 1, 1),
            )
            .order_by(Promotion.code)
        )
        return list(await self.session.scalars(stmt))

    async def sales(self, promotion: Promotion, start: date, end: date) -> dict[int, PartnerSales]:
        """Quantity and amount per partner of the promotion's products on orders APPROVED or
        later created in [start, end), in its currency, of partners in its region's subtree
        and of its tier (when it names them)."""
        products: list[int] = json.loads(promotion.product_ids_json or "[]")
        stmt = (
            select(
                Order.partner_id,
                func.coalesce(func.sum(OrderLine.quantity), 0),
                func.sum(OrderLine.line_total),
            )
            .select_from(OrderLine)
            .join(Order, Order.id == OrderLine.order_id)
            .where(
                OrderLine.product_id.in_(products),
                Order.status.in_(SALES_STATUSES),
                Order.currency == promotion.currency,
                Order.created_at >= _start_of(start),
                Order.created_at < _start_of(end),
            )
            .group_by(Order.partner_id)
        )
        if promotion.tier_id is not None or promotion.region_id is not None:
            stmt = stmt.join(Partner, Partner.id == Order.partner_id)
        if promotion.tier_id is not None:
            stmt = stmt.where(Partner.tier_id == promotion.tier_id)
        if promotion.region_id is not None:
            path = await self.session.scalar(
                select(Region.path).where(Region.id == promotion.region_id)
            )
            if path is None:
                return {}
            stmt = stmt.join(Region, Region.id == Partner.region_id).where(
                Region.path.startswith(path, autoescape=True)
            )
        rows = await self.session.execute(stmt)
        return {
            partner_id: PartnerSales(partner_id, Decimal(quantity), amount or Decimal(0))
            for partner_id, quantity, amount in rows
        }

    async def accruals_of(self, promotion_id: int, year: int) -> dict[tuple[int, int], Accrual]:
        """A promotion's accruals of a year by (partner, period index)."""
        stmt = select(Accrual).where(Accrual.promotion_id == promotion_id, Accrual.year == year)
        return {(a.partner_id, a.period_index): a for a in await self.session.scalars(stmt)}

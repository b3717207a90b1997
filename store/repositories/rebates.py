"""Rebate agreements, their tiers and promotions: scoped reads, writes, and the system reads
the accrual job needs (partners an agreement covers, their sales aggregated in SQL).

Scoping: a brand-wide viewer sees every agreement and promotion; anyone else sees the
agreements that cover a partner in its scope (scope PARTNER: that partner; TIER: a partner
of that tier; REGION: a partner anywhere under that region). Promotions are reference data
(visible to every channel reader; below brand-wide, only the ACTIVE ones: one waiting for
approval or rejected is not announced). ``partners_covered`` and ``sales`` are system reads for
the accrual job, never reachable from GraphQL. Nothing here commits.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from decimal import Decimal

from sqlalchemy import ColumnElement, and_, exists, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from domain.enums import OrderStatus
from store.models import (
    Order,
    OrderLine,
    Partner,
    Product,
    Promotion,
    RebateAgreement,
    RebateTier,
    Region,
)
from store.scope import Scope

__all__ = ["SALES_STATUSES", "PartnerSales", "RebateRepository"]

SALES_STATUSES = (
    OrderStatus.APPROVED,
    OrderStatus.SHIPPED,
    OrderStatus.DELIVERED,
    OrderStatus.CLOSED,
)
"""Orders that count as sales: approved or later (not cancelled)."""

PARTNER, TIER, REGION = "PARTNER", "TIER", "REGION"


@dataclass(frozen=True)
class PartnerSales:
    partner_id: int
    quantity: Decimal
    amount: Decimal


def _start_of(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=UTC)


def _covers(agreement: type[RebateAgreement], p: type[Partner]) -> ColumnElement[bool]:
    """Predicate: partner ``p`` (``Partner`` or an alias of it) is covered by ``agreement``."""
    partner_region = aliased(Region)
    agreement_region = aliased(Region)
    in_region = exists(
        select(1)
        .select_from(partner_region)
        .join(agreement_region, agreement_region.id == agreement.region_id)
        .where(
            partner_region.id == p.region_id,
            partner_region.path.startswith(agreement_region.path),
        )
    )
    return or_(
        and_(agreement.scope_kind == PARTNER, agreement.partner_id == p.id),
        and_(agreement.scope_kind == TIER, agreement.tier_id == p.tier_id),
        and_(agreement.scope_kind == REGION, in_region),
    )


class RebateRepository:
    def __init__(self, session: AsyncSession, scope: Scope) -> None:
        self.session = session
        self.scope = scope

    def visible(self) -> ColumnElement[bool]:
        """Agreements covering at least one partner of the scope."""
        if self.scope.all_partners:
            return RebateAgreement.id.isnot(None)
        viewer_partner = aliased(Partner)
        return exists(
            select(1)
            .select_from(viewer_partner)
            .where(
                self.scope.via_partner(viewer_partner.id),
                _covers(RebateAgreement, viewer_partner),
            )
        )

    async def agreements(self, *, active_only: bool = False) -> list[RebateAgreement]:
        stmt = select(RebateAgreement).where(self.visible()).order_by(RebateAgreement.code)
        if active_only:
            stmt = stmt.where(RebateAgreement.active.is_(True))
        return list(await self.session.scalars(stmt))

    async def agreement(self, agreement_id: int) -> RebateAgreement | None:
        stmt = select(RebateAgreement).where(RebateAgreement.id == agreement_id, self.visible())
        return (await self.session.scalars(stmt)).first()

    async def tiers(self, agreement_ids: Iterable[int]) -> dict[int, list[RebateTier]]:
        """Tiers of the agreements, in order (callers pass visible agreement ids)."""
        wanted = sorted(set(agreement_ids))
        found: dict[int, list[RebateTier]] = {i: [] for i in wanted}
        if not wanted:
            return found
        stmt = (
            select(RebateTier)
            .where(RebateTier.agreement_id.in_(wanted))
            .order_by(RebateTier.agreement_id, RebateTier.position)
        )
        for tier in await self.session.scalars(stmt):
            found[tier.agreement_id].append(tier)
        return found

    async def add_agreement(
        self, agreement: RebateAgreement, tiers: Sequence[RebateTier]
    ) -> RebateAgreement:
        self.session.add(agreement)
        await self.session.flush()
        await self.replace_tiers(agreement.id, tiers)
        return agreement

    async def replace_tiers(self, agreement_id: int, tiers: Sequence[RebateTier]) -> None:
        for old in (await self.tiers([agreement_id]))[agreement_id]:
            await self.session.delete(old)
        for position, tier in enumerate(tiers):
            tier.agreement_id = agreement_id
            tier.position = position
            self.session.add(tier)
        await self.session.flush()

    async def promotions(self) -> list[Promotion]:
        """Every promotion for a brand-wide viewer; the ACTIVE ones for anyone else."""
        if not self.scope.reference_data:
            return []
        stmt = select(Promotion).order_by(Promotion.code)
        if not self.scope.all_partners:
            stmt = stmt.where(Promotion.status == "ACTIVE")
        return list(await self.session.scalars(stmt))

    async def add_promotion(self, promotion: Promotion) -> Promotion:
        self.session.add(promotion)
        await self.session.flush()
        return promotion

    # -- system reads for the accrual job ---------------------------------------------------

    async def partners_covered(self, agreement: RebateAgreement) -> list[int]:
        stmt = (
            select(Partner.id)
            .where(_covers(RebateAgreement, Partner), RebateAgreement.id == agreement.id)
            .select_from(Partner)
            .join(RebateAgreement, RebateAgreement.id == agreement.id)
            .order_by(Partner.id)
        )
        return list(await self.session.scalars(stmt))

    async def sales(
        self, agreement: RebateAgreement, partner_ids: Sequence[int], start: date, end: date
    ) -> dict[int, PartnerSales]:
        """Quantity and amount per partner of orders APPROVED or later created in
        [start, end), in the agreement's currency, of its products or categories."""
        if not partner_ids:
            return {}
        products: list[int] = json.loads(agreement.product_ids_json or "[]")
        categories: list[str] = json.loads(agreement.categories_json or "[]")
        stmt = (
            select(
                Order.partner_id,
                func.coalesce(func.sum(OrderLine.quantity), 0),
                func.sum(OrderLine.line_total),
            )
            .select_from(OrderLine)
            .join(Order, Order.id == OrderLine.order_id)
            .where(
                Order.partner_id.in_(sorted(partner_ids)),
                Order.status.in_(SALES_STATUSES),
                Order.currency == agreement.currency,
                Order.created_at >= _start_of(start),
                Order.created_at < _start_of(end),
            )
            .group_by(Order.partner_id)
        )
        if products or categories:
            stmt = stmt.join(Product, Product.id == OrderLine.product_id).where(
                or_(Product.id.in_(products), Product.category.in_(categories))
            )
        rows = await self.session.execute(stmt)
        return {
            partner_id: PartnerSales(partner_id, Decimal(quantity), amount or Decimal(0))
            for partner_id, quantity, amount in rows
        }

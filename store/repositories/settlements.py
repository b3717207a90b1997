"""Accruals and settlements: scoped reads for the graph, and the writes and system reads of
the accrual job and the settlement service. Nothing here commits.

Scoping follows the partner (``Scope.via_partner``): a dealer sees its own accruals and
settlements only. ``for_update``-style reads by id (``settlement``) are system reads used
after a scoped check or by jobs.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from store.models import Accrual, Partner, Promotion, RebateAgreement, Settlement, SettlementLine
from store.scope import Scope

__all__ = ["SettlementRepository", "SettlementSnapshot"]


@dataclass(frozen=True)
class SettlementSnapshot:
    """A settlement with what its credit note needs."""

    settlement: Settlement
    partner_code: str
    lines: list[tuple[str, SettlementLine]]  # (agreement or promotion code, line)


class SettlementRepository:
    def __init__(self, session: AsyncSession, scope: Scope) -> None:
        self.session = session
        self.scope = scope

    # -- accruals ----------------------------------------------------------------------------

    async def accruals(
        self, *, partner_id: int | None = None, year: int | None = None
    ) -> list[Accrual]:
        stmt = (
            select(Accrual)
            .where(self.scope.via_partner(Accrual.partner_id))
            .order_by(
                Accrual.partner_id,
                Accrual.agreement_id.is_(None),  # rebates, then promotions, on every backend
                Accrual.agreement_id,
                Accrual.promotion_id,
                Accrual.year,
                Accrual.period_index,
            )
        )
        if partner_id is not None:
            stmt = stmt.where(Accrual.partner_id == partner_id)
        if year is not None:
            stmt = stmt.where(Accrual.year == year)
        return list(await self.session.scalars(stmt))

    async def accruals_of(self, agreement_id: int, year: int) -> dict[tuple[int, int], Accrual]:
        """System read: an agreement's accruals of a year by (partner, period index)."""
        stmt = select(Accrual).where(Accrual.agreement_id == agreement_id, Accrual.year == year)
        return {(a.partner_id, a.period_index): a for a in await self.session.scalars(stmt)}

    async def add_accrual(self, accrual: Accrual) -> Accrual:
        self.session.add(accrual)
        await self.session.flush()
        return accrual

    async def unsettled(
        self, partner_id: int, currency: str, start: date, end: date
    ) -> list[tuple[Accrual, str]]:
        """System read: a partner's accruals within [start, end) that no settlement holds,
        with their agreement's (or promotion's) code; rebates first, then promotions."""
        stmt = (
            select(Accrual, func.coalesce(RebateAgreement.code, Promotion.code))
            .outerjoin(RebateAgreement, RebateAgreement.id == Accrual.agreement_id)
            .outerjoin(Promotion, Promotion.id == Accrual.promotion_id)
            .where(
                Accrual.partner_id == partner_id,
                Accrual.currency == currency,
                Accrual.settlement_id.is_(None),
                Accrual.period_start >= start,
                Accrual.period_end <= end,
            )
            .order_by(
                Accrual.agreement_id.is_(None),
                Accrual.agreement_id,
                Accrual.promotion_id,
                Accrual.period_index,
            )
        )
        return [(accrual, code) for accrual, code in await self.session.execute(stmt)]

    # -- settlements -------------------------------------------------------------------------

    async def settlements(
        self, *, partner_id: int | None = None, status: str | None = None
    ) -> list[Settlement]:
        stmt = (
            select(Settlement)
            .where(self.scope.via_partner(Settlement.partner_id))
            .order_by(Settlement.id)
        )
        if partner_id is not None:
            stmt = stmt.where(Settlement.partner_id == partner_id)
        if status is not None:
            stmt = stmt.where(Settlement.status == status)
        return list(await self.session.scalars(stmt))

    async def settlement(self, settlement_id: int) -> Settlement | None:
        stmt = select(Settlement).where(
            Settlement.id == settlement_id, self.scope.via_partner(Settlement.partner_id)
        )
        return (await self.session.scalars(stmt)).first()

    async def find(
        self, partner_id: int, period_kind: str, year: int, period_index: int, currency: str
    ) -> Settlement | None:
        stmt = select(Settlement).where(
            Settlement.partner_id == partner_id,
            Settlement.period_kind == period_kind,
            Settlement.year == year,
            Settlement.period_index == period_index,
            Settlement.currency == currency,
        )
        return (await self.session.scalars(stmt)).first()

    async def add(self, settlement: Settlement, lines: Iterable[SettlementLine]) -> Settlement:
        self.session.add(settlement)
        await self.session.flush()
        for line in lines:
            line.settlement_id = settlement.id
            self.session.add(line)
        await self.session.flush()
        return settlement

    async def lines(self, settlement_ids: Iterable[int]) -> dict[int, list[SettlementLine]]:
        wanted = sorted(set(settlement_ids))
        found: dict[int, list[SettlementLine]] = {i: [] for i in wanted}
        if not wanted:
            return found
        stmt = (
            select(SettlementLine)
            .where(SettlementLine.settlement_id.in_(wanted))
            .order_by(SettlementLine.settlement_id, SettlementLine.id)
        )
        for line in await self.session.scalars(stmt):
            found[line.settlement_id].append(line)
        return found

    async def snapshot(self, settlement_id: int) -> SettlementSnapshot | None:
        """System read: a settlement, its partner's code and its lines with agreement codes."""
        row = (
            await self.session.execute(
                select(Settlement, Partner.code)
                .join(Partner, Partner.id == Settlement.partner_id)
                .where(Settlement.id == settlement_id)
            )
        ).first()
        if row is None:
            return None
        settlement, code = row
        stmt = (
            select(func.coalesce(RebateAgreement.code, Promotion.code), SettlementLine)
            .outerjoin(RebateAgreement, RebateAgreement.id == SettlementLine.agreement_id)
            .outerjoin(Promotion, Promotion.id == SettlementLine.promotion_id)
            .where(SettlementLine.settlement_id == settlement_id)
            .order_by(SettlementLine.id)
        )
        lines = [(c, line) for c, line in await self.session.execute(stmt)]
        return SettlementSnapshot(settlement, code, lines)

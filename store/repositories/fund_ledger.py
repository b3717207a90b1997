"""The fund ledger: append entries, read a partner's entries and balances (scoped).

There is no update and no delete here (and the model refuses both through the ORM): a
correction is a new entry. Funds: ``REBATE``, ``PREPAYMENT``, ``DEPOSIT``, ``POINTS``. Every
entry names its source (``source_type`` "accrual" / "settlement" / …, ``source_id``).
Nothing here commits.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from store.models import Accrual, FundLedgerEntry
from store.scope import Scope

__all__ = ["FUNDS", "FundBalance", "FundLedgerRepository"]

FUNDS = ("REBATE", "PREPAYMENT", "DEPOSIT", "POINTS")


@dataclass(frozen=True)
class FundBalance:
    partner_id: int
    fund: str
    currency: str
    balance: Decimal


class FundLedgerRepository:
    def __init__(self, session: AsyncSession, scope: Scope) -> None:
        self.session = session
        self.scope = scope

    async def append(self, entry: FundLedgerEntry) -> FundLedgerEntry:
        if entry.fund not in FUNDS:
            raise ValueError(f"unknown fund {entry.fund!r}; one of {', '.join(FUNDS)}")
        self.session.add(entry)
        await self.session.flush()
        return entry

    async def append_all(self, entries: list[FundLedgerEntry]) -> None:
        for entry in entries:
            if entry.fund not in FUNDS:
                raise ValueError(f"unknown fund {entry.fund!r}; one of {', '.join(FUNDS)}")
        self.session.add_all(entries)
        await self.session.flush()

    async def true_up_accruals(
        self,
        accruals: Iterable[Accrual],
        posted: Mapping[int, Decimal],
        fund: str,
        memo: Callable[[Accrual], str],
        actor: str,
    ) -> list[FundLedgerEntry]:
        """Append, for each accrual whose amount differs from what ``posted`` says the ledger
        holds for it, the correcting entry (amount - posted); the entries appended."""
        corrections = [
            FundLedgerEntry(
                partner_id=row.partner_id,
                fund=fund,
                amount=row.amount - posted.get(row.id, Decimal(0)),
                currency=row.currency,
                source_type="accrual",
                source_id=row.id,
                memo=memo(row),
                created_by=actor,
            )
            for row in accruals
            if row.amount != posted.get(row.id, Decimal(0))
        ]
        await self.append_all(corrections)
        return corrections

    async def posted(self, source_type: str, source_id: int, fund: str) -> Decimal:
        """What entries of one source have posted to ``fund`` so far (system read)."""
        stmt = select(func.sum(FundLedgerEntry.amount)).where(
            FundLedgerEntry.source_type == source_type,
            FundLedgerEntry.source_id == source_id,
            FundLedgerEntry.fund == fund,
        )
        return await self.session.scalar(stmt) or Decimal(0)

    async def posted_many(
        self, source_type: str, source_ids: list[int], fund: str
    ) -> dict[int, Decimal]:
        """``posted`` for many sources in one statement (sources with no entry are absent)."""
        if not source_ids:
            return {}
        stmt = (
            select(FundLedgerEntry.source_id, func.sum(FundLedgerEntry.amount))
            .where(
                FundLedgerEntry.source_type == source_type,
                FundLedgerEntry.source_id.in_(sorted(set(source_ids))),
                FundLedgerEntry.fund == fund,
            )
            .group_by(FundLedgerEntry.source_id)
        )
        return {pk: total or Decimal(0) for pk, total in await self.session.execute(stmt)}

    async def totals(self, fund: str, partner_ids: list[int], currency: str) -> dict[int, Decimal]:
        """Each partner's balance of ``fund`` in ``currency``, in one statement (system read:
        the caller passes partners it already scoped; partners with no entry are absent)."""
        if not partner_ids:
            return {}
        stmt = (
            select(FundLedgerEntry.partner_id, func.sum(FundLedgerEntry.amount))
            .where(
                FundLedgerEntry.partner_id.in_(sorted(set(partner_ids))),
                FundLedgerEntry.fund == fund,
                FundLedgerEntry.currency == currency,
            )
            .group_by(FundLedgerEntry.partner_id)
        )
        return {pk: total or Decimal(0) for pk, total in await self.session.execute(stmt)}

    async def entries(self, partner_id: int | None = None) -> list[FundLedgerEntry]:
        stmt = (
            select(FundLedgerEntry)
            .where(self.scope.via_partner(FundLedgerEntry.partner_id))
            .order_by(FundLedgerEntry.id)
        )
        if partner_id is not None:
            stmt = stmt.where(FundLedgerEntry.partner_id == partner_id)
        return list(await self.session.scalars(stmt))

    async def balances(self, partner_id: int | None = None) -> list[FundBalance]:
        stmt = (
            select(
                FundLedgerEntry.partner_id,
                FundLedgerEntry.fund,
                FundLedgerEntry.currency,
                func.sum(FundLedgerEntry.amount),
            )
            .where(self.scope.via_partner(FundLedgerEntry.partner_id))
            .group_by(FundLedgerEntry.partner_id, FundLedgerEntry.fund, FundLedgerEntry.currency)
            .order_by(FundLedgerEntry.partner_id, FundLedgerEntry.fund, FundLedgerEntry.currency)
        )
        if partner_id is not None:
            stmt = stmt.where(FundLedgerEntry.partner_id == partner_id)
        rows = await self.session.execute(stmt)
        return [FundBalance(p, f, c, total or Decimal(0)) for p, f, c, total in rows]

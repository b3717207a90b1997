"""Rebate settlements: DRAFT → APPROVED (through the approval flow) → credit note to finance
through the outbox → PAID, with the partner's REBATE fund debited when paid.

Interface::

    await create_settlement(session, *, partner_id, year, period_kind, period_index,
                            currency, created_by, today) -> Settlement
    await on_settlement_approved(session, settlement_id)   # approval handler
    await on_settlement_rejected(session, settlement_id)   # approval handler
    await mark_paid(session, settlement_id, reference)     # called by jobs.outbox
    outbox_entries_of(session) -> list[int]                # jobs.approvals': enqueue after commit

A settlement line per accrual: of a rebate agreement or of a promotion (``promotion_id``;
promotion subsidies are settled with the rebates, ``jobs.promotion_accrual``).

``create_settlement`` (in the caller's unit of work) refuses a period not closed yet on
``today`` (``PeriodNotClosed``), a second settlement of the same partner, period and currency
(``SettlementExists``) and a period whose unsettled accruals do not add up to a positive
amount (``NothingToSettle``: negative true-downs wait for the next settlement). It gathers the
partner's accruals of the period that no settlement holds (they are frozen from then on),
writes the DRAFT and asks ``jobs.approvals.request_approval(document_type=
"rebate_settlement", …)``; with no rule, it is approved at once. Approval (now or when the
last step approves, in the deciding transaction) writes the ``settlement.approved`` outbox
entries (``jobs.outbox_entries.record_settlement_approved``); their ids are in
``outbox_entries_of(session)`` for the caller to enqueue after its commit (the sweep
delivers them anyway). When the relay stored finance's reference, ``mark_paid`` makes the
settlement PAID and appends a REBATE fund entry of ``-total`` naming the settlement.
A rejection moves the settlement to REJECTED and releases its accruals.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from domain.accrual import PeriodKind, period_bounds, period_closed
from jobs.approvals import outbox_entries_of, register_approval_handler, request_approval
from jobs.outbox_entries import record_settlement_approved
from store.base import utcnow
from store.models import Accrual, FundLedgerEntry, Settlement, SettlementLine
from store.repositories.fund_ledger import FundLedgerRepository
from store.repositories.settlements import SettlementRepository
from store.scope import Scope

__all__ = [
    "APPROVED",
    "DOCUMENT_TYPE",
    "DRAFT",
    "PAID",
    "REJECTED",
    "NothingToSettle",
    "PeriodNotClosed",
    "SettlementExists",
    "SettlementFailure",
    "create_settlement",
    "mark_paid",
    "on_settlement_approved",
    "on_settlement_rejected",
    "outbox_entries_of",
]

DRAFT, APPROVED, PAID, REJECTED = "DRAFT", "APPROVED", "PAID", "REJECTED"
DOCUMENT_TYPE = "rebate_settlement"
_OUTBOX = "channelhub.approval_outbox"  # the list jobs.approvals.outbox_entries_of reads


class SettlementFailure(Exception):
    """A settlement the rules refuse; nothing was written. ``field`` names the input."""

    field = "period"


class PeriodNotClosed(SettlementFailure):
    def __init__(self, kind: str, year: int, index: int, ends: date) -> None:
        self.ends = ends
        super().__init__(
            f"{kind} {index} of {year} is not closed yet: it ends on {ends.isoformat()}"
        )


class SettlementExists(SettlementFailure):
    def __init__(self, number: str) -> None:
        self.number = number
        super().__init__(f"settlement {number} already covers this partner and period")


class NothingToSettle(SettlementFailure):
    pass


async def create_settlement(
    session: AsyncSession,
    *,
    partner_id: int,
    year: int,
    period_kind: str,
    period_index: int,
    currency: str,
    created_by: str,
    today: date,
) -> Settlement:
    """A settlement of the partner's unsettled accruals of a closed period (module doc)."""
    kind = PeriodKind(period_kind)
    start, end = period_bounds(kind, year, period_index)
    if not period_closed(kind, year, period_index, today):
        raise PeriodNotClosed(kind.value, year, period_index, end)
    repository = SettlementRepository(session, Scope.everything())
    found = await repository.find(partner_id, kind.value, year, period_index, currency)
    if found is not None:
        raise SettlementExists(found.number)
    accruals = await repository.unsettled(partner_id, currency, start, end)
    total = sum((accrual.amount for accrual, _ in accruals), start=Decimal(0))
    if not accruals or total <= 0:
        raise NothingToSettle(
            f"no positive unsettled accruals for this partner in {kind.value} {period_index} "
            f"of {year} (total {total} {currency})"
        )
    settlement = await repository.add(
        Settlement(
            number=f"RS-{partner_id}-{year}-{kind.value[0]}{period_index}-{currency}",
            partner_id=partner_id,
            year=year,
            period_kind=kind.value,
            period_index=period_index,
            period_start=start,
            period_end=end,
            currency=currency,
            total=total,
            status=DRAFT,
            created_by=created_by,
        ),
        [
            SettlementLine(
                accrual_id=a.id,
                agreement_id=a.agreement_id,
                promotion_id=a.promotion_id,
                amount=a.amount,
            )
            for a, _ in accruals
        ],
    )
    await session.execute(
        update(Accrual)
        .where(Accrual.id.in_([a.id for a, _ in accruals]))
        .values(settlement_id=settlement.id)
        .execution_options(synchronize_session=False)
    )
    request = await request_approval(
        session,
        document_type=DOCUMENT_TYPE,
        document_id=settlement.id,
        amount=total,
        partner_id=partner_id,
        requested_by=created_by,
    )
    if request is None:
        await on_settlement_approved(session, settlement.id)
    else:
        settlement.approval_request_id = request.id
        await session.flush()
    await session.refresh(settlement)
    return settlement


async def _move(
    session: AsyncSession, settlement_id: int, from_: str, values: dict[str, object]
) -> bool:
    result = await session.execute(
        update(Settlement)
        .where(Settlement.id == settlement_id, Settlement.status == from_)
        .values(updated_at=utcnow(), **values)
        .execution_options(synchronize_session=False)
    )
    return bool(getattr(result, "rowcount", 0))


async def on_settlement_approved(session: AsyncSession, settlement_id: int) -> None:
    """DRAFT → APPROVED, and its credit note into the outbox (same transaction)."""
    now = utcnow()
    if not await _move(session, settlement_id, DRAFT, {"status": APPROVED, "approved_at": now}):
        return
    entries = await record_settlement_approved(session, settlement_id, now=now)
    session.info.setdefault(_OUTBOX, []).extend(entries)


async def on_settlement_rejected(session: AsyncSession, settlement_id: int) -> None:
    """DRAFT → REJECTED; its accruals are released for a later settlement."""
    if await _move(session, settlement_id, DRAFT, {"status": REJECTED}):
        await session.execute(
            update(Accrual)
            .where(Accrual.settlement_id == settlement_id)
            .values(settlement_id=None)
            .execution_options(synchronize_session=False)
        )


async def mark_paid(session: AsyncSession, settlement_id: int, reference: str) -> bool:
    """APPROVED → PAID with finance's reference; the REBATE fund is debited by the total.
    False (and nothing written) when the settlement is not APPROVED (e.g. PAID already)."""
    now = utcnow()
    values: dict[str, object] = {"status": PAID, "paid_at": now, "reference": reference}
    if not await _move(session, settlement_id, APPROVED, values):
        return False
    settlement = await SettlementRepository(session, Scope.everything()).settlement(settlement_id)
    assert settlement is not None
    await session.refresh(settlement)
    await FundLedgerRepository(session, Scope.everything()).append(
        FundLedgerEntry(
            partner_id=settlement.partner_id,
            fund="REBATE",
            amount=-settlement.total,
            currency=settlement.currency,
            source_type="settlement",
            source_id=settlement.id,
            memo=f"credit note {reference} for {settlement.number}",
            created_by="outbox",
        )
    )
    return True


register_approval_handler(DOCUMENT_TYPE, on_settlement_approved, on_settlement_rejected)

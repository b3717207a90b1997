"""The rebate accrual job: per agreement, partner and period, with year-to-date true-up.

Interface::

    terms_of(agreement, tiers) -> domain.rebates.RebateTerms
    async accrue(sessions, *, year, month, actor="job:rebate_accrual",
                 progress=None) -> AccrualReport
    async accrual_job(resources, run_id)     # job kind "rebate_accrual"
    previous_month(today) -> (year, month)   # what the month-end schedule accrues

For every active agreement valid in ``year``, every period of the agreement's kind (MONTH,
QUARTER, YEAR) that has ended by the end of ``month`` is (re)computed for every partner the
agreement covers: sales = order lines of orders APPROVED or later created from 1 January
(or the agreement's start) to the end of the period, in the agreement's currency and of its
products/categories, summed in SQL; the period accrues ``round(entitlement(YTD sales)) -
the earlier periods' accruals`` (``domain.accrual.accrual_for_period``), so a tier reached
late in the year catches up and a drop trues down. Then every ACTIVE promotion accrues its
subsidies the same way, monthly (``jobs.promotion_accrual``).

Recomputable and idempotent: an accrual is upserted by (agreement, partner, year, period);
running twice with the same orders changes nothing. An accrual a settlement holds is frozen
(later changes flow into the next period's true-up). Each accrual's amount is mirrored in
the partner's REBATE fund: the job appends the difference between the accrual and what its
entries posted so far (an append-only correction, never an update). A partner with no sales
and nothing accrued gets no row. Each agreement is one unit of work; the run's progress is
agreements done of agreements to do.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Literal, cast

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from domain.accrual import PeriodKind, accrual_for_period, period_bounds, periods_in_year
from domain.money import round_money
from domain.rebates import (
    Growth,
    RebateBasis,
    RebateMethod,
    RebateTerms,
    Sales,
    Tier,
    entitlement,
)
from jobs.promotion_accrual import accrue_promotion, promotion_ids
from jobs.runs import RunCounts, finish_run, publish, record_progress, start_run
from jobs.runtime import Resources
from store.base import utcnow
from store.models import Accrual, RebateAgreement, RebateTier
from store.repositories.fund_ledger import FundLedgerRepository
from store.repositories.rebates import RebateRepository
from store.repositories.settlements import SettlementRepository
from store.scope import Scope

__all__ = [
    "ACCRUAL_KIND",
    "AccrualReport",
    "accrual_job",
    "accrue",
    "accrue_agreement",
    "previous_month",
    "terms_of",
]

log = logging.getLogger("channelhub.jobs.accrual")

ACCRUAL_KIND = "rebate_accrual"
REBATE_FUND = "REBATE"
ZERO = Decimal(0)


def terms_of(agreement: RebateAgreement, tiers: list[RebateTier]) -> RebateTerms:
    """The domain terms of a stored agreement and its tiers (in order)."""
    growth = None
    if agreement.growth_rate is not None:
        growth = Growth(
            baseline=agreement.growth_baseline or ZERO,
            threshold=agreement.growth_threshold or ZERO,
            rate=agreement.growth_rate,
            on=cast(Literal["total", "increment"], agreement.growth_on or "total"),
        )
    return RebateTerms(
        method=RebateMethod(agreement.method),
        basis=RebateBasis(agreement.basis),
        tiers=tuple(Tier(t.lower, t.upper, t.rate, t.per_unit) for t in tiers),
        growth=growth,
        cap=agreement.cap,
    )


@dataclass
class AccrualReport:
    agreements: int = 0
    promotions: int = 0
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    frozen: int = 0
    ledger_entries: int = 0
    accrued: dict[str, Decimal] = field(default_factory=dict)  # currency → this run's total


def previous_month(today: date) -> tuple[int, int]:
    """The month before ``today``'s: what a run at the start of a month accrues."""
    last = today.replace(day=1) - timedelta(days=1)
    return last.year, last.month


def _periods(kind: PeriodKind, year: int, month: int) -> list[tuple[int, date, date]]:
    """Periods of ``year`` ended by the end of ``month``: (index, start, end)."""
    horizon = period_bounds(PeriodKind.MONTH, year, month)[1]
    found = []
    for index in range(1, periods_in_year(kind) + 1):
        start, end = period_bounds(kind, year, index)
        if end <= horizon:
            found.append((index, start, end))
    return found


_COMPARED = ("ytd_quantity", "ytd_amount", "entitlement_ytd", "accrued_before", "amount")


async def accrue_agreement(
    session: AsyncSession,
    agreement: RebateAgreement,
    tiers: list[RebateTier],
    year: int,
    month: int,
    report: AccrualReport,
    actor: str,
) -> None:
    """(Re)compute one agreement's accruals of ``year`` up to ``month`` in ``session``."""
    kind = PeriodKind(agreement.period)
    terms = terms_of(agreement, tiers)
    rebates = RebateRepository(session, Scope.everything())
    store = SettlementRepository(session, Scope.everything())
    ledger = FundLedgerRepository(session, Scope.everything())
    partners = await rebates.partners_covered(agreement)
    existing = await store.accruals_of(agreement.id, year)
    posted_before = await ledger.posted_many(
        "accrual", [row.id for row in existing.values()], REBATE_FUND
    )
    begin = max(date(year, 1, 1), agreement.valid_from)
    accrued_before = dict.fromkeys(partners, ZERO)
    touched: list[Accrual] = []  # rows written or checked, for the ledger (one flush)
    for index, start, end in _periods(kind, year, month):
        if end <= agreement.valid_from or start >= agreement.valid_to:
            continue
        sales = await rebates.sales(agreement, partners, begin, min(end, agreement.valid_to))
        for partner_id in partners:
            before = accrued_before[partner_id]
            row = existing.get((partner_id, index))
            if row is not None and row.settlement_id is not None:
                report.frozen += 1
                accrued_before[partner_id] = before + row.amount
                continue
            sold = sales.get(partner_id)
            quantity = sold.quantity if sold else ZERO
            amount = sold.amount if sold else ZERO
            ytd = round_money(entitlement(terms, Sales(quantity, amount)), agreement.currency)
            accrual = accrual_for_period(ytd, before, agreement.currency)
            accrued_before[partner_id] = before + accrual
            values = {
                "ytd_quantity": quantity,
                "ytd_amount": amount,
                "entitlement_ytd": ytd,
                "accrued_before": before,
                "amount": accrual,
            }
            if row is None:
                if ytd == ZERO and accrual == ZERO:
                    continue
                row = Accrual(
                    agreement_id=agreement.id,
                    partner_id=partner_id,
                    year=year,
                    period_kind=kind.value,
                    period_index=index,
                    period_start=start,
                    period_end=end,
                    currency=agreement.currency,
                    **values,
                )
                session.add(row)
                report.inserted += 1
            elif all(getattr(row, name) == value for name, value in values.items()):
                report.unchanged += 1
            else:
                for name, value in values.items():
                    setattr(row, name, value)
                row.updated_at = utcnow()
                report.updated += 1
            touched.append(row)
    await session.flush()  # new rows get their ids
    corrections = await ledger.true_up_accruals(
        touched,
        posted_before,
        REBATE_FUND,
        lambda row: f"{agreement.code} {year} {row.period_kind} {row.period_index}",
        actor,
    )
    for entry in corrections:
        report.accrued[entry.currency] = report.accrued.get(entry.currency, ZERO) + entry.amount
    report.ledger_entries += len(corrections)


async def accrue(
    sessions: async_sessionmaker[AsyncSession],
    *,
    year: int,
    month: int,
    actor: str = "job:rebate_accrual",
    progress: Callable[[int, int], Awaitable[None]] | None = None,
) -> AccrualReport:
    """Accrue every active agreement for ``year`` up to the end of ``month`` (module doc)."""
    period_bounds(PeriodKind.MONTH, year, month)  # refuses a bad year or month
    async with sessions() as session:
        repository = RebateRepository(session, Scope.everything())
        agreements = [
            a.id
            for a in await repository.agreements(active_only=True)
            if a.valid_from < date(year + 1, 1, 1) and a.valid_to > date(year, 1, 1)
        ]
        promotions = await promotion_ids(session, year)
    total = len(agreements) + len(promotions)
    report = AccrualReport()
    for done, agreement_id in enumerate(agreements, start=1):
        async with sessions.begin() as session:
            repository = RebateRepository(session, Scope.everything())
            agreement = await repository.agreement(agreement_id)
            if agreement is not None:
                tiers = (await repository.tiers([agreement_id]))[agreement_id]
                await accrue_agreement(session, agreement, tiers, year, month, report, actor)
                report.agreements += 1
        if progress is not None:
            await progress(done, total)
    for done, promotion_id in enumerate(promotions, start=len(agreements) + 1):
        async with sessions.begin() as session:
            await accrue_promotion(session, promotion_id, year, month, report, actor)
            report.promotions += 1
        if progress is not None:
            await progress(done, total)
    return report


async def accrual_job(resources: Resources, run_id: int) -> None:
    """Job kind ``rebate_accrual``: params ``{"year", "month"}``, default the last month."""
    async with resources.sessions.begin() as session:
        run = await start_run(session, run_id)
    if run is None:
        return
    await publish(resources.events, run)
    params = json.loads(run.params_json or "{}")
    year, month = previous_month(utcnow().date())
    year, month = int(params.get("year", year)), int(params.get("month", month))
    written = run.progress_done  # agreements an earlier attempt of this run counted

    async def progress(done: int, total: int) -> None:
        nonlocal written
        async with resources.sessions.begin() as session:
            counted = await record_progress(
                session, run_id, RunCounts(read=max(0, done - written)), total=total
            )
        written = max(written, done)
        await publish(resources.events, counted)

    actor = f"job:{run.requested_by or run.trigger}"
    report = await accrue(
        resources.sessions, year=year, month=month, actor=actor, progress=progress
    )
    async with resources.sessions.begin() as session:
        counts = RunCounts(
            inserted=report.inserted, updated=report.updated, unchanged=report.unchanged
        )
        await record_progress(session, run_id, counts, total=report.agreements + report.promotions)
        run = await finish_run(session, run_id)
    await publish(resources.events, run)
    log.info(
        "job run %s: accrued %s agreements for %s-%02d (%s new, %s changed, %s unchanged)",
        run_id,
        report.agreements,
        year,
        month,
        report.inserted,
        report.updated,
        report.unchanged,
    )

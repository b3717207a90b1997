"""Promotion subsidy accrual: per ACTIVE promotion, partner and month, with the same
year-to-date true-up as rebates (``jobs.accrual`` calls this after the agreements).

Interface::

    subsidy_of(promotion) -> domain.promotions.Subsidy
    await promotion_ids(session, year) -> list[int]      # ACTIVE promotions touching the year
    await accrue_promotion(session, promotion_id, year, month, report, actor) -> None

Promotions accrue monthly (``period_kind`` MONTH). For every month of ``year`` ended by the
end of ``month`` from the promotion's first month on, the year-to-date subsidy is
``domain.promotions.subsidy_for`` over the order lines of the promotion's products on orders
APPROVED or later created from max(1 January, ``starts``) to the end of the month (but not
after ``ends``: the window includes both days), in its currency, of partners in its region
and tier when it names them — summed in SQL per partner, then rounded ONCE to the currency's
minor unit (``domain.money``); the month accrues that minus the earlier months' accruals
(``domain.accrual.accrual_for_period``), so a late-approved order of the window trues up.
Rows are ``Accrual``s with ``promotion_id`` (and no ``agreement_id``): they appear in the
partner's accruals and are settled with its rebate accruals, one settlement line each.

Fund: a subsidy is money the brand owes the partner like a rebate, and the ledger's funds
are REBATE, PREPAYMENT, DEPOSIT and POINTS — none is a promotion fund — so each accrual is
mirrored in the partner's REBATE fund (source ``accrual``, memo ``PROMO <code> …``), and the
settlement that pays it debits the REBATE fund as for rebates. Idempotent like the rebate
accrual: upserts by (promotion, partner, year, month), settled rows frozen, the ledger gets
only append-only differences.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING

from sqlalchemy.ext.asyncio import AsyncSession

from domain.accrual import PeriodKind, accrual_for_period, period_bounds
from domain.money import round_money
from domain.promotions import Subsidy, subsidy_for
from store.base import utcnow
from store.models import Accrual, Promotion
from store.repositories.fund_ledger import FundLedgerRepository
from store.repositories.promotions import PromotionRepository
from store.repositories.rebates import PartnerSales
from store.scope import Scope

if TYPE_CHECKING:
    from jobs.accrual import AccrualReport

__all__ = ["accrue_promotion", "promotion_ids", "subsidy_of"]

REBATE_FUND = "REBATE"
ZERO = Decimal(0)
_COMPARED = ("ytd_quantity", "ytd_amount", "entitlement_ytd", "accrued_before", "amount")


def subsidy_of(promotion: Promotion) -> Subsidy:
    return Subsidy(promotion.per_unit, promotion.percent, promotion.starts, promotion.ends)


async def promotion_ids(session: AsyncSession, year: int) -> list[int]:
    return await PromotionRepository(session, Scope.everything()).active_in(year)


def _months(promotion: Promotion, year: int, month: int) -> list[tuple[int, date, date]]:
    """Months of ``year`` up to ``month`` from the promotion's first one: (index, start, end)."""
    first = 1 if promotion.starts.year < year else promotion.starts.month
    return [(m, *period_bounds(PeriodKind.MONTH, year, m)) for m in range(first, month + 1)]


async def accrue_promotion(
    session: AsyncSession,
    promotion_id: int,
    year: int,
    month: int,
    report: AccrualReport,
    actor: str,
) -> None:
    """(Re)compute one promotion's accruals of ``year`` up to ``month`` in ``session``."""
    repository = PromotionRepository(session, Scope.everything())
    promotion = await repository.promotion(promotion_id)
    if promotion is None:
        return
    subsidy = subsidy_of(promotion)
    ledger = FundLedgerRepository(session, Scope.everything())
    existing = await repository.accruals_of(promotion.id, year)
    posted_before = await ledger.posted_many(
        "accrual", [row.id for row in existing.values()], REBATE_FUND
    )
    begin = max(date(year, 1, 1), promotion.starts)
    window_end = promotion.ends + timedelta(days=1)  # exclusive
    accrued_before: dict[int, Decimal] = {}
    touched: list[Accrual] = []
    sales: dict[int, PartnerSales] = {}
    read_until: date | None = None
    for index, start, end in _months(promotion, year, month):
        until = min(end, window_end)
        if until != read_until and begin < until:  # after the window: the same YTD sales
            sales, read_until = await repository.sales(promotion, begin, until), until
        on = until - timedelta(days=1)  # the YTD's last day: within the window
        partners = sorted(set(sales) | set(accrued_before) | {p for p, i in existing if i == index})
        for partner_id in partners:
            before = accrued_before.get(partner_id, ZERO)
            row = existing.get((partner_id, index))
            if row is not None and row.settlement_id is not None:
                report.frozen += 1
                accrued_before[partner_id] = before + row.amount
                continue
            sold = sales.get(partner_id)
            quantity = sold.quantity if sold else ZERO
            amount = sold.amount if sold else ZERO
            raw = subsidy_for(subsidy, quantity, amount, on) if sold else ZERO
            ytd = round_money(raw, promotion.currency)
            accrual = accrual_for_period(ytd, before, promotion.currency)
            accrued_before[partner_id] = before + accrual
            values = {
                "ytd_quantity": quantity,
                "ytd_amount": amount,
                "entitlement_ytd": ytd,
                "accrued_before": before,
                "amount": accrual,
            }
            if row is None:
                if accrual == ZERO and (ytd == ZERO or start >= window_end):
                    continue
                row = Accrual(
                    promotion_id=promotion.id,
                    partner_id=partner_id,
                    year=year,
                    period_kind=PeriodKind.MONTH.value,
                    period_index=index,
                    period_start=start,
                    period_end=end,
                    currency=promotion.currency,
                    **values,
                )
                session.add(row)
                report.inserted += 1
            elif all(getattr(row, name) == values[name] for name in _COMPARED):
                report.unchanged += 1
            else:
                for name, value in values.items():
                    setattr(row, name, value)
                row.updated_at = utcnow()
                report.updated += 1
            touched.append(row)
    await session.flush()
    corrections = await ledger.true_up_accruals(
        touched,
        posted_before,
        REBATE_FUND,
        lambda row: f"PROMO {promotion.code} {year} MONTH {row.period_index}",
        actor,
    )
    for entry in corrections:
        report.accrued[entry.currency] = report.accrued.get(entry.currency, ZERO) + entry.amount
    report.ledger_entries += len(corrections)

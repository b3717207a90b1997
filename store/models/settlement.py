"""Accruals, settlements (with their lines) and the append-only fund ledger.

An ``Accrual`` is what one agreement (or one promotion: ``promotion_id`` instead of
``agreement_id``, ``jobs.promotion_accrual``) accrued for one partner in one period (the
year-to-date true-up of ``jobs.accrual``): unique per (agreement or promotion, partner, year,
period index); once a
settlement holds it (``settlement_id``) it is frozen. A ``Settlement`` gathers a partner's
unsettled accruals of a closed period: DRAFT → PENDING_APPROVAL → APPROVED → PAID (or
REJECTED). ``FundLedgerEntry`` rows are never updated nor deleted (an ORM guard refuses it):
a correction is a new entry; every entry names its source (``source_type``, ``source_id``).
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    event,
)
from sqlalchemy.orm import Mapped, mapped_column

from store.base import Base, Timestamped, utcnow
from store.types import Money, UTCDateTime


class Accrual(Timestamped, Base):
    __tablename__ = "accruals"
    __table_args__ = (
        UniqueConstraint("agreement_id", "partner_id", "year", "period_index"),
        UniqueConstraint("promotion_id", "partner_id", "year", "period_index"),
        Index("ix_accruals_partner_year", "partner_id", "year"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    agreement_id: Mapped[int | None] = mapped_column(ForeignKey("rebate_agreements.id"))
    promotion_id: Mapped[int | None] = mapped_column(ForeignKey("promotions.id"))
    partner_id: Mapped[int] = mapped_column(ForeignKey("partners.id"))
    year: Mapped[int] = mapped_column(Integer)
    period_kind: Mapped[str] = mapped_column(String(16))
    period_index: Mapped[int] = mapped_column(Integer)
    period_start: Mapped[date] = mapped_column(Date)
    period_end: Mapped[date] = mapped_column(Date)
    currency: Mapped[str] = mapped_column(String(3))
    ytd_quantity: Mapped[Decimal] = mapped_column(Money())
    ytd_amount: Mapped[Decimal] = mapped_column(Money())
    entitlement_ytd: Mapped[Decimal] = mapped_column(Money())
    accrued_before: Mapped[Decimal] = mapped_column(Money())
    amount: Mapped[Decimal] = mapped_column(Money())
    settlement_id: Mapped[int | None] = mapped_column(ForeignKey("settlements.id"), index=True)


class Settlement(Timestamped, Base):
    __tablename__ = "settlements"
    __table_args__ = (
        UniqueConstraint("partner_id", "period_kind", "year", "period_index", "currency"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(64), unique=True)
    partner_id: Mapped[int] = mapped_column(ForeignKey("partners.id"), index=True)
    year: Mapped[int] = mapped_column(Integer)
    period_kind: Mapped[str] = mapped_column(String(16))
    period_index: Mapped[int] = mapped_column(Integer)
    period_start: Mapped[date] = mapped_column(Date)
    period_end: Mapped[date] = mapped_column(Date)
    currency: Mapped[str] = mapped_column(String(3))
    total: Mapped[Decimal] = mapped_column(Money())
    status: Mapped[str] = mapped_column(String(20), index=True)
    approval_request_id: Mapped[int | None] = mapped_column(Integer)
    reference: Mapped[str | None] = mapped_column(String(200))
    created_by: Mapped[str] = mapped_column(String(200))
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    paid_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class SettlementLine(Base):
    __tablename__ = "settlement_lines"

    id: Mapped[int] = mapped_column(primary_key=True)
    settlement_id: Mapped[int] = mapped_column(ForeignKey("settlements.id"), index=True)
    accrual_id: Mapped[int] = mapped_column(ForeignKey("accruals.id"), unique=True)
    agreement_id: Mapped[int | None] = mapped_column(ForeignKey("rebate_agreements.id"))
    promotion_id: Mapped[int | None] = mapped_column(ForeignKey("promotions.id"))
    amount: Mapped[Decimal] = mapped_column(Money())


class FundLedgerEntry(Base):
    """One movement of a partner's fund (REBATE, PREPAYMENT, DEPOSIT, POINTS); signed."""

    __tablename__ = "fund_ledger"
    __table_args__ = (
        Index("ix_fund_ledger_partner_fund", "partner_id", "fund"),
        Index("ix_fund_ledger_source", "source_type", "source_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    partner_id: Mapped[int] = mapped_column(ForeignKey("partners.id"))
    fund: Mapped[str] = mapped_column(String(16))
    amount: Mapped[Decimal] = mapped_column(Money())
    currency: Mapped[str] = mapped_column(String(3))
    source_type: Mapped[str] = mapped_column(String(32))
    source_id: Mapped[int] = mapped_column(Integer)
    memo: Mapped[str | None] = mapped_column(Text)
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class LedgerIsAppendOnly(RuntimeError):
    """A fund ledger entry may not be changed or removed: append a correction instead."""


@event.listens_for(FundLedgerEntry, "before_update")
@event.listens_for(FundLedgerEntry, "before_delete")
def _refuse_change(*_: object) -> None:
    raise LedgerIsAppendOnly("the fund ledger is append-only: append a correcting entry")

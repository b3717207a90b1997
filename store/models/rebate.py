"""Rebate agreements (scope, period, basis, method, tiers, growth, cap) and promotions.

An agreement's scope is one partner, every partner of a tier, or every partner in a region's
subtree (``scope_kind`` PARTNER / TIER / REGION with the matching id). Its ``period`` (MONTH,
QUARTER, YEAR) is how often it accrues and settles; tiers apply to the year-to-date volume
(``jobs.accrual``). ``product_ids_json`` / ``categories_json`` limit the basis to some
products or categories (JSON lists; both empty: every product). Tiers are half-open
[lower, upper) with a rate or a per-unit amount (``domain.rebates.Tier``).
A promotion is a per-unit or percentage subsidy on some products within a date window,
optionally only in a region or a tier. Its ``status`` is PENDING_APPROVAL while an approval
rule for document type ``promotion`` holds it (``jobs.promotions``), then ACTIVE (only ACTIVE
promotions accrue) or REJECTED.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import Boolean, Date, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from store.base import Base, Timestamped
from store.types import Money


class RebateAgreement(Timestamped, Base):
    __tablename__ = "rebate_agreements"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    currency: Mapped[str] = mapped_column(String(3), default="CNY")
    scope_kind: Mapped[str] = mapped_column(String(16))
    partner_id: Mapped[int | None] = mapped_column(ForeignKey("partners.id"), index=True)
    tier_id: Mapped[int | None] = mapped_column(ForeignKey("tiers.id"), index=True)
    region_id: Mapped[int | None] = mapped_column(ForeignKey("regions.id"), index=True)
    period: Mapped[str] = mapped_column(String(16))
    basis: Mapped[str] = mapped_column(String(16))
    method: Mapped[str] = mapped_column(String(16))
    product_ids_json: Mapped[str] = mapped_column(Text, default="[]")
    categories_json: Mapped[str] = mapped_column(Text, default="[]")
    growth_baseline: Mapped[Decimal | None] = mapped_column(Money())
    growth_threshold: Mapped[Decimal | None] = mapped_column(Money())
    growth_rate: Mapped[Decimal | None] = mapped_column(Money())
    growth_on: Mapped[str | None] = mapped_column(String(16))
    cap: Mapped[Decimal | None] = mapped_column(Money())
    valid_from: Mapped[date] = mapped_column(Date)
    valid_to: Mapped[date] = mapped_column(Date)
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class RebateTier(Base):
    """One band of an agreement: [lower, upper) at ``rate`` (a fraction) or ``per_unit``."""

    __tablename__ = "rebate_tiers"

    id: Mapped[int] = mapped_column(primary_key=True)
    agreement_id: Mapped[int] = mapped_column(ForeignKey("rebate_agreements.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    lower: Mapped[Decimal] = mapped_column(Money())
    upper: Mapped[Decimal | None] = mapped_column(Money())
    rate: Mapped[Decimal | None] = mapped_column(Money())
    per_unit: Mapped[Decimal | None] = mapped_column(Money())


class Promotion(Timestamped, Base):
    """A subsidy on products in [starts, ends], optionally limited to a region or a tier."""

    __tablename__ = "promotions"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    currency: Mapped[str] = mapped_column(String(3), default="CNY")
    product_ids_json: Mapped[str] = mapped_column(Text, default="[]")
    per_unit: Mapped[Decimal | None] = mapped_column(Money())
    percent: Mapped[Decimal | None] = mapped_column(Money())
    starts: Mapped[date] = mapped_column(Date)
    ends: Mapped[date] = mapped_column(Date)
    region_id: Mapped[int | None] = mapped_column(ForeignKey("regions.id"), index=True)
    tier_id: Mapped[int | None] = mapped_column(ForeignKey("tiers.id"), index=True)
    status: Mapped[str] = mapped_column(String(20), default="ACTIVE")
    approval_request_id: Mapped[int | None] = mapped_column(Integer)

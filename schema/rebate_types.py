"""Rebate types of the graph (agreements, promotions, accruals, settlements, fund balances
and ledger entries) and how a stored row becomes one: plain values built from rows already
read, so nested fields cost no SQL. Used by ``schema.rebates``.
"""

from __future__ import annotations

import json
from datetime import date, datetime
from decimal import Decimal

import strawberry

from schema.mutations.errors import UserError
from schema.node import decode_typed_id, encode_id
from schema.rebate_enums import PromotionStatus, RebatePeriodKind, SettlementStatus
from store import models


@strawberry.type(description="One band [lower, upper) at a rate (fraction) or a per-unit amount.")
class RebateTier:
    lower: Decimal
    upper: Decimal | None
    rate: Decimal | None
    per_unit: Decimal | None


@strawberry.type(
    description="A growth rebate: `rate` when growth over `baseline` reaches `threshold`."
)
class RebateGrowth:
    baseline: Decimal
    threshold: Decimal
    rate: Decimal
    on: str = strawberry.field(description='"total" or "increment".')


@strawberry.type(description="A tiered rebate agreement; tiers apply to year-to-date volume.")
class RebateAgreement:
    id: strawberry.ID
    code: str
    name: str
    currency: str
    scope_kind: str = strawberry.field(description="PARTNER, TIER or REGION.")
    partner_id: strawberry.ID | None
    tier_id: strawberry.ID | None
    region_id: strawberry.ID | None
    period: RebatePeriodKind = strawberry.field(description="How often it accrues and settles.")
    basis: str
    method: str
    product_ids: list[strawberry.ID]
    categories: list[str]
    tiers: list[RebateTier]
    growth: RebateGrowth | None
    cap: Decimal | None
    valid_from: date
    valid_to: date = strawberry.field(description="Exclusive.")
    active: bool


@strawberry.type(description="A per-unit or percentage subsidy on products in a date window.")
class Promotion:
    id: strawberry.ID
    code: str
    name: str
    currency: str
    product_ids: list[strawberry.ID]
    per_unit: Decimal | None
    percent: Decimal | None
    starts: date
    ends: date
    region_id: strawberry.ID | None
    tier_id: strawberry.ID | None
    status: PromotionStatus = strawberry.field(description="Only ACTIVE promotions accrue.")
    approval_request_id: strawberry.ID | None


@strawberry.type(
    description="What one agreement (or one promotion: promotionId) accrued for one partner "
    "in one period."
)
class RebateAccrual:
    id: strawberry.ID
    agreement_id: strawberry.ID | None
    promotion_id: strawberry.ID | None
    partner_id: strawberry.ID
    year: int
    period_kind: RebatePeriodKind
    period_index: int
    period_start: date
    period_end: date
    currency: str
    ytd_quantity: Decimal
    ytd_amount: Decimal
    entitlement_ytd: Decimal
    accrued_before: Decimal
    amount: Decimal
    settlement_id: strawberry.ID | None


@strawberry.type
class RebateSettlementLine:
    accrual_id: strawberry.ID
    agreement_id: strawberry.ID | None
    promotion_id: strawberry.ID | None
    amount: Decimal


@strawberry.type(description="DRAFT → APPROVED → PAID (credit note accepted) or REJECTED.")
class RebateSettlement:
    id: strawberry.ID
    number: str
    partner_id: strawberry.ID
    year: int
    period_kind: RebatePeriodKind
    period_index: int
    currency: str
    total: Decimal
    status: SettlementStatus
    approval_request_id: strawberry.ID | None
    reference: str | None = strawberry.field(description="Finance's credit note id.")
    approved_at: datetime | None
    paid_at: datetime | None
    lines: list[RebateSettlementLine]


@strawberry.type(description="A partner's balance of one fund (REBATE, PREPAYMENT, …).")
class FundBalance:
    partner_id: strawberry.ID
    fund: str
    currency: str
    balance: Decimal


@strawberry.type(description="One append-only movement of a fund; `source` names its cause.")
class FundLedgerEntry:
    id: strawberry.ID
    partner_id: strawberry.ID
    fund: str
    amount: Decimal
    currency: str
    source_type: str
    source_id: strawberry.ID
    memo: str | None
    created_at: datetime


@strawberry.type(description="The settlement's period has not ended yet; nothing was written.")
class PeriodNotClosedError(UserError):
    field: str
    ends_on: date


def _id(type_name: str, pk: int | None) -> strawberry.ID | None:
    return None if pk is None else encode_id(type_name, pk)


def agreement_of(row: models.RebateAgreement, tiers: list[models.RebateTier]) -> RebateAgreement:
    growth = None
    if row.growth_rate is not None:
        growth = RebateGrowth(
            baseline=row.growth_baseline or Decimal(0),
            threshold=row.growth_threshold or Decimal(0),
            rate=row.growth_rate,
            on=row.growth_on or "total",
        )
    return RebateAgreement(
        id=encode_id("RebateAgreement", row.id),
        code=row.code,
        name=row.name,
        currency=row.currency,
        scope_kind=row.scope_kind,
        partner_id=_id("Partner", row.partner_id),
        tier_id=_id("Tier", row.tier_id),
        region_id=_id("Region", row.region_id),
        period=RebatePeriodKind(row.period),
        basis=row.basis,
        method=row.method,
        product_ids=[encode_id("Product", p) for p in json.loads(row.product_ids_json)],
        categories=list(json.loads(row.categories_json)),
        tiers=[
            RebateTier(lower=t.lower, upper=t.upper, rate=t.rate, per_unit=t.per_unit)
            for t in tiers
        ],
        growth=growth,
        cap=row.cap,
        valid_from=row.valid_from,
        valid_to=row.valid_to,
        active=row.active,
    )


def promotion_of(row: models.Promotion) -> Promotion:
    return Promotion(
        id=encode_id("Promotion", row.id),
        code=row.code,
        name=row.name,
        currency=row.currency,
        product_ids=[encode_id("Product", p) for p in json.loads(row.product_ids_json)],
        per_unit=row.per_unit,
        percent=row.percent,
        starts=row.starts,
        ends=row.ends,
        region_id=_id("Region", row.region_id),
        tier_id=_id("Tier", row.tier_id),
        status=PromotionStatus(row.status),
        approval_request_id=_id("ApprovalRequest", row.approval_request_id),
    )


def accrual_of(row: models.Accrual) -> RebateAccrual:
    return RebateAccrual(
        id=encode_id("RebateAccrual", row.id),
        agreement_id=_id("RebateAgreement", row.agreement_id),
        promotion_id=_id("Promotion", row.promotion_id),
        partner_id=encode_id("Partner", row.partner_id),
        year=row.year,
        period_kind=RebatePeriodKind(row.period_kind),
        period_index=row.period_index,
        period_start=row.period_start,
        period_end=row.period_end,
        currency=row.currency,
        ytd_quantity=row.ytd_quantity,
        ytd_amount=row.ytd_amount,
        entitlement_ytd=row.entitlement_ytd,
        accrued_before=row.accrued_before,
        amount=row.amount,
        settlement_id=_id("RebateSettlement", row.settlement_id),
    )


def settlement_of(row: models.Settlement, lines: list[models.SettlementLine]) -> RebateSettlement:
    return RebateSettlement(
        id=encode_id("RebateSettlement", row.id),
        number=row.number,
        partner_id=encode_id("Partner", row.partner_id),
        year=row.year,
        period_kind=RebatePeriodKind(row.period_kind),
        period_index=row.period_index,
        currency=row.currency,
        total=row.total,
        status=SettlementStatus(row.status),
        approval_request_id=_id("ApprovalRequest", row.approval_request_id),
        reference=row.reference,
        approved_at=row.approved_at,
        paid_at=row.paid_at,
        lines=[
            RebateSettlementLine(
                accrual_id=encode_id("RebateAccrual", line.accrual_id),
                agreement_id=_id("RebateAgreement", line.agreement_id),
                promotion_id=_id("Promotion", line.promotion_id),
                amount=line.amount,
            )
            for line in lines
        ],
    )


def partner_pk(partner: strawberry.ID | None) -> int | None:
    return None if partner is None else decode_typed_id(partner, "Partner")

"""Rebates in the graph: agreements and promotions (brand admin manages them), accruals,
settlements and fund balances and ledger (dealers see their own, through their scope).

Queries ``rebateAgreements``, ``promotions``, ``rebateAccruals``, ``rebateSettlements``,
``fundBalances``, ``fundLedger``; mutations ``createRebateAgreement``,
``updateRebateAgreement``, ``createPromotion``, ``createRebateSettlement`` (approval through
``pendingApprovals`` / ``approve`` when a rule applies) and ``runRebateAccrual``. Services in
``resolvers.rebates``; every list is one or two SQL statements whatever its length.
"""

from __future__ import annotations

import json
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, cast

import strawberry

from resolvers import rebates as service
from resolvers.mutations.common import Caller
from schema.context import Info
from schema.mutations.base import optional_ref, ref, run
from schema.mutations.errors import (
    DuplicateError,
    ForbiddenError,
    InvalidInputError,
    NotFoundError,
    UserError,
)
from schema.node import decode_typed_id, encode_id
from schema.permissions import CHANNEL_READERS
from schema.types.job_run import JobRun
from store import models
from store.base import utcnow
from store.repositories.fund_ledger import FundLedgerRepository
from store.repositories.rebates import RebateRepository
from store.repositories.settlements import SettlementRepository


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
    period: str = strawberry.field(description="MONTH, QUARTER or YEAR: accrual and settlement.")
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


@strawberry.type(description="What one agreement accrued for one partner in one period.")
class RebateAccrual:
    id: strawberry.ID
    agreement_id: strawberry.ID
    partner_id: strawberry.ID
    year: int
    period_kind: str
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
    agreement_id: strawberry.ID
    amount: Decimal


@strawberry.type(description="DRAFT → APPROVED → PAID (credit note accepted) or REJECTED.")
class RebateSettlement:
    id: strawberry.ID
    number: str
    partner_id: strawberry.ID
    year: int
    period_kind: str
    period_index: int
    currency: str
    total: Decimal
    status: str
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


def _agreement(row: models.RebateAgreement, tiers: list[models.RebateTier]) -> RebateAgreement:
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
        period=row.period,
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


def _promotion(row: models.Promotion) -> Promotion:
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
    )


def _accrual(row: models.Accrual) -> RebateAccrual:
    return RebateAccrual(
        id=encode_id("RebateAccrual", row.id),
        agreement_id=encode_id("RebateAgreement", row.agreement_id),
        partner_id=encode_id("Partner", row.partner_id),
        year=row.year,
        period_kind=row.period_kind,
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


def _settlement(row: models.Settlement, lines: list[models.SettlementLine]) -> RebateSettlement:
    return RebateSettlement(
        id=encode_id("RebateSettlement", row.id),
        number=row.number,
        partner_id=encode_id("Partner", row.partner_id),
        year=row.year,
        period_kind=row.period_kind,
        period_index=row.period_index,
        currency=row.currency,
        total=row.total,
        status=row.status,
        approval_request_id=_id("ApprovalRequest", row.approval_request_id),
        reference=row.reference,
        approved_at=row.approved_at,
        paid_at=row.paid_at,
        lines=[
            RebateSettlementLine(
                accrual_id=encode_id("RebateAccrual", line.accrual_id),
                agreement_id=encode_id("RebateAgreement", line.agreement_id),
                amount=line.amount,
            )
            for line in lines
        ],
    )


def _partner(partner: strawberry.ID | None) -> int | None:
    return None if partner is None else decode_typed_id(partner, "Partner")


@strawberry.type
class RebateQuery:
    @strawberry.field(
        permission_classes=CHANNEL_READERS, description="Agreements covering a partner you see."
    )
    async def rebate_agreements(self, info: Info) -> list[RebateAgreement]:
        async with info.context.sessions() as session:
            repository = RebateRepository(session, info.context.scope)
            rows = await repository.agreements()
            tiers = await repository.tiers(row.id for row in rows)
        return [_agreement(row, tiers[row.id]) for row in rows]

    @strawberry.field(permission_classes=CHANNEL_READERS)
    async def promotions(self, info: Info) -> list[Promotion]:
        async with info.context.sessions() as session:
            rows = await RebateRepository(session, info.context.scope).promotions()
        return [_promotion(row) for row in rows]

    @strawberry.field(
        permission_classes=CHANNEL_READERS, description="Accruals of partners you see."
    )
    async def rebate_accruals(
        self, info: Info, year: int | None = None, partner: strawberry.ID | None = None
    ) -> list[RebateAccrual]:
        async with info.context.sessions() as session:
            repository = SettlementRepository(session, info.context.scope)
            rows = await repository.accruals(partner_id=_partner(partner), year=year)
        return [_accrual(row) for row in rows]

    @strawberry.field(permission_classes=CHANNEL_READERS)
    async def rebate_settlements(
        self, info: Info, partner: strawberry.ID | None = None, status: str | None = None
    ) -> list[RebateSettlement]:
        async with info.context.sessions() as session:
            repository = SettlementRepository(session, info.context.scope)
            rows = await repository.settlements(partner_id=_partner(partner), status=status)
            lines = await repository.lines(row.id for row in rows)
        return [_settlement(row, lines[row.id]) for row in rows]

    @strawberry.field(permission_classes=CHANNEL_READERS)
    async def fund_balances(
        self, info: Info, partner: strawberry.ID | None = None
    ) -> list[FundBalance]:
        async with info.context.sessions() as session:
            rows = await FundLedgerRepository(session, info.context.scope).balances(
                _partner(partner)
            )
        return [
            FundBalance(
                partner_id=encode_id("Partner", row.partner_id),
                fund=row.fund,
                currency=row.currency,
                balance=row.balance,
            )
            for row in rows
        ]

    @strawberry.field(permission_classes=CHANNEL_READERS)
    async def fund_ledger(
        self, info: Info, partner: strawberry.ID | None = None
    ) -> list[FundLedgerEntry]:
        async with info.context.sessions() as session:
            rows = await FundLedgerRepository(session, info.context.scope).entries(
                _partner(partner)
            )
        return [
            FundLedgerEntry(
                id=encode_id("FundLedgerEntry", row.id),
                partner_id=encode_id("Partner", row.partner_id),
                fund=row.fund,
                amount=row.amount,
                currency=row.currency,
                source_type=row.source_type,
                source_id=strawberry.ID(str(row.source_id)),
                memo=row.memo,
                created_at=row.created_at,
            )
            for row in rows
        ]


@strawberry.input
class RebateTierInput:
    lower: Decimal
    upper: Decimal | None = None
    rate: Decimal | None = None
    per_unit: Decimal | None = None


@strawberry.input
class RebateGrowthInput:
    baseline: Decimal
    threshold: Decimal
    rate: Decimal
    on: str = "total"


@strawberry.input(description="A rebate agreement; scope by partner, tier or region.")
class RebateAgreementInput:
    code: str
    name: str
    scope_kind: str
    period: str
    basis: str
    method: str
    tiers: list[RebateTierInput]
    valid_from: date | None = None
    valid_to: date | None = strawberry.field(default=None, description="Exclusive; required.")
    currency: str = "CNY"
    partner: strawberry.ID | None = None
    tier: strawberry.ID | None = None
    region: strawberry.ID | None = None
    products: list[strawberry.ID] = strawberry.field(default_factory=list)
    categories: list[str] = strawberry.field(default_factory=list)
    growth: RebateGrowthInput | None = None
    cap: Decimal | None = None
    active: bool = True

    def to_service(self) -> service.AgreementData:
        growth = self.growth
        return service.AgreementData(
            code=self.code,
            name=self.name,
            scope_kind=self.scope_kind,
            period=self.period,
            basis=self.basis,
            method=self.method,
            valid_from=self.valid_from,
            valid_to=self.valid_to,
            tiers=[service.TierData(t.lower, t.upper, t.rate, t.per_unit) for t in self.tiers],
            currency=self.currency,
            partner=optional_ref(self.partner, "Partner"),
            tier=optional_ref(self.tier, "Tier"),
            region=optional_ref(self.region, "Region"),
            products=[ref(p, "Product") for p in self.products],
            categories=self.categories,
            growth=None
            if growth is None
            else service.GrowthData(growth.baseline, growth.threshold, growth.rate, growth.on),
            cap=self.cap,
            active=self.active,
        )


@strawberry.input
class PromotionInput:
    code: str
    name: str
    products: list[strawberry.ID]
    starts: date | None = None
    ends: date | None = None
    per_unit: Decimal | None = None
    percent: Decimal | None = None
    currency: str = "CNY"
    region: strawberry.ID | None = None
    tier: strawberry.ID | None = None


@strawberry.input(description="Settle a partner's accruals of a closed period.")
class RebateSettlementInput:
    partner: strawberry.ID
    year: int
    period_kind: str = "QUARTER"
    period_index: int = 1
    currency: str = "CNY"


@strawberry.type
class RebateAgreementPayload:
    agreement: RebateAgreement


@strawberry.type
class PromotionPayload:
    promotion: Promotion


@strawberry.type
class RebateSettlementPayload:
    settlement: RebateSettlement


@strawberry.type
class RebateAccrualRunPayload:
    run: JobRun


_Errors = InvalidInputError | NotFoundError | DuplicateError | ForbiddenError
SaveRebateAgreementResult = Annotated[
    RebateAgreementPayload | _Errors, strawberry.union("SaveRebateAgreementResult")
]
CreatePromotionResult = Annotated[
    PromotionPayload | _Errors, strawberry.union("CreatePromotionResult")
]
CreateRebateSettlementResult = Annotated[
    RebateSettlementPayload | PeriodNotClosedError | _Errors,
    strawberry.union("CreateRebateSettlementResult"),
]
RunRebateAccrualResult = Annotated[
    RebateAccrualRunPayload | InvalidInputError | ForbiddenError,
    strawberry.union("RunRebateAccrualResult"),
]


async def _with_tiers(info: Info, row: models.RebateAgreement) -> RebateAgreementPayload:
    async with info.context.sessions() as session:
        tiers = await RebateRepository(session, info.context.scope).tiers([row.id])
    return RebateAgreementPayload(agreement=_agreement(row, tiers[row.id]))


@strawberry.type
class RebateMutation:
    @strawberry.mutation(description="Create a rebate agreement (brand admin).")
    async def create_rebate_agreement(
        self, info: Info, input: RebateAgreementInput
    ) -> SaveRebateAgreementResult:
        action = service.save_agreement(
            info.context.sessions, Caller.of(info.context), input.to_service()
        )
        result = await run(info, SaveRebateAgreementResult, action, lambda row: row)
        return cast(
            SaveRebateAgreementResult,
            result if isinstance(result, UserError) else await _with_tiers(info, result),
        )

    @strawberry.mutation(description="Replace an agreement's terms (brand admin).")
    async def update_rebate_agreement(
        self, info: Info, id: strawberry.ID, input: RebateAgreementInput
    ) -> SaveRebateAgreementResult:
        target = ref(id, "RebateAgreement")
        action = service.save_agreement(
            info.context.sessions, Caller.of(info.context), input.to_service(), target
        )
        result = await run(info, SaveRebateAgreementResult, action, lambda row: row)
        return cast(
            SaveRebateAgreementResult,
            result if isinstance(result, UserError) else await _with_tiers(info, result),
        )

    @strawberry.mutation(description="Create a promotion subsidy (brand admin).")
    async def create_promotion(self, info: Info, input: PromotionInput) -> CreatePromotionResult:
        data = service.PromotionData(
            code=input.code,
            name=input.name,
            products=[ref(p, "Product") for p in input.products],
            starts=input.starts,
            ends=input.ends,
            per_unit=input.per_unit,
            percent=input.percent,
            currency=input.currency,
            region=optional_ref(input.region, "Region"),
            tier=optional_ref(input.tier, "Tier"),
        )
        action = service.save_promotion(info.context.sessions, Caller.of(info.context), data)
        wrap = lambda row: PromotionPayload(promotion=_promotion(row))  # noqa: E731
        return cast(CreatePromotionResult, await run(info, CreatePromotionResult, action, wrap))

    @strawberry.mutation(
        description="Settle a partner's accruals of a closed period (brand admin)."
    )
    async def create_rebate_settlement(
        self, info: Info, input: RebateSettlementInput
    ) -> CreateRebateSettlementResult:
        action = service.settle(
            info.context.sessions,
            Caller.of(info.context),
            ref(input.partner, "Partner"),
            input.year,
            input.period_kind,
            input.period_index,
            input.currency,
            utcnow().date(),
        )
        try:
            result: Any = await run(info, CreateRebateSettlementResult, action, lambda row: row)
        except service.PeriodStillOpen as failure:
            return PeriodNotClosedError(
                message=str(failure), field=failure.field, ends_on=failure.ends
            )
        if isinstance(result, UserError):
            return cast(CreateRebateSettlementResult, result)
        async with info.context.sessions() as session:
            lines = await SettlementRepository(session, info.context.scope).lines([result.id])
        return RebateSettlementPayload(settlement=_settlement(result, lines[result.id]))

    @strawberry.mutation(description="Queue a rebate accrual of a year up to a month.")
    async def run_rebate_accrual(self, info: Info, year: int, month: int) -> RunRebateAccrualResult:
        action = service.start_accrual(info.context.hub, Caller.of(info.context), year, month)
        wrap = lambda row: RebateAccrualRunPayload(run=cast(JobRun, row))  # noqa: E731
        return cast(RunRebateAccrualResult, await run(info, RunRebateAccrualResult, action, wrap))

"""Rebates in the graph: agreements and promotions (brand admin manages them), accruals,
settlements and fund balances and ledger (dealers see their own, through their scope).

Queries ``rebateAgreements``, ``promotions``, ``rebateAccruals``, ``rebateSettlements``,
``fundBalances``, ``fundLedger``; mutations ``createRebateAgreement``,
``updateRebateAgreement``, ``createPromotion``, ``createRebateSettlement`` (approval through
``pendingApprovals`` / ``approve`` when a rule applies), ``runRebateAccrual`` and
``postFundEntry`` (``schema.fund_entries``). Services in
``resolvers.rebates``, types in ``schema.rebate_types``; every list is one or two SQL
statements whatever its length.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated, Any, cast

import strawberry

from resolvers import rebates as service
from resolvers.mutations.common import Caller
from schema.context import Info
from schema.fund_entries import PostFundEntryInput, PostFundEntryResult, post_fund_entry
from schema.mutations.base import optional_ref, ref, run
from schema.mutations.errors import (
    DuplicateError,
    ForbiddenError,
    InvalidInputError,
    NotFoundError,
    UserError,
)
from schema.node import encode_id
from schema.permissions import CHANNEL_READERS
from schema.rebate_enums import RebatePeriodKind, SettlementStatus
from schema.rebate_types import (
    FundBalance,
    FundLedgerEntry,
    PeriodNotClosedError,
    Promotion,
    RebateAccrual,
    RebateAgreement,
    RebateSettlement,
    accrual_of,
    agreement_of,
    partner_pk,
    promotion_of,
    settlement_of,
)
from schema.types.job_run import JobRun
from store import models
from store.base import utcnow
from store.repositories.fund_ledger import FundLedgerRepository
from store.repositories.rebates import RebateRepository
from store.repositories.settlements import SettlementRepository


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
        return [agreement_of(row, tiers[row.id]) for row in rows]

    @strawberry.field(permission_classes=CHANNEL_READERS)
    async def promotions(self, info: Info) -> list[Promotion]:
        async with info.context.sessions() as session:
            rows = await RebateRepository(session, info.context.scope).promotions()
        return [promotion_of(row) for row in rows]

    @strawberry.field(
        permission_classes=CHANNEL_READERS, description="Accruals of partners you see."
    )
    async def rebate_accruals(
        self, info: Info, year: int | None = None, partner: strawberry.ID | None = None
    ) -> list[RebateAccrual]:
        async with info.context.sessions() as session:
            repository = SettlementRepository(session, info.context.scope)
            rows = await repository.accruals(partner_id=partner_pk(partner), year=year)
        return [accrual_of(row) for row in rows]

    @strawberry.field(permission_classes=CHANNEL_READERS)
    async def rebate_settlements(
        self,
        info: Info,
        partner: strawberry.ID | None = None,
        status: SettlementStatus | None = None,
    ) -> list[RebateSettlement]:
        wanted = None if status is None else status.value
        async with info.context.sessions() as session:
            repository = SettlementRepository(session, info.context.scope)
            rows = await repository.settlements(partner_id=partner_pk(partner), status=wanted)
            lines = await repository.lines(row.id for row in rows)
        return [settlement_of(row, lines[row.id]) for row in rows]

    @strawberry.field(permission_classes=CHANNEL_READERS)
    async def fund_balances(
        self, info: Info, partner: strawberry.ID | None = None
    ) -> list[FundBalance]:
        async with info.context.sessions() as session:
            rows = await FundLedgerRepository(session, info.context.scope).balances(
                partner_pk(partner)
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
                partner_pk(partner)
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
    period: RebatePeriodKind
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
            period=self.period.value,
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
    period_kind: RebatePeriodKind = RebatePeriodKind.QUARTER
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
    return RebateAgreementPayload(agreement=agreement_of(row, tiers[row.id]))


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
        wrap = lambda row: PromotionPayload(promotion=promotion_of(row))  # noqa: E731
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
            input.period_kind.value,
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
        return RebateSettlementPayload(settlement=settlement_of(result, lines[result.id]))

    @strawberry.mutation(description="Queue a rebate accrual of a year up to a month.")
    async def run_rebate_accrual(self, info: Info, year: int, month: int) -> RunRebateAccrualResult:
        action = service.start_accrual(info.context.hub, Caller.of(info.context), year, month)
        wrap = lambda row: RebateAccrualRunPayload(run=cast(JobRun, row))  # noqa: E731
        return cast(RunRebateAccrualResult, await run(info, RunRebateAccrualResult, action, wrap))

    @strawberry.mutation(
        description="Post to a partner's PREPAYMENT, DEPOSIT or POINTS fund (brand admin); "
        "append-only, audited, the source reference required."
    )
    async def post_fund_entry(self, info: Info, input: PostFundEntryInput) -> PostFundEntryResult:
        return await post_fund_entry(info, input)

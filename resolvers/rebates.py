"""Rebate services for the graph: agreements and promotions (brand admin), settlements of a
closed period, accrual runs; each takes a ``Caller`` and runs one unit of work.

Interface::

    AgreementData, TierData, GrowthData, PromotionData         # plain inputs
    await save_agreement(sessions, caller, data, agreement=None) -> RebateAgreement
    await save_promotion(sessions, caller, data, promotion_ref=None) -> Promotion
                                                  # from resolvers.promotions (approval)
    await settle(sessions, caller, partner, year, period_kind, period_index, currency,
                 today) -> Settlement                        # PeriodStillOpen when not closed
    await start_accrual(hub, caller, year, month) -> JobRun

Validation problems are ``InvalidInput`` naming the GraphQL field (``tiers.1.lower``,
``validTo``, ``scope``, ``growth.rate``…) from ``domain.rebates.validate_terms`` and
``domain.accrual.check_period``; an unknown partner, tier, region or product is ``NotFound``
naming its field; a code taken is ``Duplicate``. A settlement of a period not closed yet is
``PeriodStillOpen`` (the schema answers ``PeriodNotClosedError``); nothing is written.
"""

from __future__ import annotations

import asyncio
import json
import re
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from domain.accrual import PeriodKind, check_period, period_bounds
from domain.money import MoneyError, minor_unit
from domain.rebates import RebateRuleError, validate_terms
from jobs import runs
from jobs.accrual import ACCRUAL_KIND, terms_of
from jobs.outbox import enqueue_entries
from jobs.settlements import (
    NothingToSettle,
    PeriodNotClosed,
    SettlementExists,
    create_settlement,
    outbox_entries_of,
)
from resolvers.mutations.common import Caller, Ref, RefRule, load
from resolvers.mutations.errors import Duplicate, InvalidInput, NotFound
from resolvers.promotions import PromotionData, save_promotion
from security.viewer import Permission
from store.models import JobRun, RebateAgreement, RebateTier
from store.repositories.partners import PartnerRepository
from store.repositories.products import ProductRepository
from store.repositories.rebates import RebateRepository
from store.repositories.regions import RegionRepository, TierRepository

__all__ = [
    "AgreementData",
    "GrowthData",
    "PeriodStillOpen",
    "PromotionData",
    "TierData",
    "save_agreement",
    "save_promotion",
    "settle",
    "start_accrual",
]

SCOPE_KINDS = ("PARTNER", "TIER", "REGION")
_RULES = {
    "partner": RefRule(PartnerRepository, "partner"),
    "tier": RefRule(TierRepository, "tier"),
    "region": RefRule(RegionRepository, "region"),
    "product": RefRule(ProductRepository, "product"),
}


class PeriodStillOpen(Exception):
    """A settlement for a period that has not ended; ``field`` names the input."""

    def __init__(self, failure: PeriodNotClosed) -> None:
        self.field = "periodIndex"
        self.ends = failure.ends
        super().__init__(str(failure))


@dataclass(frozen=True)
class TierData:
    lower: Decimal
    upper: Decimal | None
    rate: Decimal | None = None
    per_unit: Decimal | None = None


@dataclass(frozen=True)
class GrowthData:
    baseline: Decimal
    threshold: Decimal
    rate: Decimal
    on: str = "total"


@dataclass(frozen=True)
class AgreementData:
    code: str
    name: str
    scope_kind: str
    period: str
    basis: str
    method: str
    valid_from: date | None
    valid_to: date | None
    tiers: list[TierData]
    currency: str = "CNY"
    partner: Ref | None = None
    tier: Ref | None = None
    region: Ref | None = None
    products: list[Ref] = field(default_factory=list)
    categories: list[str] = field(default_factory=list)
    growth: GrowthData | None = None
    cap: Decimal | None = None
    active: bool = True


def _graph_field(domain_field: str) -> str:
    """``tiers[2].per_unit`` → ``tiers.2.perUnit``; ``period.ends`` → ``validTo``."""
    named = {"period.ends": "validTo", "period.starts": "validFrom"}.get(domain_field)
    if named:
        return named
    path = re.sub(r"\[(\d+)\]", r".\1", domain_field)
    return re.sub(r"_([a-z])", lambda m: m.group(1).upper(), path)


def _currency(currency: str) -> str:
    try:
        minor_unit(currency)
    except MoneyError as error:
        raise InvalidInput.one("currency", str(error)) from None
    return currency.upper()


def _check_agreement(
    data: AgreementData, agreement: RebateAgreement, tiers: list[RebateTier]
) -> None:
    problems: list[tuple[str, str]] = []
    if not data.code.strip():
        problems.append(("code", "must not be empty"))
    if data.scope_kind not in SCOPE_KINDS:
        problems.append(("scopeKind", f"must be one of {', '.join(SCOPE_KINDS)}"))
    wanted = {"PARTNER": data.partner, "TIER": data.tier, "REGION": data.region}
    if data.scope_kind in wanted and wanted[data.scope_kind] is None:
        problems.append(
            ("scope", f"a {data.scope_kind} agreement names its {data.scope_kind.lower()}")
        )
    given = [k for k, v in wanted.items() if v is not None]
    if len(given) > 1:
        problems.append(("scope", f"give one of partner, tier, region (got {', '.join(given)})"))
    try:
        PeriodKind(data.period)
    except ValueError:
        problems.append(("period", f"must be one of {', '.join(PeriodKind)}"))
    if problems:
        raise InvalidInput(problems)
    try:
        check_period(data.valid_from, data.valid_to)
        validate_terms(terms_of(agreement, tiers))
    except RebateRuleError as error:
        raise InvalidInput.one(_graph_field(error.field), error.message) from None
    except ValueError as error:  # an unknown method or basis
        raise InvalidInput.one("method", str(error)) from None


async def _ref_id(
    session: AsyncSession, caller: Caller, kind: str, ref: Ref | None, name: str
) -> int | None:
    if ref is None:
        return None
    row = await load(session, caller.scope, _RULES[kind], ref, name)
    return int(row.id)


async def save_agreement(
    sessions: async_sessionmaker[AsyncSession],
    caller: Caller,
    data: AgreementData,
    agreement_ref: Ref | None = None,
) -> RebateAgreement:
    """Create (or, with ``agreement_ref``, replace the terms of) a rebate agreement."""
    caller.require(Permission.REBATES_MANAGE, "manage rebate agreements")
    async with sessions.begin() as session:
        repository = RebateRepository(session, caller.scope)
        if agreement_ref is None:
            agreement = RebateAgreement()
        else:
            found = await repository.agreement(agreement_ref.pk)
            if found is None or agreement_ref.problem is not None:
                raise NotFound("id", agreement_ref.given, "rebate agreement")
            agreement = found
        growth = data.growth
        values: dict[str, Any] = {
            "code": data.code.strip(),
            "name": data.name,
            "currency": _currency(data.currency),
            "scope_kind": data.scope_kind,
            "period": data.period,
            "basis": data.basis,
            "method": data.method,
            "categories_json": json.dumps(sorted(set(data.categories))),
            "growth_baseline": growth.baseline if growth else None,
            "growth_threshold": growth.threshold if growth else None,
            "growth_rate": growth.rate if growth else None,
            "growth_on": growth.on if growth else None,
            "cap": data.cap,
            "valid_from": data.valid_from,
            "valid_to": data.valid_to,
            "active": data.active,
        }
        for name, value in values.items():
            setattr(agreement, name, value)
        tiers = [
            RebateTier(lower=t.lower, upper=t.upper, rate=t.rate, per_unit=t.per_unit)
            for t in data.tiers
        ]
        _check_agreement(data, agreement, tiers)
        agreement.partner_id = await _ref_id(session, caller, "partner", data.partner, "partner")
        agreement.tier_id = await _ref_id(session, caller, "tier", data.tier, "tier")
        agreement.region_id = await _ref_id(session, caller, "region", data.region, "region")
        products = [
            await _ref_id(session, caller, "product", p, f"products.{i}")
            for i, p in enumerate(data.products)
        ]
        agreement.product_ids_json = json.dumps(sorted({p for p in products if p is not None}))
        taken = await session.scalar(
            select(RebateAgreement.id).where(RebateAgreement.code == agreement.code)
        )
        if taken is not None and taken != agreement.id:
            raise Duplicate("code", agreement.code)
        if agreement_ref is None:
            await repository.add_agreement(agreement, tiers)
        else:
            await repository.replace_tiers(agreement.id, tiers)
        await session.flush()
        await session.refresh(agreement)
    return agreement


async def settle(
    sessions: async_sessionmaker[AsyncSession],
    caller: Caller,
    partner: Ref,
    year: int,
    period_kind: str,
    period_index: int,
    currency: str,
    today: date,
) -> Any:
    """A settlement of the partner's accruals of a closed period; its credit note's outbox
    entries are enqueued after the commit when it was approved at once."""
    caller.require(Permission.REBATES_MANAGE, "settle rebates")
    try:
        kind = PeriodKind(period_kind)
        period_bounds(kind, year, period_index)
    except (ValueError, RebateRuleError) as error:
        raise InvalidInput.one("periodIndex", str(error)) from None
    try:
        async with sessions.begin() as session:
            partner_id = await _ref_id(session, caller, "partner", partner, "partner")
            assert partner_id is not None
            settlement = await create_settlement(
                session,
                partner_id=partner_id,
                year=year,
                period_kind=kind.value,
                period_index=period_index,
                currency=_currency(currency),
                created_by=caller.subject,
                today=today,
            )
            entries = outbox_entries_of(session)
    except PeriodNotClosed as failure:
        raise PeriodStillOpen(failure) from None
    except SettlementExists as failure:
        raise Duplicate("period", failure.number) from None
    except NothingToSettle as failure:
        raise InvalidInput.one("period", str(failure)) from None
    enqueue_entries(entries)
    return settlement


async def start_accrual(hub: Any, caller: Caller, year: int, month: int) -> JobRun:
    """Queue a ``rebate_accrual`` run for ``year`` up to the end of ``month``."""
    caller.require(Permission.REBATES_MANAGE, "run rebate accruals")
    try:
        period_bounds(PeriodKind.MONTH, year, month)
    except RebateRuleError as error:
        raise InvalidInput.one("month", error.message) from None
    async with hub.sessions.begin() as session:
        run = await runs.create_run(
            session,
            kind=ACCRUAL_KIND,
            trigger="manual",
            requested_by=caller.subject,
            params={"year": year, "month": month},
        )
    from jobs.dispatch import enqueue_run

    try:
        await asyncio.to_thread(enqueue_run, run.id, run.kind)
    except Exception as error:
        async with hub.sessions.begin() as session:
            failed = await runs.fail_run(session, run.id, error)
        return failed or run
    await runs.publish(getattr(hub, "events", None), run)
    return run

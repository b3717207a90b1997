"""Promotion services for the graph: create and update a promotion subsidy (brand admin),
each one unit of work that also submits the promotion to its approval flow.

Interface::

    PromotionData                                              # plain input
    await save_promotion(sessions, caller, data, promotion_ref=None) -> Promotion

Creating (or, with ``promotion_ref``, replacing the terms of) a promotion needs
``rebates:manage``. The promotion is then submitted (``jobs.promotions.submit_promotion``):
with an approval rule for document type ``promotion`` it is PENDING_APPROVAL until the last
step approves (then ACTIVE) or a step rejects it (REJECTED); with none it is ACTIVE at once.
An update submits again: an ACTIVE promotion whose terms change under a rule waits for
approval again (it does not accrue meanwhile; what it accrued stays).

Failures: ``InvalidInput`` naming the field (``perUnit``, ``percent``, ``products``,
``starts``, ``ends``, ``currency``), ``NotFound`` (the promotion, a product, region or tier),
``Duplicate`` (``code``), ``Forbidden``; nothing is written when one is raised.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from domain.accrual import check_period
from domain.money import MoneyError, minor_unit
from domain.rebates import RebateRuleError
from jobs.promotions import submit_promotion
from resolvers.mutations.common import Caller, Ref, RefRule, load
from resolvers.mutations.errors import Duplicate, InvalidInput, NotFound
from security.viewer import Permission
from store.models import Promotion
from store.repositories.products import ProductRepository
from store.repositories.promotions import PromotionRepository
from store.repositories.regions import RegionRepository, TierRepository

__all__ = ["PromotionData", "save_promotion"]

_RULES = {
    "tier": RefRule(TierRepository, "tier"),
    "region": RefRule(RegionRepository, "region"),
    "product": RefRule(ProductRepository, "product"),
}


@dataclass(frozen=True)
class PromotionData:
    code: str
    name: str
    products: list[Ref]
    starts: date | None
    ends: date | None
    per_unit: Decimal | None = None
    percent: Decimal | None = None
    currency: str = "CNY"
    region: Ref | None = None
    tier: Ref | None = None


def _problems(data: PromotionData) -> list[tuple[str, str]]:
    problems: list[tuple[str, str]] = []
    if not data.code.strip():
        problems.append(("code", "must not be empty"))
    if (data.per_unit is None) == (data.percent is None):
        problems.append(("perUnit", "give a per-unit amount or a percent, not both"))
    for name, value in (("perUnit", data.per_unit), ("percent", data.percent)):
        if value is not None and value < 0:
            problems.append((name, "must not be negative"))
    if data.percent is not None and data.percent > 100:
        problems.append(("percent", "must be at most 100"))
    if not data.products:
        problems.append(("products", "name at least one product"))
    try:
        check_period(data.starts, data.ends, ends_included=True)
    except RebateRuleError as error:
        field_ = {"period.ends": "ends", "period.starts": "starts"}.get(error.field, error.field)
        problems.append((field_, error.message))
    try:
        minor_unit(data.currency)
    except MoneyError as error:
        problems.append(("currency", str(error)))
    return problems


async def _ref_id(
    session: AsyncSession, caller: Caller, kind: str, ref: Ref | None, name: str
) -> int | None:
    if ref is None:
        return None
    return int((await load(session, caller.scope, _RULES[kind], ref, name)).id)


async def save_promotion(
    sessions: async_sessionmaker[AsyncSession],
    caller: Caller,
    data: PromotionData,
    promotion_ref: Ref | None = None,
) -> Promotion:
    """Create (or replace the terms of) a promotion and submit it for approval."""
    caller.require(Permission.REBATES_MANAGE, "manage promotions")
    problems = _problems(data)
    if problems:
        raise InvalidInput(problems)
    assert data.starts is not None and data.ends is not None  # check_period refuses None
    async with sessions.begin() as session:
        repository = PromotionRepository(session, caller.scope)
        if promotion_ref is None:
            promotion = Promotion()
        else:
            found = None
            if promotion_ref.problem is None:
                found = await repository.promotion(promotion_ref.pk)
            if found is None:
                raise NotFound("id", promotion_ref.given, "promotion")
            promotion = found
        products = [
            await _ref_id(session, caller, "product", p, f"products.{i}")
            for i, p in enumerate(data.products)
        ]
        code = data.code.strip()
        if await repository.code_taken(code, other_than=promotion.id):
            raise Duplicate("code", code)
        promotion.code = code
        promotion.name = data.name
        promotion.currency = data.currency.upper()
        promotion.product_ids_json = json.dumps(sorted({p for p in products if p is not None}))
        promotion.per_unit = data.per_unit
        promotion.percent = data.percent
        promotion.starts = data.starts
        promotion.ends = data.ends
        promotion.region_id = await _ref_id(session, caller, "region", data.region, "region")
        promotion.tier_id = await _ref_id(session, caller, "tier", data.tier, "tier")
        if promotion_ref is None:
            promotion.status = "DRAFT"
            session.add(promotion)
        await session.flush()
        await submit_promotion(session, promotion, caller.subject)
        await session.refresh(promotion)  # the values as stored (e.g. 5 → 5.00)
    return promotion

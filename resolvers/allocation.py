"""Allocation services: preview a run of scarce stock over the open order lines, apply it.

Both need ``orders:manage``. A preview reads the product's waiting order lines in the
caller's scope (``store.repositories.allocation.open_requests``), allocates ``stock`` by the
rule (``domain.allocation``) and stores the run with a line (and an explanation) per order
line; nothing on the orders changes. Applying marks the preview applied, once: its lines are
then the allocation records the order flow uses (a later preview asks only for what is still
missing). A second apply, or applying a preview made stale by another run of the same
product applied since, is a ``Conflict``; preview again.

Priority supply rights redeemed with points (``store.repositories.points``) raise a partner's
weight: each open right multiplies it by 1.5 in every preview, and applying a run uses up the
rights of the partners it weighted. ``multipliers`` (partner id → weight multiplier, e.g.
``Decimal("1.5")``) given explicitly win over the rights.

Interface::

    async preview_allocation(sessions, caller, product: Ref, *, stock: int,
                             rule: AllocationRule, multipliers: Mapping[int, Decimal] = {},
                             sell_through_days: int = 90) -> AllocationRun
    async apply_allocation(sessions, caller, run: Ref) -> AllocationRun
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from domain.allocation import AllocationError, AllocationRequest, AllocationRule, allocate
from resolvers.mutations.common import Caller, Ref, RefRule, load, ref_problems, refuse
from resolvers.mutations.errors import Conflict, InvalidInput
from security.viewer import Permission
from store.base import utcnow
from store.models import AllocationRun, AllocationRunLine
from store.repositories.allocation import (
    PREVIEW,
    AllocationRunRepository,
    AllocationWrites,
    open_requests,
)
from store.repositories.points import PointsRepository
from store.repositories.products import ProductRepository

_NO_MULTIPLIERS: Mapping[int, Decimal] = {}


def _input_problems(
    stock: int, multipliers: Mapping[int, Decimal], sell_through_days: int
) -> list[tuple[str, str]]:
    problems = []
    if stock < 0:
        problems.append(("stock", "must not be negative"))
    if sell_through_days < 1:
        problems.append(("sellThroughDays", "must be at least 1"))
    if any(not m.is_finite() or m < 0 for m in multipliers.values()):
        problems.append(("weightMultipliers", "must not be negative"))
    return problems


async def preview_allocation(
    sessions: async_sessionmaker[AsyncSession],
    caller: Caller,
    product: Ref,
    *,
    stock: int,
    rule: AllocationRule,
    multipliers: Mapping[int, Decimal] = _NO_MULTIPLIERS,
    sell_through_days: int = 90,
) -> AllocationRun:
    """Allocate ``stock`` units of ``product`` over the waiting order lines; store a preview."""
    caller.require(Permission.ORDERS_MANAGE, "allocate stock")
    refuse(
        ref_problems({"product": product}) + _input_problems(stock, multipliers, sell_through_days)
    )
    now = utcnow()
    async with sessions.begin() as session:
        await load(session, caller.scope, RefRule(ProductRepository, "product"), product, "product")
        rows = await open_requests(
            session, caller.scope, product.pk, since=now - timedelta(days=sell_through_days)
        )
        rights = await PointsRepository(session, caller.scope).priority_multipliers(
            [row.partner_id for row in rows]
        )
        multipliers = {**rights, **multipliers}  # redeemed priority rights; explicit ones win
        requests = [
            AllocationRequest(
                key=str(row.order_line_id),
                requested=row.requested,
                tier_weight=row.tier_weight,
                priority=row.tier_rank,
                sell_through=Decimal(row.sell_through),
                weight_multiplier=multipliers.get(row.partner_id, Decimal(1)),
            )
            for row in rows
        ]
        try:
            result = allocate(stock, requests, rule)
        except AllocationError as error:  # the inputs were checked: a bug, not bad input
            raise InvalidInput.one("input", error.message) from error
        return await AllocationWrites(session).preview(
            product_id=product.pk,
            stock=stock,
            requests=rows,
            result=result,
            multipliers=multipliers,
            actor=caller.subject,
            now=now,
        )


async def apply_allocation(
    sessions: async_sessionmaker[AsyncSession], caller: Caller, run: Ref
) -> AllocationRun:
    """Apply a preview (once); its lines become the order lines' allocation records."""
    caller.require(Permission.ORDERS_MANAGE, "apply allocations")
    async with sessions.begin() as session:
        row: AllocationRun = await load(
            session, caller.scope, RefRule(AllocationRunRepository, "allocation run"), run, "runId"
        )
        if row.status != PREVIEW:
            raise Conflict(f"allocation run {run.given} is already {row.status}")
        writes = AllocationWrites(session)
        await writes.lock_product(row.product_id)
        if await writes.stale(row):
            raise Conflict("another allocation of this product was applied since: preview again")
        if not await writes.apply(row, caller.subject, utcnow()):
            raise Conflict("another allocation of this product was applied since: preview again")
        favoured = await session.scalars(
            select(AllocationRunLine.partner_id).where(
                AllocationRunLine.run_id == row.id,
                AllocationRunLine.weight_multiplier > Decimal(1),
            )
        )  # a priority supply right is used up by the run it weighted
        await PointsRepository(session, caller.scope).consume_priority_rights(
            sorted(set(favoured)), row.id
        )
        await session.refresh(row)
        return row

"""Allocation runs: the open requests for a product, previews written, applying a preview.

Requests are the product's order lines on SUBMITTED or APPROVED orders of partners the viewer
may see, less what applied runs already gave each line; each comes with its partner's tier
weight (1 without a tier), tier rank (the strict-priority level: rank 1 first; no tier last)
and sell-through (units on the partner's DELIVERED or CLOSED orders since ``since``, every
product — a new product has no history of its own). One SQL statement, oldest order first.

Runs are brand operations: a brand-wide viewer sees every run; others see the runs holding a
line of a partner they may see, and only those lines.

Interface::

    async open_requests(session, scope, product_id, *, since) -> list[RequestRow]
    AllocationWrites(session).preview(product_id, rule, stock, requests, result, multipliers,
                                      actor, now) -> AllocationRun
    AllocationWrites(session).lock_product(product_id); .stale(run) -> bool;
        .apply(run, actor, now) -> bool
    AllocationRunRepository(session, scope): page/count/by_ids; .lines(run_ids)
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, and_, exists, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from domain.allocation import AllocationResult
from domain.enums import OrderStatus
from store.models import (
    AllocationRun,
    AllocationRunLine,
    Order,
    OrderLine,
    Partner,
    Product,
    Tier,
)
from store.pagination import INT, SortKey
from store.repositories.base import ScopedRepository
from store.scope import Scope

PREVIEW, APPLIED = "preview", "applied"
WAITING = (OrderStatus.SUBMITTED, OrderStatus.APPROVED)
SOLD = (OrderStatus.DELIVERED, OrderStatus.CLOSED)
NO_TIER_RANK = 1_000_000


@dataclass(frozen=True)
class RequestRow:
    order_line_id: int
    partner_id: int
    requested: int
    tier_weight: Decimal
    tier_rank: int
    sell_through: int


async def open_requests(
    session: AsyncSession, scope: Scope, product_id: int, *, since: datetime
) -> list[RequestRow]:
    """The product's waiting order lines the viewer may see, with what allocation needs."""
    given = (
        select(func.coalesce(func.sum(AllocationRunLine.allocated), 0))
        .join(AllocationRun, AllocationRun.id == AllocationRunLine.run_id)
        .where(AllocationRunLine.order_line_id == OrderLine.id, AllocationRun.status == APPLIED)
        .scalar_subquery()
    )
    sold = (
        select(Order.partner_id.label("partner_id"), func.sum(OrderLine.quantity).label("units"))
        .join(OrderLine, OrderLine.order_id == Order.id)
        .where(Order.status.in_(SOLD), Order.created_at >= since)
        .group_by(Order.partner_id)
        .subquery()
    )
    remaining = OrderLine.quantity - given
    stmt = (
        select(
            OrderLine.id,
            Order.partner_id,
            remaining,
            Tier.allocation_weight,
            func.coalesce(Tier.rank, NO_TIER_RANK),
            func.coalesce(sold.c.units, 0),
        )
        .join(Order, Order.id == OrderLine.order_id)
        .join(Partner, Partner.id == Order.partner_id)
        .outerjoin(Tier, Tier.id == Partner.tier_id)
        .outerjoin(sold, sold.c.partner_id == Order.partner_id)
        .where(
            OrderLine.product_id == product_id,
            Order.status.in_(WAITING),
            scope.via_partner(Order.partner_id),
            remaining > 0,
        )
        .order_by(Order.created_at, OrderLine.id)
    )
    rows = (await session.execute(stmt)).all()
    return [
        RequestRow(
            order_line_id=r[0],
            partner_id=r[1],
            requested=int(r[2]),
            tier_weight=r[3] if r[3] is not None else Decimal(1),
            tier_rank=int(r[4]),
            sell_through=int(r[5]),
        )
        for r in rows
    ]


class AllocationWrites:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def preview(
        self,
        *,
        product_id: int,
        stock: int,
        requests: Sequence[RequestRow],
        result: AllocationResult,
        multipliers: Mapping[int, Decimal],
        actor: str,
        now: datetime,
    ) -> AllocationRun:
        """A preview run with one line per request (``result.lines`` in the same order)."""
        run = AllocationRun(
            product_id=product_id,
            rule=result.rule.value,
            stock=stock,
            allocated=result.allocated,
            unallocated=result.unallocated,
            status=PREVIEW,
            created_by=actor,
            created_at=now,
        )
        self.session.add(run)
        await self.session.flush()
        self.session.add_all(
            AllocationRunLine(
                run_id=run.id,
                line_no=n,
                partner_id=req.partner_id,
                order_line_id=req.order_line_id,
                requested=line.requested,
                allocated=line.allocated,
                weight=line.weight.quantize(Decimal("0.0001")),
                weight_multiplier=multipliers.get(req.partner_id, Decimal(1)),
                explanation=line.explanation,
            )
            for n, (req, line) in enumerate(zip(requests, result.lines, strict=True), start=1)
        )
        await self.session.flush()
        return run

    async def lock_product(self, product_id: int) -> None:
        """Serialize applies of one product's runs (a row lock on PostgreSQL; SQLite has a
        single writer), so two previews cannot both pass the staleness check."""
        await self.session.execute(
            select(Product.id).where(Product.id == product_id).with_for_update()
        )

    async def stale(self, run: AllocationRun) -> bool:
        """True when another run of the product was applied after this one was previewed."""
        return bool(await self.session.scalar(select(exists().where(_applied_since(run)))))

    async def apply(self, run: AllocationRun, actor: str, now: datetime) -> bool:
        """Mark a preview applied unless it is no preview any more or is stale, in one
        conditional UPDATE (atomic under SQLite's single writer; PostgreSQL also needs
        ``lock_product`` first). False when it was refused."""
        other = aliased(AllocationRun)
        stmt = (
            update(AllocationRun)
            .where(
                AllocationRun.id == run.id,
                AllocationRun.status == PREVIEW,
                ~exists().where(_applied_since(run, other)),
            )
            .values(status=APPLIED, applied_by=actor, applied_at=now)
            .execution_options(synchronize_session=False)
        )
        result = await self.session.execute(stmt)
        return bool(result.rowcount == 1)  # type: ignore[attr-defined]


def _applied_since(run: AllocationRun, other: Any = AllocationRun) -> ColumnElement[bool]:
    return and_(
        other.product_id == run.product_id,
        other.status == APPLIED,
        other.id != run.id,
        other.applied_at >= run.created_at,
    )


class AllocationRunRepository(ScopedRepository[AllocationRun, None]):
    model = AllocationRun
    orderings = {"ID_DESC": SortKey("ID_DESC", AllocationRun.id, True, INT)}

    def visible(self) -> ColumnElement[bool]:
        if self.scope.all_partners:
            return self.scope.partners()
        return exists().where(
            AllocationRunLine.run_id == AllocationRun.id,
            self.scope.via_partner(AllocationRunLine.partner_id),
        )

    def matching(self, filter_: None) -> list[ColumnElement[bool]]:
        return []

    async def lines(self, run_ids: Sequence[int]) -> dict[int, list[AllocationRunLine]]:
        """The visible lines of the runs, by run, in line order (one statement)."""
        stmt = (
            select(AllocationRunLine)
            .where(
                AllocationRunLine.run_id.in_(run_ids),
                self.scope.via_partner(AllocationRunLine.partner_id),
            )
            .order_by(AllocationRunLine.run_id, AllocationRunLine.line_no)
        )
        found: dict[int, list[AllocationRunLine]] = defaultdict(list)
        for line in await self.session.scalars(stmt):
            found[line.run_id].append(line)
        return found

"""Allocation in the graph: ``previewAllocation`` / ``applyAllocation`` (mutations) and
``allocationRuns`` (query).

A run is shown with its lines (one per waiting order line: partner, requested, allocated,
weight and why); the lines of a page of runs are read in one statement with the page. Runs
and lines read through the viewer's scope. The services live in ``resolvers.allocation``.
"""

from __future__ import annotations

from collections.abc import Awaitable
from datetime import datetime
from decimal import Decimal
from enum import Enum
from typing import Annotated, cast

import strawberry

from domain.allocation import AllocationRule as DomainRule
from resolvers import allocation as service
from resolvers.connections import window
from resolvers.mutations.common import Caller
from resolvers.mutations.errors import InvalidInput
from schema.connection import Connection, page_parts
from schema.context import Info
from schema.mutations.base import ref, run
from schema.mutations.errors import (
    ConflictError,
    ForbiddenError,
    InvalidInputError,
    NotFoundError,
)
from schema.node import encode_id
from schema.permissions import CHANNEL_READERS
from schema.types.partner import Partner
from schema.types.product import Product
from store import models
from store.pagination import Page
from store.repositories.allocation import AllocationRunRepository


@strawberry.enum(description="How scarce stock is shared (each line capped at its request).")
class AllocationRule(Enum):
    PROPORTIONAL = "proportional"
    TIER_WEIGHTED = "tier_weighted"
    STRICT_PRIORITY = "strict_priority"
    SELL_THROUGH = "sell_through"


@strawberry.type(description="What one waiting order line was given, and why.")
class AllocationLine:
    row: strawberry.Private[models.AllocationRunLine]

    @strawberry.field
    def line_no(self) -> int:
        return self.row.line_no

    @strawberry.field(description="The order line (OrderLine id) the units are reserved for.")
    def order_line_id(self) -> strawberry.ID | None:
        pk = self.row.order_line_id
        return None if pk is None else encode_id("OrderLine", pk)

    @strawberry.field
    def requested(self) -> int:
        return self.row.requested

    @strawberry.field
    def allocated(self) -> int:
        return self.row.allocated

    @strawberry.field(description="The line's weight under the rule (multiplier included).")
    def weight(self) -> Decimal:
        return self.row.weight

    @strawberry.field(description="From priority supply rights; 1 when none.")
    def weight_multiplier(self) -> Decimal:
        return self.row.weight_multiplier

    @strawberry.field
    def explanation(self) -> str:
        return self.row.explanation

    @strawberry.field
    async def partner(self, info: Info) -> Partner | None:
        return await info.context.loaders.partner.load(self.row.partner_id)  # type: ignore[return-value]


@strawberry.type(description="An allocation of a product's stock: a preview, then applied.")
class AllocationRun:
    row: strawberry.Private[models.AllocationRun]
    line_rows: strawberry.Private[list[models.AllocationRunLine]]

    @strawberry.field
    def id(self) -> strawberry.ID:
        return encode_id("AllocationRun", self.row.id)

    @strawberry.field
    def rule(self) -> AllocationRule:
        return AllocationRule(self.row.rule)

    @strawberry.field
    def stock(self) -> int:
        return self.row.stock

    @strawberry.field
    def allocated(self) -> int:
        return self.row.allocated

    @strawberry.field(description="Stock left over when less was requested than there is.")
    def unallocated(self) -> int:
        return self.row.unallocated

    @strawberry.field(description='"preview" or "applied".')
    def status(self) -> str:
        return self.row.status

    @strawberry.field
    def created_at(self) -> datetime:
        return self.row.created_at

    @strawberry.field
    def created_by(self) -> str:
        return self.row.created_by

    @strawberry.field
    def applied_at(self) -> datetime | None:
        return self.row.applied_at

    @strawberry.field
    def lines(self) -> list[AllocationLine]:
        return [AllocationLine(row=line) for line in self.line_rows]

    @strawberry.field
    async def product(self, info: Info) -> Product | None:
        return await info.context.loaders.product.load(self.row.product_id)  # type: ignore[return-value]


@strawberry.type
class AllocationRunConnection(Connection[AllocationRun]):
    pass


async def _with_lines(info: Info, run_row: models.AllocationRun) -> AllocationRun:
    async with info.context.sessions() as session:
        lines = await AllocationRunRepository(session, info.context.scope).lines([run_row.id])
    return AllocationRun(row=run_row, line_rows=lines.get(run_row.id, []))


@strawberry.type
class AllocationQuery:
    @strawberry.field(
        permission_classes=CHANNEL_READERS, description="Allocation runs, newest first."
    )
    async def allocation_runs(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> AllocationRunConnection:
        ctx = info.context
        win = window(ctx.settings, first, after, last, before)
        async with ctx.sessions() as session:
            repo = AllocationRunRepository(session, ctx.scope)
            page = await repo.page(None, "ID_DESC", win)
            lines = await repo.lines([r.id for r in page.rows])
        runs = [AllocationRun(row=r, line_rows=lines.get(r.id, [])) for r in page.rows]

        async def count() -> int:
            async with ctx.sessions() as session:
                return await AllocationRunRepository(session, ctx.scope).count(None)

        wrapped = Page(runs, page.cursors, page.has_next_page, page.has_previous_page)
        return AllocationRunConnection(**page_parts(wrapped), count=count)


@strawberry.input(description="A weight multiplier for one partner (priority supply rights).")
class WeightMultiplierInput:
    partner: strawberry.ID
    multiplier: Decimal


@strawberry.input(description="Share `stock` units of a product over its waiting order lines.")
class PreviewAllocationInput:
    product: strawberry.ID
    stock: int
    rule: AllocationRule
    weight_multipliers: list[WeightMultiplierInput] = strawberry.field(default_factory=list)
    sell_through_days: int = strawberry.field(
        default=90, description="Window of the sell-through measure (SELL_THROUGH rule)."
    )


@strawberry.type
class AllocationRunPayload:
    run: AllocationRun


AllocationResult = Annotated[
    AllocationRunPayload | InvalidInputError | NotFoundError | ForbiddenError | ConflictError,
    strawberry.union("AllocationResult"),
]


async def _refuse(problems: list[tuple[str, str]]) -> models.AllocationRun:
    raise InvalidInput(problems)


@strawberry.type
class AllocationMutation:
    @strawberry.mutation(description="Allocate stock by a rule and store the preview run.")
    async def preview_allocation(
        self, info: Info, input: PreviewAllocationInput
    ) -> AllocationResult:
        ctx = info.context
        multipliers: dict[int, Decimal] = {}
        problems = []
        for m in input.weight_multipliers:
            partner = ref(m.partner, "Partner")
            if partner.problem is not None:
                problems.append(("weightMultipliers", partner.problem))
            multipliers[partner.pk] = m.multiplier
        action: Awaitable[models.AllocationRun]
        if problems:
            action = _refuse(problems)
        else:
            action = service.preview_allocation(
                ctx.sessions,
                Caller.of(ctx),
                ref(input.product, "Product"),
                stock=input.stock,
                rule=DomainRule(input.rule.value),
                multipliers=multipliers,
                sell_through_days=input.sell_through_days,
            )
        row = await run(info, AllocationResult, action, lambda r: r)
        if not isinstance(row, models.AllocationRun):
            return cast(AllocationResult, row)
        return AllocationRunPayload(run=await _with_lines(info, row))

    @strawberry.mutation(description="Apply a previewed allocation run (once).")
    async def apply_allocation(self, info: Info, run_id: strawberry.ID) -> AllocationResult:
        ctx = info.context
        action = service.apply_allocation(
            ctx.sessions, Caller.of(ctx), ref(run_id, "AllocationRun")
        )
        row = await run(info, AllocationResult, action, lambda r: r)
        if not isinstance(row, models.AllocationRun):
            return cast(AllocationResult, row)
        return AllocationRunPayload(run=await _with_lines(info, row))

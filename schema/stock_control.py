"""Stock control in the graph: reorder rules, low-stock alerts, reorder suggestions, stock
ageing and slow-moving stock (queries), ``setReorderRule`` / ``deleteReorderRule``
(mutations) and ``lowStockAlert`` (subscription).

Every field reads through the viewer's scope: a dealer sees its own sites, a region manager
the sites of its regions' partners, a brand admin everything. The services live in
``resolvers.stock_control``; the SQL in ``store.repositories.stock_alerts`` and
``store.repositories.stock_analytics``.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator
from datetime import datetime
from decimal import Decimal
from enum import Enum
from typing import Annotated, cast

import strawberry

from resolvers import stock_control as service
from resolvers.connections import read_page, window
from resolvers.forecast import forecast_reorder, reorder_demand
from resolvers.mutations.common import Caller
from schema.connection import Connection, page_parts
from schema.context import Info
from schema.errors import ClientError
from schema.mutations.base import ref, run
from schema.mutations.errors import ForbiddenError, InvalidInputError, NotFoundError
from schema.node import decode_typed_id, encode_id
from schema.permissions import CHANNEL_READERS
from schema.types.partner import Partner
from schema.types.product import Product
from schema.types.region import Region
from schema.types.stock import Location, StockLevel
from store import models
from store.base import utcnow
from store.repositories import stock_analytics as analytics
from store.repositories.stock_alerts import (
    AlertFilter,
    StockAlertRepository,
    reorder_suggestions,
)


@strawberry.enum(description="How `stockAgeing` groups stock value.")
class StockGroupBy(Enum):
    PARTNER = "PARTNER"
    REGION = "REGION"
    OVERALL = "OVERALL"


@strawberry.enum
class StockAlertOrderBy(Enum):
    RAISED_AT_DESC = "RAISED_AT_DESC"
    RAISED_AT_ASC = "RAISED_AT_ASC"


@strawberry.type(description="Keep a product at a location between minimum and maximum.")
class ReorderRule:
    minimum: int
    maximum: int
    multiple: int
    updated_at: datetime
    updated_by: str

    @strawberry.field
    def id(self, root: strawberry.Parent[models.ReorderRule]) -> strawberry.ID:
        return encode_id("ReorderRule", root.id)

    @strawberry.field
    async def location(self, root: strawberry.Parent[models.ReorderRule], info: Info) -> Location:
        return await info.context.loaders.location.load(root.location_id)  # type: ignore[return-value]

    @strawberry.field
    async def product(self, root: strawberry.Parent[models.ReorderRule], info: Info) -> Product:
        return await info.context.loaders.product.load(root.product_id)  # type: ignore[return-value]


@strawberry.type(description="Stock of a product at a location fell under its minimum.")
class StockAlert:
    minimum: int = strawberry.field(description="The minimum it fell under.")
    on_hand: int = strawberry.field(description="On hand now (while open) or when raised.")
    raised_at: datetime
    resolved_at: datetime | None
    resolved_on_hand: int | None

    @strawberry.field
    def id(self, root: strawberry.Parent[models.StockAlert]) -> strawberry.ID:
        return encode_id("StockAlert", root.id)

    @strawberry.field(description="True until the stock is refilled to the minimum.")
    def open(self, root: strawberry.Parent[models.StockAlert]) -> bool:
        return root.resolved_at is None

    @strawberry.field
    async def location(self, root: strawberry.Parent[models.StockAlert], info: Info) -> Location:
        return await info.context.loaders.location.load(root.location_id)  # type: ignore[return-value]

    @strawberry.field
    async def product(self, root: strawberry.Parent[models.StockAlert], info: Info) -> Product:
        return await info.context.loaders.product.load(root.product_id)  # type: ignore[return-value]


@strawberry.type
class StockAlertConnection(Connection[StockAlert]):
    pass


@strawberry.input(description="Alerts matching every given condition.")
class StockAlertFilter:
    open: bool | None = strawberry.field(default=None, description="Open (true) or resolved.")
    location: strawberry.ID | None = None
    partner: strawberry.ID | None = None
    product: strawberry.ID | None = None

    def to_store(self) -> AlertFilter:
        def pk(value: strawberry.ID | None, type_name: str) -> int | None:
            return None if value is None else decode_typed_id(value, type_name)

        return AlertFilter(
            open=self.open,
            location_id=pk(self.location, "Location"),
            partner_id=pk(self.partner, "Partner"),
            product_id=pk(self.product, "Product"),
        )


@strawberry.type(description="What to reorder so a rule's projected stock is back at maximum.")
class ReorderSuggestion:
    rule: ReorderRule
    on_hand: int
    reserved: int
    in_transit: int
    projected: int = strawberry.field(description="On hand - reserved + in transit.")
    quantity: int = strawberry.field(description="Maximum - projected, up to the multiple.")
    forecast_demand: float | None = strawberry.field(
        default=None,
        description="Units the latest demand forecast expects at this location's partner "
        "over its horizon (null: no forecast).",
    )
    forecast_quantity: int | None = strawberry.field(
        default=None,
        description="What to order to stay at the minimum after the forecast demand "
        "(domain.forecast.forecast_reorder); null without a forecast.",
    )


@strawberry.type(description="Stock value in one ageing bucket (days since last received).")
class AgeingBucketValue:
    bucket: str = strawberry.field(description='"0-30", "31-60", "61-90" or "90+".')
    value: Decimal


@strawberry.type(description="Stock value of a partner, a region subtree, or everything.")
class StockAgeingGroup:
    partner_id: strawberry.Private[int | None]
    region_id: strawberry.Private[int | None]
    buckets: list[AgeingBucketValue]
    total_value: Decimal
    slow_moving_value: Decimal
    slow_moving_share: Decimal = strawberry.field(description="Slow-moving / total, 0 to 1.")
    quantity: int

    @strawberry.field(description="The partner (PARTNER grouping; null: brand warehouses).")
    async def partner(self, info: Info) -> Partner | None:
        if self.partner_id is None:
            return None
        return await info.context.loaders.partner.load(self.partner_id)  # type: ignore[return-value]

    @strawberry.field(description="The region, covering its whole subtree (REGION grouping).")
    async def region(self, info: Info) -> Region | None:
        if self.region_id is None:
            return None
        return await info.context.loaders.region.load(self.region_id)  # type: ignore[return-value]


@strawberry.type(description="A stock level with no sale for the slow-moving threshold.")
class SlowMovingStock:
    stock_level: StockLevel
    value: Decimal
    days_since_sale: int | None = strawberry.field(description="Null: never sold.")


def _group(row: analytics.AgeingRow, group_by: StockGroupBy) -> StockAgeingGroup:
    return StockAgeingGroup(
        partner_id=row.key if group_by is StockGroupBy.PARTNER else None,
        region_id=row.key if group_by is StockGroupBy.REGION else None,
        buckets=[AgeingBucketValue(bucket=k, value=v) for k, v in row.buckets.items()],
        total_value=row.total,
        slow_moving_value=row.slow_moving,
        slow_moving_share=row.slow_moving_share,
        quantity=row.quantity,
    )


def _limit(info: Info, first: int | None) -> int:
    return window(info.context.settings, first, None, None, None).size


@strawberry.type
class StockControlQuery:
    @strawberry.field(permission_classes=CHANNEL_READERS, description="Low-stock alerts.")
    async def stock_alerts(
        self,
        info: Info,
        filter: StockAlertFilter | None = None,
        order_by: StockAlertOrderBy = StockAlertOrderBy.RAISED_AT_DESC,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> StockAlertConnection:
        ctx = info.context
        win = window(ctx.settings, first, after, last, before)
        store_filter = filter.to_store() if filter else None
        page, count = await read_page(
            ctx.sessions, ctx.scope, StockAlertRepository, store_filter, order_by.value, win
        )
        return StockAlertConnection(**page_parts(page), count=count)

    @strawberry.field(
        permission_classes=CHANNEL_READERS,
        description="Rules whose projected stock is under their minimum, with what to order.",
    )
    async def reorder_suggestions(
        self,
        info: Info,
        location: strawberry.ID | None = None,
        partner: strawberry.ID | None = None,
        first: int | None = None,
    ) -> list[ReorderSuggestion]:
        ctx = info.context
        location_id = None if location is None else decode_typed_id(location, "Location")
        partner_id = None if partner is None else decode_typed_id(partner, "Partner")
        async with ctx.sessions() as session:
            found = await reorder_suggestions(
                session,
                ctx.scope,
                limit=_limit(info, first),
                location_id=location_id,
                partner_id=partner_id,
            )
            demand = await reorder_demand(
                session, ctx.scope, [(s.rule.location_id, s.rule.product_id) for s in found]
            )
        return [
            ReorderSuggestion(
                rule=cast(ReorderRule, s.rule),
                on_hand=s.on_hand,
                reserved=s.reserved,
                in_transit=s.in_transit,
                projected=s.projected,
                quantity=s.quantity,
                forecast_demand=units,
                forecast_quantity=None
                if units is None
                else forecast_reorder(
                    s.projected, s.rule.minimum, s.rule.maximum, s.rule.multiple, units
                ),
            )
            for s in found
            for units in [demand.get((s.rule.location_id, s.rule.product_id))]
        ]

    @strawberry.field(
        permission_classes=CHANNEL_READERS,
        description="Stock value by ageing bucket, with the slow-moving share, per group.",
    )
    async def stock_ageing(
        self,
        info: Info,
        group_by: StockGroupBy = StockGroupBy.OVERALL,
        slow_moving_days: int | None = None,
    ) -> list[StockAgeingGroup]:
        ctx = info.context
        days = _days(info, slow_moving_days)
        async with ctx.sessions() as session:
            rows = await analytics.stock_ageing(
                session, ctx.scope, group_by=group_by.value, now=utcnow(), slow_days=days
            )
        return [_group(row, group_by) for row in rows]

    @strawberry.field(
        permission_classes=CHANNEL_READERS,
        description="Stock with no sale for `days` days (default: the configured threshold), "
        "highest value first.",
    )
    async def slow_moving_stock(
        self,
        info: Info,
        days: int | None = None,
        partner: strawberry.ID | None = None,
        first: int | None = None,
    ) -> list[SlowMovingStock]:
        ctx = info.context
        partner_id = None if partner is None else decode_typed_id(partner, "Partner")
        async with ctx.sessions() as session:
            found = await analytics.slow_moving(
                session,
                ctx.scope,
                now=utcnow(),
                slow_days=_days(info, days),
                limit=_limit(info, first),
                partner_id=partner_id,
            )
        return [
            SlowMovingStock(
                stock_level=cast(StockLevel, s.level),
                value=s.value,
                days_since_sale=s.days_since_sale,
            )
            for s in found
        ]


def _days(info: Info, given: int | None) -> int:
    if given is None:
        return info.context.settings.slow_moving_days
    if given < 1:
        raise ClientError("slowMovingDays/days: must be at least 1")
    return given


@strawberry.input(description="A reorder rule for a product at a location (replaces any).")
class SetReorderRuleInput:
    location: strawberry.ID
    product: strawberry.ID
    minimum: int
    maximum: int
    multiple: int = 1


@strawberry.type
class ReorderRulePayload:
    reorder_rule: ReorderRule


@strawberry.type
class DeleteReorderRulePayload:
    deleted_id: strawberry.ID


ReorderRuleResult = Annotated[
    ReorderRulePayload | InvalidInputError | NotFoundError | ForbiddenError,
    strawberry.union("ReorderRuleResult"),
]
DeleteReorderRuleResult = Annotated[
    DeleteReorderRulePayload | InvalidInputError | NotFoundError | ForbiddenError,
    strawberry.union("DeleteReorderRuleResult"),
]


@strawberry.type
class StockControlMutation:
    @strawberry.mutation(description="Set the reorder rule of a product at a location.")
    async def set_reorder_rule(self, info: Info, input: SetReorderRuleInput) -> ReorderRuleResult:
        ctx = info.context
        action = service.set_reorder_rule(
            ctx.sessions,
            Caller.of(ctx),
            ref(input.location, "Location"),
            ref(input.product, "Product"),
            minimum=input.minimum,
            maximum=input.maximum,
            multiple=input.multiple,
            events=getattr(ctx.hub, "events", None),
        )

        def wrap(row: models.ReorderRule) -> ReorderRulePayload:
            return ReorderRulePayload(reorder_rule=cast(ReorderRule, row))

        return cast(ReorderRuleResult, await run(info, ReorderRuleResult, action, wrap))

    @strawberry.mutation(description="Delete a reorder rule.")
    async def delete_reorder_rule(self, info: Info, id: strawberry.ID) -> DeleteReorderRuleResult:
        ctx = info.context
        action = service.delete_reorder_rule(
            ctx.sessions,
            Caller.of(ctx),
            ref(id, "ReorderRule"),
            events=getattr(ctx.hub, "events", None),
        )

        def wrap(pk: int) -> DeleteReorderRulePayload:
            return DeleteReorderRulePayload(deleted_id=encode_id("ReorderRule", pk))

        return cast(DeleteReorderRuleResult, await run(info, DeleteReorderRuleResult, action, wrap))


@strawberry.type
class StockControlSubscription:
    @strawberry.subscription(
        description="Low-stock alerts raised or resolved from now on, within your scope.",
        permission_classes=CHANNEL_READERS,
    )
    async def low_stock_alert(self, info: Info) -> AsyncGenerator[StockAlert, None]:
        updates = service.alert_updates(info.context.hub, Caller.of(info.context))
        try:
            async for alert in updates:
                yield cast(StockAlert, alert)
        finally:
            await updates.aclose()

"""Sales analytics in the graph: ``salesTrends`` (region subtree × month, optionally by
product category, with year-over-year growth) and ``partnerRanking`` (contribution, share,
cumulative share and sell-through per partner for a period).

Every field reads through the viewer's scope (a dealer sees its own partner and
sub-partners, a region manager its regions' partners, a brand admin everything); the sums
are SQL aggregations (``store.repositories.analytics``) behind ``resolvers.analytics``.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated

import strawberry

from resolvers import analytics as service
from schema.context import Info
from schema.errors import ClientError
from schema.node import decode_typed_id
from schema.permissions import CHANNEL_READERS
from store.base import utcnow

if TYPE_CHECKING:
    from schema.types.partner import Partner
    from schema.types.region import Region

# Lazy: this module is assembled before schema.types (whose imports cycle through mutations).
LazyPartner = Annotated["Partner", strawberry.lazy("schema.types.partner")]
LazyRegion = Annotated["Region", strawberry.lazy("schema.types.region")]


@strawberry.type(description="Sales of one month, with the same month last year.")
class SalesTrendPoint:
    month: date = strawberry.field(description="The month's first day (UTC).")
    amount: Decimal
    quantity: int
    last_year_amount: Decimal | None = strawberry.field(
        description="Sales of the same month a year before; null when there were none."
    )
    yoy_growth: Decimal | None = strawberry.field(
        description="(amount - lastYearAmount) / lastYearAmount, 4 places; null without a base."
    )


@strawberry.type(description="Monthly sales of a region subtree (or everything) and category.")
class SalesTrendSeries:
    region_id: strawberry.Private[int | None]
    category: str | None = strawberry.field(description="Null: all categories.")
    points: list[SalesTrendPoint] = strawberry.field(description="Months with sales, in order.")

    @strawberry.field(description="The region, covering its subtree (null: all you may see).")
    async def region(self, info: Info) -> LazyRegion | None:
        if self.region_id is None:
            return None
        return await info.context.loaders.region.load(self.region_id)  # type: ignore[return-value]


@strawberry.type(description="One partner's contribution to the period's sales.")
class PartnerContribution:
    partner_id: strawberry.Private[int]
    rank: int
    amount: Decimal
    quantity: int
    share: Decimal = strawberry.field(description="Amount / total, 4 places.")
    cumulative_share: Decimal = strawberry.field(
        description="Running amount / total down the ranking (the Pareto curve), 4 places."
    )
    on_hand: int = strawberry.field(description="Units the partner's sites hold now.")
    sell_through: Decimal | None = strawberry.field(
        description="Estimated sold share of the period's sell-in: max(0, quantity - onHand) "
        "/ quantity (no sell-out is recorded; assumes today's stock came from this sell-in)."
    )

    @strawberry.field
    async def partner(self, info: Info) -> LazyPartner | None:
        return await info.context.loaders.partner.load(self.partner_id)  # type: ignore[return-value]


@strawberry.type(description="Partners ranked by sales in a period (a Pareto view).")
class PartnerRanking:
    start: date
    end: date
    total: Decimal
    partners: list[PartnerContribution]


def trend_series(found: list[service.TrendSeries]) -> list[SalesTrendSeries]:
    return [
        SalesTrendSeries(
            region_id=s.region_id,
            category=s.category,
            points=[
                SalesTrendPoint(
                    month=p.month,
                    amount=p.amount,
                    quantity=p.quantity,
                    last_year_amount=p.last_year,
                    yoy_growth=p.growth,
                )
                for p in s.points
            ],
        )
        for s in found
    ]


def ranking(found: service.Ranking) -> PartnerRanking:
    return PartnerRanking(
        start=found.start,
        end=found.end,
        total=found.total,
        partners=[
            PartnerContribution(
                partner_id=c.partner_id,
                rank=c.rank,
                amount=c.amount,
                quantity=c.quantity,
                share=c.share,
                cumulative_share=c.cumulative_share,
                on_hand=c.on_hand,
                sell_through=c.sell_through,
            )
            for c in found.partners
        ],
    )


def _months_before(day: date, months: int) -> date:
    """The first day of the month ``months`` before ``day``'s month."""
    index = day.year * 12 + day.month - 1 - months
    return date(index // 12, index % 12 + 1, 1)


def _ids(given: list[strawberry.ID] | None, kind: str) -> list[int]:
    return [decode_typed_id(i, kind) for i in given or []]


@strawberry.type
class AnalyticsQuery:
    @strawberry.field(
        permission_classes=CHANNEL_READERS,
        description="Monthly sales (orders APPROVED or later) from `from`'s month to `to`'s, "
        "one series per listed region's subtree (none: everything you may see), optionally "
        "per product category, with year-over-year growth. Defaults: `to` today (UTC), `from` "
        "the 12 months up to `to`'s month.",
    )
    async def sales_trends(
        self,
        info: Info,
        from_: Annotated[date | None, strawberry.argument(name="from")] = None,
        to: date | None = None,
        regions: list[strawberry.ID] | None = None,
        by_category: bool = False,
    ) -> list[SalesTrendSeries]:
        ctx = info.context
        end = to or utcnow().date()
        try:
            found = await service.sales_trends(
                ctx.sessions,
                ctx.scope,
                start=from_ or _months_before(end, 11),
                end=end,
                region_ids=_ids(regions, "Region"),
                by_category=by_category,
            )
        except service.AnalyticsInputError as error:
            raise ClientError(str(error)) from None
        return trend_series(found)

    @strawberry.field(
        permission_classes=CHANNEL_READERS,
        description="Partners by sales from `from` to `to` (whole UTC days, inclusive): amount, "
        "share, cumulative share and sell-through, highest first (ties by code); `region` "
        "limits it to a region's subtree, `first` cuts the list (not the total). Defaults: `to` "
        "today (UTC), `from` 1 January of `to`'s year.",
    )
    async def partner_ranking(
        self,
        info: Info,
        from_: Annotated[date | None, strawberry.argument(name="from")] = None,
        to: date | None = None,
        region: strawberry.ID | None = None,
        first: int | None = None,
    ) -> PartnerRanking:
        ctx = info.context
        region_id = None if region is None else decode_typed_id(region, "Region")
        end = to or utcnow().date()
        start = from_ or date(end.year, 1, 1)
        try:
            found = await service.partner_ranking(
                ctx.sessions, ctx.scope, start=start, end=end, region_id=region_id, limit=first
            )
        except service.AnalyticsInputError as error:
            raise ClientError(str(error)) from None
        return ranking(found)

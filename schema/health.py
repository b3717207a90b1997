"""Channel health in the graph: ``partnerHealth(partner, period)`` and
``healthReport(period, region)`` (the partners whose band dropped since the month before,
and the components that fell most).

Scores are computed monthly by the ``health_scores`` job (``jobs.health``) and read here
through the viewer's scope: a dealer sees its own partner, a region manager its regions'.
A period is ``"YYYY-MM"``; anything else is a ``BAD_USER_INPUT`` error naming it.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from enum import Enum

import strawberry

from domain.health import HealthRuleError, band_drop
from domain.health_measures import add_months, month_start
from schema.context import Info
from schema.errors import ClientError
from schema.node import decode_typed_id
from schema.permissions import CHANNEL_READERS
from schema.types.partner import Partner
from schema.types.region import Region
from store import models
from store.repositories.health import dropped, score_of, to_domain


@strawberry.enum(description="Green ≥ 80, yellow 50–79.99, red < 50 (on the rounded total).")
class HealthBand(Enum):
    GREEN = "green"
    YELLOW = "yellow"
    RED = "red"


@strawberry.enum(description="A part of the health score, 0–100.")
class HealthComponent(Enum):
    TARGET = "target"
    ORDER_STABILITY = "order_stability"
    PAYMENT = "payment"
    INVENTORY = "inventory"
    ENGAGEMENT = "engagement"
    COMPLIANCE = "compliance"


@strawberry.type
class HealthComponentScore:
    component: HealthComponent
    score: Decimal
    weight: Decimal


@strawberry.type(description="A partner's channel health in a month.")
class PartnerHealth:
    row: strawberry.Private[models.HealthScoreRow]

    @strawberry.field
    def period(self) -> str:
        return self.row.period

    @strawberry.field(description="Weighted mean of the components, 0–100, two decimals.")
    def total(self) -> Decimal:
        return self.row.total

    @strawberry.field
    def band(self) -> HealthBand:
        return HealthBand(self.row.band)

    @strawberry.field
    def computed_at(self) -> datetime:
        return self.row.computed_at

    @strawberry.field
    def components(self) -> list[HealthComponentScore]:
        score = to_domain(self.row)
        return [
            HealthComponentScore(
                component=HealthComponent(c.value),
                score=v,
                weight=score.weights.get(c, Decimal(0)),
            )
            for c, v in score.components.items()
        ]

    @strawberry.field
    async def partner(self, info: Info) -> Partner | None:
        return await info.context.loaders.partner.load(self.row.partner_id)  # type: ignore[return-value]


@strawberry.type(description="A component that fell, and the points of the total it cost.")
class HealthDropReason:
    component: HealthComponent
    previous: Decimal
    current: Decimal
    points_lost: Decimal


@strawberry.type(description="A partner whose band got worse, and why.")
class HealthDrop:
    previous: PartnerHealth
    current: PartnerHealth
    reasons: list[HealthDropReason]

    @strawberry.field
    async def partner(self, info: Info) -> Partner | None:
        return await info.context.loaders.partner.load(self.current.row.partner_id)  # type: ignore[return-value]


@strawberry.type
class HealthReport:
    period: str
    previous_period: str
    region_id: strawberry.Private[int | None]
    drops: list[HealthDrop] = strawberry.field(description="Lowest current total first.")

    @strawberry.field
    async def region(self, info: Info) -> Region | None:
        if self.region_id is None:
            return None
        return await info.context.loaders.region.load(self.region_id)  # type: ignore[return-value]


def _period(value: str) -> str:
    try:
        month_start(value)
    except HealthRuleError:  # the message does not echo the value given
        raise ClientError('period: must be a month as "YYYY-MM"') from None
    return value


def _drop(before: models.HealthScoreRow, now: models.HealthScoreRow) -> HealthDrop:
    why = band_drop(to_domain(before), to_domain(now))
    reasons = [] if why is None else why.reasons
    return HealthDrop(
        previous=PartnerHealth(row=before),
        current=PartnerHealth(row=now),
        reasons=[
            HealthDropReason(
                component=HealthComponent(r.component.value),
                previous=r.previous,
                current=r.current,
                points_lost=r.points_lost,
            )
            for r in reasons
        ],
    )


@strawberry.type
class HealthQuery:
    @strawberry.field(
        permission_classes=CHANNEL_READERS,
        description="A partner's health in a month (null: not scored, or not visible to you).",
    )
    async def partner_health(
        self, info: Info, partner: strawberry.ID, period: str
    ) -> PartnerHealth | None:
        ctx = info.context
        partner_id = decode_typed_id(partner, "Partner")
        async with ctx.sessions() as session:
            row = await score_of(session, ctx.scope, partner_id, _period(period))
        return None if row is None else PartnerHealth(row=row)

    @strawberry.field(
        permission_classes=CHANNEL_READERS,
        description="Partners (in a region's subtree, or all you see) whose band dropped "
        "since the month before, and the components that fell most.",
    )
    async def health_report(
        self, info: Info, period: str, region: strawberry.ID | None = None
    ) -> HealthReport:
        ctx = info.context
        start = month_start(_period(period))
        before = add_months(start, -1)
        previous = f"{before.year:04d}-{before.month:02d}"
        region_id = None if region is None else decode_typed_id(region, "Region")
        async with ctx.sessions() as session:
            pairs = await dropped(
                session, ctx.scope, period=period, previous=previous, region_id=region_id
            )
        return HealthReport(
            period=period,
            previous_period=previous,
            region_id=region_id,
            drops=[_drop(b, n) for b, n in pairs],
        )

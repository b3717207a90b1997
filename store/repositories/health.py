"""Health scores: upsert a partner's month, read one, list the partners whose band dropped.

Reads are scoped: a viewer sees the scores of the partners it may see. ``dropped`` compares a
month with the one before in one statement (the two rows of each partner joined), optionally
within a region's subtree.

Interface::

    HealthScoreWrites(session).upsert(partner_id, period, score: HealthScore, now) -> None
    async score_of(session, scope, partner_id, period) -> HealthScoreRow | None
    async dropped(session, scope, *, period, previous, region_id=None)
        -> list[tuple[HealthScoreRow, HealthScoreRow]]      # (previous, current), by partner
    to_domain(row) -> domain.health.HealthScore
"""

from __future__ import annotations

import json
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, case, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from domain.health import HealthBand, HealthComponent, HealthScore
from store.models import HealthScoreRow, Partner
from store.scope import Scope

COMPONENTS = [c.value for c in HealthComponent]


class HealthScoreWrites:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def upsert(self, partner_id: int, period: str, score: HealthScore, now: datetime) -> None:
        """The partner's score of the month, created or replaced (INSERT … ON CONFLICT)."""
        dialect = self.session.get_bind().dialect.name
        insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
        values: dict[str, object] = {c.value: score.components[c] for c in HealthComponent}
        values.update(
            total=score.total,
            band=score.band.value,
            weights_json=json.dumps({c.value: str(w) for c, w in score.weights.items()}),
            computed_at=now,
        )
        stmt = (
            insert(HealthScoreRow)
            .values(partner_id=partner_id, period=period, **values)
            .on_conflict_do_update(
                index_elements=[HealthScoreRow.partner_id, HealthScoreRow.period], set_=values
            )
        )
        await self.session.execute(stmt)


def to_domain(row: HealthScoreRow) -> HealthScore:
    weights = {HealthComponent(k): Decimal(v) for k, v in json.loads(row.weights_json).items()}
    components = {c: getattr(row, c.value) for c in HealthComponent}
    return HealthScore(row.total, HealthBand(row.band), components, weights)


async def score_of(
    session: AsyncSession, scope: Scope, partner_id: int, period: str
) -> HealthScoreRow | None:
    stmt = select(HealthScoreRow).where(
        HealthScoreRow.partner_id == partner_id,
        HealthScoreRow.period == period,
        scope.via_partner(HealthScoreRow.partner_id),
    )
    return (await session.scalars(stmt)).first()


def _rank(column: Any) -> ColumnElement[int]:
    return case({"green": 2, "yellow": 1}, value=column, else_=0)


async def dropped(
    session: AsyncSession,
    scope: Scope,
    *,
    period: str,
    previous: str,
    region_id: int | None = None,
) -> list[tuple[HealthScoreRow, HealthScoreRow]]:
    """(previous, current) scores of the visible partners whose band is worse in ``period``."""
    before, now = aliased(HealthScoreRow), aliased(HealthScoreRow)
    partners = select(Partner.id).where(scope.partners())
    if region_id is not None:
        partners = partners.where(Scope(region_ids=frozenset({region_id})).partners())
    stmt = (
        select(before, now)
        .join(now, now.partner_id == before.partner_id)
        .where(
            before.period == previous,
            now.period == period,
            now.partner_id.in_(partners),
            _rank(now.band) < _rank(before.band),
        )
        .order_by(now.total, now.partner_id)
    )
    return [(b, n) for b, n in (await session.execute(stmt)).all()]

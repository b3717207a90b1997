"""The health-score job: every active partner's channel health for a month.

Interface::

    async score_month(sessions, period: str, weights=DEFAULT_WEIGHTS, now=None) -> int
    async health_job(resources, run_id)      # job kind "health_scores"
    parse_weights(text: str) -> dict[HealthComponent, Decimal]   # "" → DEFAULT_WEIGHTS
    previous_period(today) -> "YYYY-MM"      # what the monthly schedule scores

Params of a run: ``{"period": "YYYY-MM"}`` (default: the month just ended) and optionally
``{"weights": {"target": 30, ...}}`` (default: the ``health_weights`` setting, else
``domain.health.DEFAULT_WEIGHTS``). Weights are validated before anything is read: a negative
weight or an all-zero set fails the run with the offending field named, and nothing is written.

The measures come from ``store.repositories.health_measures`` (a fixed number of grouped
statements), the scores from ``domain.health``; each partner's month is upserted by
(partner, period) in one unit of work, so running twice changes nothing but ``computed_at``.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from domain.health import (
    DEFAULT_WEIGHTS,
    HealthComponent,
    HealthRuleError,
    health_score,
    validate_weights,
)
from domain.health_measures import add_months, components_from
from jobs.runs import RunCounts, finish_run, publish, record_progress, start_run
from jobs.runtime import Resources
from store.base import utcnow
from store.repositories.health import HealthScoreWrites
from store.repositories.health_measures import partner_measures

__all__ = ["HEALTH_KIND", "health_job", "parse_weights", "previous_period", "score_month"]

log = logging.getLogger("channelhub.jobs.health")

HEALTH_KIND = "health_scores"


def previous_period(today: date) -> str:
    start = add_months(date(today.year, today.month, 1), -1)
    return f"{start.year:04d}-{start.month:02d}"


def parse_weights(given: str | Mapping[str, object]) -> dict[HealthComponent, Decimal]:
    """Weights from JSON text or a mapping of component names; "" or {} → the defaults."""
    raw = json.loads(given) if isinstance(given, str) and given.strip() else given
    if not raw:
        return dict(DEFAULT_WEIGHTS)
    if not isinstance(raw, Mapping):
        raise HealthRuleError("weights", "must be an object of component: weight")
    weights: dict[HealthComponent, Decimal] = {}
    for name, value in raw.items():
        try:
            component = HealthComponent(str(name))
        except ValueError:
            raise HealthRuleError(f"weights.{name}", "is not a health component") from None
        try:
            weights[component] = Decimal(str(value))
        except InvalidOperation:
            raise HealthRuleError(f"weights.{name}", f"is not a number ({value!r})") from None
    validate_weights(weights)
    return weights


async def score_month(
    sessions: async_sessionmaker[AsyncSession],
    period: str,
    weights: Mapping[HealthComponent, Decimal] = DEFAULT_WEIGHTS,
    now: datetime | None = None,
) -> int:
    """Score every active partner's ``period``; returns how many partners were scored."""
    validate_weights(weights)
    when = now or utcnow()
    async with sessions.begin() as session:
        measures = await partner_measures(session, period)
        writes = HealthScoreWrites(session)
        for partner_id, m in measures.items():
            await writes.upsert(partner_id, period, health_score(components_from(m), weights), when)
    return len(measures)


async def health_job(resources: Resources, run_id: int) -> None:
    """Job kind ``health_scores`` (see the module docstring)."""
    async with resources.sessions.begin() as session:
        run = await start_run(session, run_id)
    if run is None:
        return
    await publish(resources.events, run)
    params = json.loads(run.params_json or "{}")
    period = str(params.get("period") or previous_period(utcnow().date()))
    weights = parse_weights(params.get("weights") or resources.settings.health_weights)
    scored = await score_month(resources.sessions, period, weights)
    async with resources.sessions.begin() as session:
        await record_progress(session, run_id, RunCounts(updated=scored), total=scored)
        run = await finish_run(session, run_id)
    await publish(resources.events, run)
    log.info("job run %s: scored the health of %s partners for %s", run_id, scored, period)

"""Keeps ``bench/analytics.py`` working on PostgreSQL: its generator seeds a tiny channel,
every case runs, and the hub's answers equal the hand-written floor's (the bench's honesty
check), never anything about timing. The bench is PostgreSQL-only, so SQLite is skipped."""

from __future__ import annotations

from decimal import Decimal

import asyncpg  # type: ignore[import-untyped]
import pytest

from bench._common import asyncpg_dsn
from bench.analytics import RANK_FLOOR, RANK_FROM, RANK_TO, _bounds, run_cases, seed
from resolvers import analytics as service
from store.scope import Scope


async def test_bench_cases_agree_with_the_floor(backend, app, sessions):
    if backend != "postgres":
        pytest.skip("not applicable: the analytics bench runs on PostgreSQL only")
    dsn = asyncpg_dsn(app.state.hub.settings.resolved_database_url)
    assert await seed(dsn, 2000, log=lambda _message: None) is not None
    assert await seed(dsn, 2000, log=lambda _message: None) is None  # reused, not seeded twice
    floor = await asyncpg.connect(dsn)
    try:
        cases = await run_cases(sessions, floor, repeats=1, warmup=0)
        rows = await floor.fetch(RANK_FLOOR.format(scope=""), *_bounds(RANK_FROM, RANK_TO))
    finally:
        await floor.close()
    assert [c.name[:6] for c in cases] == ["trends", "rankin", "rankin"]
    for case in cases:
        assert case.rows[0] == case.rows[1] > 0, case
        assert len(case.hub) == len(case.floor) == 1
    ranking = await service.partner_ranking(
        sessions, Scope.everything(), start=RANK_FROM, end=RANK_TO
    )
    assert [(c.code, c.amount, c.on_hand) for c in ranking.partners] == [
        (r[1], Decimal(r[2]), int(r[4])) for r in rows
    ]
    assert ranking.partners[-1].cumulative_share == Decimal("1.0000")

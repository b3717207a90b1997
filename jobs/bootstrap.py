"""Connectors applied and synced once at start-up (what ``channelhub demo`` does with the demo
ERP): wait until this server answers, apply the configs, then sync the given streams one
after another through the job broker, each waiting for the previous run to end (orders
refer to the customers and items synced before them).

Runs go through the broker like any other run (``jobs.dispatch``), so they show in
``jobRuns`` and ``channelhub sync status``; a stream whose run fails is reported and the next
one still runs. Nothing here raises: a start-up sync that cannot run is logged, and the
scheduler syncs the streams later.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from jobs.connector_configs import StoredConfig, apply_configs
from jobs.dispatch import enqueue_run
from jobs.runs import FINAL, SYNC_KIND, create_run, get_run
from security.field_crypto import FieldCrypto
from store.models.jobs import JobRun

__all__ = ["StartupSync", "sync_at_startup", "wait_until"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class StartupSync:
    """What to apply and sync: configs, then (connector, stream) pairs in order."""

    configs: Sequence[StoredConfig]
    streams: Sequence[tuple[str, str]]
    run_timeout_seconds: float = 600.0
    poll_seconds: float = 0.25


async def wait_until(ready: Callable[[], Awaitable[bool]], *, within_seconds: float) -> bool:
    """Poll ``ready`` (errors count as not ready) until it says True; False after
    ``within_seconds``."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within_seconds
    while loop.time() < deadline:
        try:
            if await ready():
                return True
        except Exception:  # noqa: S110 (not up yet)
            pass
        await asyncio.sleep(0.1)
    return False


async def _run_to_end(
    sessions: async_sessionmaker[AsyncSession], connector: str, stream: str, plan: StartupSync
) -> JobRun | None:
    async with sessions.begin() as session:
        run = await create_run(
            session,
            kind=SYNC_KIND,
            connector=connector,
            stream=stream,
            trigger="startup",
            requested_by="startup",
        )
    enqueue_run(run.id, SYNC_KIND)
    loop = asyncio.get_running_loop()
    deadline = loop.time() + plan.run_timeout_seconds
    while loop.time() < deadline:
        async with sessions() as session:
            current = await get_run(session, run.id)
        if current is None or current.status in FINAL:
            return current
        await asyncio.sleep(plan.poll_seconds)
    return None


async def sync_at_startup(
    sessions: async_sessionmaker[AsyncSession],
    crypto: FieldCrypto,
    plan: StartupSync,
    *,
    ready: Callable[[], Awaitable[bool]],
) -> list[JobRun]:
    """Apply ``plan.configs`` once ``ready`` says the server is up, then sync each stream in
    order; the finished runs (a run still going after its timeout is left to finish)."""
    if not await wait_until(ready, within_seconds=60.0):
        log.warning("start-up sync skipped: the server did not come up within 60 s")
        return []
    try:
        await apply_configs(crypto, list(plan.configs))
    except Exception:
        log.exception("start-up sync: applying the connector configs failed")
        return []
    finished: list[JobRun] = []
    for connector, stream in plan.streams:
        try:
            run = await _run_to_end(sessions, connector, stream, plan)
        except Exception:
            log.exception("start-up sync of %s/%s could not run", connector, stream)
            continue
        if run is None:
            log.warning("start-up sync of %s/%s is still running; not waiting", connector, stream)
            continue
        log.info(
            "start-up sync %s/%s: %s, %d read, %d inserted, %d updated, %d quarantined",
            connector,
            stream,
            run.status,
            run.records_read,
            run.records_inserted,
            run.records_updated,
            run.records_quarantined,
        )
        finished.append(run)
    return finished

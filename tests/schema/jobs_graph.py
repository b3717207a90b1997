"""Helpers of the job graph tests: job runs, quarantined records and dead letters as rows."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from jobs.runs import create_run
from store.models.jobs import DeadLetter, JobRun
from store.repositories.quarantine import QuarantineRepository

T0 = datetime(2025, 4, 1, 9, 0, tzinfo=UTC)


async def add_run(
    sessions: async_sessionmaker[AsyncSession],
    *,
    kind: str = "sync",
    connector: str | None = "erp",
    stream: str | None = "partners",
    status: str = "QUEUED",
    minutes: int = 0,
    **values: Any,
) -> JobRun:
    """A run queued ``minutes`` after ``T0``, in ``status``, with extra column ``values``."""
    async with sessions.begin() as session:
        run = await create_run(session, kind=kind, connector=connector, stream=stream)
        run.status = status
        run.queued_at = T0 + timedelta(minutes=minutes)
        for name, value in values.items():
            setattr(run, name, value)
    return run


async def add_quarantined(
    app: Any, *, connector: str = "erp", stream: str = "partners", payload: Any = None, **extra: Any
) -> int:
    hub = app.state.hub
    async with hub.sessions.begin() as session:
        row = await QuarantineRepository(session, hub.keys).add(
            connector=connector,
            stream=stream,
            reason=extra.pop("reason", "name: required field missing"),
            payload=payload if payload is not None else {"id": "X"},
            external_id=extra.pop("external_id", None),
        )
        for name, value in extra.items():
            setattr(row, name, value)
        return row.id


async def add_dead_letter(
    sessions: async_sessionmaker[AsyncSession], n: int, **values: Any
) -> DeadLetter:
    async with sessions.begin() as session:
        letter = DeadLetter(
            message_id=f"message-{n}",
            queue="channelhub.sync",
            actor="sync_stream",
            message_json="{}",
            error_class="PermanentError",
            error_message="the remote refused the page",
            **values,
        )
        session.add(letter)
    return letter

"""Helpers of the scheduler tests: store REST connectors with stream schedules, read rows."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import select

from connectors.config import config_from_data
from jobs.connector_configs import apply_configs
from store.models.jobs import JobRun, Schedule


def rest_config(name: str, schedules: dict[str, str | None]) -> dict[str, Any]:
    """A REST connector with one stream per entry of ``schedules`` (stream → cron or None)."""
    return {
        "name": name,
        "kind": "rest",
        "connection": {"base_url": "http://127.0.0.1:9/", "retries": {"max_attempts": 1}},
        "streams": [
            {"name": stream, "request": {"path": stream}, "schedule": cron}
            for stream, cron in schedules.items()
        ],
    }


async def store_connector(app: Any, name: str, schedules: dict[str, str | None]) -> None:
    config = config_from_data(rest_config(name, schedules), source="test")
    await apply_configs(app.state.hub.fields, [config])


async def schedules(app: Any) -> dict[str, Schedule]:
    async with app.state.hub.sessions() as session:
        rows: Sequence[Schedule] = (await session.scalars(select(Schedule))).all()
    return {row.name: row for row in rows}


async def runs(app: Any) -> list[JobRun]:
    async with app.state.hub.sessions() as session:
        return list((await session.scalars(select(JobRun).order_by(JobRun.id))).all())

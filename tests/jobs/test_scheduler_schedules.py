"""Schedules follow the stored connectors: one per scheduled stream plus the periodic jobs; a
changed cron moves the next slot, a removed stream or connector loses its schedule, an
unchanged one keeps its slot; a cron expression that does not parse is refused naming its
schedule while the others are still scheduled."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from jobs.schedules import InvalidSchedule, next_run_time, sync_schedules
from settings import Settings
from tests.jobs.scheduling import schedules, store_connector

NOW = datetime(2025, 3, 10, 12, 7, 30, tzinfo=UTC)


def test_next_run_time_is_the_first_slot_after_now_in_utc() -> None:
    assert next_run_time("s", "*/15 * * * *", NOW) == datetime(2025, 3, 10, 12, 15, tzinfo=UTC)
    assert next_run_time("s", "0 2 * * *", NOW) == datetime(2025, 3, 11, 2, 0, tzinfo=UTC)
    # a slot exactly at ``after`` is not "after" it
    at_slot = datetime(2025, 3, 10, 12, 15, tzinfo=UTC)
    assert next_run_time("s", "*/15 * * * *", at_slot) == datetime(2025, 3, 10, 12, 30, tzinfo=UTC)
    # 02:00 in Berlin (CET, UTC+1 in March before the switch) is 01:00 UTC
    berlin = next_run_time("s", "0 2 * * *", NOW, "Europe/Berlin")
    assert berlin == datetime(2025, 3, 11, 1, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("cron", "problem"),
    [
        ("61 * * * *", "does not parse"),
        ("every hour", "does not parse"),
        ("0 0 31 2 *", "never fires"),
    ],
)
def test_a_bad_cron_expression_names_its_schedule(cron: str, problem: str) -> None:
    with pytest.raises(InvalidSchedule) as raised:
        next_run_time("sync:erp:partners", cron, NOW)
    message = str(raised.value)
    assert "'sync:erp:partners'" in message and repr(cron) in message and problem in message
    assert raised.value.kind == "config_error"


def test_an_unknown_time_zone_is_refused() -> None:
    with pytest.raises(InvalidSchedule, match="unknown time zone 'Mars/Base'"):
        next_run_time("x", "* * * * *", NOW, "Mars/Base")


async def test_schedules_follow_the_stored_connectors(app: Any, settings: Settings) -> None:
    sessions = app.state.hub.sessions
    await store_connector(app, "erp", {"partners": "*/15 * * * *", "orders": None})
    await store_connector(app, "wms", {"stock": "0 * * * *"})

    report = await sync_schedules(sessions, settings, NOW)
    assert sorted(report.created) == [
        "forecast",
        "outbox-sweep",
        "rebate-accrual",
        "sync:erp:partners",
        "sync:wms:stock",
    ]
    rows = await schedules(app)
    partners = rows["sync:erp:partners"]
    assert (partners.kind, partners.connector, partners.stream) == ("sync", "erp", "partners")
    assert partners.next_run_at == datetime(2025, 3, 10, 12, 15, tzinfo=UTC)
    assert rows["sync:wms:stock"].next_run_at == datetime(2025, 3, 10, 13, 0, tzinfo=UTC)
    sweep = rows["outbox-sweep"]
    assert (sweep.kind, sweep.cron, sweep.connector) == ("outbox_sweep", "* * * * *", None)

    # unchanged: nothing is written, not even the next slot (later "now")
    later = datetime(2025, 3, 10, 12, 20, tzinfo=UTC)
    again = await sync_schedules(sessions, settings, later)
    assert (again.created, again.updated, again.removed) == ([], [], [])
    assert (await schedules(app))["sync:erp:partners"].next_run_at == partners.next_run_at

    # a changed cron moves the slot; a stream that lost its schedule, and a deleted
    # connector, lose theirs
    await store_connector(app, "erp", {"partners": "0 3 * * *", "orders": None})
    await store_connector(app, "wms", {"stock": None})
    changed = await sync_schedules(sessions, settings, later)
    assert (changed.updated, changed.removed) == (["sync:erp:partners"], ["sync:wms:stock"])
    rows = await schedules(app)
    assert rows["sync:erp:partners"].next_run_at == datetime(2025, 3, 11, 3, 0, tzinfo=UTC)
    assert set(rows) == {"forecast", "outbox-sweep", "rebate-accrual", "sync:erp:partners"}


async def test_a_bad_cron_is_reported_and_the_others_are_scheduled(
    app: Any, settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    await store_connector(app, "erp", {"partners": "61 * * * *", "orders": "*/5 * * * *"})
    report = await sync_schedules(app.state.hub.sessions, settings, NOW)
    [invalid] = report.invalid
    assert invalid.name == "sync:erp:partners" and invalid.cron == "61 * * * *"
    assert "schedule 'sync:erp:partners'" in caplog.text
    assert set(await schedules(app)) == {
        "forecast",
        "outbox-sweep",
        "rebate-accrual",
        "sync:erp:orders",
    }


async def test_the_outbox_sweep_can_be_turned_off(app: Any, settings: Settings) -> None:
    off = settings.model_copy(
        update={"outbox_sweep_cron": "", "rebate_accrual_cron": "", "forecast_cron": ""}
    )
    await sync_schedules(app.state.hub.sessions, settings, NOW)
    report = await sync_schedules(app.state.hub.sessions, off, NOW)
    assert sorted(report.removed) == ["forecast", "outbox-sweep", "rebate-accrual"]
    assert await schedules(app) == {}

"""The health-score job on hand-built data: each component from its SQL measures, the
weighted total and band, no-data defaults, inactive partners skipped, idempotent re-runs,
custom and refused weights, the job through the worker, and the monthly schedule."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import func, select

from domain.enums import DocumentKind, OrderStatus, PartnerStatus
from domain.health import HealthComponent, HealthRuleError
from jobs.health import parse_weights, previous_period, score_month
from jobs.runs import FAILED, SUCCEEDED
from jobs.schedules import wanted_schedules
from store.models import (
    EngagementTask,
    HealthScoreRow,
    Invoice,
    InvoiceStatus,
    PartnerDocument,
    TaskAssignment,
    TaskReport,
)
from tests.factories import (
    create_location,
    create_order,
    create_partner,
    create_product,
    create_region,
    create_stock,
)
from tests.jobs.worker_harness import job_settings, queue_run, running_worker, wait_for_runs

D = Decimal


def at(y: int, m: int, d: int) -> datetime:
    return datetime(y, m, d, tzinfo=UTC)


async def seed(sessions: Any) -> dict[str, int]:
    """Partner A's March 2026 is the module docstring's worked example of
    ``domain.health_measures``; B has no data at all; C is suspended."""
    async with sessions.begin() as s:
        region = await create_region(s, name="North")
        a = await create_partner(s, code="A", region=region)
        b = await create_partner(s, code="B", region=region)
        c = await create_partner(s, code="C", status=PartnerStatus.SUSPENDED)
        product = await create_product(s, price=D("10.00"))
        months = [(2025, 10), (2025, 11), (2025, 12), (2026, 1), (2026, 2)]
        for y, m in months:
            await create_order(s, partner=a, lines=[(product, 10)], created_at=at(y, m, 15))
        await create_order(s, partner=a, lines=[(product, 11)], created_at=at(2026, 3, 15))
        await create_order(s, partner=a, lines=[(product, 10)], created_at=at(2025, 3, 15))
        for status in (OrderStatus.DRAFT, OrderStatus.CANCELLED):  # not placed: ignored
            await create_order(
                s, partner=a, lines=[(product, 500)], status=status, created_at=at(2026, 3, 20)
            )
        await create_order(s, partner=c, lines=[(product, 5)], created_at=at(2026, 3, 3))
        # 31 units bought in the 12 weeks to 1 April (15 Jan, 15 Feb, 15 Mar); 31 on hand
        await create_stock(
            s, location=await create_location(s, partner=a), product=product, on_hand=31
        )
        due = [
            (date(2026, 1, 10), InvoiceStatus.PAID),
            (date(2026, 2, 10), InvoiceStatus.PAID),
            (date(2026, 3, 10), InvoiceStatus.PAID),
            (date(2026, 3, 27), InvoiceStatus.OPEN),  # 5 days overdue on 1 April
            (date(2025, 12, 1), InvoiceStatus.OPEN),  # before the window: ignored
            (date(2026, 4, 10), InvoiceStatus.OPEN),  # not due yet: ignored
        ]
        for n, (due_on, invoice_status) in enumerate(due):
            open_amount = D(0) if invoice_status is InvoiceStatus.PAID else D("100.00")
            s.add(
                Invoice(
                    number=f"INV-{a.id}-{n}",
                    partner_id=a.id,
                    amount=D("100.00"),
                    open_amount=open_amount,
                    status=invoice_status,
                    due_on=due_on,
                )
            )
        for n in range(4):
            task = EngagementTask(
                title=f"Task {n}",
                target=D(1),
                unit="display",
                due_at=at(2026, 3, 31),
                issued_by="brand",
            )
            s.add(task)
            await s.flush()
            assignment = TaskAssignment(task_id=task.id, partner_id=a.id, created_at=at(2026, 3, 1))
            s.add(assignment)
            await s.flush()
            if n < 3:  # the third reports only in April: not counted for March
                reported = at(2026, 4, 5) if n == 2 else at(2026, 3, 20)
                s.add(
                    TaskReport(
                        assignment_id=assignment.id,
                        value=D(1),
                        reported_by="dealer",
                        reported_at=reported,
                    )
                )
        for valid_until in (date(2027, 1, 1), date(2026, 3, 31)):  # the second has expired
            s.add(
                PartnerDocument(
                    partner_id=a.id,
                    kind=DocumentKind.BUSINESS_LICENCE,
                    number="L",
                    valid_until=valid_until,
                    verified=True,
                )
            )
        await s.flush()
        return {"a": a.id, "b": b.id, "c": c.id}


async def rows(sessions: Any) -> dict[int, HealthScoreRow]:
    async with sessions() as s:
        found = await s.scalars(select(HealthScoreRow).where(HealthScoreRow.period == "2026-03"))
        return {r.partner_id: r for r in found}


def components(row: HealthScoreRow) -> dict[str, Decimal]:
    return {c.value: getattr(row, c.value) for c in HealthComponent}


async def test_scores_every_active_partner_from_its_measures(sessions):
    ids = await seed(sessions)
    assert await score_month(sessions, "2026-03") == 2
    found = await rows(sessions)
    assert set(found) == {ids["a"], ids["b"]}
    a, b = found[ids["a"]], found[ids["b"]]
    assert components(a) == {
        "target": D(100),
        "order_stability": D("96.33"),
        "payment": D(65),
        "inventory": D(100),
        "engagement": D(50),
        "compliance": D(50),
    }
    # (3000 + 1444.95 + 1300 + 1500 + 500 + 500) / 100 = 82.4495 → 82.45
    assert (a.total, a.band) == (D("82.45"), "green")
    assert components(b) == {
        "target": D(0),
        "order_stability": D(0),
        "payment": D(100),
        "inventory": D(100),
        "engagement": D(100),
        "compliance": D(0),
    }
    assert (b.total, b.band) == (D("45.00"), "red")


async def test_running_twice_changes_nothing_and_custom_weights_apply(sessions):
    ids = await seed(sessions)
    await score_month(sessions, "2026-03", now=at(2026, 4, 1))
    first = {pid: (r.total, r.band) for pid, r in (await rows(sessions)).items()}
    await score_month(sessions, "2026-03", now=at(2026, 4, 2))
    again = await rows(sessions)
    assert {pid: (r.total, r.band) for pid, r in again.items()} == first
    assert again[ids["a"]].computed_at == at(2026, 4, 2)
    async with sessions() as s:
        assert await s.scalar(select(func.count()).select_from(HealthScoreRow)) == 2
    await score_month(sessions, "2026-03", parse_weights('{"payment": 1}'))
    assert (await rows(sessions))[ids["a"]].total == D(65)


def test_weights_parsed_and_refused_naming_the_field() -> None:
    assert parse_weights("")[HealthComponent.TARGET] == D(30)
    assert parse_weights({"target": "2", "payment": 1}) == {
        HealthComponent.TARGET: D(2),
        HealthComponent.PAYMENT: D(1),
    }
    for bad, field in (
        ('{"target": -1}', "weights.target"),
        ('{"target": 0, "payment": 0}', "weights"),
        ('{"speed": 1}', "weights.speed"),
        ('{"target": "x"}', "weights.target"),
        ("[1, 2]", "weights"),
    ):
        with pytest.raises(HealthRuleError) as err:
            parse_weights(bad)
        assert err.value.field == field


def test_previous_period() -> None:
    assert previous_period(date(2026, 1, 1)) == "2025-12"
    assert previous_period(date(2026, 11, 27)) == "2026-10"


async def test_the_job_runs_through_the_worker_and_refuses_bad_weights(sessions, settings):
    ids = await seed(sessions)
    async with running_worker(job_settings(settings)):
        good = await queue_run(
            sessions, "health_scores", trigger="manual", params={"period": "2026-03"}
        )
        bad = await queue_run(
            sessions,
            "health_scores",
            trigger="manual",
            params={"period": "2026-02", "weights": {"target": 0}},
        )
        done = await wait_for_runs(sessions, [good, bad])
    assert (done[good].status, done[good].records_updated) == (SUCCEEDED, 2)
    assert done[bad].status == FAILED and "weights" in (done[bad].error_message or "")
    found = await rows(sessions)
    assert found[ids["a"]].total == D("82.45")
    async with sessions() as s:
        feb = await s.scalar(
            select(func.count())
            .select_from(HealthScoreRow)
            .where(HealthScoreRow.period == "2026-02")
        )
    assert feb == 0


def test_the_monthly_schedule_is_off_unless_configured(settings):
    assert "health-scores" not in {w.name for w in wanted_schedules([], settings)}
    monthly = settings.model_copy(update={"health_score_cron": "0 4 1 * *"})
    [wanted] = [w for w in wanted_schedules([], monthly) if w.name == "health-scores"]
    assert (wanted.kind, wanted.cron) == ("health_scores", "0 4 1 * *")

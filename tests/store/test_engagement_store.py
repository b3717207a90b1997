"""Engagement store: issuing tasks by list, tier and region within the issuer's scope,
progress reports and completion per partner, scan reports recorded as sell-out with points."""

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from domain.tasks import TaskRuleError
from settings import Settings
from store.engine import create_engine, create_sessionmaker
from store.models import EngagementTask, ScanReport, TaskAssignment
from store.repositories.engagement import (
    AssignmentNotFound,
    EngagementRepository,
    NoPartnersTargeted,
    PartnersOutOfScope,
    UnknownCode,
)
from store.repositories.points import PointsRepository
from store.scope import Scope
from tests.factories import create_partner, create_product, create_region, create_tier

DUE = datetime(2026, 6, 30, tzinfo=UTC)
EVERYTHING = Scope.everything()


async def test_issue_by_list_tier_region_and_refuse_out_of_scope(settings: Settings) -> None:
    engine = create_engine(settings)
    sessions = create_sessionmaker(engine)
    try:
        async with sessions.begin() as session:
            north = await create_region(session, name="North")
            city = await create_region(session, name="City", parent=north)
            south = await create_region(session, name="South")
            gold = await create_tier(session, name="Gold")
            in_city = await create_partner(session, region=city)
            gold_south = await create_partner(session, region=south, tier=gold)
            plain_south = await create_partner(session, region=south)
            ids = (in_city.id, gold_south.id, plain_south.id, north.id, gold.id)
        in_city_id, gold_south_id, plain_south_id, north_id, gold_id = ids
        manager = Scope(region_ids=frozenset({north_id}), reference_data=True)

        async with sessions.begin() as session:
            repo = EngagementRepository(session, EVERYTHING)
            task, assigned = await repo.issue_task(
                title="Endcap display",
                target=Decimal(10),
                unit="displays",
                due_at=DUE,
                evidence_required=["photo"],
                issued_by="brand",
                tier_ids=[gold_id],
                region_ids=[north_id],
            )
            assert assigned == sorted([in_city_id, gold_south_id])
            assert task.evidence_required_json == '["photo"]'

        async with sessions.begin() as session:
            repo = EngagementRepository(session, manager)
            with pytest.raises(PartnersOutOfScope) as caught:
                await repo.issue_task(
                    title="x",
                    target=Decimal(1),
                    unit="u",
                    due_at=DUE,
                    evidence_required=[],
                    issued_by="manager",
                    partner_ids=[in_city_id, plain_south_id],
                )
            assert caught.value.partner_ids == (plain_south_id,)
            with pytest.raises(NoPartnersTargeted):
                await repo.issue_task(
                    title="x",
                    target=Decimal(1),
                    unit="u",
                    due_at=DUE,
                    evidence_required=[],
                    issued_by="manager",
                    tier_ids=[gold_id],  # the gold partner is in the South
                )
            with pytest.raises(TaskRuleError):
                await repo.issue_task(
                    title="x",
                    target=Decimal(0),
                    unit="u",
                    due_at=DUE,
                    evidence_required=[],
                    issued_by="manager",
                    partner_ids=[in_city_id],
                )

        async with sessions() as session:
            tasks = await session.scalar(select(func.count()).select_from(EngagementTask))
            links = await session.scalar(select(func.count()).select_from(TaskAssignment))
            assert (tasks, links) == (1, 2)
    finally:
        await engine.dispose()


async def test_progress_reports_and_completion(settings: Settings) -> None:
    engine = create_engine(settings)
    sessions = create_sessionmaker(engine)
    try:
        async with sessions.begin() as session:
            done = await create_partner(session)
            slow = await create_partner(session)
            outsider = await create_partner(session)
            repo = EngagementRepository(session, EVERYTHING)
            task, _ = await repo.issue_task(
                title="Sell 100",
                target=Decimal(100),
                unit="units",
                due_at=DUE,
                evidence_required=["photo"],
                issued_by="brand",
                partner_ids=[done.id, slow.id],
            )
            ids = (task.id, done.id, slow.id, outsider.id)
        task_id, done_id, slow_id, outsider_id = ids

        async with sessions.begin() as session:
            dealer = EngagementRepository(session, Scope(partner_ids=frozenset({done_id})))
            await dealer.report_progress(
                task_id=task_id,
                partner_id=done_id,
                value=Decimal(60),
                evidence=[("photo", "files/1.jpg")],
                reported_by="dealer",
                reported_at=datetime(2026, 6, 10, tzinfo=UTC),
            )
            await dealer.report_progress(
                task_id=task_id,
                partner_id=done_id,
                value=Decimal(50),
                evidence=[],
                reported_by="dealer",
                reported_at=datetime(2026, 6, 20, tzinfo=UTC),
            )
            points = PointsRepository(session, Scope(partner_ids=frozenset({done_id})))
            assert await points.balance(done_id) == 50  # the completing report earned them
            await dealer.report_progress(
                task_id=task_id,
                partner_id=done_id,
                value=Decimal(5),
                evidence=[],
                reported_by="dealer",
                reported_at=datetime(2026, 6, 21, tzinfo=UTC),
            )
            assert await points.balance(done_id) == 50  # once per assignment
            with pytest.raises(AssignmentNotFound):  # another dealer's assignment
                await dealer.report_progress(
                    task_id=task_id,
                    partner_id=slow_id,
                    value=Decimal(1),
                    evidence=[],
                    reported_by="dealer",
                    reported_at=DUE,
                )
            with pytest.raises(TaskRuleError):
                await dealer.report_progress(
                    task_id=task_id,
                    partner_id=done_id,
                    value=Decimal(-1),
                    evidence=[],
                    reported_by="dealer",
                    reported_at=DUE,
                )

        now = datetime(2026, 7, 1, tzinfo=UTC)
        async with sessions() as session:
            brand = await EngagementRepository(session, EVERYTHING).progress(task_id, now)
            assert brand is not None
            assert sorted(brand.per_partner) == [done_id, slow_id]
            assert brand.per_partner[done_id].completed_at == datetime(2026, 6, 20, tzinfo=UTC)
            assert brand.per_partner[slow_id].overdue is True
            assert (brand.summary.assigned, brand.summary.completed, brand.summary.overdue) == (
                2,
                1,
                1,
            )
            own = await EngagementRepository(
                session, Scope(partner_ids=frozenset({slow_id}))
            ).progress(task_id, now)
            assert own is not None and sorted(own.per_partner) == [slow_id]
            hidden = await EngagementRepository(
                session, Scope(partner_ids=frozenset({outsider_id}))
            ).progress(task_id, now)
            assert hidden is None
    finally:
        await engine.dispose()


async def test_scan_report_records_sell_out_and_points(settings: Settings) -> None:
    engine = create_engine(settings)
    sessions = create_sessionmaker(engine)
    sold = datetime(2026, 5, 5, 12, tzinfo=UTC)
    try:
        async with sessions.begin() as session:
            partner = await create_partner(session)
            other = await create_partner(session)
            product = await create_product(session)
            assert product.barcode is not None
            ids = (partner.id, other.id, product.id, product.barcode, product.sku)
        partner_id, other_id, product_id, barcode, sku = ids
        own = Scope(partner_ids=frozenset({partner_id}), reference_data=True)

        async with sessions.begin() as session:
            repo = EngagementRepository(session, own)
            scan, points = await repo.record_scan(
                partner_id=partner_id,
                code=f" {barcode} ",
                quantity=24,
                sold_at=sold,
                reported_by="dealer",
            )
            assert (scan.product_id, scan.quantity, points) == (product_id, 24, 24)
            _, by_sku = await repo.record_scan(
                partner_id=partner_id, code=sku, quantity=1, sold_at=sold, reported_by="dealer"
            )
            assert by_sku == 1
            with pytest.raises(UnknownCode) as caught:
                await repo.record_scan(
                    partner_id=partner_id,
                    code="000",
                    quantity=1,
                    sold_at=sold,
                    reported_by="dealer",
                )
            assert caught.value.code == "000"
            with pytest.raises(TaskRuleError):
                await repo.record_scan(
                    partner_id=partner_id,
                    code=barcode,
                    quantity=0,
                    sold_at=sold,
                    reported_by="dealer",
                )
            with pytest.raises(PartnersOutOfScope):
                await repo.record_scan(
                    partner_id=other_id,
                    code=barcode,
                    quantity=1,
                    sold_at=sold,
                    reported_by="dealer",
                )

        async with sessions() as session:
            scans = list(await session.scalars(select(ScanReport).order_by(ScanReport.id)))
            assert [(s.partner_id, s.quantity) for s in scans] == [
                (partner_id, 24),
                (partner_id, 1),
            ]
            assert await PointsRepository(session, own).balance(partner_id) == 25
    finally:
        await engine.dispose()

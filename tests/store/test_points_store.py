"""Points on the fund ledger: earning once per source, balance, redemption refusing an
overdraft or an unknown reward (nothing written), scoping of balance and redemption."""

from decimal import Decimal

import pytest
from sqlalchemy import func, select

from domain.enums import OrderStatus
from domain.points import InsufficientPoints, PointsRules
from settings import Settings
from store.engine import create_engine, create_sessionmaker
from store.models import FundLedgerEntry, Reward, RewardRedemption
from store.repositories.points import PointsRepository, RewardNotFound
from store.scope import Scope
from tests.factories import create_order, create_partner, create_product


async def test_earn_balance_and_redeem(settings: Settings) -> None:
    engine = create_engine(settings)
    sessions = create_sessionmaker(engine)
    try:
        async with sessions.begin() as session:
            partner = await create_partner(session)
            other = await create_partner(session)
            session.add(
                Reward(code="PRIO", name="Priority supply", kind="PRIORITY_SUPPLY", cost_points=120)
            )
            session.add(
                Reward(
                    code="OLD", name="Retired", kind="MARKET_SUPPORT", cost_points=1, active=False
                )
            )
            repo = PointsRepository(session, Scope.everything())
            assert await repo.earn(partner.id, 100, "task", 7, "system") is not None
            assert await repo.earn(partner.id, 100, "task", 7, "system") is None  # once
            assert await repo.earn(partner.id, 50, "scan_report", 3, "system") is not None
            assert await repo.earn(partner.id, 0, "purchase", 1, "system") is None
            assert await repo.balance(partner.id) == 150
            assert await repo.balance(other.id) == 0
            assert [r.code for r in await repo.rewards()] == ["PRIO"]
            partner_id, other_id = partner.id, other.id

        async with sessions.begin() as session:
            repo = PointsRepository(session, Scope.everything())
            redemption = await repo.redeem(partner_id, "PRIO", "dealer-1")
            assert redemption.cost_points == 120
            assert await repo.balance(partner_id) == 30

        async with sessions.begin() as session:
            repo = PointsRepository(session, Scope.everything())
            with pytest.raises(InsufficientPoints) as caught:
                await repo.redeem(partner_id, "PRIO", "dealer-1")
            assert (caught.value.balance, caught.value.cost) == (30, 120)
            with pytest.raises(RewardNotFound):
                await repo.redeem(partner_id, "OLD", "dealer-1")
            with pytest.raises(RewardNotFound):
                await repo.redeem(partner_id, "NOPE", "dealer-1")

        async with sessions() as session:
            entries = await session.scalar(
                select(func.count())
                .select_from(FundLedgerEntry)
                .where(FundLedgerEntry.fund == "POINTS")
            )
            redemptions = await session.scalar(select(func.count()).select_from(RewardRedemption))
            assert (entries, redemptions) == (3, 1)
            debit = await session.scalar(
                select(FundLedgerEntry.amount).where(FundLedgerEntry.source_type == "redemption")
            )
            assert debit == Decimal(-120)

        async with sessions.begin() as session:
            dealer_scope = Scope(partner_ids=frozenset({other_id}), reference_data=True)
            repo = PointsRepository(session, dealer_scope)
            assert await repo.balance(partner_id) == 0  # not visible to another dealer
            with pytest.raises(LookupError):
                await repo.redeem(partner_id, "PRIO", "dealer-2")
    finally:
        await engine.dispose()


async def test_priority_supply_rights_raise_allocation_weight_once(settings: Settings) -> None:
    engine = create_engine(settings)
    sessions = create_sessionmaker(engine)
    try:
        async with sessions.begin() as session:
            partner = await create_partner(session)
            other = await create_partner(session)
            session.add(
                Reward(code="PRIO", name="Priority", kind="PRIORITY_SUPPLY", cost_points=10)
            )
            session.add(
                Reward(code="MKT", name="Market support", kind="MARKET_SUPPORT", cost_points=10)
            )
            repo = PointsRepository(session, Scope.everything())
            await repo.earn(partner.id, 100, "task", 1, "system")
            await repo.redeem(partner.id, "PRIO", "dealer")
            await repo.redeem(partner.id, "PRIO", "dealer")
            await repo.redeem(partner.id, "MKT", "dealer")
            ids = [partner.id, other.id]
            assert await repo.priority_multipliers(ids) == {partner.id: Decimal("2.0")}
            assert await repo.consume_priority_rights(ids, run_id=7) == 2
            assert await repo.priority_multipliers(ids) == {}
            assert await repo.priority_multipliers([]) == {}
            outside = PointsRepository(session, Scope(partner_ids=frozenset({other.id})))
            assert await outside.consume_priority_rights([partner.id], run_id=8) == 0
    finally:
        await engine.dispose()


async def test_purchase_points_once_per_delivered_order(settings: Settings) -> None:
    engine = create_engine(settings)
    sessions = create_sessionmaker(engine)
    try:
        async with sessions.begin() as session:
            partner = await create_partner(session)
            product = await create_product(session, price=Decimal("50.00"))
            delivered = await create_order(
                session, partner=partner, lines=[(product, 5)], status=OrderStatus.DELIVERED
            )
            await create_order(
                session, partner=partner, lines=[(product, 3)], status=OrderStatus.CLOSED
            )
            await create_order(
                session, partner=partner, lines=[(product, 100)], status=OrderStatus.SUBMITTED
            )
            await create_order(
                session, partner=partner, lines=[(product, 1)], status=OrderStatus.DELIVERED
            )
            partner_id, delivered_total = partner.id, delivered.total
        assert delivered_total == Decimal("250.00")
        rules = PointsRules()  # 1 point per 100.00: 250 → 2, 150 → 1, 50 → 0

        async with sessions.begin() as session:
            repo = PointsRepository(session, Scope.everything())
            assert await repo.earn_purchase_points(rules) == 2
            assert await repo.earn_purchase_points(rules) == 0  # safe to run twice
            assert await repo.balance(partner_id) == 3
            assert await repo.earn_purchase_points(PointsRules(points_per_step=0)) == 0
    finally:
        await engine.dispose()

"""Partner points on the POINTS fund of the append-only fund ledger, and reward redemption.

Points are whole numbers kept as ``fund_ledger`` entries (``fund="POINTS"``, currency
``"PTS"``): an earning is a positive entry naming its rule (``source_type`` ``purchase`` /
``task`` / ``training`` / ``scan_report``, ``source_id`` the row that earned it), a redemption
a negative entry (``source_type="redemption"``, ``source_id`` the reward; the
``RewardRedemption`` row points at its entry through ``ledger_entry_id``). The balance is
the sum. Why this ledger and not a table of its own: it already is append-only (the ORM
refuses updates and deletes), scoped and summed per partner, and issue 6 reserved the fund.

Exception tree (all ``ValueError``; nothing is written when one is raised)::

    PointsStoreError
    ├── RewardNotFound(code)           no active reward of that code
    └── (domain) InsufficientPoints    from ``domain.points.redeem``: beyond the balance

``earn_purchase_points`` posts purchase-volume points for delivered or closed orders (one
entry per order; meant for a periodic job). ``priority_multipliers`` gives allocation weight
multipliers from redeemed ``PRIORITY_SUPPLY`` rewards not yet used, and
``consume_priority_rights`` marks them used by an applied allocation run.

Earnings are idempotent per source: ``earn`` does nothing when the same (rule, source) has
already posted. Nothing here commits; ``redeem`` locks the partner row (PostgreSQL) so two
concurrent redemptions cannot both spend the same points.
"""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from domain.enums import OrderStatus
from domain.points import Earning, EarningKind, PointsRules, points_for, validate_rules
from domain.points import redeem as redeem_points
from store.models import FundLedgerEntry, Order, Partner, Reward, RewardRedemption
from store.scope import Scope

PRIORITY_SUPPLY = "PRIORITY_SUPPLY"

__all__ = [
    "POINTS_CURRENCY",
    "POINTS_FUND",
    "PRIORITY_SUPPLY",
    "PointsRepository",
    "PointsStoreError",
    "RewardNotFound",
]

POINTS_FUND = "POINTS"
EARNING_STATUSES = (OrderStatus.DELIVERED, OrderStatus.CLOSED)
POINTS_CURRENCY = "PTS"


class PointsStoreError(ValueError):
    """Base of the points store errors."""


class RewardNotFound(PointsStoreError):
    def __init__(self, code: str) -> None:
        super().__init__(f"no active reward {code!r}")
        self.code = code


class PointsRepository:
    def __init__(self, session: AsyncSession, scope: Scope) -> None:
        self.session = session
        self.scope = scope

    async def balance(self, partner_id: int) -> int:
        """The partner's points (0 when the partner is outside the scope or has none)."""
        stmt = select(func.sum(FundLedgerEntry.amount)).where(
            FundLedgerEntry.partner_id == partner_id,
            FundLedgerEntry.fund == POINTS_FUND,
            self.scope.via_partner(FundLedgerEntry.partner_id),
        )
        total = await self.session.scalar(stmt)
        return int(total or 0)

    async def earn(
        self, partner_id: int, points: int, source_type: str, source_id: int, created_by: str
    ) -> FundLedgerEntry | None:
        """Post ``points`` earned by one source once (system write: the caller scoped it)."""
        if points <= 0:
            return None
        posted = await self.session.scalar(
            select(func.count()).where(
                FundLedgerEntry.fund == POINTS_FUND,
                FundLedgerEntry.source_type == source_type,
                FundLedgerEntry.source_id == source_id,
                FundLedgerEntry.partner_id == partner_id,
            )
        )
        if posted:
            return None
        entry = FundLedgerEntry(
            partner_id=partner_id,
            fund=POINTS_FUND,
            amount=Decimal(points),
            currency=POINTS_CURRENCY,
            source_type=source_type,
            source_id=source_id,
            created_by=created_by,
        )
        self.session.add(entry)
        await self.session.flush()
        return entry

    async def rewards(self) -> list[Reward]:
        """The active catalogue (reference data)."""
        stmt = (
            select(Reward).where(Reward.active.is_(True), self.scope.regions()).order_by(Reward.id)
        )
        return list(await self.session.scalars(stmt))

    async def redeem(self, partner_id: int, reward_code: str, redeemed_by: str) -> RewardRedemption:
        """Debit the reward's cost; refuses a partner outside the scope (``LookupError``), an
        unknown reward and an overdraft, writing nothing then."""
        partner = await self.session.scalar(
            select(Partner)
            .where(Partner.id == partner_id, self.scope.partners())
            .with_for_update(of=Partner)
        )
        if partner is None:
            raise LookupError(f"partner {partner_id} is not visible to this viewer")
        reward = await self.session.scalar(
            select(Reward).where(Reward.code == reward_code, Reward.active.is_(True))
        )
        if reward is None:
            raise RewardNotFound(reward_code)
        redeem_points(await self.balance(partner_id), reward.cost_points)
        entry = FundLedgerEntry(
            partner_id=partner_id,
            fund=POINTS_FUND,
            amount=Decimal(-reward.cost_points),
            currency=POINTS_CURRENCY,
            source_type="redemption",
            source_id=reward.id,
            memo=f"reward {reward.code}",
            created_by=redeemed_by,
        )
        self.session.add(entry)
        await self.session.flush()
        redemption = RewardRedemption(
            reward_id=reward.id,
            partner_id=partner_id,
            cost_points=reward.cost_points,
            ledger_entry_id=entry.id,
            redeemed_by=redeemed_by,
        )
        self.session.add(redemption)
        await self.session.flush()
        return redemption

    async def priority_multipliers(
        self, partner_ids: list[int], per_right: Decimal = Decimal("0.5")
    ) -> dict[int, Decimal]:
        """Allocation weight multipliers from redeemed, not yet consumed priority supply
        rights: ``1 + per_right`` per right (partners without one are absent). One statement."""
        if not partner_ids:
            return {}
        stmt = (
            select(RewardRedemption.partner_id, func.count())
            .join(Reward, Reward.id == RewardRedemption.reward_id)
            .where(
                Reward.kind == PRIORITY_SUPPLY,
                RewardRedemption.consumed_by_allocation_run_id.is_(None),
                RewardRedemption.partner_id.in_(sorted(set(partner_ids))),
                self.scope.via_partner(RewardRedemption.partner_id),
            )
            .group_by(RewardRedemption.partner_id)
        )
        rows = await self.session.execute(stmt)
        return {pid: Decimal(1) + per_right * count for pid, count in rows}

    async def consume_priority_rights(self, partner_ids: list[int], run_id: int) -> int:
        """Mark the partners' open priority supply rights as used by allocation run
        ``run_id`` (call when the run is applied); returns how many were consumed."""
        if not partner_ids:
            return 0
        rows = list(
            await self.session.scalars(
                select(RewardRedemption)
                .join(Reward, Reward.id == RewardRedemption.reward_id)
                .where(
                    Reward.kind == PRIORITY_SUPPLY,
                    RewardRedemption.consumed_by_allocation_run_id.is_(None),
                    RewardRedemption.partner_id.in_(sorted(set(partner_ids))),
                    self.scope.via_partner(RewardRedemption.partner_id),
                )
            )
        )
        for row in rows:
            row.consumed_by_allocation_run_id = run_id
        await self.session.flush()
        return len(rows)

    async def earn_purchase_points(
        self, rules: PointsRules, created_by: str = "system", batch: int = 1000
    ) -> int:
        """Post purchase-volume points for up to ``batch`` delivered or closed orders that
        have none yet (one entry per order, ``source_type="purchase"``, ``source_id`` the
        order); returns how many orders were processed. Safe to run twice: an order already
        posted is skipped, and orders below one ``amount_step`` (which earn nothing) are not
        selected. Scoped like every read."""
        validate_rules(rules)
        if rules.points_per_step == 0:
            return 0
        posted = (
            select(FundLedgerEntry.id)
            .where(
                FundLedgerEntry.fund == POINTS_FUND,
                FundLedgerEntry.source_type == "purchase",
                FundLedgerEntry.source_id == Order.id,
            )
            .exists()
        )
        stmt = (
            select(Order.id, Order.partner_id, Order.total)
            .where(
                Order.status.in_(EARNING_STATUSES),
                Order.total >= rules.amount_step,
                ~posted,
                self.scope.via_partner(Order.partner_id),
            )
            .order_by(Order.id)
            .limit(batch)
        )
        rows = (await self.session.execute(stmt)).all()
        entries = [
            FundLedgerEntry(
                partner_id=partner_id,
                fund=POINTS_FUND,
                amount=Decimal(points),
                currency=POINTS_CURRENCY,
                source_type="purchase",
                source_id=order_id,
                created_by=created_by,
            )
            for order_id, partner_id, total in rows
            if (points := points_for(rules, Earning(EarningKind.PURCHASE, amount=total))) > 0
        ]
        self.session.add_all(entries)
        await self.session.flush()
        return len(entries)

"""Reorder rules, low-stock alerts and reorder suggestions, scoped like stock levels.

A viewer sees the rules and alerts of the locations it may see: brand-wide viewers every
location (brand warehouses too), a dealer its own partner's sites (and its sub-partners'), a
region manager the sites of partners in its regions.

Interface::

    located_visible(scope: Scope, column) -> ColumnElement[bool]
    ReorderRuleRepository(session, scope): page/count/by_ids; .at(location_id, product_id)
    StockAlertRepository(session, scope): page/count/by_ids with AlertFilter
    ReorderRuleWrites(session).upsert(location_id, product_id, minimum, maximum, multiple,
                                     actor, now) -> ReorderRule; .delete(rule_id) -> None
    async reorder_suggestions(session, scope, *, limit, location_id=None,
                              partner_id=None) -> list[Suggestion]
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, delete, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from domain.stock_rules import reorder_suggestion
from store.models import Location, ReorderRule, StockAlert, StockLevel
from store.pagination import DATETIME, INT, SortKey
from store.repositories.base import ScopedRepository
from store.scope import Scope


def located_visible(scope: Scope, column: Any) -> ColumnElement[bool]:
    """Rows whose location (``column``) the viewer may see."""
    if scope.all_partners:
        return scope.partners()
    return column.in_(  # type: ignore[no-any-return]
        select(Location.id).where(scope.via_partner(Location.partner_id))
    )


def _at_partner(column: Any, partner_id: int) -> ColumnElement[bool]:
    return column.in_(  # type: ignore[no-any-return]
        select(Location.id).where(Location.partner_id == partner_id)
    )


@dataclass(frozen=True)
class RuleFilter:
    location_id: int | None = None
    product_id: int | None = None


class ReorderRuleRepository(ScopedRepository[ReorderRule, RuleFilter]):
    model = ReorderRule
    orderings = {"ID_ASC": SortKey("ID_ASC", ReorderRule.id, parse=INT)}

    def visible(self) -> ColumnElement[bool]:
        return located_visible(self.scope, ReorderRule.location_id)

    def matching(self, filter_: RuleFilter) -> list[ColumnElement[bool]]:
        clauses: list[ColumnElement[bool]] = []
        if filter_.location_id is not None:
            clauses.append(ReorderRule.location_id == filter_.location_id)
        if filter_.product_id is not None:
            clauses.append(ReorderRule.product_id == filter_.product_id)
        return clauses

    async def at(self, location_id: int, product_id: int) -> ReorderRule | None:
        stmt = select(ReorderRule).where(
            ReorderRule.location_id == location_id,
            ReorderRule.product_id == product_id,
            self.visible(),
        )
        return (await self.session.scalars(stmt)).first()


@dataclass(frozen=True)
class AlertFilter:
    open: bool | None = None
    location_id: int | None = None
    partner_id: int | None = None
    product_id: int | None = None


class StockAlertRepository(ScopedRepository[StockAlert, AlertFilter]):
    model = StockAlert
    orderings = {
        "RAISED_AT_DESC": SortKey("RAISED_AT_DESC", StockAlert.raised_at, True, DATETIME),
        "RAISED_AT_ASC": SortKey("RAISED_AT_ASC", StockAlert.raised_at, False, DATETIME),
    }

    def visible(self) -> ColumnElement[bool]:
        return located_visible(self.scope, StockAlert.location_id)

    def matching(self, filter_: AlertFilter) -> list[ColumnElement[bool]]:
        clauses: list[ColumnElement[bool]] = []
        if filter_.open is True:
            clauses.append(StockAlert.resolved_at.is_(None))
        elif filter_.open is False:
            clauses.append(StockAlert.resolved_at.is_not(None))
        if filter_.location_id is not None:
            clauses.append(StockAlert.location_id == filter_.location_id)
        if filter_.partner_id is not None:
            clauses.append(_at_partner(StockAlert.location_id, filter_.partner_id))
        if filter_.product_id is not None:
            clauses.append(StockAlert.product_id == filter_.product_id)
        return clauses


class ReorderRuleWrites:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def upsert(
        self,
        location_id: int,
        product_id: int,
        *,
        minimum: int,
        maximum: int,
        multiple: int,
        actor: str,
        now: datetime,
    ) -> ReorderRule:
        """The pair's rule, created or replaced (one atomic INSERT … ON CONFLICT)."""
        dialect = self.session.get_bind().dialect.name
        insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
        changes = {
            "minimum": minimum,
            "maximum": maximum,
            "multiple": multiple,
            "updated_by": actor,
            "updated_at": now,
        }
        stmt = (
            insert(ReorderRule)
            .values(location_id=location_id, product_id=product_id, created_at=now, **changes)
            .on_conflict_do_update(
                index_elements=[ReorderRule.location_id, ReorderRule.product_id], set_=changes
            )
            .returning(ReorderRule)
        )
        result = await self.session.scalars(stmt, execution_options={"populate_existing": True})
        return result.one()

    async def delete(self, rule_id: int) -> None:
        await self.session.execute(delete(ReorderRule).where(ReorderRule.id == rule_id))


@dataclass(frozen=True)
class Suggestion:
    """What to reorder for one rule: ``quantity`` brings projected stock back to the maximum."""

    rule: ReorderRule
    on_hand: int
    reserved: int
    in_transit: int
    quantity: int

    @property
    def projected(self) -> int:
        return self.on_hand - self.reserved + self.in_transit


async def reorder_suggestions(
    session: AsyncSession,
    scope: Scope,
    *,
    limit: int,
    location_id: int | None = None,
    partner_id: int | None = None,
) -> list[Suggestion]:
    """Rules whose projected stock (on hand - reserved + in transit) is under their minimum,
    with the quantity to order (``domain.stock_rules.reorder_suggestion``); a pair with no
    stock level counts as holding nothing. Filtered in SQL, at most ``limit``, by rule id."""
    on_hand = func.coalesce(StockLevel.on_hand, 0)
    reserved = func.coalesce(StockLevel.reserved, 0)
    in_transit = func.coalesce(StockLevel.in_transit, 0)
    stmt = (
        select(ReorderRule, on_hand, reserved, in_transit)
        .outerjoin(
            StockLevel,
            and_(
                StockLevel.location_id == ReorderRule.location_id,
                StockLevel.product_id == ReorderRule.product_id,
            ),
        )
        .where(
            located_visible(scope, ReorderRule.location_id),
            on_hand - reserved + in_transit < ReorderRule.minimum,
        )
        .order_by(ReorderRule.id)
        .limit(limit)
    )
    if location_id is not None:
        stmt = stmt.where(ReorderRule.location_id == location_id)
    if partner_id is not None:
        stmt = stmt.where(_at_partner(ReorderRule.location_id, partner_id))
    found = []
    for rule, have, held, coming in await session.execute(stmt):
        quantity = reorder_suggestion(
            int(have), int(held), int(coming), rule.minimum, rule.maximum, rule.multiple
        )
        found.append(Suggestion(rule, int(have), int(held), int(coming), quantity))
    return found

"""Locations and stock levels; a partner's stock is the stock at its sites."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy import ColumnElement, or_, select

from store.models import Location, StockLevel
from store.pagination import INT, SortKey
from store.repositories.base import ScopedRepository


@dataclass(frozen=True)
class StockFilter:
    location_id: int | None = None
    partner_id: int | None = None
    product_id: int | None = None
    below_min: bool | None = None


class LocationRepository(ScopedRepository[Location, None]):
    model = Location
    orderings = {"CODE_ASC": SortKey("CODE_ASC", Location.code)}

    def visible(self) -> ColumnElement[bool]:
        if self.scope.all_partners:
            return self.scope.partners()
        return self.scope.via_partner(Location.partner_id)

    def matching(self, filter_: None) -> list[ColumnElement[bool]]:
        return []


def _located_at_partner(partner_id: int) -> ColumnElement[bool]:
    return StockLevel.location_id.in_(select(Location.id).where(Location.partner_id == partner_id))


class StockLevelRepository(ScopedRepository[StockLevel, StockFilter]):
    model = StockLevel
    orderings = {"ID_ASC": SortKey("ID_ASC", StockLevel.id, parse=INT)}

    def visible(self) -> ColumnElement[bool]:
        if self.scope.all_partners:
            return self.scope.partners()
        locations = select(Location.id).where(self.scope.via_partner(Location.partner_id))
        return StockLevel.location_id.in_(locations)

    def matching(self, filter_: StockFilter) -> list[ColumnElement[bool]]:
        clauses: list[ColumnElement[bool]] = []
        if filter_.location_id is not None:
            clauses.append(StockLevel.location_id == filter_.location_id)
        if filter_.partner_id is not None:
            clauses.append(_located_at_partner(filter_.partner_id))
        if filter_.product_id is not None:
            clauses.append(StockLevel.product_id == filter_.product_id)
        if filter_.below_min is True:
            clauses.append(StockLevel.on_hand < StockLevel.min_quantity)
        elif filter_.below_min is False:
            clauses.append(
                or_(
                    StockLevel.min_quantity.is_(None), StockLevel.on_hand >= StockLevel.min_quantity
                )
            )
        return clauses

    async def of_products(self, product_ids: list[int]) -> dict[int, list[StockLevel]]:
        return await self.grouped_by(StockLevel.product_id, product_ids, StockLevel.id)

    async def of_partners(self, partner_ids: list[int]) -> dict[int, list[StockLevel]]:
        wanted = sorted(set(partner_ids))
        groups: dict[int, list[StockLevel]] = defaultdict(list)
        if not wanted:
            return groups
        stmt = (
            select(Location.partner_id, StockLevel)
            .join(Location, Location.id == StockLevel.location_id)
            .where(Location.partner_id.in_(wanted), self.visible())
            .order_by(StockLevel.id)
        )
        for partner_id, level in await self.session.execute(stmt):
            if partner_id is not None:
                groups[partner_id].append(level)
        return groups

    async def at(self, location_id: int, product_id: int) -> StockLevel | None:
        stmt = select(StockLevel).where(
            StockLevel.location_id == location_id, StockLevel.product_id == product_id
        )
        return (await self.session.scalars(stmt)).first()

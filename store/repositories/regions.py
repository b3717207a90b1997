"""Regions and tiers: the reference data of the channel."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, select

from store.models import Region, Tier
from store.pagination import INT, SortKey
from store.repositories.base import ScopedRepository


@dataclass(frozen=True)
class RegionFilter:
    parent_id: int | None = None
    roots_only: bool = False
    within_id: int | None = None
    text: str | None = None


def subtree_of(region_id: int) -> Any:
    """A subquery of the ids of ``region_id`` and all its descendants."""
    root_path = select(Region.path).where(Region.id == region_id).scalar_subquery()
    return select(Region.id).where(Region.path.startswith(root_path))


class RegionRepository(ScopedRepository[Region, RegionFilter]):
    model = Region
    orderings = {
        "CODE_ASC": SortKey("CODE_ASC", Region.code),
        "NAME_ASC": SortKey("NAME_ASC", Region.name),
        "PATH_ASC": SortKey("PATH_ASC", Region.path),
        "ID_ASC": SortKey("ID_ASC", Region.id, parse=INT),
    }

    def visible(self) -> ColumnElement[bool]:
        return self.scope.regions()

    def matching(self, filter_: RegionFilter) -> list[ColumnElement[bool]]:
        clauses: list[ColumnElement[bool]] = []
        if filter_.parent_id is not None:
            clauses.append(Region.parent_id == filter_.parent_id)
        if filter_.roots_only:
            clauses.append(Region.parent_id.is_(None))
        if filter_.within_id is not None:
            clauses.append(Region.id.in_(subtree_of(filter_.within_id)))
        if filter_.text:
            clauses.append(Region.name.icontains(filter_.text, autoescape=True))
        return clauses

    async def children_of(self, parent_ids: list[int]) -> dict[int, list[Region]]:
        return await self.grouped_by(Region.parent_id, parent_ids, Region.code)

    async def by_code(self, code: str) -> Region | None:
        stmt = select(Region).where(self.visible(), Region.code == code)
        return (await self.session.scalars(stmt)).first()


class TierRepository(ScopedRepository[Tier, None]):
    model = Tier
    orderings = {"RANK_ASC": SortKey("RANK_ASC", Tier.rank, parse=INT)}

    def visible(self) -> ColumnElement[bool]:
        return self.scope.regions()

    def matching(self, filter_: None) -> list[ColumnElement[bool]]:
        return []

    async def all(self) -> list[Tier]:
        return list(await self.session.scalars(select(Tier).order_by(Tier.rank, Tier.id)))

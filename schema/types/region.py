"""Regions (a tree) and partner tiers."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import strawberry

from schema.connection import Connection
from schema.context import Info
from schema.node import Node
from store import models


@strawberry.type(description="A node of the region tree (country → province → city …).")
class Region(Node):
    code: str
    name: str
    level: int = strawberry.field(description="Depth in the tree; roots are 0.")

    @strawberry.field
    async def parent(self, root: strawberry.Parent[models.Region], info: Info) -> Region | None:
        if root.parent_id is None:
            return None
        return await info.context.loaders.region.load(root.parent_id)  # type: ignore[return-value]

    @strawberry.field
    async def children(self, root: strawberry.Parent[models.Region], info: Info) -> list[Region]:
        return await info.context.loaders.region_children.load(root.id)  # type: ignore[return-value]

    @classmethod
    def is_type_of(cls, obj: Any, _info: Any) -> bool:
        return isinstance(obj, models.Region)


@strawberry.type
class RegionConnection(Connection[Region]):
    pass


@strawberry.type(description="A partner tier: its rank and its weight in stock allocation.")
class Tier(Node):
    name: str
    rank: int
    allocation_weight: Decimal

    @classmethod
    def is_type_of(cls, obj: Any, _info: Any) -> bool:
        return isinstance(obj, models.Tier)

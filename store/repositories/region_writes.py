"""Writes of the region tree, keeping every ``path`` (``/root-id/…/own-id/``) and ``level`` true.

Tree writes are serialized: ``lock_tree`` takes a transaction-scoped lock (an advisory lock on
PostgreSQL, the database write lock on SQLite) before anything is read, so two concurrent
moves cannot each pass the "not under its own descendant" check and together make a cycle,
and a child is never created under a parent whose path is being rewritten.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import String, func, literal, select, text, update

from store.models import Region
from store.repositories.common_writes import RowWrites

TREE_LOCK_KEY = 0x43480001
"""The PostgreSQL advisory lock key of the region tree ("CH" + 1)."""


class RegionWrites(RowWrites[Region]):
    model = Region

    async def lock_tree(self) -> None:
        """Hold the region-tree write lock until the end of the current transaction."""
        if self.session.get_bind().dialect.name == "postgresql":
            await self.session.execute(
                text("SELECT pg_advisory_xact_lock(:key)"), {"key": TREE_LOCK_KEY}
            )
        else:
            # Any write statement takes SQLite's database lock, even one matching no row.
            await self.session.execute(update(Region).where(Region.id == -1).values(level=0))

    async def get(self, region_id: int) -> Region | None:
        """The region, read fresh (after ``lock_tree`` this is the committed state)."""
        stmt = (
            select(Region).where(Region.id == region_id).execution_options(populate_existing=True)
        )
        return (await self.session.scalars(stmt)).first()

    async def create_under(self, values: Mapping[str, Any], parent: Region | None) -> Region:
        """Insert a region as a root or as the last child of ``parent``."""
        region = Region(
            **values,
            parent_id=parent.id if parent else None,
            level=parent.level + 1 if parent else 0,
            path="",
        )
        self.session.add(region)
        await self.session.flush()
        region.path = f"{parent.path if parent else '/'}{region.id}/"
        await self.session.flush()
        await self.session.refresh(region)
        return region

    async def move(self, region: Region, parent: Region | None) -> Region:
        """Hang ``region`` (with its subtree) under ``parent``, or make it a root.

        The caller has checked that ``parent`` is not inside ``region``'s subtree.
        """
        old_prefix = region.path
        new_prefix = f"{parent.path if parent else '/'}{region.id}/"
        shift = (parent.level + 1 if parent else 0) - region.level
        await self.session.execute(
            update(Region)
            .where(Region.path.startswith(old_prefix, autoescape=True))
            .values(
                path=literal(new_prefix, String) + func.substr(Region.path, len(old_prefix) + 1),
                level=Region.level + shift,
            )
            .execution_options(synchronize_session=False)
        )
        await self.session.execute(
            update(Region)
            .where(Region.id == region.id)
            .values(parent_id=parent.id if parent else None)
            .execution_options(synchronize_session=False)
        )
        moved = await self.get(region.id)
        assert moved is not None
        return moved

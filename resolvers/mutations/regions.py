"""Create, rename and move regions, keeping the materialized paths of the tree true.

Regions are catalogue data: every write needs ``catalog:write``. Every region write first
takes the tree lock (see ``store.repositories.region_writes``), then
reads what it checks, so the checks see the committed tree and cannot race another move.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from resolvers.mutations.common import (
    Caller,
    Ref,
    check_texts,
    check_unique,
    ref_problems,
    refuse,
    unit_of_work,
)
from resolvers.mutations.errors import InvalidInput, NotFound
from resolvers.mutations.scope_audit import prepare, record_scope_change
from security.audit import AuditLog
from security.viewer import Permission
from store.models import Region
from store.repositories.region_writes import RegionWrites

Sessions = async_sessionmaker[AsyncSession]

_UNCHANGED: Any = object()


async def _region(writes: RegionWrites, ref: Ref, field: str) -> Region:
    region = await writes.get(ref.pk)
    if region is None:
        raise NotFound(field, ref.given, "region")
    return region


async def create_region(
    sessions: Sessions, caller: Caller, values: Mapping[str, Any], parent: Ref | None
) -> Region:
    """A new root region, or a new child of ``parent`` (path = parent's path + own id + /)."""
    caller.require(Permission.CATALOG_WRITE, "create a region")
    values = dict(values)
    refuse(ref_problems({"parent": parent}) + check_texts(Region, values, ("code", "name")))
    async with unit_of_work(sessions, values) as session:
        writes = RegionWrites(session)
        await writes.lock_tree()
        parent_row = None if parent is None else await _region(writes, parent, "parent")
        await check_unique(writes, values, ("code",))
        return await writes.create_under(values, parent_row)


async def update_region(
    sessions: Sessions,
    caller: Caller,
    ref: Ref,
    values: Mapping[str, Any],
    parent: Ref | None = _UNCHANGED,
    audit: AuditLog | None = None,
) -> Region:
    """Change code or name; with ``parent`` given, move the region (None: make it a root).

    A move rewrites the path and level of the region and of its whole subtree, and is
    refused if the new parent is the region itself or one of its descendants.
    """
    caller.require(Permission.CATALOG_WRITE, "change a region")
    values = dict(values)
    refs = {"id": ref, "parent": None if parent is _UNCHANGED else parent}
    refuse(ref_problems(refs) + check_texts(Region, values, ("code", "name")))
    await prepare(audit)
    async with unit_of_work(sessions, values) as session:
        writes = RegionWrites(session)
        await writes.lock_tree()
        region = await _region(writes, ref, "id")
        moving = parent is not _UNCHANGED
        new_parent = None
        if moving and parent is not None:
            new_parent = await _region(writes, parent, "parent")
            if new_parent.path.startswith(region.path):
                raise InvalidInput.one(
                    "parent", "a region cannot be moved under itself or one of its descendants"
                )
        await check_unique(writes, values, ("code",), except_id=region.id)
        region = await writes.update(region, values)
        new_parent_id = new_parent.id if new_parent else None
        if moving and new_parent_id != region.parent_id:
            moved = {"parent_id": (region.parent_id, new_parent_id)}
            region = await writes.move(region, new_parent)
            await record_scope_change(audit, session, caller, "regions", region.id, moved)
        return region

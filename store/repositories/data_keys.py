"""Reads of the ``data_keys`` table the graph needs: key states by id (never key material)."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from security.keys import KeyState
from store.models import DataKeyRow


async def key_states(session: AsyncSession, key_ids: Iterable[int]) -> dict[int, KeyState]:
    """The state of each existing key among ``key_ids``."""
    wanted = sorted(set(key_ids))
    if not wanted:
        return {}
    rows = await session.execute(
        select(DataKeyRow.id, DataKeyRow.state).where(DataKeyRow.id.in_(wanted))
    )
    return {key_id: state for key_id, state in rows}

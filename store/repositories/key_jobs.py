"""Checkpoints of key jobs (re-encryption of one table): where an interrupted run resumes.

A checkpoint is saved in the same transaction as the batch it follows, so after a kill the
next run starts after the last batch that committed, never before it and never after it.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from store.models import KeyJobCheckpoint


async def load_checkpoint(session: AsyncSession, name: str) -> KeyJobCheckpoint | None:
    return await session.scalar(select(KeyJobCheckpoint).where(KeyJobCheckpoint.name == name))


async def save_checkpoint(
    session: AsyncSession, name: str, last_id: int, started_at: datetime, now: datetime
) -> None:
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    stmt = insert(KeyJobCheckpoint).values(
        name=name, last_id=last_id, started_at=started_at, updated_at=now
    )
    stmt = stmt.on_conflict_do_update(
        index_elements=[KeyJobCheckpoint.name],
        set_={"last_id": stmt.excluded.last_id, "updated_at": stmt.excluded.updated_at},
    )
    await session.execute(stmt)


async def clear_checkpoint(session: AsyncSession, name: str) -> None:
    await session.execute(delete(KeyJobCheckpoint).where(KeyJobCheckpoint.name == name))

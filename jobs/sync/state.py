"""The saved read state of a stream (``sync_states``), advanced by compare-and-set.

``open_state`` reads (creating it if new) the state a run starts from. A full refresh
starts from an empty state and records its run id as the *marker* every ref it sees is
stamped with; the marker stays in the row until the refresh has swept, so a refresh cut
short by a crash is finished by the next run of the stream (its retry, or any later run)
from the last stored page, stamping with the same marker.

``save_state`` writes a page's state in the page's transaction, only if the stored state is
still the one this run read (compare-and-set on the stored text): a second run of the same
stream that advanced it meanwhile makes this page roll back (``StateConflict``, retried
later from the state that run left), so two runs never both store the same page.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from jobs.errors import JobError
from store.base import utcnow
from store.models import SyncState

__all__ = [
    "StateConflict",
    "StreamState",
    "clear_marker",
    "encode_state",
    "open_state",
    "save_state",
]


class StateConflict(JobError):
    """Another run advanced this stream's state while this run was storing a page."""

    kind = "transient_error"


def encode_state(state: dict[str, Any]) -> str:
    return json.dumps(state, sort_keys=True, separators=(",", ":"), default=str)


@dataclass
class StreamState:
    id: int
    state: dict[str, Any]
    text: str
    marker: int | None


async def open_state(
    sessions: async_sessionmaker[AsyncSession],
    connector: str,
    stream: str,
    *,
    run_id: int,
    full_refresh: bool,
) -> StreamState:
    """The state to read from (a full refresh with no unfinished one starts it afresh)."""
    async with sessions.begin() as session:
        dialect = session.get_bind().dialect.name
        insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
        await session.execute(
            insert(SyncState)
            .values(connector=connector, stream=stream, state_json="{}", updated_at=utcnow())
            .on_conflict_do_nothing(index_elements=[SyncState.connector, SyncState.stream])
        )
        row = (
            await session.execute(
                select(SyncState.id, SyncState.state_json, SyncState.full_refresh_run_id)
                .where(SyncState.connector == connector, SyncState.stream == stream)
                .with_for_update()
            )
        ).one()
        state_id, text, marker = int(row[0]), str(row[1]), row[2]
        if full_refresh and marker is None:
            text, marker = "{}", run_id
            await session.execute(
                update(SyncState)
                .where(SyncState.id == state_id)
                .values(state_json=text, full_refresh_run_id=marker, updated_at=utcnow())
            )
    try:
        state = json.loads(text)
    except json.JSONDecodeError:
        state = None
    return StreamState(state_id, state if isinstance(state, dict) else {}, text, marker)


async def save_state(
    session: AsyncSession, current: StreamState, state: dict[str, Any], run_id: int
) -> None:
    """Store ``state`` if the row still holds what this run read; else ``StateConflict``."""
    text = encode_state(state)
    result = await session.execute(
        update(SyncState)
        .where(SyncState.id == current.id, SyncState.state_json == current.text)
        .values(state_json=text, last_run_id=run_id, updated_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    if int(getattr(result, "rowcount", 0)) != 1:
        raise StateConflict(
            "another run advanced this stream while this run was storing a page; "
            "this page was rolled back and will be read again"
        )
    current.text, current.state = text, state


async def clear_marker(session: AsyncSession, current: StreamState) -> None:
    """The full refresh has swept: later runs read incrementally again."""
    await session.execute(
        update(SyncState)
        .where(SyncState.id == current.id, SyncState.full_refresh_run_id == current.marker)
        .values(full_refresh_run_id=None, updated_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    current.marker = None

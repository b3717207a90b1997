"""Key lifecycle operations on the ``data_keys`` table: rotate, retire, rewrap, destroy, mint.

- ``rotate``: every purpose gets a new ACTIVE key; the old ones become DECRYPT_ONLY. Named
  secrets (blind index, audit) are left alone. Values move later (``jobs.reencrypt``).
- ``retire``: DECRYPT_ONLY keys no value uses any more become RETIRED.
- ``rewrap_all``: KEK rotation. Every key not destroyed is unwrapped with the current KEK
  and wrapped with the new one (compare-and-set per row, resumable); data bytes untouched.
- ``destroy``: crypto-shredding. The purpose's keys become DESTROYED and their wrapped
  bytes are erased, so values sealed with them can never be opened again.
- ``mint``: fresh keys as rows for a bulk insert (the demo seed), ids chosen by the caller;
  not cached, since the caller's insert may still roll back.

Every function here changes key rows only; auditing is the caller's job.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import CursorResult, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from security.errors import CryptoError, KeyManagementError
from security.kek import KekProvider, rewrap
from security.key_service import NAMED_SECRETS, KeyService, wrap_context
from security.keys import KeyState, UnwrappedKey, new_data_key_material
from store.models.keys import DataKeyRow

__all__ = ["RewrapReport", "Rotation", "destroy", "mint", "retire", "rewrap_all", "rotate"]


@dataclass(frozen=True)
class Rotation:
    purpose: str
    old_id: int
    new_id: int


@dataclass(frozen=True)
class RewrapReport:
    rewrapped: int
    failed: tuple[int, ...]
    kek_id: str


async def rotate(keys: KeyService) -> list[Rotation]:
    """A new ACTIVE key for every purpose that has one (named secrets excepted)."""
    now = keys.clock()
    async with keys.sessions.begin() as session:
        old = (
            await session.execute(
                update(DataKeyRow)
                .where(
                    DataKeyRow.state == KeyState.ACTIVE,
                    DataKeyRow.purpose.not_in(sorted(NAMED_SECRETS)),
                )
                .values(state=KeyState.DECRYPT_ONLY, state_changed_at=now)
                .returning(DataKeyRow.id, DataKeyRow.purpose)
            )
        ).all()
        if not old:
            return []
        kek_id = keys.kek.kek_id
        rows = [
            {
                "purpose": purpose,
                "state": KeyState.ACTIVE,
                "wrapped": b"",
                "kek_id": kek_id,
                "created_at": now,
                "state_changed_at": now,
            }
            for _, purpose in old
        ]
        inserted = (
            await session.execute(
                insert(DataKeyRow).returning(
                    DataKeyRow.id, DataKeyRow.purpose, sort_by_parameter_order=True
                ),
                rows,
            )
        ).all()
        materials = {purpose: new_data_key_material() for _, purpose in old}

        def wrap_all() -> list[dict[str, Any]]:
            return [
                {"id": key_id, "wrapped": keys.wrap(materials[purpose], purpose, key_id)}
                for key_id, purpose in inserted
            ]

        await session.execute(update(DataKeyRow), await asyncio.to_thread(wrap_all))
    for key_id, purpose in inserted:
        keys.cache.put(key_id, materials[purpose])
    new_ids = {purpose: key_id for key_id, purpose in inserted}
    return [Rotation(purpose, old_id, new_ids[purpose]) for old_id, purpose in old]


async def retire(keys: KeyService, key_ids: Sequence[int]) -> list[int]:
    """Move the DECRYPT_ONLY keys among ``key_ids`` to RETIRED; the ids that moved."""
    if not key_ids:
        return []
    async with keys.sessions.begin() as session:
        moved = await session.scalars(
            update(DataKeyRow)
            .where(DataKeyRow.id.in_(sorted(key_ids)), DataKeyRow.state == KeyState.DECRYPT_ONLY)
            .values(state=KeyState.RETIRED, state_changed_at=keys.clock())
            .returning(DataKeyRow.id)
        )
        return sorted(moved)


async def rewrap_all(keys: KeyService, new_kek: KekProvider, batch: int = 200) -> RewrapReport:
    """Wrap every live data key under ``new_kek``; then the service uses ``new_kek``.

    Rows already under ``new_kek`` are skipped, so an interrupted run is simply run again.
    Keys whose wrapped bytes do not open (tampered) are listed in ``failed`` and left as is.
    """
    target = new_kek.kek_id
    done, failed, last = 0, [], 0
    while True:
        async with keys.sessions() as session:
            rows = list(
                await session.scalars(
                    select(DataKeyRow)
                    .where(
                        DataKeyRow.id > last,
                        DataKeyRow.state != KeyState.DESTROYED,
                        DataKeyRow.kek_id != target,
                    )
                    .order_by(DataKeyRow.id)
                    .limit(batch)
                )
            )
        if not rows:
            break
        last = rows[-1].id

        def work(rows: list[DataKeyRow] = rows) -> list[tuple[int, bytes, bytes | None]]:
            moved: list[tuple[int, bytes, bytes | None]] = []
            for row in rows:
                context = wrap_context(row.purpose, row.id)
                try:
                    moved.append(
                        (row.id, row.wrapped, rewrap(row.wrapped, keys.kek, new_kek, context))
                    )
                except (CryptoError, KeyManagementError):
                    moved.append((row.id, row.wrapped, None))
            return moved

        async with keys.sessions.begin() as session:
            for key_id, old, new in await asyncio.to_thread(work):
                if new is None:
                    failed.append(key_id)
                    continue
                result = await session.execute(
                    update(DataKeyRow)
                    .where(
                        DataKeyRow.id == key_id,
                        DataKeyRow.wrapped == old,
                        DataKeyRow.state != KeyState.DESTROYED,
                    )
                    .values(wrapped=new, kek_id=target)
                )
                done += _rowcount(result)
    keys.use_kek(new_kek)
    return RewrapReport(done, tuple(failed), target)


def _rowcount(result: Any) -> int:
    return int(result.rowcount) if isinstance(result, CursorResult) else 0


async def destroy(keys: KeyService, session: AsyncSession, purpose: str) -> list[int]:
    """Destroy every key of ``purpose`` in ``session``'s transaction; the ids destroyed."""
    if purpose in NAMED_SECRETS:
        raise KeyManagementError(f"the named secret {purpose!r} cannot be destroyed")
    destroyed = sorted(
        await session.scalars(
            update(DataKeyRow)
            .where(DataKeyRow.purpose == purpose, DataKeyRow.state != KeyState.DESTROYED)
            .values(state=KeyState.DESTROYED, wrapped=b"", state_changed_at=keys.clock())
            .returning(DataKeyRow.id)
        )
    )
    for key_id in destroyed:
        keys.cache.mark_destroyed(key_id)
    return destroyed


def mint(
    keys: KeyService, purposes: Sequence[str], first_id: int
) -> tuple[list[dict[str, Any]], dict[str, UnwrappedKey]]:
    """New ACTIVE keys for ``purposes`` with ids from ``first_id``: rows and unwrapped keys."""
    now = keys.clock()
    kek_id = keys.kek.kek_id
    rows: list[dict[str, Any]] = []
    unwrapped: dict[str, UnwrappedKey] = {}
    for key_id, purpose in enumerate(purposes, start=first_id):
        material = new_data_key_material()
        rows.append(
            {
                "id": key_id,
                "purpose": purpose,
                "state": KeyState.ACTIVE,
                "wrapped": keys.wrap(material, purpose, key_id),
                "kek_id": kek_id,
                "created_at": now,
                "state_changed_at": now,
            }
        )
        unwrapped[purpose] = UnwrappedKey(key_id, material)
    return rows, unwrapped

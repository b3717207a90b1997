"""External refs of a stream: (connector, entity, external id) → hub row, read and written in
bulk, plus the content digest that tells an unchanged record from a changed one.

The digest is an HMAC-SHA256 of the mapped values (canonical JSON), not a plain hash: mapped
values can hold encrypted fields' plaintext, and a plain hash of a short value (a phone
number) could be reversed by trying them all. Its key is derived from the named secret
``connector-hash`` (``digest_key``: HMAC of a fixed label, so the two uses never share a key).
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from jobs.sync.references import chunks, one_of
from jobs.sync.sinks.base import Plan, bulk_insert_rows, bulk_update
from store.models import ExternalRef

__all__ = [
    "DIGEST_SECRET",
    "StoredRef",
    "digest",
    "digest_key",
    "load_refs",
    "mark_seen",
    "revive",
    "save_refs",
    "sweep_unseen",
]

DIGEST_SECRET = "connector-hash"  # noqa: S105 (the name of a stored key, not a key)
DIGEST_LABEL = b"channelhub/sync/content-digest/v1"


def digest_key(secret: bytes) -> bytes:
    """The content digest's own key, derived from the named secret ``DIGEST_SECRET``."""
    return hmac.new(secret, DIGEST_LABEL, hashlib.sha256).digest()


def _plain(value: Any) -> Any:
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    raise TypeError(f"cannot digest a {type(value).__name__}")


def digest(key: bytes, values: dict[str, Any], lines: list[dict[str, Any]]) -> str:
    """The keyed digest of a mapped record (64 hex characters)."""
    text = json.dumps(
        [values, lines], sort_keys=True, default=_plain, separators=(",", ":"), ensure_ascii=False
    )
    return hmac.new(key, text.encode("utf-8"), hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class StoredRef:
    id: int
    entity_id: int
    content_hash: str | None
    deleted: bool


async def load_refs(
    session: AsyncSession, connector: str, entity: str, external_ids: Iterable[str]
) -> dict[str, StoredRef]:
    """The stored refs of these external ids, by external id."""
    found: dict[str, StoredRef] = {}
    for chunk in chunks(external_ids):
        rows = await session.execute(
            select(
                ExternalRef.external_id,
                ExternalRef.id,
                ExternalRef.entity_id,
                ExternalRef.content_hash,
                ExternalRef.deleted_remotely_at,
            ).where(
                ExternalRef.connector == connector,
                ExternalRef.entity == entity,
                one_of(session, ExternalRef.external_id, chunk),
            )
        )
        for external_id, ref_id, entity_id, content_hash, deleted_at in rows:
            found[external_id] = StoredRef(
                int(ref_id), int(entity_id), content_hash, deleted_at is not None
            )
    return found


async def linked_elsewhere(
    session: AsyncSession, connector: str, entity: str, row_ids: Iterable[int]
) -> dict[int, str]:
    """Rows among ``row_ids`` that already have a ref of this connector: row → external id."""
    found: dict[int, str] = {}
    for chunk in chunks(row_ids):
        rows = await session.execute(
            select(ExternalRef.entity_id, ExternalRef.external_id).where(
                ExternalRef.connector == connector,
                ExternalRef.entity == entity,
                one_of(session, ExternalRef.entity_id, chunk),
            )
        )
        found.update((int(row_id), str(external_id)) for row_id, external_id in rows)
    return found


async def save_refs(
    session: AsyncSession,
    plans: Sequence[Plan],
    *,
    connector: str,
    entity: str,
    stream: str,
    marker: int | None,
    now: datetime,
) -> None:
    """Insert the refs of new and linked plans; point existing refs at their row, new digest."""
    seen = {} if marker is None else {"seen_run_id": marker}
    fresh = [
        {
            "connector": connector,
            "entity": entity,
            "external_id": plan.external_id,
            "entity_id": plan.row_id,
            "stream": stream,
            "content_hash": plan.digest,
            "deleted_remotely_at": None,
            "created_at": now,
            "updated_at": now,
            **seen,
        }
        for plan in plans
        if plan.ref_id is None
    ]
    changed = [
        {
            "id": plan.ref_id,
            "entity_id": plan.row_id,
            "stream": stream,
            "content_hash": plan.digest,
            "deleted_remotely_at": None,
            "updated_at": now,
            **seen,
        }
        for plan in plans
        if plan.ref_id is not None
    ]
    if fresh:
        await bulk_insert_rows(session, ExternalRef, fresh)
    await bulk_update(session, ExternalRef, changed)


async def mark_seen(
    session: AsyncSession, connector: str, entity: str, external_ids: Iterable[str], marker: int
) -> None:
    """A full refresh saw these records: mark their refs (and undo a remote deletion)."""
    for chunk in chunks(external_ids):
        await session.execute(
            update(ExternalRef)
            .where(
                ExternalRef.connector == connector,
                ExternalRef.entity == entity,
                one_of(session, ExternalRef.external_id, chunk),
            )
            .values(seen_run_id=marker, deleted_remotely_at=None)
            .execution_options(synchronize_session=False)
        )


async def revive(session: AsyncSession, ref_ids: Iterable[int], now: datetime) -> None:
    """Records seen again after a full refresh marked them deleted remotely."""
    for chunk in chunks(ref_ids):
        await session.execute(
            update(ExternalRef)
            .where(one_of(session, ExternalRef.id, chunk))
            .values(deleted_remotely_at=None, updated_at=now)
            .execution_options(synchronize_session=False)
        )


async def sweep_unseen(
    session: AsyncSession, connector: str, stream: str, entity: str, marker: int, now: datetime
) -> int:
    """Mark refs of the stream that a finished full refresh did not see; how many."""
    result = await session.execute(
        update(ExternalRef)
        .where(
            ExternalRef.connector == connector,
            ExternalRef.stream == stream,
            ExternalRef.entity == entity,
            ExternalRef.deleted_remotely_at.is_(None),
            (ExternalRef.seen_run_id.is_(None)) | (ExternalRef.seen_run_id != marker),
        )
        .values(deleted_remotely_at=now, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0))

"""Quarantining a page's rejected records without piling up copies.

An incremental read re-reads the record at its cursor, so a bad record there comes back on
every run. A rejected record whose unresolved quarantine row already holds the same payload
is not added again (only its reason is refreshed); a rejected record whose payload changed
replaces the older unresolved rows of its external id (they are resolved: the newer copy is
the one to retry). Payloads are compared after opening them, never stored in plaintext.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from jobs.sync.pages import Rejection
from jobs.sync.sinks.base import bulk_update
from security.errors import CryptoError
from security.key_service import KeyService
from store.models import QuarantinedRecord
from store.repositories.quarantine import QuarantineRepository, encode_payload

__all__ = ["quarantine_rejected"]


def _canonical(payload: Any) -> str:
    return json.dumps(json.loads(encode_payload(payload)), sort_keys=True)


async def quarantine_rejected(
    session: AsyncSession,
    keys: KeyService,
    *,
    connector: str,
    stream: str,
    records: Sequence[Any],
    rejected: Sequence[Rejection],
    now: datetime,
) -> None:
    """Quarantine ``rejected`` (positions in ``records``), skipping identical open copies."""
    repository = QuarantineRepository(session, keys)
    ids = sorted({r.external_id for r in rejected if r.external_id is not None})
    open_rows: list[QuarantinedRecord] = []
    if ids:
        open_rows = list(
            await session.scalars(
                select(QuarantinedRecord).where(
                    QuarantinedRecord.connector == connector,
                    QuarantinedRecord.stream == stream,
                    QuarantinedRecord.resolved_at.is_(None),
                    QuarantinedRecord.external_id.in_(ids),
                )
            )
        )
    held: dict[tuple[str, str], QuarantinedRecord] = {}
    for row, payload in zip(open_rows, await repository.payloads(open_rows), strict=True):
        if not isinstance(payload, CryptoError) and row.external_id is not None:
            held[(row.external_id, _canonical(payload))] = row
    reasons: list[dict[str, Any]] = []
    replaced: set[str] = set()
    for rejection in rejected:
        raw = records[rejection.index]
        same = held.get((rejection.external_id or "", _canonical(raw)))
        if same is not None:
            if same.reason != rejection.reason:
                reasons.append({"id": same.id, "reason": rejection.reason})
            continue
        if rejection.external_id is not None and rejection.external_id not in replaced:
            replaced.add(rejection.external_id)
            await session.execute(
                update(QuarantinedRecord)
                .where(
                    QuarantinedRecord.id.in_(
                        [r.id for r in open_rows if r.external_id == rejection.external_id]
                    )
                )
                .values(resolved_at=now)
                .execution_options(synchronize_session=False)
            )
        await repository.add(
            connector=connector,
            stream=stream,
            reason=rejection.reason,
            payload=raw,
            external_id=rejection.external_id,
        )
    await bulk_update(session, QuarantinedRecord, reasons)

"""Quarantined records: add (sealing the raw payload), list, count, mark retried or resolved,
and open a payload back.

The raw payload is JSON sealed with AES-GCM under the ACTIVE data key of the purpose
``quarantine`` (one key for all quarantined records, so a rotation re-keys them together),
its associated data bound to (``quarantined_records``, ``payload``, row id): a ciphertext
copied to another row does not open. The row is inserted first with an empty placeholder to
learn its id, then the sealed bytes are written in the same transaction, so plaintext never
reaches the database. Opening loads the key in its own read session: open payloads of rows
whose adding transaction has committed. Like every repository, nothing here commits.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from sqlalchemy import ColumnElement, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from security.cipher import FieldContext, decode_text, encode_text, header, seal, unseal
from security.errors import CryptoError
from store.encrypted import QUARANTINE_PAYLOAD
from store.models.quarantine import QuarantinedRecord

if TYPE_CHECKING:
    from security.key_service import KeyService

__all__ = ["QUARANTINE_KEY_PURPOSE", "QuarantineRepository", "payload_context"]

QUARANTINE_KEY_PURPOSE = QUARANTINE_PAYLOAD.key_scope


def payload_context(row_id: int) -> FieldContext:
    """Where a sealed payload lives: bound into its associated data."""
    return QUARANTINE_PAYLOAD.context(row_id)


def _json_default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, bytes):
        return base64.b64encode(value).decode("ascii")
    return str(value)


def encode_payload(payload: Any) -> bytes:
    """The raw record as JSON (Decimals, times and bytes written as strings)."""
    return encode_text(json.dumps(payload, default=_json_default, ensure_ascii=False))


class QuarantineRepository:
    """Quarantined records in one session; ``keys`` seals and opens their payloads."""

    def __init__(self, session: AsyncSession, keys: KeyService) -> None:
        self.session = session
        self.keys = keys

    async def add(
        self,
        *,
        connector: str,
        stream: str,
        reason: str,
        payload: Any,
        external_id: str | None = None,
    ) -> QuarantinedRecord:
        """Quarantine one raw record; its payload is sealed before it is stored."""
        plaintext = encode_payload(payload)
        row = QuarantinedRecord(
            connector=connector,
            stream=stream,
            external_id=external_id,
            reason=reason,
            payload_ct=b"",
        )
        self.session.add(row)
        await self.session.flush()
        key = await self.keys.active_key(self.session, QUARANTINE_KEY_PURPOSE)
        row.payload_ct = seal(key, plaintext, payload_context(row.id))
        await self.session.flush()
        return row

    def _filters(
        self, connector: str | None, stream: str | None, unresolved_only: bool
    ) -> list[ColumnElement[bool]]:
        filters: list[ColumnElement[bool]] = []
        if connector is not None:
            filters.append(QuarantinedRecord.connector == connector)
        if stream is not None:
            filters.append(QuarantinedRecord.stream == stream)
        if unresolved_only:
            filters.append(QuarantinedRecord.resolved_at.is_(None))
        return filters

    async def list_records(
        self,
        *,
        connector: str | None = None,
        stream: str | None = None,
        unresolved_only: bool = True,
        after_id: int = 0,
        limit: int = 100,
    ) -> Sequence[QuarantinedRecord]:
        """Quarantined records in id order (keyset pages: pass the last id as ``after_id``)."""
        stmt = (
            select(QuarantinedRecord)
            .where(
                QuarantinedRecord.id > after_id, *self._filters(connector, stream, unresolved_only)
            )
            .order_by(QuarantinedRecord.id)
            .limit(limit)
        )
        return (await self.session.scalars(stmt)).all()

    async def count(
        self,
        *,
        connector: str | None = None,
        stream: str | None = None,
        unresolved_only: bool = True,
    ) -> int:
        stmt = select(func.count()).select_from(QuarantinedRecord)
        stmt = stmt.where(*self._filters(connector, stream, unresolved_only))
        return int(await self.session.scalar(stmt) or 0)

    async def mark_retried(self, record_ids: Sequence[int], at: datetime) -> int:
        """Note a retry of these records; returns how many rows changed."""
        return await self._stamp(record_ids, retried_at=at)

    async def mark_resolved(self, record_ids: Sequence[int], at: datetime) -> int:
        """Resolve these records (they leave the default listing); returns how many changed."""
        return await self._stamp(record_ids, resolved_at=at)

    async def _stamp(self, record_ids: Sequence[int], **values: datetime) -> int:
        if not record_ids:
            return 0
        stmt = (
            update(QuarantinedRecord)
            .where(QuarantinedRecord.id.in_(list(record_ids)))
            .values(**values)
            .execution_options(synchronize_session="fetch")
        )
        result = await self.session.execute(stmt)
        return int(getattr(result, "rowcount", 0))

    async def payloads(self, rows: Sequence[QuarantinedRecord]) -> list[Any | CryptoError]:
        """Each row's raw payload, or the ``CryptoError`` that stopped opening it."""
        key_ids: dict[int, int] = {}
        for row in rows:
            try:
                key_ids[row.id] = header(row.payload_ct).key_id
            except CryptoError:
                continue
        loaded = await self.keys.load(key_ids.values())
        results: list[Any | CryptoError] = []
        for row in rows:
            try:
                plaintext = unseal(
                    row.payload_ct,
                    payload_context(row.id),
                    lambda wanted: loaded.require(wanted, QUARANTINE_KEY_PURPOSE),
                )
                results.append(json.loads(decode_text(plaintext)))
            except CryptoError as problem:
                results.append(problem)
        return results

    async def payload(self, row: QuarantinedRecord) -> Any:
        """One row's raw payload; raises its ``CryptoError``."""
        (result,) = await self.payloads([row])
        if isinstance(result, CryptoError):
            raise result
        return result

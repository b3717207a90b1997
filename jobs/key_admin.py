"""Key administration behind ``channelhub keys``: status, rotate, re-encrypt, shred, KEK rotation.

Every change writes an audit entry (actor ``cli:<user>``, role ``operator``): ``keys.rotate``,
``keys.reencrypt``, ``keys.shred`` and ``keys.rotate_kek``. A shred and its audit entry commit
in one transaction. ``status`` only reads: keys per state and KEK, and per encrypted column
the values per data key and key state, empty rows, and values that are not ciphertext at all
(which should always be 0: no plaintext in an encrypted column).
"""

from __future__ import annotations

import getpass
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from jobs.reencrypt import Progress, ReencryptReport, reencrypt
from security.audit import AuditEvent, AuditLog
from security.errors import KeyManagementError
from security.field_crypto import FieldCrypto
from security.kek import AwsKmsKek, KekProvider, LocalKeyring
from security.key_lifecycle import RewrapReport, Rotation, destroy, rewrap_all, rotate
from security.key_service import KeyService, kek_from_settings
from settings import Settings
from store.encrypted import ENCRYPTED_COLUMNS, PARTNER_FIELDS
from store.engine import create_engine, create_sessionmaker
from store.models import DataKeyRow, Partner
from store.repositories.encrypted_fields import clear_derived, values_per_key

__all__ = ["KeyTools", "PartnerNotFoundError", "ShredReport", "StatusReport"]


class PartnerNotFoundError(LookupError):
    """``keys shred --partner`` names no partner (by id or code)."""


@dataclass
class ColumnStatus:
    empty: int
    not_ciphertext: int
    by_key: dict[int, int]
    by_state: dict[str, int]


@dataclass
class StatusReport:
    kek_id: str
    keys_by_state: dict[str, int]
    keys_by_kek: dict[str, int]
    columns: dict[str, ColumnStatus] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        return {
            "kek": self.kek_id,
            "keys": {"by_state": self.keys_by_state, "by_kek": self.keys_by_kek},
            "columns": {
                name: {
                    "empty": c.empty,
                    "not_ciphertext": c.not_ciphertext,
                    "by_state": c.by_state,
                    "by_key": {str(k): n for k, n in sorted(c.by_key.items())},
                }
                for name, c in self.columns.items()
            },
        }


@dataclass
class ShredReport:
    partner_id: int
    code: str
    destroyed_keys: list[int]


class KeyTools:
    """The key service, field crypto and audit log over the configured database."""

    def __init__(self, settings: Settings, kek: KekProvider | None = None) -> None:
        self.settings = settings
        self.engine: AsyncEngine = create_engine(settings)
        self.sessions: async_sessionmaker[AsyncSession] = create_sessionmaker(self.engine)
        self.keys = KeyService(self.sessions, kek or (lambda: kek_from_settings(settings)))
        self.crypto = FieldCrypto(self.keys, index_bits=settings.blind_index_bits)
        self.audit = AuditLog(self.sessions, lambda: self.keys.named_secret("audit"))
        self.actor = f"cli:{getpass.getuser()}"

    async def close(self) -> None:
        await self.engine.dispose()

    def _event(self, action: str, row: Partner | None = None, **detail: Any) -> AuditEvent:
        return AuditEvent(
            actor=self.actor,
            role="operator",
            action=action,
            outcome="done",
            table=None if row is None else "partners",
            row_id=None if row is None else str(row.id),
            detail=detail,
        )

    async def status(self) -> StatusReport:
        async with self.sessions() as session:
            rows = (await session.execute(select(DataKeyRow.id, DataKeyRow.state))).all()
            per_kek = await session.execute(
                select(DataKeyRow.kek_id, func.count()).group_by(DataKeyRow.kek_id)
            )
            report = StatusReport(
                kek_id=self.keys.kek.kek_id,
                keys_by_state=dict(Counter(str(state) for _, state in rows)),
                keys_by_kek={kek: int(n) for kek, n in per_kek},
            )
            states = {key_id: str(state) for key_id, state in rows}
            for column in ENCRYPTED_COLUMNS:
                usage = await values_per_key(session, column)
                by_state: Counter[str] = Counter()
                for key_id, count in usage.by_key.items():
                    by_state[states.get(key_id, "missing")] += count
                report.columns[f"{column.table}.{column.column}"] = ColumnStatus(
                    usage.empty, usage.not_ciphertext, usage.by_key, dict(by_state)
                )
        return report

    async def rotate(self) -> list[Rotation]:
        """A new ACTIVE data key for every purpose; old keys decrypt only until re-encrypted."""
        rotations = await rotate(self.keys)
        await self.audit.record(self._event("keys.rotate", rotated=len(rotations)))
        return rotations

    async def reencrypt(self, batch: int, progress: Progress | None = None) -> ReencryptReport:
        report = await reencrypt(self.crypto, batch=batch, progress=progress)
        await self.audit.record(
            self._event(
                "keys.reencrypt",
                scanned=report.scanned,
                moved=report.moved,
                lost_to_concurrent_writes=report.lost_to_concurrent_writes,
                unreadable=report.unreadable,
                remaining=report.remaining,
                retired=len(report.retired),
            )
        )
        return report

    async def shred_partner(self, reference: str) -> ShredReport:
        """Destroy a partner's data keys: its encrypted fields become unreadable for good."""
        await self.keys.named_secret("audit")  # before the write transaction (SQLite)
        async with self.sessions.begin() as session:
            partner = await _find_partner(session, reference)
            destroyed = await destroy(self.keys, session, f"partner:{partner.id}")
            await clear_derived(session, PARTNER_FIELDS, partner.id)
            event = self._event("keys.shred", partner, destroyed_keys=destroyed)
            await self.audit.record(event, session=session)
        return ShredReport(partner.id, partner.code, destroyed)

    async def rotate_kek(self, to_kms_key: str | None = None) -> RewrapReport:
        """Wrap every data key under a new KEK: a new local one, or ``to_kms_key`` in KMS."""
        old = self.keys.kek
        if to_kms_key:
            new: KekProvider = AwsKmsKek(to_kms_key, self.settings.aws_region)
        elif isinstance(old, LocalKeyring):
            old.rotate()
            new = old
        else:
            raise KeyManagementError(
                "the KEK lives in AWS KMS: rotate it there (automatic key rotation keeps old "
                "versions), or move the data keys to another KMS key with --to-kms-key"
            )
        report = await rewrap_all(self.keys, new)
        await self.audit.record(
            self._event(
                "keys.rotate_kek",
                kek_id=report.kek_id,
                rewrapped=report.rewrapped,
                failed=list(report.failed),
            )
        )
        return report


async def _find_partner(session: AsyncSession, reference: str) -> Partner:
    """The partner whose code is ``reference``, else whose id it is."""
    partner = await session.scalar(select(Partner).where(Partner.code == reference))
    if partner is None and reference.isdigit():
        partner = await session.get(Partner, int(reference))
    if partner is None:
        raise PartnerNotFoundError(f"no partner with code or id {reference!r}")
    return partner

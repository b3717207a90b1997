"""Stored connector configs: upsert by name (created / updated / unchanged), get, list, delete,
and open a row's secrets.

A config arrives split (``connectors.secrets.split_secrets``): ``public`` is JSON data with
every secret replaced by a placeholder, ``secrets`` maps JSON pointers to the secret values.
``public`` is stored as text; ``secrets`` is sealed as one JSON object into ``secrets_ct``
(``store.encrypted.CONNECTOR_SECRETS``, data key ``connector:<id>``, AAD bound to
(connectors, secrets, row id)). The row is inserted first to learn its id, then sealed in the
same transaction, so no secret reaches the database in plaintext.

``config_hash`` is HMAC-SHA256, under the named secret ``connector-hash``, of the canonical
JSON of both parts: an unchanged config is recognised without decrypting anything, and two
rows holding the same password do not show it through equal plain hashes. Load that secret
and the blind-index root (``prepare``) before opening the write transaction (SQLite has one
writer). Like every repository, nothing here commits.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Mapping, Sequence
from enum import StrEnum
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from security.field_crypto import FieldCrypto
from store.encrypted import CONNECTOR_SECRETS
from store.models.connector import ConnectorRow
from store.repositories.encrypted_fields import assign_sealed

__all__ = [
    "CONNECTOR_HASH_SECRET",
    "ConnectorRepository",
    "UpsertOutcome",
    "config_hash",
    "prepare",
]

CONNECTOR_HASH_SECRET = "connector-hash"  # noqa: S105 (the name of a stored key, not a key)


class UpsertOutcome(StrEnum):
    CREATED = "created"
    UPDATED = "updated"
    UNCHANGED = "unchanged"


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def config_hash(hash_key: bytes, public: Mapping[str, Any], secrets: Mapping[str, str]) -> str:
    """The keyed hash of a whole config (its public part and its secrets)."""
    message = _canonical({"config": public, "secrets": secrets}).encode("utf-8")
    return hmac.new(hash_key, message, hashlib.sha256).hexdigest()


async def prepare(crypto: FieldCrypto) -> bytes:
    """Load what sealing and hashing need (own transactions); returns the hash key."""
    await crypto.prepare()
    return await crypto.keys.named_secret(CONNECTOR_HASH_SECRET)


class ConnectorRepository:
    """Connector rows in one session; ``crypto`` seals and opens their secrets."""

    def __init__(self, session: AsyncSession, crypto: FieldCrypto) -> None:
        self.session = session
        self.crypto = crypto

    async def get(self, name: str) -> ConnectorRow | None:
        stmt = select(ConnectorRow).where(ConnectorRow.name == name)
        return (await self.session.scalars(stmt)).first()

    async def get_by_id(self, pk: int) -> ConnectorRow | None:
        return await self.session.get(ConnectorRow, pk)

    async def list_all(self) -> Sequence[ConnectorRow]:
        """Every connector, by name."""
        return (await self.session.scalars(select(ConnectorRow).order_by(ConnectorRow.name))).all()

    async def delete(self, name: str) -> bool:
        """Remove the connector ``name``; False if there was none."""
        result = await self.session.execute(delete(ConnectorRow).where(ConnectorRow.name == name))
        return bool(getattr(result, "rowcount", 0))

    async def upsert(
        self,
        *,
        name: str,
        kind: str,
        public: Mapping[str, Any],
        secrets: Mapping[str, str],
        hash_key: bytes,
    ) -> tuple[UpsertOutcome, ConnectorRow]:
        """Store the config ``name``; nothing is written when it is unchanged."""
        digest = config_hash(hash_key, public, secrets)
        row = await self.get(name)
        if row is not None and hmac.compare_digest(row.config_hash, digest):
            return UpsertOutcome.UNCHANGED, row
        outcome = UpsertOutcome.UPDATED
        if row is None:
            outcome = UpsertOutcome.CREATED
            row = ConnectorRow(name=name, kind=kind, config_json="{}", config_hash="")
            self.session.add(row)
            await self.session.flush()
        row.kind = kind
        row.config_json = _canonical(public)
        row.config_hash = digest
        sealed = None
        if secrets:
            values = {CONNECTOR_SECRETS: _canonical(dict(secrets))}
            sealed = (await self.crypto.seal_row(self.session, row.id, values))[CONNECTOR_SECRETS]
        assign_sealed(row, {CONNECTOR_SECRETS: sealed})
        await self.session.flush()
        return outcome, row

    @staticmethod
    def public_config(row: ConnectorRow) -> dict[str, Any]:
        """The stored config without secrets (placeholders where they were): safe to show."""
        data: dict[str, Any] = json.loads(row.config_json)
        return data

    async def open_secrets(self, row: ConnectorRow) -> dict[str, str]:
        """The row's secrets by JSON pointer; only for building its connector, never to show.

        Loads the data key in its own read session: open rows whose writes have committed.
        Raises the ``CryptoError`` that stopped opening them.
        """
        value = row.secrets
        if value.ciphertext is None:
            return {}
        opened: dict[str, str] = json.loads(await self.crypto.open(value))
        return opened

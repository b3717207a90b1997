"""The encrypted inputs of partner mutations: tax id, bank account, contact phone and e-mail.

``split`` takes them out of a mutation's values (they are never model attributes), ``problems``
checks their shape lightly, and ``Secrets.after_write`` seals them once the row has its id
(the ciphertext is bound to it) and stores ciphertext, mask and blind index. ``None`` clears a
field. Messages name the field and the rule, never the value: a plaintext must not reach a
response, a log or an exception.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from resolvers.mutations.common import Problems
from security.field_crypto import FieldCrypto
from security.fields import EncryptedColumn, SealedValue
from store.encrypted import BANK_ACCOUNT, CONTACT_EMAIL, CONTACT_PHONE, PARTNER_FIELDS, TAX_ID
from store.repositories.encrypted_fields import assign_sealed

__all__ = ["Secrets", "problems", "split"]

_SEPARATORS = re.compile(r"[\s\-./()+]")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def _shape(pattern: str, low: int, high: int) -> re.Pattern[str]:
    return re.compile(f"^{pattern}{{{low},{high}}}$")


# (the value with separators removed must match, what the rule says in a message)
RULES: dict[EncryptedColumn, tuple[re.Pattern[str], str]] = {
    TAX_ID: (_shape("[0-9A-Za-z]", 5, 32), "must be 5 to 32 letters or digits"),
    BANK_ACCOUNT: (_shape("[0-9A-Za-z]", 8, 40), "must be 8 to 40 letters or digits"),
    CONTACT_PHONE: (_shape("[0-9]", 6, 20), "must be 6 to 20 digits"),
}
MAX_EMAIL = 254


def split(values: Mapping[str, Any]) -> tuple[dict[str, Any], dict[EncryptedColumn, str | None]]:
    """``values`` without the encrypted fields, and those fields (trimmed; None clears)."""
    plain = dict(values)
    secret: dict[EncryptedColumn, str | None] = {}
    for column in PARTNER_FIELDS:
        if column.column in plain:
            value = plain.pop(column.column)
            secret[column] = value.strip() if isinstance(value, str) else None
    return plain, secret


def problems(secret: Mapping[EncryptedColumn, str | None]) -> Problems:
    """Shape problems of the given encrypted values, as (field, message): never the value."""
    found: Problems = []
    for column, value in secret.items():
        if value is None:
            continue
        if not value:
            found.append((column.graph_name, "must not be empty (use null to clear it)"))
        elif column is CONTACT_EMAIL:
            if len(value) > MAX_EMAIL or not _EMAIL.match(value):
                found.append((column.graph_name, "must be an e-mail address"))
        else:
            pattern, rule = RULES[column]
            if not pattern.match(_SEPARATORS.sub("", value)):
                found.append((column.graph_name, rule))
    return found


@dataclass(frozen=True)
class Secrets:
    """The encrypted values of one partner write, and how to store them after the row."""

    crypto: FieldCrypto | None
    values: Mapping[EncryptedColumn, str | None] = field(default_factory=dict, repr=False)

    def __repr__(self) -> str:  # never show the values
        return f"Secrets(fields={[c.graph_name for c in self.values]})"

    def problems(self) -> Problems:
        return problems(self.values)

    async def prepare(self) -> None:
        """Load what sealing needs before the write transaction starts (blind-index key)."""
        if self.values:
            if self.crypto is None:
                raise RuntimeError("encrypted partner fields given, but no FieldCrypto")
            await self.crypto.prepare()

    async def after_write(self, session: AsyncSession, row: Any) -> None:
        """Seal and store the values on ``row`` (it has its id now), in the same transaction."""
        if not self.values:
            return
        assert self.crypto is not None
        given = {c: v for c, v in self.values.items() if v is not None}
        sealed: dict[EncryptedColumn, SealedValue | None] = {
            column: None for column, value in self.values.items() if value is None
        }
        sealed.update(await self.crypto.seal_row(session, row.id, given))
        assign_sealed(row, sealed)
        await session.flush()

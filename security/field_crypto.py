"""Sealing and opening encrypted fields: cipher + data keys + masks + blind indexes.

``seal`` turns a plaintext into what a row stores (``SealedValue``: ciphertext bound to
(table, column, row id), mask, blind index) under the ACTIVE key of the row's purpose.
``open_many`` decrypts stored values in one batch (one key query, cached KEK unwraps) and
returns, per value, the plaintext or the ``CryptoError`` that stopped it, so one tampered
or shredded value never fails its neighbours.

``prepare`` loads the blind-index root key in its own transaction: call it before opening a
write transaction (a mutation's unit of work) so sealing never waits on a second writer.
Nothing here logs, and errors carry column names and key ids only.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from security.blind_index import DEFAULT_BITS, BlindIndex
from security.cipher import decode_text, encode_text, header, seal, unseal
from security.errors import CryptoError, KeyManagementError
from security.fields import EncryptedColumn, EncryptedValue, SealedValue
from security.key_service import KeyService
from security.keys import UnwrappedKey
from security.masking import mask

__all__ = ["FieldCrypto"]

BLIND_INDEX_SECRET = "blind-index"  # noqa: S105 (the name of a stored key, not a key)


class FieldCrypto:
    """Seals and opens the values of encrypted columns for one process."""

    def __init__(self, keys: KeyService, *, index_bits: int = DEFAULT_BITS) -> None:
        self.keys = keys
        self.index_bits = index_bits
        self._root: bytes | None = None
        self._indexes: dict[tuple[str, str], BlindIndex] = {}

    def __repr__(self) -> str:
        return f"FieldCrypto(index_bits={self.index_bits})"

    async def prepare(self) -> None:
        """Load the blind-index root key (its own transaction; cached afterwards)."""
        if self._root is None:
            self._root = await self.keys.named_secret(BLIND_INDEX_SECRET)

    def _blind_index(self, column: EncryptedColumn) -> BlindIndex:
        if column.normalizer is None:
            raise KeyManagementError(f"{column.table}.{column.column} has no blind index")
        found = self._indexes.get((column.table, column.column))
        if found is None:
            if self._root is None:
                raise KeyManagementError("FieldCrypto.prepare() must run before indexing")
            found = BlindIndex(
                self._root,
                table=column.table,
                column=column.column,
                normalizer=column.normalizer,
                bits=self.index_bits,
            )
            self._indexes[(column.table, column.column)] = found
        return found

    def index(self, column: EncryptedColumn, value: str) -> bytes:
        """The blind index of ``value`` in ``column`` (after ``prepare``)."""
        return self._blind_index(column).digest(value)

    async def index_of(self, column: EncryptedColumn, value: str) -> bytes:
        await self.prepare()
        return self.index(column, value)

    def seal(
        self, key: UnwrappedKey, column: EncryptedColumn, row_id: int, plaintext: str
    ) -> SealedValue:
        """What to store for ``plaintext`` in ``column`` of row ``row_id`` under ``key``."""
        return SealedValue(
            ciphertext=seal(key, encode_text(plaintext), column.context(row_id)),
            masked=mask(column.mask, plaintext),
            index=self.index(column, plaintext) if column.indexed else None,
        )

    async def seal_row(
        self, session: AsyncSession, row_id: int, values: Mapping[EncryptedColumn, str]
    ) -> dict[EncryptedColumn, SealedValue]:
        """Seal several columns of one row, each under its purpose's ACTIVE key.

        The key of a new purpose is created in ``session``'s transaction; ``prepare`` must
        have run before that transaction took its write lock.
        """
        await self.prepare()
        keys: dict[str, UnwrappedKey] = {}
        sealed: dict[EncryptedColumn, SealedValue] = {}
        for column, plaintext in values.items():
            purpose = column.purpose(row_id)
            if purpose not in keys:
                keys[purpose] = await self.keys.active_key(session, purpose)
            sealed[column] = self.seal(keys[purpose], column, row_id, plaintext)
        return sealed

    async def open_many(
        self, values: Sequence[EncryptedValue], *, for_reencryption: bool = False
    ) -> list[str | CryptoError]:
        """Each value's plaintext, or the error that stopped it (format, integrity, key)."""
        key_ids: dict[int, int] = {}
        results: list[str | CryptoError] = []
        for position, value in enumerate(values):
            if value.ciphertext is None:
                raise ValueError("open_many takes stored values only (ciphertext not None)")
            try:
                key_ids[position] = header(value.ciphertext).key_id
            except CryptoError as problem:
                results.append(problem)
                continue
            results.append("")
        loaded = await self.keys.load(key_ids.values(), for_reencryption=for_reencryption)
        for position in key_ids:
            value = values[position]
            assert value.ciphertext is not None
            purpose = value.column.purpose(value.row_id)
            try:
                plaintext = unseal(
                    value.ciphertext,
                    value.column.context(value.row_id),
                    lambda wanted, purpose=purpose: loaded.require(wanted, purpose),  # type: ignore[misc]
                )
                results[position] = decode_text(plaintext)
            except CryptoError as problem:
                results[position] = problem
        return results

    async def open(self, value: EncryptedValue) -> str:
        """One value's plaintext; raises its ``CryptoError``."""
        (result,) = await self.open_many([value])
        if isinstance(result, CryptoError):
            raise result
        return result

"""Seal and open one field value with AES-256-GCM, bound to where it is stored.

Ciphertext format (all integers big-endian)::

    offset  size  field
    0       1     version      (1)
    1       1     algorithm    (1 = AES-256-GCM)
    2       4     key id       (unsigned; the data key's id)
    6       12    nonce        (os.urandom, fresh for every value)
    18      n+16  ciphertext and GCM tag

The associated data is the 6-byte header followed by the length-prefixed (table, column,
row id), so a value moved to another row, column or table, or relabelled with another key
id, fails authentication. Anything not in this exact shape is rejected, never guessed.

This module does pure cryptography on bytes: no database, no key storage, no logging, and
its errors never carry plaintext or key material. Typed codecs (text, Decimal) sit on top.
"""

from __future__ import annotations

import os
import struct
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import NamedTuple, Protocol

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from security.errors import CiphertextFormatError, CryptoError, IntegrityError

__all__ = [
    "ALGORITHM_AES_256_GCM",
    "FORMAT_VERSION",
    "CiphertextHeader",
    "FieldContext",
    "SealingKey",
    "decode_decimal",
    "decode_text",
    "encode_decimal",
    "encode_text",
    "header",
    "length_prefixed",
    "seal",
    "unseal",
]

FORMAT_VERSION = 1
ALGORITHM_AES_256_GCM = 1
KEY_BYTES = 32
NONCE_BYTES = 12
TAG_BYTES = 16
MAX_KEY_ID = 2**32 - 1

_HEADER = struct.Struct(">BBI")
HEADER_BYTES = _HEADER.size
MIN_CIPHERTEXT_BYTES = HEADER_BYTES + NONCE_BYTES + TAG_BYTES
_LENGTH = struct.Struct(">I")


def length_prefixed(*parts: bytes) -> bytes:
    """Join byte strings unambiguously: each one preceded by its 4-byte length."""
    pieces: list[bytes] = []
    for part in parts:
        pieces += (_LENGTH.pack(len(part)), part)
    return b"".join(pieces)


@dataclass(frozen=True, slots=True)
class FieldContext:
    """Where a value lives; bound into its associated data."""

    table: str
    column: str
    row_id: str

    def associated_data(self) -> bytes:
        return length_prefixed(
            self.table.encode("utf-8"), self.column.encode("utf-8"), self.row_id.encode("utf-8")
        )


class SealingKey(Protocol):
    """An unwrapped data key: its id (goes into the header) and its 32 secret bytes."""

    @property
    def id(self) -> int: ...

    @property
    def material(self) -> bytes: ...


class CiphertextHeader(NamedTuple):
    version: int
    algorithm: int
    key_id: int


def _aead(material: bytes) -> AESGCM:
    if len(material) != KEY_BYTES:
        raise CryptoError(f"data key material must be {KEY_BYTES} bytes")
    return AESGCM(material)


def seal(key: SealingKey, plaintext: bytes, ctx: FieldContext) -> bytes:
    """Encrypt ``plaintext`` for the place ``ctx`` under ``key``; a fresh nonce every call."""
    if not 0 <= key.id <= MAX_KEY_ID:
        raise CryptoError(f"data key id {key.id} does not fit in 32 bits")
    head = _HEADER.pack(FORMAT_VERSION, ALGORITHM_AES_256_GCM, key.id)
    nonce = os.urandom(NONCE_BYTES)
    body = _aead(key.material).encrypt(nonce, plaintext, head + ctx.associated_data())
    return head + nonce + body


def header(blob: bytes) -> CiphertextHeader:
    """Read and check the header: which format, algorithm and data key sealed ``blob``."""
    return CiphertextHeader(FORMAT_VERSION, ALGORITHM_AES_256_GCM, _key_id(blob))


def _key_id(blob: bytes) -> int:
    """The key id of a ciphertext whose length, version and algorithm are acceptable."""
    if len(blob) < MIN_CIPHERTEXT_BYTES:
        raise CiphertextFormatError(
            f"ciphertext is {len(blob)} bytes, shorter than the minimum {MIN_CIPHERTEXT_BYTES}"
        )
    version, algorithm, key_id = _HEADER.unpack_from(blob)
    if version != FORMAT_VERSION:
        raise CiphertextFormatError(f"unknown ciphertext version {version}")
    if algorithm != ALGORITHM_AES_256_GCM:
        raise CiphertextFormatError(f"unknown ciphertext algorithm {algorithm}")
    return int(key_id)


def unseal(blob: bytes, ctx: FieldContext, key_lookup: Callable[[int], bytes]) -> bytes:
    """Decrypt ``blob`` sealed for ``ctx``; ``key_lookup(key_id)`` returns the data key.

    ``key_lookup`` raises ``KeyUnavailableError`` (or ``KeyDestroyedError``) itself when it
    cannot provide the key; those propagate unchanged.
    """
    aead = _aead(key_lookup(_key_id(blob)))
    nonce = blob[HEADER_BYTES : HEADER_BYTES + NONCE_BYTES]
    aad = blob[:HEADER_BYTES] + ctx.associated_data()
    try:
        return aead.decrypt(nonce, blob[HEADER_BYTES + NONCE_BYTES :], aad)
    except InvalidTag:
        raise IntegrityError(
            f"ciphertext for {ctx.table}.{ctx.column} failed authentication "
            f"(altered, or sealed for another row, column, table or key)"
        ) from None


def encode_text(value: str) -> bytes:
    return value.encode("utf-8")


def decode_text(data: bytes) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise CiphertextFormatError("decrypted value is not valid UTF-8 text") from None


def encode_decimal(value: Decimal) -> bytes:
    """The exact decimal string: sign, digits and exponent survive (``str`` round-trips)."""
    if not value.is_finite():
        raise ValueError("only finite Decimal values can be encoded")
    return str(value).encode("ascii")


def decode_decimal(data: bytes) -> Decimal:
    try:
        value = Decimal(data.decode("ascii"))
    except (UnicodeDecodeError, InvalidOperation):
        raise CiphertextFormatError("decrypted value is not a decimal") from None
    if not value.is_finite() or encode_decimal(value) != data:
        raise CiphertextFormatError("decrypted value is not a canonical finite decimal")
    return value

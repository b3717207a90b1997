"""Blind indexes: equality lookups on encrypted fields without decrypting every row.

``BlindIndex(root_key, table=..., column=..., normalizer=...)`` derives a key for that one
(table, column) with HKDF-SHA256 from the root index key (info = b"channelhub blind index"
followed by the length-prefixed table and column), and indexes a value as HMAC-SHA256 of its
normalized UTF-8 form, truncated to ``bits`` (default 32; 8 to 256 in steps of 8).

Truncation is deliberate: a short index groups many values per bucket, so a stored index
tells an attacker little, but a lookup returns false positives. Callers decrypt the rows a
lookup returns and drop those whose plaintext does not match; an index match alone never
proves equality. Nothing here stores, logs or returns the value or the derived key.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Callable

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from security.cipher import length_prefixed

__all__ = [
    "DEFAULT_BITS",
    "INFO_PREFIX",
    "BlindIndex",
    "alnum_casefold",
    "derive_index_key",
    "digits_only",
    "strip_casefold",
]

DEFAULT_BITS = 32
INFO_PREFIX = b"channelhub blind index"
MIN_ROOT_KEY_BYTES = 32
_NON_DIGITS = re.compile(r"\D", re.ASCII)
_NON_ALNUM = re.compile(r"[\W_]")

Normalizer = Callable[[str], str]


def strip_casefold(value: str) -> str:
    """For e-mail addresses and other case-insensitive identifiers."""
    return value.strip().casefold()


def digits_only(value: str) -> str:
    """For phone numbers, tax ids and account numbers: keep ASCII digits only."""
    return _NON_DIGITS.sub("", value)


def alnum_casefold(value: str) -> str:
    """For tax ids and codes with letters: keep letters and digits, ignore case and spacing."""
    return _NON_ALNUM.sub("", value).casefold()


def derive_index_key(root_key: bytes, table: str, column: str) -> bytes:
    """The 32-byte HMAC key for one (table, column), derived from the root index key."""
    if len(root_key) < MIN_ROOT_KEY_BYTES:
        raise ValueError(f"the root index key must be at least {MIN_ROOT_KEY_BYTES} bytes")
    info = INFO_PREFIX + length_prefixed(table.encode("utf-8"), column.encode("utf-8"))
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=info).derive(root_key)


class BlindIndex:
    """The blind index of one encrypted column."""

    __slots__ = ("_bytes", "_key", "bits", "column", "normalizer", "table")

    def __init__(
        self,
        root_key: bytes,
        *,
        table: str,
        column: str,
        normalizer: Normalizer,
        bits: int = DEFAULT_BITS,
    ) -> None:
        if bits % 8 or not 8 <= bits <= 256:
            raise ValueError("bits must be a multiple of 8 from 8 to 256")
        self.table = table
        self.column = column
        self.normalizer = normalizer
        self.bits = bits
        self._bytes = bits // 8
        self._key = derive_index_key(root_key, table, column)

    def __repr__(self) -> str:
        return f"BlindIndex(table={self.table!r}, column={self.column!r}, bits={self.bits})"

    def digest(self, value: str) -> bytes:
        """The truncated index of ``value`` after normalization, ``bits // 8`` bytes."""
        normalized = self.normalizer(value).encode("utf-8")
        return hmac.digest(self._key, normalized, hashlib.sha256)[: self._bytes]

    def as_int(self, value: str) -> int:
        """The same index as a non-negative big-endian integer below ``2 ** bits``.

        Up to 63 bits fits a signed BIGINT column; store wider indexes as bytes.
        """
        return int.from_bytes(self.digest(value), "big")

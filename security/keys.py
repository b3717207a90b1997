"""Data keys (DEKs): their lifecycle states, what each state allows, and an in-memory cache.

Lifecycle::

    ACTIVE ──► DECRYPT_ONLY ──► RETIRED ──► DESTROYED
      │              │                          ▲
      └──────────────┴──────────────────────────┘   (crypto-shredding)

Only an ACTIVE key encrypts. ACTIVE and DECRYPT_ONLY keys decrypt; a RETIRED key decrypts
only to re-encrypt its values under another key; a DESTROYED key never decrypts (its wrapped
bytes are dropped). Purposes name what a key protects: "default", or "partner:42" for a key
that can be destroyed to shred one partner's values.

Pure: no database, no KEK calls, no clock unless passed in. Unwrapped material lives only in
``UnwrappedKey`` and ``KeyCache`` and never appears in a repr, a log line or an error.
"""

from __future__ import annotations

import dataclasses
import os
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum

from security.cipher import KEY_BYTES, MAX_KEY_ID
from security.errors import KeyDestroyedError, KeyManagementError, KeyUnavailableError

__all__ = [
    "ALLOWED_TRANSITIONS",
    "DataKey",
    "KeyCache",
    "KeyState",
    "UnwrappedKey",
    "can_transition",
    "new_data_key_material",
    "require_decrypt",
    "require_encrypt",
    "transition",
]


class KeyState(StrEnum):
    ACTIVE = "active"
    DECRYPT_ONLY = "decrypt_only"
    RETIRED = "retired"
    DESTROYED = "destroyed"


ALLOWED_TRANSITIONS: dict[KeyState, frozenset[KeyState]] = {
    KeyState.ACTIVE: frozenset({KeyState.DECRYPT_ONLY, KeyState.DESTROYED}),
    KeyState.DECRYPT_ONLY: frozenset({KeyState.RETIRED, KeyState.DESTROYED}),
    KeyState.RETIRED: frozenset({KeyState.DESTROYED}),
    KeyState.DESTROYED: frozenset(),
}


def can_transition(current: KeyState, target: KeyState) -> bool:
    return target in ALLOWED_TRANSITIONS[current]


def new_data_key_material() -> bytes:
    """32 fresh random bytes for a new data key."""
    return os.urandom(KEY_BYTES)


@dataclass(frozen=True, slots=True)
class DataKey:
    """A data key as stored: wrapped by the KEK ``kek_id``, never its plaintext material."""

    id: int
    purpose: str
    state: KeyState
    wrapped: bytes = field(repr=False)
    kek_id: str
    created_at: datetime

    def __post_init__(self) -> None:
        if not 0 <= self.id <= MAX_KEY_ID:
            raise ValueError(f"data key id {self.id} does not fit in 32 bits")
        if not self.purpose:
            raise ValueError("a data key needs a purpose")
        if self.created_at.utcoffset() != timedelta(0):
            raise ValueError("created_at must be a timezone-aware UTC datetime")


@dataclass(frozen=True, slots=True)
class UnwrappedKey:
    """A data key's id and plaintext material, ready for ``cipher.seal``."""

    id: int
    material: bytes = field(repr=False)

    def __post_init__(self) -> None:
        if len(self.material) != KEY_BYTES:
            raise ValueError(f"data key material must be {KEY_BYTES} bytes")


def transition(key: DataKey, target: KeyState) -> DataKey:
    """The key in its new state; destroying it drops the wrapped bytes (crypto-shredding)."""
    if not can_transition(key.state, target):
        raise KeyManagementError(
            f"data key {key.id} cannot go from {key.state.value} to {target.value}"
        )
    wrapped = b"" if target is KeyState.DESTROYED else key.wrapped
    return dataclasses.replace(key, state=target, wrapped=wrapped)


def require_encrypt(key: DataKey) -> None:
    """Raise unless ``key`` may seal new values (ACTIVE only)."""
    if key.state is KeyState.DESTROYED:
        raise KeyDestroyedError(f"data key {key.id} was destroyed")
    if key.state is not KeyState.ACTIVE:
        raise KeyUnavailableError(f"data key {key.id} is {key.state.value}: it cannot encrypt")


def require_decrypt(key: DataKey, *, for_reencryption: bool = False) -> None:
    """Raise unless ``key`` may open values; RETIRED only when re-encrypting them."""
    if key.state is KeyState.DESTROYED:
        raise KeyDestroyedError(f"data key {key.id} was destroyed")
    if key.state is KeyState.RETIRED and not for_reencryption:
        raise KeyUnavailableError(
            f"data key {key.id} is retired: it decrypts only for re-encryption"
        )


class KeyCache:
    """Unwrapped data key material by key id, least recently used evicted beyond ``max_size``.

    ``require`` is the ``key_lookup`` for ``cipher.unseal``: it raises ``KeyDestroyedError``
    for ids marked destroyed and ``KeyUnavailableError`` for ids not loaded. Thread-safe.
    """

    def __init__(self, max_size: int = 1024) -> None:
        if max_size < 1:
            raise ValueError("max_size must be at least 1")
        self._max_size = max_size
        self._material: OrderedDict[int, bytes] = OrderedDict()
        self._destroyed: set[int] = set()
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"KeyCache(size={len(self)}, max_size={self._max_size})"

    def __len__(self) -> int:
        return len(self._material)

    def __contains__(self, key_id: object) -> bool:
        return key_id in self._material

    def put(self, key_id: int, material: bytes) -> None:
        if len(material) != KEY_BYTES:
            raise ValueError(f"data key material must be {KEY_BYTES} bytes")
        with self._lock:
            if key_id in self._destroyed:
                raise KeyDestroyedError(f"data key {key_id} was destroyed")
            self._material[key_id] = material
            self._material.move_to_end(key_id)
            while len(self._material) > self._max_size:
                self._material.popitem(last=False)

    def get(self, key_id: int) -> bytes | None:
        with self._lock:
            try:
                self._material.move_to_end(key_id)
            except KeyError:
                return None
            return self._material[key_id]

    def require(self, key_id: int) -> bytes:
        with self._lock:
            try:
                self._material.move_to_end(key_id)
                return self._material[key_id]
            except KeyError:
                pass
        if key_id in self._destroyed:
            raise KeyDestroyedError(f"data key {key_id} was destroyed")
        raise KeyUnavailableError(f"data key {key_id} is not loaded")

    def unwrapped(self, key_id: int) -> UnwrappedKey:
        return UnwrappedKey(key_id, self.require(key_id))

    def forget(self, key_id: int) -> None:
        with self._lock:
            self._material.pop(key_id, None)

    def mark_destroyed(self, key_id: int) -> None:
        """Forget the key and refuse it from now on in this process."""
        with self._lock:
            self._material.pop(key_id, None)
            self._destroyed.add(key_id)

    def clear(self) -> None:
        with self._lock:
            self._material.clear()

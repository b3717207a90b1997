"""API keys for services: ``chk_<prefix>_<secret>``, shown once, stored as a hash.

The prefix (12 hex characters) names the key: it is stored in clear, shown in listings and
used to find the row. The secret is 256 random bits (``secrets.token_urlsafe(32)``); only its
SHA-256 is stored. A fast hash is right here, unlike for passwords: a slow KDF protects
low-entropy secrets against guessing, but nobody can enumerate 2**256 secrets, so SHA-256
loses nothing and keeps each request cheap. Hashes are compared in constant time.

Pure: no database. ``store.repositories.api_keys`` stores and finds keys; ``security.authn``
turns a presented key into a ``Viewer``.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass

from security.errors import MalformedCredentialsError

SCHEME = "chk"
PREFIX_BYTES = 6
SECRET_BYTES = 32


@dataclass(frozen=True)
class PresentedKey:
    """An API key as sent by a client, split into its parts; ``repr`` hides the secret."""

    prefix: str
    secret: str

    def __repr__(self) -> str:
        return f"PresentedKey(prefix={self.prefix!r})"


@dataclass(frozen=True)
class NewKey:
    """A freshly made key: the full text to show once, and what is stored."""

    prefix: str
    secret_hash: str
    text: str

    def __repr__(self) -> str:
        return f"NewKey(prefix={self.prefix!r})"


def hash_secret(secret: str) -> str:
    """SHA-256 (hex) of a key's secret part; see the module docstring for why it suffices."""
    return hashlib.sha256(secret.encode()).hexdigest()


def new_key() -> NewKey:
    prefix = secrets.token_hex(PREFIX_BYTES)
    secret = secrets.token_urlsafe(SECRET_BYTES)
    return NewKey(prefix, hash_secret(secret), f"{SCHEME}_{prefix}_{secret}")


def looks_like_key(text: str) -> bool:
    return text.startswith(f"{SCHEME}_")


def parse_key(text: str) -> PresentedKey:
    """Split ``chk_<prefix>_<secret>``; ``MalformedCredentialsError`` if it is not one."""
    scheme, _, rest = text.strip().partition("_")
    prefix, _, secret = rest.partition("_")
    valid_prefix = len(prefix) == 2 * PREFIX_BYTES and all(c in "0123456789abcdef" for c in prefix)
    if scheme != SCHEME or not valid_prefix or len(secret) < 32:
        raise MalformedCredentialsError("the API key is not of the form chk_<prefix>_<secret>")
    return PresentedKey(prefix, secret)


def secret_matches(presented: PresentedKey, stored_hash: str) -> bool:
    """True when the presented secret hashes to ``stored_hash`` (constant-time comparison)."""
    return hmac.compare_digest(hash_secret(presented.secret), stored_hash)

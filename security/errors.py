"""The security layer's exceptions, one small tree.

    SecurityError
    ├── CryptoError                  a value or key could not be sealed or opened
    │   ├── CiphertextFormatError    unknown version or algorithm, truncated, malformed
    │   ├── IntegrityError           authentication tag failed: tampered, or moved to
    │   │                            another row, column or table
    │   └── KeyUnavailableError      the data key is not loaded, unknown, or its state
    │       │                        forbids the operation
    │       └── KeyDestroyedError    the data key was destroyed (crypto-shredded)
    ├── KeyManagementError           keyring file, KEK provider or key state transition
    ├── AuthenticationError          who is calling could not be established (identity work)
    └── AuthorizationError           the caller may not do this (identity work)

Messages name what failed and where (key ids, table and column names, file paths) and
never contain key material, wrapped keys, ciphertext or plaintext. Code that raises these
must not interpolate values it is protecting.
"""

from __future__ import annotations

__all__ = [
    "AuthenticationError",
    "AuthorizationError",
    "CiphertextFormatError",
    "CryptoError",
    "IntegrityError",
    "KeyDestroyedError",
    "KeyManagementError",
    "KeyUnavailableError",
    "SecurityError",
]


class SecurityError(Exception):
    """Base of every error raised by the security layer."""


class CryptoError(SecurityError):
    """A value or a data key could not be sealed or opened."""


class CiphertextFormatError(CryptoError):
    """The bytes are not a ciphertext this code understands; rejected, never guessed."""


class IntegrityError(CryptoError):
    """Authentication failed: the value was altered, or sealed for another place or key."""


class KeyUnavailableError(CryptoError):
    """The data key needed is not available, or its state forbids this operation."""


class KeyDestroyedError(KeyUnavailableError):
    """The data key was destroyed; values sealed with it are gone for good."""


class KeyManagementError(SecurityError):
    """A keyring, KEK provider or key lifecycle operation failed or was refused."""


class AuthenticationError(SecurityError):
    """The caller's identity could not be established (filled in by the identity work)."""


class AuthorizationError(SecurityError):
    """The caller is known but may not do this (filled in by the identity work)."""

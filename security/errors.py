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
    ├── AuthenticationError          who is calling could not be established (HTTP 401)
    │   ├── MalformedCredentialsError  not a JWT or API key, or an unsupported scheme
    │   ├── TokenSignatureError      wrong signature, algorithm not accepted, unknown key id
    │   ├── TokenExpiredError        ``exp`` has passed (beyond the allowed clock skew)
    │   ├── TokenNotYetValidError    ``iat``/``nbf`` lie in the future (beyond the skew)
    │   ├── TokenAudienceError       ``aud`` is not this service
    │   ├── TokenIssuerError         ``iss`` is not the configured issuer
    │   ├── TokenClaimsError         a required claim is missing or invalid, or the role unknown
    │   └── ApiKeyRefusedError       an unknown or revoked API key
    └── AuthorizationError           the caller may not do this

Messages name what failed and where (key ids, table and column names, file paths) and
never contain key material, wrapped keys, ciphertext or plaintext. Code that raises these
must not interpolate values it is protecting.
"""

from __future__ import annotations

__all__ = [
    "ApiKeyRefusedError",
    "AuthenticationError",
    "AuthorizationError",
    "CiphertextFormatError",
    "CryptoError",
    "IntegrityError",
    "KeyDestroyedError",
    "KeyManagementError",
    "KeyUnavailableError",
    "MalformedCredentialsError",
    "SecurityError",
    "TokenAudienceError",
    "TokenClaimsError",
    "TokenExpiredError",
    "TokenIssuerError",
    "TokenNotYetValidError",
    "TokenSignatureError",
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
    """The caller's identity could not be established; ``reason`` is a short audit code."""

    reason = "invalid_credentials"

    def __init__(self, message: str, *, reason: str | None = None) -> None:
        super().__init__(message)
        if reason is not None:
            self.reason = reason


class MalformedCredentialsError(AuthenticationError):
    """The credential is not a well-formed JWT or API key, or the scheme is not Bearer."""

    reason = "malformed"


class TokenSignatureError(AuthenticationError):
    """The signature does not verify, the algorithm is not accepted, or the key is unknown."""

    reason = "bad_signature"


class TokenExpiredError(AuthenticationError):
    """The token's ``exp`` lies in the past by more than the allowed clock skew."""

    reason = "expired"


class TokenNotYetValidError(AuthenticationError):
    """The token's ``iat`` or ``nbf`` lies in the future by more than the allowed skew."""

    reason = "not_yet_valid"


class TokenAudienceError(AuthenticationError):
    """The token was issued for another audience."""

    reason = "wrong_audience"


class TokenIssuerError(AuthenticationError):
    """The token was issued by another issuer."""

    reason = "wrong_issuer"


class TokenClaimsError(AuthenticationError):
    """A required claim is missing or invalid (``reason`` says which kind)."""

    reason = "missing_claim"


class ApiKeyRefusedError(AuthenticationError):
    """The API key is unknown, does not match, or was revoked."""

    reason = "unknown_api_key"


class AuthorizationError(SecurityError):
    """The caller is known but may not do this."""

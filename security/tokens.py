"""Bearer JWTs: issue (HS256, for local use) and verify (HS256, RS256 or ES256) into a ``Viewer``.

HS256 tokens are signed with ``Settings.jwt_secret`` or, when none is configured, with a
secret generated once into ``data_dir/jwt-secret`` (created 0600, never loosened later).
RS256/ES256 tokens come from an external identity provider and are verified with a PEM
public key (``jwt_public_key_file``) or a JWKS file (``jwt_jwks_file``, key chosen by
``kid``); nothing is fetched over the network. Only the configured algorithm is accepted,
so ``alg: none`` and HS/RS confusion are refused before any key is used.

Every token must carry ``exp``, ``iat``, ``iss``, ``aud``, ``sub`` and ``role``; ``iss`` and
``aud`` must be ours and the clock skew tolerated is ``jwt_leeway_seconds``. ``partner`` (an
int partner id) is required for a dealer, ``regions`` (int region ids) for a region manager.
Failures raise ``AuthenticationError`` subclasses whose messages never include the token.
"""

from __future__ import annotations

import json
import re
import secrets
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import jwt
from jwt import PyJWK, PyJWKSet

from security.errors import (
    KeyManagementError,
    MalformedCredentialsError,
    TokenAudienceError,
    TokenClaimsError,
    TokenExpiredError,
    TokenIssuerError,
    TokenNotYetValidError,
    TokenSignatureError,
)
from security.secret_files import read_or_create
from security.viewer import Role, Viewer
from settings import Settings

SECRET_FILE = "jwt-secret"  # noqa: S105 (a file name, not a secret)
_file_secrets: dict[Path, str] = {}
REQUIRED_CLAIMS = ("exp", "iat", "iss", "aud", "sub", "role")
_TTL = re.compile(r"^\s*(\d+)\s*([smhd]?)\s*$")
_TTL_UNITS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_ttl(text: str) -> int:
    """Seconds in ``"3600"``, ``"45s"``, ``"30m"``, ``"8h"`` or ``"2d"``; ValueError otherwise."""
    match = _TTL.match(text.lower())
    if match is None or int(match.group(1)) == 0:
        raise ValueError(f"not a lifetime: {text!r} (use e.g. 3600, 30m, 8h or 2d)")
    return int(match.group(1)) * _TTL_UNITS[match.group(2)]


def hs256_secret(settings: Settings) -> bytes:
    """The HS256 secret: configured, or read from (first created in) ``data_dir/jwt-secret``."""
    if settings.jwt_secret is not None:
        return settings.jwt_secret.get_secret_value().encode()
    path = (settings.data_dir / SECRET_FILE).absolute()
    if path not in _file_secrets:
        _file_secrets[path] = read_or_create(path, secrets.token_urlsafe(48), min_length=32)
    return _file_secrets[path].encode()


def issue_token(
    settings: Settings,
    *,
    subject: str,
    role: Role,
    partner_id: int | None = None,
    region_ids: tuple[int, ...] = (),
    ttl_seconds: int | None = None,
    now: datetime | None = None,
) -> str:
    """An HS256 token for ``subject`` with ``role`` (and its partner or regions)."""
    if settings.jwt_algorithm != "HS256":
        raise KeyManagementError(
            f"jwt_algorithm is {settings.jwt_algorithm}: such tokens are issued by your "
            "identity provider; channelhub signs HS256 tokens only"
        )
    issued = now or datetime.now(UTC)
    ttl = settings.token_ttl_seconds if ttl_seconds is None else ttl_seconds
    claims: dict[str, Any] = {
        "iss": settings.jwt_issuer,
        "aud": settings.jwt_audience,
        "sub": subject,
        "role": str(role),
        "iat": int(issued.timestamp()),
        "exp": int((issued + timedelta(seconds=ttl)).timestamp()),
    }
    if partner_id is not None:
        claims["partner"] = partner_id
    if region_ids:
        claims["regions"] = list(region_ids)
    viewer_from_claims(claims)  # refuse to issue what verification would refuse
    return jwt.encode(claims, hs256_secret(settings), algorithm="HS256")


# --- verification ---------------------------------------------------------------------------


_loaded: dict[tuple[Path, int], Any] = {}


def _load(path: Path, setting: str, parse: Callable[[str], Any]) -> Any:
    """``parse(text of path)``, cached until the file changes (key files are read per token)."""
    try:
        stamp = (path.resolve(), path.stat().st_mtime_ns)
        if stamp not in _loaded:
            _loaded[stamp] = parse(path.read_text())
    except OSError as error:
        raise KeyManagementError(f"{setting} {path} cannot be read: {error.strerror}") from None
    return _loaded[stamp]


def _parse_jwks(text: str) -> list[PyJWK]:
    try:
        return PyJWKSet.from_dict(json.loads(text)).keys
    except (ValueError, jwt.PyJWKError) as error:
        raise KeyManagementError(f"jwt_jwks_file is not a usable JWKS: {error}") from None


def _jwks_key(settings: Settings, path: Path, kid: object) -> Any:
    keys: list[PyJWK] = _load(path, "jwt_jwks_file", _parse_jwks)
    usable = [k for k in keys if k.algorithm_name == settings.jwt_algorithm]
    if kid is None and len(usable) == 1:
        return usable[0].key
    for key in usable:
        if kid is not None and key.key_id == kid:
            return key.key
    raise TokenSignatureError("the token's key id (kid) is not in the JWKS file")


def verification_key(settings: Settings, header: dict[str, Any]) -> Any:
    """The key that must have signed a token with ``header`` under the configured algorithm."""
    if settings.jwt_algorithm == "HS256":
        return hs256_secret(settings)
    if settings.jwt_jwks_file is not None:
        return _jwks_key(settings, settings.jwt_jwks_file, header.get("kid"))
    if settings.jwt_public_key_file is not None:
        return _load(settings.jwt_public_key_file, "jwt_public_key_file", str)
    raise KeyManagementError(
        f"jwt_algorithm {settings.jwt_algorithm} needs jwt_public_key_file or jwt_jwks_file"
    )


def _decode(settings: Settings, token: str) -> dict[str, Any]:
    try:
        header = jwt.get_unverified_header(token)
    except jwt.DecodeError:
        raise MalformedCredentialsError("the bearer token is not a well-formed JWT") from None
    algorithm = header.get("alg")
    if algorithm != settings.jwt_algorithm:
        shown = str(algorithm)[:16]  # the header is the caller's: echo only a short piece
        raise TokenSignatureError(
            f"tokens signed with {shown!r} are not accepted (expected {settings.jwt_algorithm})"
        )
    key = verification_key(settings, header)
    try:
        claims: dict[str, Any] = jwt.decode(
            token,
            key,
            algorithms=[settings.jwt_algorithm],
            audience=settings.jwt_audience,
            issuer=settings.jwt_issuer,
            leeway=settings.jwt_leeway_seconds,
            options={"require": list(REQUIRED_CLAIMS)},
        )
    except jwt.ExpiredSignatureError:
        raise TokenExpiredError("the token has expired") from None
    except jwt.ImmatureSignatureError:
        raise TokenNotYetValidError("the token is not valid yet (issued in the future)") from None
    except jwt.InvalidAudienceError:
        raise TokenAudienceError("the token is not meant for this service (audience)") from None
    except jwt.InvalidIssuerError:
        raise TokenIssuerError(
            "the token comes from an issuer this service does not trust"
        ) from None
    except jwt.MissingRequiredClaimError as error:
        raise TokenClaimsError(f"the token has no {error.claim!r} claim") from None
    except (jwt.InvalidSignatureError, jwt.InvalidAlgorithmError, jwt.InvalidKeyError):
        raise TokenSignatureError("the token's signature does not verify") from None
    except jwt.InvalidIssuedAtError:
        raise TokenClaimsError(
            "the token's 'iat' claim is not a time", reason="invalid_claim"
        ) from None
    except jwt.InvalidTokenError:
        raise MalformedCredentialsError("the bearer token is not a valid JWT") from None
    return claims


def _int(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else None


def _ids(value: object) -> tuple[int, ...] | None:
    """Positive ints from a JSON list, or None when it is not such a list."""
    if not isinstance(value, list):
        return None
    ids = tuple(i for i in (_int(v) for v in value) if i is not None)
    return ids if len(ids) == len(value) else None


def viewer_from_claims(claims: dict[str, Any]) -> Viewer:
    """The ``Viewer`` a verified token's claims describe."""
    subject = claims.get("sub")
    if not isinstance(subject, str) or not subject.strip():
        raise TokenClaimsError("the token's 'sub' claim must be a non-empty string")
    try:
        role = Role(str(claims.get("role")))
    except ValueError:
        raise TokenClaimsError("the token's role is unknown", reason="unknown_role") from None
    if role is Role.SERVICE:
        raise TokenClaimsError(
            "the service role is given by API keys, not tokens", reason="unknown_role"
        )
    partner = claims.get("partner")
    partner_id = None if partner is None else _int(partner)
    if partner is not None and partner_id is None:
        raise TokenClaimsError("the 'partner' claim must be a partner id", reason="invalid_claim")
    region_ids = _ids(claims.get("regions", []))
    if region_ids is None:
        raise TokenClaimsError("the 'regions' claim must list region ids", reason="invalid_claim")
    if role is Role.DEALER and partner_id is None:
        raise TokenClaimsError("a dealer token needs a 'partner' claim")
    if role is Role.REGION_MANAGER and not region_ids:
        raise TokenClaimsError("a region_manager token needs a 'regions' claim")
    return Viewer(subject=subject, role=role, partner_id=partner_id, region_ids=region_ids)


def verify_token(settings: Settings, token: str) -> Viewer:
    """The viewer a bearer token stands for; an ``AuthenticationError`` if it is not valid."""
    return viewer_from_claims(_decode(settings, token))

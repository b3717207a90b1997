"""Who is calling: the credential in a request's headers, verified into a ``Viewer``.

A request presents at most one credential: ``Authorization: Bearer <jwt>``,
``Authorization: Bearer chk_…`` (an API key) or ``X-API-Key: chk_…``. No credential means an
anonymous caller (``None``), who sees no channel data. A credential that does not verify
raises an ``AuthenticationError`` subclass — never silently anonymous — and ``identify``
writes every such refusal to the audit trail first (action ``auth.failed``), with the reason
and the kind of credential, never the credential itself.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from security.api_keys import looks_like_key, parse_key, secret_matches
from security.audit import AuditLog
from security.audit_events import auth_failed_event, record
from security.errors import ApiKeyRefusedError, AuthenticationError, MalformedCredentialsError
from security.tokens import verify_token
from security.viewer import Permission, Role, Viewer
from settings import Settings
from store.repositories.api_keys import ApiKeyRepository, grants_of, region_ids_of

Sessions = async_sessionmaker[AsyncSession]
_PERMISSIONS = {p.value: p for p in Permission}


@dataclass(frozen=True)
class Credential:
    """What a request presented: ``kind`` is "jwt" or "api_key"; ``repr`` hides the value."""

    kind: str
    value: str = field(repr=False)


def read_credential(headers: Mapping[str, str]) -> Credential | None:
    """The one credential in ``headers`` (lower-case names, as Starlette gives them)."""
    authorization = headers.get("authorization")
    api_key = headers.get("x-api-key")
    if authorization is not None and api_key is not None:
        raise MalformedCredentialsError("send one credential: Authorization or X-API-Key")
    if api_key is not None:
        return Credential("api_key", api_key.strip())
    if authorization is None:
        return None
    scheme, _, value = authorization.strip().partition(" ")
    value = value.strip()
    if scheme.lower() != "bearer" or not value:
        raise MalformedCredentialsError("use Authorization: Bearer <token or API key>")
    return Credential("api_key" if looks_like_key(value) else "jwt", value)


async def _api_key_viewer(text: str, sessions: Sessions, now: datetime) -> Viewer:
    presented = parse_key(text)
    async with sessions.begin() as session:
        repo = ApiKeyRepository(session)
        key = await repo.by_prefix(presented.prefix)
        if key is None or not secret_matches(presented, key.secret_hash):
            raise ApiKeyRefusedError("the API key is not known")
        if key.revoked_at is not None:
            raise ApiKeyRefusedError("the API key was revoked", reason="revoked_api_key")
        await repo.touch(key, now)
        grants = frozenset(_PERMISSIONS[g] for g in grants_of(key) if g in _PERMISSIONS)
        return Viewer(
            subject=f"api_key:{key.prefix}",
            role=Role.SERVICE,
            partner_id=key.partner_id,
            region_ids=region_ids_of(key),
            grants=grants,
            api_key_id=key.id,
        )


async def verify_credential(
    credential: Credential, settings: Settings, sessions: Sessions, now: datetime | None = None
) -> Viewer:
    if credential.kind == "api_key":
        return await _api_key_viewer(credential.value, sessions, now or datetime.now(UTC))
    return verify_token(settings, credential.value)


async def authenticate(
    headers: Mapping[str, str], settings: Settings, sessions: Sessions
) -> Viewer | None:
    """The caller's ``Viewer``, None without credentials; ``AuthenticationError`` if invalid."""
    credential = read_credential(headers)
    return None if credential is None else await verify_credential(credential, settings, sessions)


async def identify(
    headers: Mapping[str, str], settings: Settings, sessions: Sessions, audit: AuditLog | None
) -> Viewer | None:
    """``authenticate``, auditing every refusal before re-raising it."""
    credential: Credential | None = None
    try:
        credential = read_credential(headers)
        if credential is None:
            return None
        return await verify_credential(credential, settings, sessions)
    except AuthenticationError as error:
        api_key_prefix = None
        if credential is not None and credential.kind == "api_key":
            with contextlib.suppress(MalformedCredentialsError):
                api_key_prefix = parse_key(credential.value).prefix
        kind = credential.kind if credential is not None else "header"
        await record(audit, auth_failed_event(error, kind, api_key_prefix))
        raise

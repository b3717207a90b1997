"""Create and revoke API keys for services; both need ``api_keys:manage`` and are audited.

A key may grant only permissions its creator holds (a brand admin cannot mint a key that
reads the audit log), and its partner and regions are resolved through the creator's scope.
The secret is returned once, in ``CreatedApiKey.text``; only its hash is stored, and neither
the secret nor the full key is ever logged or audited.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from resolvers.mutations.common import Caller, Ref, RefRule, check_texts, load, ref_problems, refuse
from resolvers.mutations.errors import Forbidden, InvalidInput, NotFound
from security.api_keys import new_key
from security.audit import AuditEvent, AuditLog
from security.viewer import Permission
from store.base import utcnow
from store.models import ApiKey
from store.repositories.api_keys import ApiKeyRepository, NewApiKey
from store.repositories.partners import PartnerRepository
from store.repositories.regions import RegionRepository

Sessions = async_sessionmaker[AsyncSession]


@dataclass(frozen=True)
class ApiKeyRequest:
    name: str
    grants: Sequence[Permission]
    partner: Ref | None = None
    regions: Sequence[Ref] = ()


@dataclass(frozen=True)
class CreatedApiKey:
    """The stored key and, this once, its full text; ``repr`` hides the text."""

    key: ApiKey
    text: str = field(repr=False)


def _event(caller: Caller, action: str, key: ApiKey, **detail: object) -> AuditEvent:
    viewer = caller.viewer
    return AuditEvent(
        actor=caller.subject,
        role=str(viewer.role) if viewer is not None else "none",
        action=action,
        outcome="allowed",
        table="api_keys",
        row_id=str(key.id),
        detail={"name": key.name, "prefix": key.prefix, **detail},
    )


def _check(caller: Caller, request: ApiKeyRequest) -> dict[str, str]:
    values = {"name": request.name}
    refs = {"partner": request.partner} | {f"regions.{i}": r for i, r in enumerate(request.regions)}
    problems = ref_problems(refs) + check_texts(ApiKey, values, ("name",))
    if not request.grants:
        problems.append(("grants", "a key needs at least one permission"))
    refuse(problems)
    beyond = sorted(set(request.grants) - (caller.viewer.permissions if caller.viewer else set()))
    if beyond:
        raise Forbidden(f"you may not grant {', '.join(beyond)}: you do not hold it", beyond[0])
    return values


async def create_api_key(
    sessions: Sessions, caller: Caller, audit: AuditLog, request: ApiKeyRequest
) -> CreatedApiKey:
    caller.require(Permission.API_KEYS_MANAGE, "create API keys")
    values = _check(caller, request)
    made = new_key()
    await audit.audit_key()  # may create the key: never inside our write transaction (SQLite)
    async with sessions.begin() as session:
        partner_id = None
        if request.partner is not None:
            rule = RefRule(PartnerRepository, "partner")
            partner_id = (await load(session, caller.scope, rule, request.partner, "partner")).id
        region_rule = RefRule(RegionRepository, "region")
        region_ids = [
            (await load(session, caller.scope, region_rule, ref, f"regions.{i}")).id
            for i, ref in enumerate(request.regions)
        ]
        new = NewApiKey(
            name=values["name"],
            prefix=made.prefix,
            secret_hash=made.secret_hash,
            grants=[str(g) for g in request.grants],
            partner_id=partner_id,
            region_ids=region_ids,
            created_by=caller.subject,
        )
        key = await ApiKeyRepository(session).insert(new, utcnow())
        grants = sorted(str(g) for g in set(request.grants))
        event = _event(caller, "api_key.created", key, grants=grants, partner=partner_id)
        await audit.record(event, session=session)
    return CreatedApiKey(key, made.text)


async def revoke_api_key(sessions: Sessions, caller: Caller, audit: AuditLog, ref: Ref) -> ApiKey:
    """Revoke the key (a key already revoked keeps its first revocation time)."""
    caller.require(Permission.API_KEYS_MANAGE, "revoke API keys")
    if ref.problem is not None:
        raise InvalidInput.one("id", ref.problem)
    await audit.audit_key()  # may create the key: never inside our write transaction (SQLite)
    async with sessions.begin() as session:
        key = await ApiKeyRepository(session).revoke(ref.pk, utcnow())
        if key is None:
            raise NotFound("id", ref.given, "API key")
        await audit.record(_event(caller, "api_key.revoked", key), session=session)
        return key

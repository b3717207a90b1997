"""Create and update partners; a change of status or tier is also written to the timeline.

Needs ``channel:write``; the partner (and its new parent and region) must lie in the caller's
scope before and after the change, so a region manager works inside its regions only.
Tax id, bank account, contact phone and e-mail arrive in plaintext and are stored sealed
(``partner_secrets``): ciphertext, mask and blind index, written once the row has its id.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from domain.enums import CooperationEventKind
from jobs.approvals import governed
from resolvers.mutations import partner_secrets
from resolvers.mutations.common import Caller, Ref, RefRule
from resolvers.mutations.entities import EntitySpec, create_entity, update_entity
from resolvers.mutations.errors import InvalidInput
from resolvers.mutations.scope_audit import changed, prepare, record_scope_change
from security.audit import AuditLog
from security.field_crypto import FieldCrypto
from security.viewer import Permission
from store.base import utcnow
from store.models import Partner
from store.repositories.partner_writes import PartnerWrites
from store.repositories.partners import PartnerRepository
from store.repositories.regions import RegionRepository, TierRepository

PARTNER = RefRule(PartnerRepository, "partner")


async def _check(
    session: AsyncSession, partner: Partner | None, values: dict[str, Any], rows: dict[str, Any]
) -> None:
    """Refuse parent cycles; on update, note status and tier changes in the timeline."""
    if partner is None:
        return
    writes = PartnerWrites(session)
    parent_id = values.get("parent_id")
    if parent_id is not None and await writes.chain_reaches(parent_id, partner.id):
        raise InvalidInput.one(
            "parent", "a partner cannot be placed under itself or one of its sub-partners"
        )
    now = utcnow()
    status = values.get("status")
    if status is not None and status != partner.status:
        text = f"status {partner.status} → {status}"
        await writes.record_event(partner.id, CooperationEventKind.STATUS_CHANGED, text, now)
    if "tier_id" in values and values["tier_id"] != partner.tier_id:
        tier = rows.get("tier_id")
        text = f"tier changed to {tier.name}" if tier is not None else "tier removed"
        await writes.record_event(partner.id, CooperationEventKind.TIER_CHANGED, text, now)


async def _refuse_governed_credit_limit(
    session: AsyncSession, partner: Partner, resolved: dict[str, Any]
) -> None:
    """A credit-limit change an approval rule governs goes through its approval flow only."""
    limit = resolved.get("credit_limit")
    if limit is None or limit == partner.credit_limit:
        return
    if await governed(
        session, document_type="credit_limit_change", amount=limit, partner_id=partner.id
    ):
        raise InvalidInput.one(
            "creditLimit",
            "an approval rule governs credit-limit changes: use requestCreditLimitChange",
        )


SPEC = EntitySpec(
    model=Partner,
    target=PARTNER,
    permission=Permission.CHANNEL_WRITE,
    required=("code", "name"),
    amounts=("credit_limit",),
    refs={
        "parent_id": PARTNER,
        "region_id": RefRule(RegionRepository, "region"),
        "tier_id": RefRule(TierRepository, "tier"),
    },
    unique=("code",),
    check=_check,
)


async def create_partner(
    sessions: async_sessionmaker[AsyncSession],
    caller: Caller,
    values: Mapping[str, Any],
    crypto: FieldCrypto | None = None,
) -> Partner:
    """``values`` may hold the encrypted fields (``tax_id``…) in plaintext: they are sealed."""
    values, secret = partner_secrets.split(values)
    extra = partner_secrets.Secrets(crypto, secret)
    return await create_entity(sessions, caller, SPEC, values, extra)


async def update_partner(
    sessions: async_sessionmaker[AsyncSession],
    caller: Caller,
    ref: Ref,
    values: Mapping[str, Any],
    crypto: FieldCrypto | None = None,
    audit: AuditLog | None = None,
) -> Partner:
    """A new parent or region (which changes who sees the partner) is audited as well."""
    values, secret = partner_secrets.split(values)
    extra = partner_secrets.Secrets(crypto, secret)
    await prepare(audit)

    async def check(
        session: AsyncSession,
        partner: Partner | None,
        resolved: dict[str, Any],
        rows: dict[str, Any],
    ) -> None:
        await _check(session, partner, resolved, rows)
        if partner is not None:
            await _refuse_governed_credit_limit(session, partner, resolved)
            moved = changed(partner, resolved, ("parent_id", "region_id"))
            await record_scope_change(audit, session, caller, "partners", partner.id, moved)

    spec = replace(SPEC, check=check)
    return await update_entity(sessions, caller, spec, ref, values, extra)

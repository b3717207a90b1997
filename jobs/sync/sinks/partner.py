"""Partners from a stream: matched by code; encrypted fields sealed; scope changes audited.

Tax id, bank account, contact phone and e-mail arrive in plaintext and are sealed under the
partner's own data key once the row has its id (the ciphertext is bound to it), exactly as
the graph's mutations store them. A change of parent or region moves the partner between
viewers' scopes: it is written to the audit trail (``scope.changed``, actor
``sync:<connector>``) in the same transaction. A parent that would make a cycle rejects the
record.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import select

from domain.enums import PartnerStatus, PartnerType
from jobs.sync.fields import Field
from jobs.sync.references import chunks, one_of
from jobs.sync.sinks.base import Plan, Sink, SinkContext, bulk_update
from security.audit import AuditEvent
from security.fields import EncryptedColumn
from store.encrypted import PARTNER_FIELDS
from store.models import Partner
from store.repositories.encrypted_fields import sealed_columns
from store.repositories.partner_writes import PartnerWrites

SECRET_FIELDS: dict[str, EncryptedColumn] = {column.column: column for column in PARTNER_FIELDS}
SCOPE_FIELDS = ("parent_id", "region_id")


class PartnerSink(Sink):
    entity = "partner"
    label = "partner"
    model = Partner
    fields = {
        "code": Field("str", nullable=False, max_length=64, nonempty=True),
        "name": Field("str", nullable=False, max_length=200, nonempty=True),
        "type": Field("enum", nullable=False, enum=PartnerType),
        "status": Field("enum", nullable=False, enum=PartnerStatus),
        "parent_id": Field("id", ref="partner"),
        "region_id": Field("id", ref="region"),
        "tier_id": Field("id", ref="tier"),
        "joined_on": Field("date"),
        "next_review_on": Field("date"),
        "credit_limit": Field("money", nullable=False),
        "credit_rating": Field("str", max_length=8),
        **{name: Field("str", max_length=1000) for name in SECRET_FIELDS},
    }
    required = ("code", "name", "type")
    natural_key = "code"
    insert_key = ("code",)
    unique = ("code",)

    async def check(self, ctx: SinkContext, plans: Sequence[Plan]) -> None:
        moving = [p for p in plans if not p.is_new and any(f in p.values for f in SCOPE_FIELDS)]
        current = await _scope_of(ctx, [p.row_id for p in moving if p.row_id is not None])
        writes = PartnerWrites(ctx.session)
        for plan in moving:
            assert plan.row_id is not None
            before = current.get(plan.row_id, {})
            changes = {
                name: (before.get(name), plan.values[name])
                for name in SCOPE_FIELDS
                if name in plan.values and plan.values[name] != before.get(name)
            }
            parent = plan.values.get("parent_id")
            if (
                "parent_id" in changes
                and parent is not None
                and await writes.chain_reaches(parent, plan.row_id)
            ):
                plan.reject("parent_id: the parent would be the partner itself or under it")
                continue
            plan.extra["scope_changes"] = changes

    async def write(self, ctx: SinkContext, inserts: list[Plan], updates: list[Plan]) -> None:
        secrets = {id(p): _pop_secrets(p) for p in [*inserts, *updates]}
        await super().write(ctx, inserts, updates)
        sealed_rows: list[dict[str, Any]] = []
        for plan in [*inserts, *updates]:
            given = secrets[id(plan)]
            if given:
                assert plan.row_id is not None
                sealed_rows.append({"id": plan.row_id, **await _seal(ctx, plan.row_id, given)})
        await bulk_update(ctx.session, Partner, sealed_rows)
        for plan in updates:
            changes = plan.extra.get("scope_changes")
            if changes and ctx.audit is not None:
                await ctx.audit.record(_scope_event(ctx, plan, changes), session=ctx.session)


def _pop_secrets(plan: Plan) -> dict[EncryptedColumn, str | None]:
    given: dict[EncryptedColumn, str | None] = {}
    for name, column in SECRET_FIELDS.items():
        if name in plan.values:
            value = plan.values.pop(name)
            given[column] = (value.strip() or None) if isinstance(value, str) else None
    return given


async def _seal(
    ctx: SinkContext, row_id: int, given: dict[EncryptedColumn, str | None]
) -> dict[str, Any]:
    present = {column: value for column, value in given.items() if value is not None}
    sealed = await ctx.crypto.seal_row(ctx.session, row_id, present) if present else {}
    stored: dict[str, Any] = {}
    for column in given:
        stored.update(sealed_columns(column, sealed.get(column)))
    return stored


async def _scope_of(ctx: SinkContext, row_ids: list[int]) -> dict[int, dict[str, Any]]:
    found: dict[int, dict[str, Any]] = {}
    for chunk in chunks(row_ids):
        rows = await ctx.session.execute(
            select(Partner.id, Partner.parent_id, Partner.region_id).where(
                one_of(ctx.session, Partner.id, chunk)
            )
        )
        for row_id, parent_id, region_id in rows:
            found[int(row_id)] = {"parent_id": parent_id, "region_id": region_id}
    return found


def _scope_event(ctx: SinkContext, plan: Plan, changes: dict[str, Any]) -> AuditEvent:
    return AuditEvent(
        actor=ctx.actor,
        role="service",
        action="scope.changed",
        outcome="allowed",
        table="partners",
        row_id=str(plan.row_id),
        detail={name: {"from": old, "to": new} for name, (old, new) in changes.items()},
    )

"""The security auditor's graph: the audit trail, the encryption report and data-key usage.

Every field here needs a viewer with ``audit:read`` (``UNAUTHENTICATED`` without a viewer,
``FORBIDDEN`` without the permission), and the repositories check the permission again.
Nothing here exposes key material, wrapped keys, plaintext or the audit key: entries carry
keyed row hashes, reports carry counts, and keys carry id, purpose, state and dates.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import strawberry
from strawberry.permission import BasePermission
from strawberry.scalars import JSON

from resolvers.connections import window
from schema.connection import Connection, page_parts
from schema.context import Info
from schema.permissions import IsAuthenticated
from security.keys import KeyState
from security.viewer import Permission
from store import models
from store.encrypted import ENCRYPTED_COLUMNS
from store.pagination import Page
from store.repositories.audit import AuditFilter, AuditRepository
from store.repositories.key_report import KeyReportRepository

strawberry.enum(KeyState, description="A data key's lifecycle state.")


class CanReadAudit(BasePermission):
    message = "your role may not read the audit trail"
    error_extensions = {"code": "FORBIDDEN"}

    def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
        viewer = info.context.viewer
        return viewer is not None and viewer.can(Permission.AUDIT_READ)


AUDIT_READERS: list[type[BasePermission]] = [IsAuthenticated, CanReadAudit]


@strawberry.type(description="One audited event; `position` is its place in the hash chain.")
class AuditEntry:
    at: datetime
    actor: str
    role: str
    action: str
    outcome: str
    reason: str | None
    key_id: int | None
    row_hash: str | None = strawberry.field(
        description="Keyed hash of the row id (the id itself is never stored)."
    )
    prev_hash: str
    entry_hash: str

    @strawberry.field
    def position(self, root: strawberry.Parent[models.AuditEntry]) -> int:
        return root.id

    @strawberry.field
    def table(self, root: strawberry.Parent[models.AuditEntry]) -> str | None:
        return root.table_name

    @strawberry.field
    def column(self, root: strawberry.Parent[models.AuditEntry]) -> str | None:
        return root.column_name

    @strawberry.field(description="Non-sensitive context of the event.")
    def detail(self, root: strawberry.Parent[models.AuditEntry]) -> JSON:
        return json.loads(root.detail or "{}")  # type: ignore[no-any-return]


@strawberry.type
class AuditEntryConnection(Connection[AuditEntry]):
    pass


@strawberry.input(description="Exact matches, and a time range `from <= at < to`.")
class AuditLogFilter:
    actor: str | None = None
    action: str | None = None
    table: str | None = None
    column: str | None = None
    outcome: str | None = None
    from_: datetime | None = strawberry.field(default=None, name="from")
    to: datetime | None = None

    def to_store(self) -> AuditFilter:
        return AuditFilter(
            actor=self.actor,
            action=self.action,
            table=self.table,
            column=self.column,
            outcome=self.outcome,
            since=self.from_,
            until=self.to,
        )


@strawberry.type(description="How many of a column's values one data key sealed.")
class KeyRows:
    key_id: int
    rows: int


@strawberry.type(description="What one encrypted column holds, counted without decrypting.")
class EncryptedColumnReport:
    table: str
    column: str
    field: str = strawberry.field(description="The field's name in the graph.")
    rows: int = strawberry.field(description="Rows holding a value.")
    plaintext_rows: int = strawberry.field(
        description="Values that are not ciphertext in our format. Must be 0."
    )
    keys: list[KeyRows] = strawberry.field(description="Rows per data key, by key id.")


@strawberry.type(description="A data key and how many stored values it sealed.")
class DataKeyUsage:
    key_id: int
    purpose: str = strawberry.field(
        description='What the key protects: "partner:<id>", "default", "audit"...'
    )
    state: KeyState
    created_at: datetime
    state_changed_at: datetime
    rows: int = strawberry.field(description="Values in encrypted columns sealed by this key.")


@strawberry.type
class DataKeyUsageConnection(Connection[DataKeyUsage]):
    pass


@strawberry.type
class SecurityQuery:
    @strawberry.field(
        description="The audit trail, newest first.", permission_classes=AUDIT_READERS
    )
    async def audit_log(
        self,
        info: Info,
        filter: AuditLogFilter | None = None,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> AuditEntryConnection:
        ctx = info.context
        win = window(ctx.settings, first, after, last, before)
        wanted = filter.to_store() if filter else None
        async with ctx.sessions() as session:
            page = await AuditRepository(session, ctx.viewer).page(wanted, win)

        async def count() -> int:
            async with ctx.sessions() as session:
                return await AuditRepository(session, ctx.viewer).count(wanted)

        return AuditEntryConnection(**page_parts(page), count=count)

    @strawberry.field(
        description="Every encrypted column: rows, rows per data key, plaintext rows.",
        permission_classes=AUDIT_READERS,
    )
    async def encryption_report(self, info: Info) -> list[EncryptedColumnReport]:
        ctx = info.context
        async with ctx.sessions() as session:
            repository = KeyReportRepository(session, ctx.viewer)
            usages = [(c, await repository.usage(c)) for c in ENCRYPTED_COLUMNS]
        return [
            EncryptedColumnReport(
                table=column.table,
                column=column.column,
                field=column.graph_name,
                rows=sum(usage.by_key.values()) + usage.not_ciphertext,
                plaintext_rows=usage.not_ciphertext,
                keys=[KeyRows(key_id=k, rows=n) for k, n in sorted(usage.by_key.items())],
            )
            for column, usage in usages
        ]

    @strawberry.field(
        description="Data keys, oldest first, with the rows each one sealed.",
        permission_classes=AUDIT_READERS,
    )
    async def key_usage(
        self,
        info: Info,
        state: KeyState | None = None,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> DataKeyUsageConnection:
        ctx = info.context
        win = window(ctx.settings, first, after, last, before)
        async with ctx.sessions() as session:
            repository = KeyReportRepository(session, ctx.viewer)
            page = await repository.keys(win, state)
            used = await repository.rows_using(ENCRYPTED_COLUMNS, (k.id for k in page.rows))
        usages = [
            DataKeyUsage(
                key_id=k.id,
                purpose=k.purpose,
                state=k.state,
                created_at=k.created_at,
                state_changed_at=k.state_changed_at,
                rows=used[k.id],
            )
            for k in page.rows
        ]
        shown = Page(usages, page.cursors, page.has_next_page, page.has_previous_page)

        async def count() -> int:
            async with ctx.sessions() as session:
                return await KeyReportRepository(session, ctx.viewer).count_keys(state)

        return DataKeyUsageConnection(**page_parts(shown), count=count)

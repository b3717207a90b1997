"""Audit entries for changes that move rows between viewers' scopes.

Moving a partner under another parent or into another region, or moving a region under
another parent, changes which dealers and regional managers see it. Such a change is
written to the audit trail (``scope.changed``) in the same transaction as the change, so
one is never committed without the other. Only ids go into the entry, never names.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from resolvers.mutations.common import Caller
from security.audit import AuditEvent, AuditLog

Changes = dict[str, tuple[Any, Any]]


def changed(row: object, values: dict[str, Any], fields: tuple[str, ...]) -> Changes:
    """The fields among ``fields`` whose new value differs from the row's."""
    return {
        f: (getattr(row, f), values[f])
        for f in fields
        if f in values and values[f] != getattr(row, f)
    }


async def prepare(audit: AuditLog | None) -> None:
    """Fetch the audit key before a write transaction opens (it may be created on first use)."""
    if audit is not None:
        await audit.audit_key()


async def record_scope_change(
    audit: AuditLog | None,
    session: AsyncSession,
    caller: Caller,
    table: str,
    row_id: int,
    changes: Changes,
) -> None:
    if audit is None or not changes:
        return
    viewer = caller.viewer
    event = AuditEvent(
        actor=caller.subject,
        role=str(viewer.role) if viewer is not None else "none",
        action="scope.changed",
        outcome="allowed",
        table=table,
        row_id=str(row_id),
        detail={field: {"from": old, "to": new} for field, (old, new) in changes.items()},
    )
    await audit.record(event, session=session)

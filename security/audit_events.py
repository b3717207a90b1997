"""The audit entries of security refusals, and a way to write them that never hides one.

``auth.failed``: a credential did not verify (who is unknown, so the actor is "anonymous");
the detail names the reason code and the kind of credential, never the credential itself.
``authz.denied``: a known caller was refused (a missing permission, or a reference to a row
outside its scope); the row id, if any, is stored as a keyed hash by the audit log.
"""

from __future__ import annotations

import logging
from typing import Any

from security.audit import AuditEvent, AuditLog
from security.errors import AuthenticationError
from security.viewer import Viewer

log = logging.getLogger(__name__)

ANONYMOUS = "anonymous"
DENIED = "denied"


def auth_failed_event(
    error: AuthenticationError, credential_kind: str, api_key_prefix: str | None = None
) -> AuditEvent:
    detail: dict[str, Any] = {"reason": error.reason, "credential": credential_kind}
    if api_key_prefix is not None:
        detail["api_key_prefix"] = api_key_prefix
    return AuditEvent(
        actor=ANONYMOUS,
        role="none",
        action="auth.failed",
        outcome=DENIED,
        reason=str(error),
        detail=detail,
    )


def authz_denied_event(
    viewer: Viewer | None,
    reason: str,
    detail: dict[str, Any],
    table: str | None = None,
    row_id: int | None = None,
) -> AuditEvent:
    return AuditEvent(
        actor=viewer.subject if viewer is not None else ANONYMOUS,
        role=str(viewer.role) if viewer is not None else "none",
        action="authz.denied",
        outcome=DENIED,
        table=table,
        row_id=None if row_id is None else str(row_id),
        reason=reason,
        detail=detail,
    )


async def record(audit: AuditLog | None, event: AuditEvent) -> None:
    """Append ``event``; a failure to audit is logged and does not turn a refusal into a 500."""
    if audit is None:
        return
    try:
        await audit.record(event)
    except Exception:
        log.exception("could not write the audit entry for %s", event.action)

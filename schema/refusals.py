"""Operations refused before they run — over a limit, or not on the persisted allow-list.

A refusal is a ``GraphQLError`` without a path whose ``extensions`` carry a ``code`` and the
``limit`` and ``value`` that failed, so the HTTP layer answers it as a request error (no
``data``; 400 under ``application/graphql-response+json``). Each security-relevant refusal is
written to the audit trail as ``query.refused`` / ``denied`` with ``{rule, limit, value}``
(never the query text), through ``security.audit_events.record``: an audit trail that cannot
be written is logged and the operation stays refused.
"""

from __future__ import annotations

import logging
from typing import Any

from graphql import GraphQLError, Node

from security.audit import AuditEvent
from security.audit_events import ANONYMOUS, DENIED, record

log = logging.getLogger(__name__)

# code → the setting (or feature) whose rule refused the operation
AUDITED_CODES: dict[str, str] = {
    "QUERY_TOO_DEEP": "max_query_depth",
    "TOO_MANY_TOKENS": "max_query_tokens",
    "TOO_MANY_ALIASES": "max_aliases",
    "QUERY_TOO_COSTLY": "max_query_cost",
    "INTROSPECTION_DISABLED": "introspection",
    "PERSISTED_QUERY_NOT_ALLOWED": "persisted_queries",
    "PERSISTED_QUERY_NOT_FOUND": "persisted_queries",
}


def refusal(
    code: str,
    message: str,
    *,
    limit: int | None = None,
    value: int | str | None = None,
    nodes: Node | list[Node] | None = None,
) -> GraphQLError:
    """A request error naming what was refused; ``limit``/``value`` go to its extensions."""
    extensions: dict[str, Any] = {"code": code}
    if limit is not None:
        extensions["limit"] = limit
    if value is not None:
        extensions["value"] = value
    return GraphQLError(message, nodes, extensions=extensions)


def audited_code(error: GraphQLError) -> str | None:
    code = (error.extensions or {}).get("code")
    return code if isinstance(code, str) and code in AUDITED_CODES else None


async def audit_refusal(context: Any, error: GraphQLError) -> None:
    """Record ``error`` (a refusal) on the audit trail of the request's hub, if it has one."""
    code = audited_code(error)
    if code is None:
        return
    audit = getattr(getattr(context, "hub", None), "audit", None)
    if audit is None:
        log.warning("query refused (%s) but no audit trail is configured", code)
        return
    viewer = getattr(context, "viewer", None)
    extensions = error.extensions or {}
    event = AuditEvent(
        actor=viewer.subject if viewer is not None else ANONYMOUS,
        role=str(viewer.role) if viewer is not None else "none",
        action="query.refused",
        outcome=DENIED,
        reason=code,
        detail={
            "rule": AUDITED_CODES[code],
            "limit": extensions.get("limit"),
            "value": extensions.get("value"),
        },
    )
    await record(audit, event)

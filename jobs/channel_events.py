"""Channel events (low-stock alerts, order status changes) for GraphQL subscriptions.

They travel on the hub's events transport (``jobs.events``: in-process, Redis or PostgreSQL
LISTEN/NOTIFY) beside job-run events, told apart by their ``"type"`` key — and they never
carry an ``"id"`` key, which job-run subscribers read as a run id.

A change is recorded where it happens, inside its transaction (``defer(session, event)``),
and published only after the commit (``publish_deferred(events, session)``), so a subscriber
never hears of a change that was rolled back. Every ``OrderStatusChange`` the ORM inserts
(``OrderWrites.record_change``/``insert``: mutations, approval flows) defers its event by
itself (a mapper listener); the sync sinks' bulk inserts defer theirs in ``record_steps``.
Whoever commits such a session calls ``publish_deferred`` after the commit. Publishing is
best effort: a transport that is down costs a logged warning, never the change (the rows
stay the truth).

Interface::

    STOCK_ALERT = "stock.alert"        # {"type", "alertId", "state": RAISED|RESOLVED, ...}
    ORDER_STATUS = "order.status"      # {"type", "orderId", "fromStatus", "toStatus", ...}
    defer(session: AsyncSession, event: dict[str, Any]) -> None
    defer_order_status(session, *, order_id: int, from_status: str | None, to_status: str,
                       changed_by: str, at: datetime) -> None   # every status change calls it
    take(session: AsyncSession) -> list[dict[str, Any]]
    async publish_deferred(events: EventSink | None, session: AsyncSession) -> None
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import event as orm_event
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session, object_session

from store.models import OrderStatusChange

__all__ = [
    "ORDER_STATUS",
    "STOCK_ALERT",
    "defer",
    "defer_order_status",
    "publish_deferred",
    "take",
]

log = logging.getLogger(__name__)

STOCK_ALERT = "stock.alert"
ORDER_STATUS = "order.status"
_KEY = "channel_events"


class EventSink(Protocol):
    async def publish(self, event: dict[str, Any]) -> None: ...


def defer(session: AsyncSession | Session, event: dict[str, Any]) -> None:
    """Remember ``event`` until the session's transaction commits."""
    if "id" in event or "type" not in event:
        raise ValueError("a channel event has a 'type' and no 'id' key")
    session.info.setdefault(_KEY, []).append(event)


def defer_order_status(
    session: AsyncSession | Session,
    *,
    order_id: int,
    from_status: str | None,
    to_status: str,
    changed_by: str,
    at: datetime,
) -> None:
    """Remember that an order's status changed (``orderStatusChanged`` after the commit)."""
    defer(
        session,
        {
            "type": ORDER_STATUS,
            "orderId": order_id,
            "fromStatus": None if from_status is None else str(from_status),
            "toStatus": str(to_status),
            "changedBy": changed_by,
            "changedAt": at.isoformat(),
        },
    )


def take(session: AsyncSession) -> list[dict[str, Any]]:
    """The events deferred on ``session`` (and forget them)."""
    events: list[dict[str, Any]] = session.info.pop(_KEY, [])
    return events


async def publish_deferred(events: EventSink | None, session: AsyncSession) -> None:
    """Publish what ``session`` deferred; call after its commit."""
    pending = take(session)
    if events is None:
        return
    for event in pending:
        try:
            await events.publish(event)
        except Exception as error:  # a transport failure never undoes a committed change
            log.warning("channel event not published: %s", type(error).__name__)


@orm_event.listens_for(OrderStatusChange, "after_insert")
def _status_change_inserted(_mapper: Any, _connection: Any, change: OrderStatusChange) -> None:
    session = object_session(change)
    if session is not None:
        defer_order_status(
            session,
            order_id=change.order_id,
            from_status=change.from_status,
            to_status=change.to_status,
            changed_by=change.changed_by,
            at=change.changed_at,
        )

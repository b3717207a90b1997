"""Shipments, tracking events and order timelines, scoped through their order's partner.

A viewer sees the shipments and tracking events of the orders it may see (``Order`` follows
its partner: ``Scope.via_partner``). A timeline merges an order's status changes and its
tracking events, oldest first; ties keep status changes before tracking events, then ids.

Interface::

    ShipmentRepository(session, scope): by_ids, .of_orders(order_ids) -> {order_id: [...]}
    TimelineEntry(at, kind, status, note, by, from_status, shipment_id, seq)
    async timelines(session, scope, order_ids) -> dict[int, list[TimelineEntry]]
    ShipmentWrites(session).add(...)/.change(...); add_tracking_event(session, ...)
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, select
from sqlalchemy.ext.asyncio import AsyncSession

from store.models import Order, OrderStatusChange, Shipment, TrackingEvent
from store.models.shipment import ShipmentStatus, TrackingKind
from store.pagination import INT, SortKey
from store.repositories.base import ScopedRepository
from store.scope import Scope

STATUS_CHANGE = "STATUS_CHANGE"


def _orders_visible(scope: Scope, column: Any) -> ColumnElement[bool]:
    if scope.all_partners:
        return scope.partners()
    return column.in_(  # type: ignore[no-any-return]
        select(Order.id).where(scope.via_partner(Order.partner_id))
    )


class ShipmentRepository(ScopedRepository[Shipment, None]):
    model = Shipment
    orderings = {"ID_ASC": SortKey("ID_ASC", Shipment.id, parse=INT)}

    def visible(self) -> ColumnElement[bool]:
        return _orders_visible(self.scope, Shipment.order_id)

    def matching(self, filter_: None) -> list[ColumnElement[bool]]:
        return []

    async def of_orders(self, order_ids: list[int]) -> dict[int, list[Shipment]]:
        return await self.grouped_by(Shipment.order_id, order_ids, Shipment.id)


@dataclass(frozen=True)
class TimelineEntry:
    """One dated step of an order: a status change or a tracking event."""

    at: datetime
    kind: str  # STATUS_CHANGE or a TrackingKind
    status: str
    note: str | None
    by: str
    from_status: str | None = None
    shipment_id: int | None = None
    seq: tuple[int, int] = (0, 0)


async def timelines(
    session: AsyncSession, scope: Scope, order_ids: list[int]
) -> dict[int, list[TimelineEntry]]:
    """The timelines of the visible ``order_ids``: two statements, however many orders."""
    wanted = sorted(set(order_ids))
    merged: dict[int, list[TimelineEntry]] = defaultdict(list)
    if not wanted:
        return merged
    changes = await session.scalars(
        select(OrderStatusChange).where(
            OrderStatusChange.order_id.in_(wanted),
            _orders_visible(scope, OrderStatusChange.order_id),
        )
    )
    for change in changes:
        merged[change.order_id].append(
            TimelineEntry(
                at=change.changed_at,
                kind=STATUS_CHANGE,
                status=str(change.to_status),
                note=change.note,
                by=change.changed_by,
                from_status=None if change.from_status is None else str(change.from_status),
                seq=(0, change.id),
            )
        )
    events = await session.scalars(
        select(TrackingEvent).where(
            TrackingEvent.order_id.in_(wanted), _orders_visible(scope, TrackingEvent.order_id)
        )
    )
    for event in events:
        merged[event.order_id].append(
            TimelineEntry(
                at=event.occurred_at,
                kind=str(event.kind),
                status=event.status,
                note=event.note,
                by=event.recorded_by,
                shipment_id=event.shipment_id,
                seq=(1, event.id),
            )
        )
    for entries in merged.values():
        entries.sort(key=lambda e: (e.at, e.seq))
    return merged


async def add_tracking_event(
    session: AsyncSession,
    *,
    order_id: int,
    kind: TrackingKind,
    status: str,
    note: str | None,
    occurred_at: datetime,
    recorded_by: str,
    shipment_id: int | None = None,
) -> TrackingEvent:
    event = TrackingEvent(
        order_id=order_id,
        shipment_id=shipment_id,
        kind=kind,
        status=status,
        note=note,
        occurred_at=occurred_at,
        recorded_by=recorded_by,
    )
    session.add(event)
    await session.flush()
    return event


def shipment_dates(shipment: Shipment, status: ShipmentStatus, at: datetime) -> None:
    """Stamp ``shipped_at`` when it first leaves, ``delivered_at`` when it arrives."""
    if status in (ShipmentStatus.IN_TRANSIT, ShipmentStatus.DELIVERED) and not shipment.shipped_at:
        shipment.shipped_at = at
    if status is ShipmentStatus.DELIVERED and shipment.delivered_at is None:
        shipment.delivered_at = at

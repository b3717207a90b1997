"""Order tracking services: shipments and production/logistics updates entered through the
graph, the ``orderStatusChanged`` feed, and the per-request timeline/shipment loaders.

Writes need ``tracking:write`` (brand admins, region managers, ERP admins) and an order the
caller may reach: its scope's orders, or any order for an ERP admin (who reads no channel
data but keeps logistics in step with the ERP). A shipment's creation and each change of its
status are also tracking events (kind SHIPMENT), so the order's timeline shows them.

Interface::

    async create_shipment(sessions, caller, order: Ref, values: NewShipment) -> Shipment
    async update_shipment(sessions, caller, shipment: Ref, *, status=None, eta=None,
                          eta_given=False, note=None, at=None) -> Shipment
    async record_tracking(sessions, caller, order: Ref, *, kind, status, note,
                          occurred_at=None) -> TrackingEvent
    async order_status_updates(hub, caller, order_id: int | None) -> AsyncGenerator[OrderUpdate]
    tracking_loaders(loaders) -> TrackingLoaders   # .timeline, .shipments, .shipment
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from weakref import WeakKeyDictionary

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from strawberry.dataloader import DataLoader

from jobs.channel_events import ORDER_STATUS
from resolvers.loaders import Loaders
from resolvers.mutations.common import (
    Caller,
    Ref,
    RefRule,
    check_texts,
    load,
    ref_problems,
    refuse,
    unit_of_work,
)
from resolvers.mutations.errors import Duplicate, Forbidden, InvalidInput
from security.viewer import Permission, Role
from store.base import utcnow
from store.models import Order, Shipment, TrackingEvent
from store.models.shipment import ShipmentStatus, TrackingKind
from store.repositories.orders import OrderRepository
from store.repositories.shipments import (
    ShipmentRepository,
    TimelineEntry,
    add_tracking_event,
    shipment_dates,
    timelines,
)
from store.scope import Scope

ORDER = RefRule(OrderRepository, "order")
SHIPMENT = RefRule(ShipmentRepository, "shipment")


@dataclass(frozen=True)
class NewShipment:
    carrier: str
    tracking_number: str
    status: ShipmentStatus = ShipmentStatus.PLANNED
    eta: datetime | None = None
    note: str | None = None


def utc(value: datetime | None, field: str) -> datetime | None:
    """``value`` in UTC; a time without an offset is refused (``InvalidInput`` on ``field``)."""
    if value is None:
        return None
    if value.tzinfo is None:
        raise InvalidInput.one(field, "needs a time zone offset, e.g. 2026-03-01T12:00:00Z")
    return value.astimezone(UTC)


def _write_scope(caller: Caller) -> Scope:
    """Whose orders the caller may track: an ERP admin any order, others their scope."""
    caller.require(Permission.TRACKING_WRITE, "record shipments and tracking updates")
    assert caller.viewer is not None
    return Scope.everything() if caller.viewer.role is Role.ERP_ADMIN else caller.scope


async def _taken(session: AsyncSession, carrier: str, number: str, except_id: int = 0) -> bool:
    found = await session.scalar(
        select(Shipment.id).where(
            Shipment.carrier == carrier,
            Shipment.tracking_number == number,
            Shipment.id != except_id,
        )
    )
    return found is not None


async def create_shipment(
    sessions: async_sessionmaker[AsyncSession], caller: Caller, order: Ref, new: NewShipment
) -> Shipment:
    scope = _write_scope(caller)
    values: dict[str, Any] = {"carrier": new.carrier, "tracking_number": new.tracking_number}
    refuse(
        ref_problems({"order": order})
        + check_texts(Shipment, values, required=("carrier", "tracking_number"))
    )
    eta = utc(new.eta, "eta")
    async with unit_of_work(sessions, values) as session:
        row: Order = await load(session, scope, ORDER, order, "order")
        if await _taken(session, values["carrier"], values["tracking_number"]):
            raise Duplicate("trackingNumber", values["tracking_number"])
        now = utcnow()
        shipment = Shipment(order_id=row.id, status=new.status, eta=eta, **values)
        shipment_dates(shipment, new.status, now)
        session.add(shipment)
        await session.flush()
        await add_tracking_event(
            session,
            order_id=row.id,
            shipment_id=shipment.id,
            kind=TrackingKind.SHIPMENT,
            status=str(new.status),
            note=new.note or f"{shipment.carrier} {shipment.tracking_number}",
            occurred_at=now,
            recorded_by=caller.subject,
        )
    return shipment


async def update_shipment(
    sessions: async_sessionmaker[AsyncSession],
    caller: Caller,
    shipment: Ref,
    *,
    status: ShipmentStatus | None = None,
    eta: datetime | None = None,
    eta_given: bool = False,
    note: str | None = None,
    at: datetime | None = None,
) -> Shipment:
    """Change a shipment's status and/or ETA; a status change is a tracking event."""
    scope = _write_scope(caller)
    refuse(ref_problems({"id": shipment}))
    if status is None and not eta_given:
        raise InvalidInput.one("status", "give a status or an eta to change")
    eta, at = utc(eta, "eta"), utc(at, "at")
    async with unit_of_work(sessions) as session:
        row: Shipment = await load(session, scope, SHIPMENT, shipment, "id")
        now = at or utcnow()
        if eta_given:
            row.eta = eta
        if status is not None and status != row.status:
            row.status = status
            shipment_dates(row, status, now)
            await add_tracking_event(
                session,
                order_id=row.order_id,
                shipment_id=row.id,
                kind=TrackingKind.SHIPMENT,
                status=str(status),
                note=note,
                occurred_at=now,
                recorded_by=caller.subject,
            )
        await session.flush()
    return row


async def record_tracking(
    sessions: async_sessionmaker[AsyncSession],
    caller: Caller,
    order: Ref,
    *,
    kind: TrackingKind,
    status: str,
    note: str | None,
    occurred_at: datetime | None = None,
) -> TrackingEvent:
    """A production or logistics update of an order (e.g. PRODUCTION "started")."""
    scope = _write_scope(caller)
    values: dict[str, Any] = {"status": status, "note": note}
    problems = ref_problems({"order": order}) + check_texts(
        TrackingEvent, values, required=("status",)
    )
    if kind is TrackingKind.SHIPMENT:
        problems.append(("kind", "shipment updates are recorded with updateShipment"))
    refuse(problems)
    occurred_at = utc(occurred_at, "occurredAt")
    async with unit_of_work(sessions) as session:
        row: Order = await load(session, scope, ORDER, order, "order")
        return await add_tracking_event(
            session,
            order_id=row.id,
            kind=kind,
            status=values["status"],
            note=values["note"] or None,
            occurred_at=occurred_at or utcnow(),
            recorded_by=caller.subject,
        )


@dataclass(frozen=True)
class OrderUpdate:
    """One status change of an order, as ``orderStatusChanged`` delivers it."""

    order: Order
    from_status: str | None
    to_status: str
    changed_by: str
    changed_at: datetime


async def order_status_updates(
    hub: Any, caller: Caller, order_id: int | None
) -> AsyncGenerator[OrderUpdate, None]:
    """Each status change from now on of an order the caller may see (``order_id``: only
    that one), the order read back through the caller's scope."""
    if caller.viewer is None or not caller.viewer.can(Permission.CHANNEL_READ):
        raise Forbidden("you may not follow orders", Permission.CHANNEL_READ)
    subscription: Any = hub.events.subscribe()
    try:
        await subscription.ready()
        async for event in subscription:
            pk = event.get("orderId")
            if event.get("type") != ORDER_STATUS or not isinstance(pk, int):
                continue
            if order_id is not None and pk != order_id:
                continue
            async with hub.sessions() as session:
                found = await OrderRepository(session, caller.scope).by_ids([pk])
            if pk in found:
                yield OrderUpdate(
                    order=found[pk],
                    from_status=event.get("fromStatus"),
                    to_status=str(event["toStatus"]),
                    changed_by=str(event.get("changedBy", "")),
                    changed_at=datetime.fromisoformat(str(event["changedAt"])),
                )
    finally:
        await subscription.aclose()


class TrackingLoaders:
    """Per-request loaders of order timelines and shipments (scoped, one batch per level)."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession], scope: Scope) -> None:
        async def load_timelines(ids: Sequence[int]) -> list[list[TimelineEntry]]:
            async with sessions() as session:
                found = await timelines(session, scope, list(ids))
            return [found.get(i, []) for i in ids]

        async def load_shipments(ids: Sequence[int]) -> list[list[Shipment]]:
            async with sessions() as session:
                found = await ShipmentRepository(session, scope).of_orders(list(ids))
            return [found.get(i, []) for i in ids]

        async def load_shipment(ids: Sequence[int]) -> list[Shipment | None]:
            async with sessions() as session:
                found = await ShipmentRepository(session, scope).by_ids(ids)
            return [found.get(i) for i in ids]

        self.timeline = DataLoader(load_fn=load_timelines)
        self.shipments = DataLoader(load_fn=load_shipments)
        self.shipment = DataLoader(load_fn=load_shipment)


_PER_REQUEST: WeakKeyDictionary[Loaders, TrackingLoaders] = WeakKeyDictionary()


def tracking_loaders(loaders: Loaders) -> TrackingLoaders:
    """The tracking loaders of a request's ``Loaders`` (new ones when those are replaced)."""
    found = _PER_REQUEST.get(loaders)
    if found is None:
        found = _PER_REQUEST[loaders] = TrackingLoaders(loaders.sessions, loaders.scope)
    return found

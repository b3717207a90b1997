"""Outbox rows: add them with the change they belong to, claim one by compare-and-set, record
how its delivery ended, find the ones due, and store the remote's reference as an
``ExternalRef``.

Statuses: ``PENDING`` (new) → ``SENDING`` (claimed by one relay until ``next_attempt_at``,
its lease) → ``SENT``; a transient failure → ``FAILED`` (due again at ``next_attempt_at``);
a permanent one, or attempts run out → ``DEAD``. Every state change is a compare-and-set on
(status, attempts): of two relays only one claims an entry, and a relay whose lease was taken
over cannot overwrite what the new holder records. Reads here are system reads for jobs (an
order is loaded by id after the scoped mutation checked it), never reachable from GraphQL.
Like every repository, nothing here commits.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from store.models import ExternalRef, Order, OrderLine, OutboxEntry, Partner, Product
from store.models.connector import ConnectorRow

__all__ = [
    "DEAD",
    "FAILED",
    "OPEN_STATUSES",
    "PENDING",
    "SENDING",
    "SENT",
    "OrderSnapshot",
    "OutboxRepository",
    "SnapshotLine",
]

PENDING = "PENDING"
SENDING = "SENDING"
SENT = "SENT"
FAILED = "FAILED"
DEAD = "DEAD"
OPEN_STATUSES = (PENDING, SENDING, FAILED)
"""Entries not yet delivered nor given up: the backlog."""


@dataclass(frozen=True)
class SnapshotLine:
    line_no: int
    product_id: int
    sku: str
    quantity: int
    unit_price: Decimal


@dataclass(frozen=True)
class OrderSnapshot:
    """An order as committed in this transaction, with what an outbound record needs."""

    order: Order
    partner_code: str
    lines: tuple[SnapshotLine, ...]


class OutboxRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    # -- writing entries with their change ---------------------------------------------

    async def connector_configs(self) -> list[tuple[str, str]]:
        """(name, public config JSON) of every stored connector, by name; nothing decrypted."""
        stmt = select(ConnectorRow.name, ConnectorRow.config_json).order_by(ConnectorRow.name)
        return [(str(name), str(text)) for name, text in (await self.session.execute(stmt))]

    async def order_snapshot(self, order_id: int) -> OrderSnapshot | None:
        """The order, its partner's code and its lines with their SKUs (three statements)."""
        order = await self.session.get(Order, order_id, populate_existing=True)
        if order is None:
            return None
        code = await self.session.scalar(select(Partner.code).where(Partner.id == order.partner_id))
        stmt = (
            select(OrderLine, Product.sku)
            .join(Product, Product.id == OrderLine.product_id)
            .where(OrderLine.order_id == order_id)
            .order_by(OrderLine.line_no)
        )
        lines = tuple(
            SnapshotLine(line.line_no, line.product_id, sku, line.quantity, line.unit_price)
            for line, sku in await self.session.execute(stmt)
        )
        return OrderSnapshot(order, str(code), lines)

    async def external_ids(
        self, connectors: Collection[str], wanted: Collection[tuple[str, int]]
    ) -> dict[tuple[str, str, int], str]:
        """{(connector, entity, row id): external id} for the (entity, id) pairs ``wanted``.

        A row with several external ids at one connector answers the most recently written.
        """
        if not connectors or not wanted:
            return {}
        clauses = [
            and_(ExternalRef.entity == entity, ExternalRef.entity_id == pk)
            for entity, pk in set(wanted)
        ]
        stmt = (
            select(ExternalRef)
            .where(ExternalRef.connector.in_(connectors), or_(*clauses))
            .order_by(ExternalRef.updated_at, ExternalRef.id)
        )
        return {
            (ref.connector, ref.entity, ref.entity_id): ref.external_id
            for ref in await self.session.scalars(stmt)
        }

    async def existing_keys(self, keys: Collection[str]) -> set[str]:
        if not keys:
            return set()
        stmt = select(OutboxEntry.idempotency_key).where(OutboxEntry.idempotency_key.in_(keys))
        return set(await self.session.scalars(stmt))

    async def add(self, entries: Sequence[OutboxEntry]) -> list[OutboxEntry]:
        """Insert ``entries`` (their ids set); the unique idempotency key refuses a repeat."""
        self.session.add_all(entries)
        await self.session.flush()
        return list(entries)

    # -- delivering ----------------------------------------------------------------------

    async def get(self, entry_id: int) -> OutboxEntry | None:
        return await self.session.get(OutboxEntry, entry_id, populate_existing=True)

    async def _change(
        self, entry_id: int, seen: tuple[str, int], values: dict[str, object]
    ) -> bool:
        """Set ``values`` only if the entry is still (status, attempts) ``seen``."""
        status, attempts = seen
        stmt = (
            update(OutboxEntry)
            .where(
                OutboxEntry.id == entry_id,
                OutboxEntry.status == status,
                OutboxEntry.attempts == attempts,
            )
            .values(values)
            .execution_options(synchronize_session=False)
        )
        result = await self.session.execute(stmt)
        return bool(getattr(result, "rowcount", 0))

    async def claim(self, entry: OutboxEntry, lease_until: datetime) -> bool:
        """Hold ``entry`` as last read (status, attempts) for one attempt until
        ``lease_until``; False when another relay changed it first."""
        return await self._change(
            entry.id,
            (entry.status, entry.attempts),
            {"status": SENDING, "attempts": entry.attempts + 1, "next_attempt_at": lease_until},
        )

    async def mark_sent(self, entry_id: int, attempts: int, reference: str, now: datetime) -> bool:
        """SENDING (attempt ``attempts``) → SENT with the remote's reference."""
        return await self._change(
            entry_id,
            (SENDING, attempts),
            {
                "status": SENT,
                "reference": reference,
                "sent_at": now,
                "last_error_class": None,
                "last_error": None,
            },
        )

    async def mark_failed(
        self,
        entry_id: int,
        status: str,
        attempts: int,
        *,
        to: str,
        error_class: str,
        error: str,
        next_attempt_at: datetime,
    ) -> bool:
        """(``status``, ``attempts``) → ``to`` (FAILED or DEAD) with a secret-free error."""
        return await self._change(
            entry_id,
            (status, attempts),
            {
                "status": to,
                "last_error_class": error_class[:100],
                "last_error": error,
                "next_attempt_at": next_attempt_at,
            },
        )

    async def due(self, now: datetime, limit: int) -> list[tuple[int, str]]:
        """(id, connector) of entries to deliver now: PENDING or FAILED whose time came, and
        SENDING whose lease ran out (its relay died), oldest first."""
        stmt = (
            select(OutboxEntry.id, OutboxEntry.connector)
            .where(OutboxEntry.status.in_(OPEN_STATUSES), OutboxEntry.next_attempt_at <= now)
            .order_by(OutboxEntry.next_attempt_at, OutboxEntry.id)
            .limit(limit)
        )
        return [(int(pk), str(name)) for pk, name in await self.session.execute(stmt)]

    async def backlog(self) -> dict[str, int]:
        """Entries per status (every status present, 0 when none)."""
        stmt = select(OutboxEntry.status, func.count()).group_by(OutboxEntry.status)
        counts = dict.fromkeys((PENDING, SENDING, SENT, FAILED, DEAD), 0)
        for status, count in await self.session.execute(stmt):
            counts[str(status)] = int(count)
        return counts

    async def requeue_dead(self, entry_ids: Collection[int], now: datetime) -> list[int]:
        """DEAD → PENDING with a fresh attempt budget (after fixing what killed them)."""
        if not entry_ids:
            return []
        stmt = (
            update(OutboxEntry)
            .where(OutboxEntry.id.in_(entry_ids), OutboxEntry.status == DEAD)
            .values(status=PENDING, attempts=0, next_attempt_at=now)
            .returning(OutboxEntry.id)
            .execution_options(synchronize_session=False)
        )
        return sorted(await self.session.scalars(stmt))

    async def link_reference(
        self, connector: str, entity: str, entity_id: int, external_id: str
    ) -> bool:
        """Record ``external_id`` at ``connector`` as our row's ``ExternalRef``; False when
        that external id already belongs to another row (left as it is)."""
        stmt = select(ExternalRef).where(
            ExternalRef.connector == connector,
            ExternalRef.entity == entity,
            ExternalRef.external_id == external_id,
        )
        found = (await self.session.scalars(stmt)).first()
        if found is not None:
            return found.entity_id == entity_id
        self.session.add(
            ExternalRef(
                connector=connector, entity=entity, entity_id=entity_id, external_id=external_id
            )
        )
        await self.session.flush()
        return True

"""Which changes go out, and what is sent: outbox entries written in the change's transaction.

A stored connector's write operation declares ``trigger: order.approved`` (see
``connectors.outbound``). When an order is approved, ``record_order_approved`` adds one
``OutboxEntry`` per such (connector, operation) in the caller's transaction, so the entries
commit with the approval or not at all; the caller enqueues them after its commit
(``jobs.outbox.enqueue_entries``). Which connectors have such an operation is read from their
public config JSON: no secret is opened.

The record an ``order.approved`` operation receives (stored in ``payload_json``)::

    {"idempotency_key": str, "order_number": str, "partner_code": str,
     "partner_external_id": str | None,   # the partner's external id at THIS connector
     "ordered_at": ISO-8601 UTC str, "currency": str, "total": str (exact Decimal),
     "lines": [{"sku": str, "product_external_id": str | None, "quantity": int,
                "unit_price": str (exact Decimal)}]}

The idempotency key is deterministic and short enough for an ERP's external document number
(at most 35 characters): ``CH-O<order id>-APPROVED-<8 hex of sha256(connector, operation)>``.
The same approval can never add a second entry for one (connector, operation): existing keys
are skipped, and the unique key refuses a racing duplicate.

A rebate settlement approved (``record_settlement_approved``, trigger ``settlement.approved``,
entity ``settlement``) sends its credit note; the record::

    {"idempotency_key": str, "settlement_number": str, "partner_code": str,
     "partner_external_id": str | None, "currency": str, "total": str (exact Decimal),
     "period_start": ISO date, "period_end": ISO date (exclusive),
     "lines": [{"agreement_code": str, "amount": str (exact Decimal)}]}

with the key ``CH-S<settlement id>-APPROVED-<8 hex>``. When the relay delivered it, the
settlement becomes PAID (``jobs.settlements.mark_paid``, called by ``jobs.outbox``).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from connectors.outbound import ORDER_APPROVED, SETTLEMENT_APPROVED
from store.base import utcnow
from store.models import OutboxEntry
from store.repositories.outbox import PENDING, OrderSnapshot, OutboxRepository
from store.repositories.settlements import SettlementRepository, SettlementSnapshot
from store.scope import Scope

__all__ = [
    "ORDER_ENTITY",
    "SETTLEMENT_ENTITY",
    "SWEEP_GRACE_SECONDS",
    "order_approved_key",
    "order_record",
    "record_order_approved",
    "record_settlement_approved",
    "settlement_approved_key",
    "settlement_record",
    "triggered_operations",
]

ORDER_ENTITY = "order"
SETTLEMENT_ENTITY = "settlement"
SWEEP_GRACE_SECONDS = 60.0
"""A new entry is left to its own message this long before the sweep may deliver it."""


def triggered_operations(configs: Iterable[tuple[str, str]], trigger: str) -> list[tuple[str, str]]:
    """(connector, operation) pairs whose operation declares ``trigger``, from (name, public
    config JSON) pairs; a config that does not parse declares nothing."""
    found: list[tuple[str, str]] = []
    for name, text in configs:
        try:
            data = json.loads(text)
        except ValueError:
            continue
        operations = data.get("operations") if isinstance(data, dict) else None
        for operation in operations if isinstance(operations, list) else ():
            if isinstance(operation, dict) and operation.get("trigger") == trigger:
                found.append((name, str(operation.get("name"))))
    return found


def order_approved_key(order_id: int, connector: str, operation: str) -> str:
    """The idempotency key of one approved order's write to one connector operation."""
    digest = hashlib.sha256(f"{connector}\0{operation}".encode()).hexdigest()[:8].upper()
    return f"CH-O{order_id}-APPROVED-{digest}"


def order_record(
    snapshot: OrderSnapshot, connector: str, key: str, refs: dict[tuple[str, str, int], str]
) -> dict[str, Any]:
    """The record sent for an approved order to ``connector`` (shape in the module doc)."""
    order = snapshot.order
    return {
        "idempotency_key": key,
        "order_number": order.number,
        "partner_code": snapshot.partner_code,
        "partner_external_id": refs.get((connector, "partner", order.partner_id)),
        "ordered_at": order.created_at.astimezone(UTC).isoformat(),
        "currency": order.currency,
        "total": str(order.total),
        "lines": [
            {
                "sku": line.sku,
                "product_external_id": refs.get((connector, "product", line.product_id)),
                "quantity": line.quantity,
                "unit_price": str(line.unit_price),
            }
            for line in snapshot.lines
        ],
    }


async def record_order_approved(
    session: AsyncSession, order_id: int, *, now: datetime | None = None
) -> list[int]:
    """Add the outbox entries of an order just approved, in ``session``'s transaction.

    Returns the ids of the entries added (empty when no connector is triggered); the caller
    commits, then enqueues them. Never commits.
    """
    repository = OutboxRepository(session)
    targets = triggered_operations(await repository.connector_configs(), ORDER_APPROVED)
    if not targets:
        return []
    snapshot = await repository.order_snapshot(order_id)
    if snapshot is None:
        raise LookupError(f"order {order_id} does not exist")
    keys = {target: order_approved_key(order_id, *target) for target in targets}
    existing = await repository.existing_keys(list(keys.values()))
    todo = [target for target in targets if keys[target] not in existing]
    if not todo:
        return []
    wanted = [("partner", snapshot.order.partner_id)]
    wanted += [("product", line.product_id) for line in snapshot.lines]
    refs = await repository.external_ids({connector for connector, _ in todo}, wanted)
    due = (now or utcnow()) + timedelta(seconds=SWEEP_GRACE_SECONDS)
    entries = [
        OutboxEntry(
            connector=connector,
            operation=operation,
            entity=ORDER_ENTITY,
            entity_id=order_id,
            idempotency_key=keys[connector, operation],
            payload_json=json.dumps(
                order_record(snapshot, connector, keys[connector, operation], refs),
                separators=(",", ":"),
                ensure_ascii=False,
            ),
            status=PENDING,
            attempts=0,
            next_attempt_at=due,
        )
        for connector, operation in todo
    ]
    return [entry.id for entry in await repository.add(entries)]


def settlement_approved_key(settlement_id: int, connector: str, operation: str) -> str:
    """The idempotency key of one approved settlement's credit note to one operation."""
    digest = hashlib.sha256(f"{connector}\0{operation}".encode()).hexdigest()[:8].upper()
    return f"CH-S{settlement_id}-APPROVED-{digest}"


def settlement_record(
    snapshot: SettlementSnapshot, key: str, partner_external_id: str | None
) -> dict[str, Any]:
    """The credit note sent for an approved settlement (shape in the module doc)."""
    settlement = snapshot.settlement
    return {
        "idempotency_key": key,
        "settlement_number": settlement.number,
        "partner_code": snapshot.partner_code,
        "partner_external_id": partner_external_id,
        "currency": settlement.currency,
        "total": str(settlement.total),
        "period_start": settlement.period_start.isoformat(),
        "period_end": settlement.period_end.isoformat(),
        "lines": [
            {"agreement_code": code, "amount": str(line.amount)} for code, line in snapshot.lines
        ],
    }


async def record_settlement_approved(
    session: AsyncSession, settlement_id: int, *, now: datetime | None = None
) -> list[int]:
    """Add the outbox entries of a settlement just approved, in ``session``'s transaction;
    the ids added (the caller enqueues them after its commit). Never commits."""
    repository = OutboxRepository(session)
    targets = triggered_operations(await repository.connector_configs(), SETTLEMENT_APPROVED)
    if not targets:
        return []
    snapshot = await SettlementRepository(session, Scope.everything()).snapshot(settlement_id)
    if snapshot is None:
        raise LookupError(f"settlement {settlement_id} does not exist")
    keys = {target: settlement_approved_key(settlement_id, *target) for target in targets}
    existing = await repository.existing_keys(list(keys.values()))
    todo = [target for target in targets if keys[target] not in existing]
    if not todo:
        return []
    partner_id = snapshot.settlement.partner_id
    refs = await repository.external_ids({c for c, _ in todo}, [("partner", partner_id)])
    due = (now or utcnow()) + timedelta(seconds=SWEEP_GRACE_SECONDS)
    entries = [
        OutboxEntry(
            connector=connector,
            operation=operation,
            entity=SETTLEMENT_ENTITY,
            entity_id=settlement_id,
            idempotency_key=keys[connector, operation],
            payload_json=json.dumps(
                settlement_record(
                    snapshot,
                    keys[connector, operation],
                    refs.get((connector, "partner", partner_id)),
                ),
                separators=(",", ":"),
                ensure_ascii=False,
            ),
            status=PENDING,
            attempts=0,
            next_attempt_at=due,
        )
        for connector, operation in todo
    ]
    return [entry.id for entry in await repository.add(entries)]

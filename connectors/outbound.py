"""Outbound writes: which hub events trigger an operation, and finding an earlier write.

A write operation may declare ``trigger`` (an event name below): the hub then writes an
outbox entry for it in the same transaction as the event, and the outbox relay delivers it
(``jobs.outbox``). The records handed to ``order.approved`` and ``settlement.approved``
operations are described in ``jobs.outbox_entries``.

A crash between the remote's acceptance of a write and our acknowledgement must not create a
second remote record. A remote that honours the idempotency key (the REST kind sends it in a
header) needs nothing more. For one that does not, the operation declares a ``lookup`` (a
read by our key) and the connector kind implements ``SupportsLookup.lookup``: the relay calls
it before re-sending an entry that was attempted before, and takes the reference it finds
instead of writing again. Kinds without ``lookup`` are simply re-sent with the same key.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal, Protocol, runtime_checkable

from connectors.protocol import WriteResult

__all__ = ["ORDER_APPROVED", "SETTLEMENT_APPROVED", "TRIGGERS", "SupportsLookup", "Trigger"]

ORDER_APPROVED = "order.approved"
SETTLEMENT_APPROVED = "settlement.approved"
Trigger = Literal["order.approved", "settlement.approved"]
"""Hub events an operation can be triggered by: an order approved (its sales order goes to
the ERP), a rebate settlement approved (its credit note goes to finance)."""
TRIGGERS: tuple[str, ...] = (ORDER_APPROVED, SETTLEMENT_APPROVED)


@runtime_checkable
class SupportsLookup(Protocol):
    """A connector kind that can find the record an earlier write of a key created."""

    async def lookup(
        self, operation: str, record: Mapping[str, Any], *, idempotency_key: str
    ) -> WriteResult | None:
        """The remote's reference for the record written with ``idempotency_key`` through
        ``operation``; None when there is none, or when the operation declares no lookup."""
        ...

"""Entity sinks: one module per hub entity a stream may map to, and ``sink_for``.

An entity of the mapping vocabulary without a sink here fails with a config error that says
so (it is never silently skipped).
"""

from __future__ import annotations

from connectors.errors import ConfigError
from jobs.sync.sinks.base import Plan, Sink, SinkContext
from jobs.sync.sinks.invoice import InvoiceSink
from jobs.sync.sinks.order import OrderSink
from jobs.sync.sinks.order_status import OrderStatusSink
from jobs.sync.sinks.partner import PartnerSink
from jobs.sync.sinks.payment import PaymentSink
from jobs.sync.sinks.product import ProductSink
from jobs.sync.sinks.shipment import ShipmentSink
from jobs.sync.sinks.stock_level import StockLevelSink

__all__ = ["SINKS", "Plan", "Sink", "SinkContext", "sink_for"]

SINKS: dict[str, Sink] = {
    sink.entity: sink
    for sink in (
        PartnerSink(),
        ProductSink(),
        StockLevelSink(),
        OrderSink(),
        OrderStatusSink(),
        ShipmentSink(),
        InvoiceSink(),
        PaymentSink(),
    )
}


def sink_for(entity: str, *, label: str) -> Sink:
    """The sink of ``entity``; ``ConfigError`` (naming ``label``) when the hub has none."""
    sink = SINKS.get(entity)
    if sink is None:
        known = ", ".join(SINKS)
        raise ConfigError(
            f"{label}: maps to {entity!r}, which is not a hub entity yet "
            f"(a stream can be synced into: {known})"
        )
    return sink

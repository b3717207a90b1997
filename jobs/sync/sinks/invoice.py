"""Invoices from a finance stream: matched by number, owned by a partner (a ``ref``).

An invoice's ``open_amount`` and ``status`` come from finance as they are; the hub never
computes them (payments are stored beside, for the record). Open invoices count towards the
partner's open balance (``store.repositories.finance``).
"""

from __future__ import annotations

from jobs.sync.fields import Field
from jobs.sync.sinks.base import Sink
from store.models import Invoice, InvoiceStatus


class InvoiceSink(Sink):
    entity = "invoice"
    label = "invoice"
    model = Invoice
    fields = {
        "number": Field("str", nullable=False, max_length=64, nonempty=True),
        "partner_id": Field("id", nullable=False, ref="partner"),
        "order_number": Field("str", max_length=64),
        "currency": Field("str", nullable=False, max_length=3, nonempty=True),
        "amount": Field("money", nullable=False),
        "open_amount": Field("money", nullable=False),
        "status": Field("enum", nullable=False, enum=InvoiceStatus),
        "issued_on": Field("date"),
        "due_on": Field("date"),
    }
    required = ("number", "partner_id", "amount", "open_amount")
    natural_key = "number"
    insert_key = ("number",)
    unique = ("number",)

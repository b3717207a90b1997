"""Payments from a finance stream: matched by number, owned by a partner (a ``ref``).

``invoice_number`` is the settled invoice's number as finance gives it (kept as text: a
payment may arrive before its invoice, and is never rejected for that).
"""

from __future__ import annotations

from jobs.sync.fields import Field
from jobs.sync.sinks.base import Sink
from store.models import Payment


class PaymentSink(Sink):
    entity = "payment"
    label = "payment"
    model = Payment
    fields = {
        "number": Field("str", nullable=False, max_length=64, nonempty=True),
        "partner_id": Field("id", nullable=False, ref="partner"),
        "invoice_number": Field("str", max_length=64),
        "currency": Field("str", nullable=False, max_length=3, nonempty=True),
        "amount": Field("money", nullable=False),
        "method": Field("str", max_length=32),
        "received_on": Field("date"),
    }
    required = ("number", "partner_id", "amount")
    natural_key = "number"
    insert_key = ("number",)
    unique = ("number",)

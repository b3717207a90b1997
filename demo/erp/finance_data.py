"""The demo ERP's receivables: posted invoices and the payments received against them.

Every invoiced sales order has an invoice; about half of the trading customers also carry an
older opening-balance invoice (no order). Invoices are due 30 days after issue; most overdue
ones are paid, some in part. A payment's ``updated_at`` is when it was received; an invoice's
is its issue or its last payment. Pure: ``now`` and the random generator are passed in.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from decimal import Decimal

from demo.erp.records import Customer, Invoice, Payment, SalesOrder
from demo.values import random_moment, utc_at

PAYMENT_TERMS = timedelta(days=30)
METHODS = ("bank_transfer", "bank_transfer", "bank_transfer", "acceptance_draft", "cash")


def build_finance(
    rng: random.Random, customers: list[Customer], orders: list[SalesOrder], now: datetime
) -> tuple[list[Invoice], list[Payment]]:
    """Invoices (issue order, ids ``PSI-000001``…) and payments (``PAY-000001``…)."""
    drafts: list[tuple[datetime, str, str | None, Decimal]] = []
    for order in orders:
        if order.status == "Invoiced":
            issued = min(now, utc_at(order.order_date, 3600 * rng.randint(24, 24 * 6)))
            drafts.append((issued, order.customer_no, order.no, order.amount))
    for customer in customers:
        if customer.blocked == "_blank_" and rng.random() < 0.5:
            issued = random_moment(rng, now - timedelta(days=120), now - timedelta(days=20))
            share = Decimal(rng.randint(2, 15)) / 100
            drafts.append((issued, customer.no, None, (customer.credit_limit * share)))
    drafts.sort(key=lambda d: (d[0], d[1]))
    invoices: list[Invoice] = []
    payments: list[Payment] = []
    for number, (issued, code, order_no, amount) in enumerate(drafts, start=1):
        amount = amount.quantize(Decimal("0.01"))
        invoice = Invoice(
            id=f"PSI-{number:06d}",
            customer_code=code,
            order_no=order_no,
            issued_on=issued.date(),
            due_on=(issued + PAYMENT_TERMS).date(),
            amount=amount,
            paid=Decimal("0.00"),
            updated_at=issued,
        )
        invoices.append(invoice)
        overdue = issued + PAYMENT_TERMS < now
        roll = rng.random()
        if roll < (0.8 if overdue else 0.35):
            paid = amount
        elif roll < (0.9 if overdue else 0.5):
            paid = (amount * Decimal(rng.randint(20, 80)) / 100).quantize(Decimal("0.01"))
        else:
            continue
        earliest = min(issued + timedelta(hours=1), now)
        received = random_moment(rng, earliest, max(earliest, min(now, issued + PAYMENT_TERMS)))
        payments.append(
            Payment(
                id="",
                customer_code=code,
                invoice_id=invoice.id,
                received_on=received.date(),
                amount=paid,
                method=rng.choice(METHODS),
                updated_at=received,
            )
        )
        invoice.paid = paid
        invoice.updated_at = received
    payments.sort(key=lambda p: (p.updated_at, p.invoice_id))
    for number, payment in enumerate(payments, start=1):
        payment.id = f"PAY-{number:06d}"
    return invoices, payments

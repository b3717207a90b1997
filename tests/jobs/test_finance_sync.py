"""Invoices and payments from the demo ERP's finance service sync into the hub (on both
backends): every record arrives once, linked to its partner by customer code; a payment
recorded later arrives incrementally and its invoice's open amount and status follow; the
partner's open balance counts the open invoices; a record for an unknown customer is
quarantined while the rest of the page goes on."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from demo.erp.configs import FINANCE_CONNECTOR, demo_connector_configs
from demo.erp.erp import DemoErp
from demo.erp.records import Invoice as ErpInvoice
from demo.erp.server import serve_erp
from jobs.connector_configs import apply_configs
from jobs.runs import SYNC_KIND, create_run, get_run
from jobs.runtime import Resources, close_resources, open_resources
from jobs.sync import run_sync
from settings import Settings
from store.models import ExternalRef, Invoice, InvoiceStatus, JobRun, Partner, Payment
from store.repositories.finance import FinanceRepository
from store.scope import Scope
from tests.factories import create_partner

pytestmark = pytest.mark.anyio

START = datetime(2026, 3, 1, tzinfo=UTC)


@pytest.fixture
async def resources(settings: Settings) -> AsyncIterator[Resources]:
    opened = await open_resources(settings)
    yield opened
    await close_resources(opened)


@contextmanager
def demo_erp() -> Iterator[tuple[DemoErp, str]]:
    erp = DemoErp.build("tiny", now=START)
    with serve_erp(erp) as url:
        yield erp, url


async def connect(resources: Resources, erp: DemoErp, url: str, skip: str | None = None) -> None:
    """The hub's partners carry the ERP's customer codes (all but ``skip``)."""
    async with resources.sessions.begin() as s:
        for customer in erp.dataset.customers:
            if customer.no != skip:
                await create_partner(s, code=customer.no)
    finance = [c for c in demo_connector_configs(url, erp) if c.name == FINANCE_CONNECTOR]
    await apply_configs(resources.crypto, finance)


async def sync(resources: Resources, stream: str) -> JobRun:
    async with resources.sessions.begin() as s:
        run = await create_run(
            s, kind=SYNC_KIND, connector=FINANCE_CONNECTOR, stream=stream, trigger="test"
        )
    await run_sync(resources, run.id, will_retry=False)
    async with resources.sessions() as s:
        final = await get_run(s, run.id)
    assert final is not None
    return final


async def hub_invoices(resources: Resources) -> dict[str, Invoice]:
    async with resources.sessions() as s:
        return {i.number: i for i in await s.scalars(select(Invoice))}


def expected_status(invoice: ErpInvoice) -> InvoiceStatus:
    return InvoiceStatus[invoice.status.upper()]


async def test_invoices_and_payments_arrive_once_and_follow_later_payments(resources):
    with demo_erp() as (erp, url):
        await connect(resources, erp, url)
        invoices_run = await sync(resources, "invoices")
        payments_run = await sync(resources, "payments")
        assert (invoices_run.status, payments_run.status) == ("SUCCEEDED", "SUCCEEDED")
        assert invoices_run.records_inserted == len(erp.dataset.invoices) > 0
        assert payments_run.records_inserted == len(erp.dataset.payments) > 0
        assert invoices_run.records_quarantined == payments_run.records_quarantined == 0

        stored = await hub_invoices(resources)
        async with resources.sessions() as s:
            codes = {p.id: p.code for p in await s.scalars(select(Partner))}
            payments = {p.number: p for p in await s.scalars(select(Payment))}
            refs = (
                await s.scalars(
                    select(ExternalRef.entity).where(ExternalRef.connector == FINANCE_CONNECTOR)
                )
            ).all()
        assert sorted(refs) == sorted(
            ["invoice"] * len(erp.dataset.invoices) + ["payment"] * len(erp.dataset.payments)
        )
        for source in erp.dataset.invoices:
            row = stored[source.id]
            assert codes[row.partner_id] == source.customer_code
            assert (row.amount, row.open_amount) == (source.amount, source.open_amount)
            assert (row.order_number, row.issued_on, row.due_on) == (
                source.order_no,
                source.issued_on,
                source.due_on,
            )
            assert row.status == expected_status(source)
        for received in erp.dataset.payments:
            payment = payments[received.id]
            assert (payment.invoice_number, payment.amount, payment.method) == (
                received.invoice_id,
                received.amount,
                received.method,
            )

        # a payment recorded later: an incremental sync brings it and the invoice's new state
        target = next(i for i in erp.dataset.invoices if i.open_amount > 0)
        partner_id = stored[target.id].partner_id
        async with resources.sessions() as s:
            before = (await FinanceRepository(s, Scope.everything()).open_invoices([partner_id]))[
                partner_id
            ]
        open_in_erp = sum(
            (
                i.open_amount
                for i in erp.dataset.invoices
                if i.customer_code == target.customer_code and i.status != "paid"
            ),
            Decimal("0.00"),
        )
        assert before == open_in_erp
        due = target.open_amount
        erp.dataset.record_payment(target.id, due, at=START + timedelta(days=1))
        again_invoices = await sync(resources, "invoices")
        again_payments = await sync(resources, "payments")
        assert (again_invoices.records_updated, again_invoices.records_inserted) == (1, 0)
        assert again_payments.records_inserted == 1
        paid = (await hub_invoices(resources))[target.id]
        assert (paid.status, paid.open_amount) == (InvoiceStatus.PAID, Decimal("0.00"))
        async with resources.sessions() as s:
            after = await FinanceRepository(s, Scope.everything()).open_invoices([partner_id])
        assert after.get(partner_id, Decimal("0.00")) == before - due


async def test_a_record_for_an_unknown_customer_is_quarantined_and_the_rest_go_on(resources):
    with demo_erp() as (erp, url):
        missing = erp.dataset.invoices[0].customer_code
        await connect(resources, erp, url, skip=missing)
        run = await sync(resources, "invoices")
        theirs = [i for i in erp.dataset.invoices if i.customer_code == missing]
        assert run.status == "SUCCEEDED"
        assert run.records_quarantined == len(theirs) > 0
        assert run.records_inserted == len(erp.dataset.invoices) - len(theirs)
        assert not set(await hub_invoices(resources)) & {i.id for i in theirs}

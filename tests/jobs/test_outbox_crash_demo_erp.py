"""The outbox crash test against the demo ERP's SOAP sales service, whose CreateSalesOrder
makes a second order for a repeated call: a relay process is killed after the ERP created
the order and before the relay recorded it; the fresh relay looks the order up by its
external document number and sends nothing again — one ERP order per approved hub order."""

from __future__ import annotations

import signal
import subprocess
import sys
import threading
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import anyio
import pytest

from demo.erp.configs import SALES_CONNECTOR, demo_connector_configs
from demo.erp.erp import DemoErp
from demo.erp.server import serve_erp
from domain.enums import PartnerStatus
from jobs.connector_configs import apply_configs
from jobs.outbox import RelayPolicy, relay_due
from jobs.runtime import Resources, close_resources, open_resources
from settings import Settings
from store.base import utcnow
from tests.factories import create_order, create_partner, create_product
from tests.jobs.outbox_support import approve, child_env, entry, external_refs, outbox

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
LEASE = 30.0
NOW = datetime(2026, 3, 1, tzinfo=UTC)


@pytest.fixture
async def resources(settings: Settings) -> AsyncIterator[Resources]:
    opened = await open_resources(settings)
    yield opened
    await close_resources(opened)


class Hold:
    """Holds the demo ERP's answer to CreateSalesOrder after the order is created."""

    def __init__(self, erp: DemoErp) -> None:
        self.created = threading.Event()
        self.release = threading.Event()
        self.calls = 0
        create = erp.dataset.create_sales_order

        def held(**order: Any) -> Any:
            self.calls += 1
            created = create(**order)
            if not self.release.is_set():
                self.created.set()
                self.release.wait(30)
            return created

        erp.dataset.create_sales_order = held  # type: ignore[method-assign]


@contextmanager
def demo_erp() -> Iterator[tuple[DemoErp, str]]:
    erp = DemoErp.build("tiny", now=NOW)
    with serve_erp(erp) as url:
        yield erp, url


async def test_a_relay_killed_after_the_demo_erp_created_the_order_leaves_one_order(
    resources: Resources, settings: Settings
):
    with demo_erp() as (erp, url):
        customer = next(c for c in erp.dataset.customers if c.blocked == "_blank_")
        items = [i for i in erp.dataset.items if i.lifecycle_code == "ACTIVE"][:2]
        async with resources.sessions.begin() as session:
            partner = await create_partner(session, code=customer.no, status=PartnerStatus.ACTIVE)
            products = [await create_product(session, sku=item.no) for item in items]
            order = await create_order(
                session, partner=partner, lines=[(p, n + 1) for n, p in enumerate(products)]
            )
        # the shipped demo config (demo/erp/connectors/demo-erp-sales.yaml): its
        # create_sales_order is triggered by order.approved and declares the lookup
        sales = [c for c in demo_connector_configs(url, erp) if c.name == SALES_CONNECTOR]
        await apply_configs(resources.crypto, sales)
        await approve(resources.sessions, order)
        [entry_id] = [e.id for e in await outbox(resources.sessions)]
        before = len(erp.dataset.created_orders)

        hold = Hold(erp)
        process = subprocess.Popen(  # noqa: ASYNC220 (a child process we kill on purpose)
            [sys.executable, "-m", "tests.jobs.outbox_relay_child", str(entry_id), str(LEASE)],
            cwd=ROOT,
            env=child_env(settings),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            assert await anyio.to_thread.run_sync(hold.created.wait, 60), "no order was created"
            process.send_signal(signal.SIGKILL)
            process.communicate(timeout=10)
        finally:
            if process.poll() is None:
                process.kill()
                process.communicate(timeout=10)
            hold.release.set()
        assert len(erp.dataset.created_orders) == before + 1
        assert (await entry(resources.sessions, entry_id)).status == "SENDING"

        later = utcnow() + timedelta(seconds=LEASE + 1)
        sent = await relay_due(resources, policy=RelayPolicy(lease=LEASE), now=lambda: later)

    assert sent == 1 and hold.calls == 1  # found by the lookup: CreateSalesOrder not called
    [created] = erp.dataset.orders_by_external_no(order.number)
    assert created.customer_no == customer.no
    assert [(line.item_no, line.quantity) for line in created.lines] == [
        (items[0].no, 1),
        (items[1].no, 2),
    ]
    done = await entry(resources.sessions, entry_id)
    assert (done.status, done.reference, done.attempts) == ("SENT", created.no, 2)
    assert [r.external_id for r in await external_refs(resources.sessions)] == [created.no]

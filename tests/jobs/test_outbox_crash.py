"""The outbox crash test: a relay process is killed (SIGKILL) after the stub ERP stored the
order and before the relay recorded it; a fresh relay then runs. The ERP ends with exactly
one record per outbox entry, and every entry is SENT with that record's reference — through
the ERP's idempotency key (REST) or a lookup by our key before re-sending (an ERP that
creates a duplicate on every call: REST, and SOAP like the demo ERP's CreateSalesOrder)."""

from __future__ import annotations

import asyncio
import signal
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from jobs.outbox import RelayPolicy, relay, relay_due
from jobs.outbox_entries import SWEEP_GRACE_SECONDS
from jobs.runtime import Resources, close_resources, open_resources
from settings import Settings
from store.base import utcnow
from tests.jobs.outbox_erp import (
    ErpRecords,
    rest_config,
    rest_erp,
    soap_config,
    soap_erp,
)
from tests.jobs.outbox_support import (
    approve,
    child_env,
    entry,
    external_refs,
    outbox,
    store_connectors,
    submitted_orders,
)

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
LEASE = 30.0
LATER = timedelta(seconds=max(LEASE, SWEEP_GRACE_SECONDS) + 1)
"""How far the fresh relay's clock is ahead: past the dead relay's lease and the new
entries' grace, as if it ran a minute after the crash."""


def later() -> datetime:
    return utcnow() + LATER


@pytest.fixture
async def resources(settings: Settings) -> AsyncIterator[Resources]:
    opened = await open_resources(settings)
    yield opened
    await close_resources(opened)


@contextmanager
def erp_serving(kind: str, erp: ErpRecords) -> Iterator[dict[str, Any]]:
    """The stub ERP of ``kind`` and the connector config that reaches it."""
    if kind == "soap-lookup":
        with soap_erp(erp) as url:
            yield soap_config("erp", url, lookup=True)
        return
    erp.idempotent = kind == "rest-idempotent"
    with rest_erp(erp) as url:
        yield rest_config("erp", url, lookup=kind == "rest-lookup")


async def kill_after_acceptance(settings: Settings, erp: ErpRecords, entry_id: int) -> None:
    """Run a relay process for ``entry_id``; SIGKILL it once the ERP stored the order."""
    erp.hold_next()
    process = subprocess.Popen(  # noqa: ASYNC220 (a child process we kill on purpose)
        [sys.executable, "-m", "tests.jobs.outbox_relay_child", str(entry_id), str(LEASE)],
        cwd=ROOT,
        env=child_env(settings),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        accepted = await asyncio.to_thread(erp.accepted.wait, 60)
        if not accepted:
            process.kill()
            _, err = process.communicate(timeout=10)
            pytest.fail(f"the relay never reached the ERP: {err.decode()[-2000:]}")
        process.send_signal(signal.SIGKILL)
        process.communicate(timeout=10)
        assert process.returncode == -signal.SIGKILL
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate(timeout=10)
        erp.let_go()  # the held answer goes to a dead socket


@pytest.mark.parametrize("kind", ["rest-idempotent", "rest-lookup", "soap-lookup"])
async def test_a_relay_killed_between_acceptance_and_acknowledgement_creates_no_duplicate(
    resources: Resources, settings: Settings, kind: str
):
    erp = ErpRecords()
    with erp_serving(kind, erp) as config:
        await store_connectors(resources.crypto, config)
        orders, _ = await submitted_orders(resources.sessions, 3)
        for order in orders:
            await approve(resources.sessions, order)
        entries = [e.id for e in await outbox(resources.sessions)]
        assert len(entries) == 3

        for killed in entries[:2]:
            await kill_after_acceptance(settings, erp, killed)
            held = await entry(resources.sessions, killed)
            assert (held.status, held.attempts, held.reference) == ("SENDING", 1, None)
            # a fresh relay while the dead one's lease runs sends nothing
            await relay(resources, killed, policy=RelayPolicy(lease=LEASE))
            assert (await entry(resources.sessions, killed)).status == "SENDING"
        assert len(erp.orders) == 2 and await external_refs(resources.sessions) == []

        sent = await relay_due(resources, policy=RelayPolicy(lease=LEASE), now=later)

    assert sent == 3
    rows = {e.id: e for e in await outbox(resources.sessions)}
    assert len(erp.orders) == len(rows) == 3  # exactly one ERP record per outbox entry
    by_key = {order["key"]: order["No"] for order in erp.orders}
    assert len(by_key) == 3
    for entry_id, row in rows.items():
        assert row.status == "SENT"
        assert row.reference == by_key[row.idempotency_key]
        assert row.attempts == (2 if entry_id in entries[:2] else 1)
    refs = {(r.entity_id, r.external_id) for r in await external_refs(resources.sessions)}
    assert refs == {(row.entity_id, row.reference) for row in rows.values()}
    if kind != "rest-idempotent":
        assert erp.creates == 3  # the killed entries were found by our key, not re-created


async def test_without_idempotency_or_lookup_the_same_crash_would_duplicate(
    resources: Resources, settings: Settings
):
    """The control: what the lookup prevents is real (so the tests above can fail)."""
    erp = ErpRecords(idempotent=False)
    with rest_erp(erp) as url:
        await store_connectors(resources.crypto, rest_config("erp", url))
        [order], _ = await submitted_orders(resources.sessions)
        await approve(resources.sessions, order)
        [entry_id] = [e.id for e in await outbox(resources.sessions)]
        await kill_after_acceptance(settings, erp, entry_id)
        await relay_due(resources, policy=RelayPolicy(lease=LEASE), now=later)
    assert [order["key"] for order in erp.orders] == [
        (await entry(resources.sessions, entry_id)).idempotency_key
    ] * 2

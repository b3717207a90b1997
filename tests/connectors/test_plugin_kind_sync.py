"""A stream of the plugin kind ``memo`` syncs like a built-in's: the sync job builds the
connector from the stored config (secret opened), stores the mapped records page by page and
resumes from the saved state; its triggered operation is found by the outbox."""

from __future__ import annotations

import json
from collections.abc import Iterator
from decimal import Decimal

import pytest

from jobs.outbox_entries import triggered_operations
from jobs.runs import SUCCEEDED
from settings import Settings
from store.models import Partner
from store.repositories.outbox import OutboxRepository
from tests.connectors import memo_plugin
from tests.connectors.memo_plugin import MemoRemote, memo_config
from tests.jobs.sync_harness import PARTNER_MAPPING, sync_env

PASSWORD = "memo-sync-pw-Vb3"
REMOTE = "memo-sync-remote"


def customer(n: int) -> dict[str, object]:
    return {"id": f"C-{n}", "code": f"CUST-{n}", "name": f"Customer {n}", "kind": "D",
            "credit": f"{n}000.50"}  # fmt: skip


@pytest.fixture(autouse=True)
def remote(monkeypatch: pytest.MonkeyPatch) -> Iterator[MemoRemote]:
    memo_plugin.install(monkeypatch)
    found = MemoRemote(REMOTE, "hub", PASSWORD)
    found.put("customers", *(customer(n) for n in range(1, 6)))
    yield found
    MemoRemote.remotes.pop(REMOTE, None)
    memo_plugin.uninstall()


CONFIG = memo_config(remote=REMOTE, password=PASSWORD, mapping=PARTNER_MAPPING)


async def test_a_plugin_stream_syncs_into_the_hub_and_resumes(
    settings: Settings, remote: MemoRemote
) -> None:
    async with sync_env(settings) as env:
        await env.apply(CONFIG)
        first = await env.run("partners", connector="memo-erp")
        assert first.status == SUCCEEDED, env.last_error
        assert (first.records_read, first.records_inserted, first.pages) == (5, 5, 3)
        rows = {p.code: p for p in await env.rows(Partner)}
        assert sorted(rows) == [f"CUST-{n}" for n in range(1, 6)]
        assert rows["CUST-3"].name == "Customer 3"
        assert rows["CUST-3"].credit_limit == Decimal("3000.50")
        refs = await env.refs("partner", connector="memo-erp")
        assert sorted(refs) == [f"C-{n}" for n in range(1, 6)]
        state = await env.state("partners", connector="memo-erp")
        assert state is not None and json.loads(state.state_json) == {"position": 5}

        remote.put("customers", customer(6))
        second = await env.run("partners", connector="memo-erp")
        assert second.status == SUCCEEDED, env.last_error
        assert (second.records_read, second.records_inserted) == (1, 1)
        assert await env.count(Partner) == 6


async def test_a_plugin_sync_with_a_refused_login_fails_without_showing_the_password(
    settings: Settings, remote: MemoRemote
) -> None:
    async with sync_env(settings) as env:
        await env.apply(CONFIG)
        remote.password = "rotated-on-the-remote"
        run = await env.run("partners", connector="memo-erp")
        assert run.status != SUCCEEDED
        assert run.error_class is not None
        assert "refused the login" in str(run.error_message)
        assert PASSWORD not in str(run.error_message)
        assert PASSWORD not in str(env.last_error)
        assert await env.count(Partner) == 0


async def test_the_outbox_finds_a_plugin_operation_by_its_trigger(settings: Settings) -> None:
    async with sync_env(settings) as env:
        await env.apply(CONFIG)
        async with env.sessions() as session:
            stored = await OutboxRepository(session).connector_configs()
    assert triggered_operations(stored, "order.approved") == [("memo-erp", "create_order")]

"""Quarantine of records that failed mapping: the raw payload is sealed at rest, bound to its
row, and opens back; listing, counting and resolving work on every backend."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import select, update

from connectors.mapper import map_page
from connectors.mapping_config import EntityMapping
from security.errors import IntegrityError
from store.models import QuarantinedRecord
from store.repositories.quarantine import QuarantineRepository

CANARY = "CANARY-7f3a9c-tax-DE123456789"
NOW = datetime(2026, 11, 28, 12, tzinfo=UTC)


@pytest.fixture
def keys(app):
    return app.state.hub.keys


async def quarantine(sessions: Any, keys: Any, **fields: Any) -> int:
    async with sessions.begin() as session:
        row = await QuarantineRepository(session, keys).add(**fields)
        return row.id


async def test_payload_is_sealed_at_rest_and_opens_back(sessions, keys):
    payload = {"id": "C-1", "taxId": CANARY, "amount": Decimal("1.50"), "when": NOW}
    row_id = await quarantine(
        sessions,
        keys,
        connector="erp",
        stream="customers",
        reason="x: bad",
        payload=payload,
        external_id="C-1",
    )
    async with sessions() as session:
        raw = await session.scalar(
            select(QuarantinedRecord.__table__.c.payload_ct).where(
                QuarantinedRecord.__table__.c.id == row_id
            )
        )
        assert raw is not None
        assert CANARY.encode() not in bytes(raw)
        assert b"taxId" not in bytes(raw)
        row = await session.get(QuarantinedRecord, row_id)
        assert row is not None
        opened = await QuarantineRepository(session, keys).payload(row)
    assert opened == {
        "id": "C-1",
        "taxId": CANARY,
        "amount": "1.50",
        "when": NOW.isoformat(),
    }
    assert row.reason == "x: bad"
    assert row.external_id == "C-1"
    assert row.created_at.tzinfo is not None


async def test_a_payload_moved_to_another_row_does_not_open(sessions, keys):
    first = await quarantine(
        sessions, keys, connector="erp", stream="s", reason="r", payload={"a": CANARY}
    )
    second = await quarantine(sessions, keys, connector="erp", stream="s", reason="r", payload={})
    async with sessions.begin() as session:
        moved = await session.scalar(
            select(QuarantinedRecord.payload_ct).where(QuarantinedRecord.id == first)
        )
        await session.execute(
            update(QuarantinedRecord).where(QuarantinedRecord.id == second).values(payload_ct=moved)
        )
    async with sessions() as session:
        row = await session.get(QuarantinedRecord, second)
        assert row is not None
        with pytest.raises(IntegrityError):
            await QuarantineRepository(session, keys).payload(row)


async def test_rejected_records_of_a_page_are_listed_counted_and_resolved(sessions, keys):
    mapping = EntityMapping.model_validate(
        {
            "entity": "product",
            "external_id": "id",
            "fields": {"price": {"source": "p", "cast": "decimal"}},
        }
    )
    records = [{"id": "A", "p": "1"}, {"id": "B", "p": "1,5"}, {"id": "C", "p": "x"}]
    mapped, rejected = map_page(mapping, records, lambda entity, external_id: None)
    assert [m.external_id for m in mapped] == ["A"]
    async with sessions.begin() as session:
        repo = QuarantineRepository(session, keys)
        for bad in rejected:
            await repo.add(
                connector="erp",
                stream="products",
                reason=bad.reason,
                payload=bad.raw,
                external_id=bad.external_id,
            )
        await repo.add(connector="erp", stream="orders", reason="r", payload={})
        await repo.add(connector="other", stream="products", reason="r", payload={})
    async with sessions.begin() as session:
        repo = QuarantineRepository(session, keys)
        listed = await repo.list_records(connector="erp", stream="products")
        assert [r.external_id for r in listed] == ["B", "C"]
        assert all(r.reason.startswith("price: expected a decimal number") for r in listed)
        assert await repo.payloads(listed) == [records[1], records[2]]
        assert await repo.count(connector="erp") == 3
        assert await repo.count() == 4
        assert await repo.mark_retried([listed[0].id], NOW) == 1
        assert await repo.mark_resolved([listed[0].id], NOW) == 1
    async with sessions() as session:
        repo = QuarantineRepository(session, keys)
        assert await repo.count(connector="erp", stream="products") == 1
        assert await repo.count(connector="erp", stream="products", unresolved_only=False) == 2
        everything = await repo.list_records(connector="erp", unresolved_only=False, limit=2)
        assert len(everything) == 2
        after = await repo.list_records(
            connector="erp", unresolved_only=False, after_id=everything[-1].id
        )
        assert len(after) == 1
        resolved = everything[0]
        assert resolved.resolved_at == NOW
        assert resolved.retried_at == NOW


async def test_rotation_and_reencryption_cover_quarantined_payloads(app, sessions, keys, settings):
    from jobs.key_admin import KeyTools
    from security.cipher import header

    ids = [
        await quarantine(
            sessions, keys, connector="erp", stream="customers", reason="x: bad",
            payload={"id": f"C-{n}", "taxId": CANARY},
        )
        for n in range(3)
    ]  # fmt: skip
    tools = KeyTools(settings)
    try:
        before = (await tools.status()).columns["quarantined_records.payload"]
        assert sum(before.by_key.values()) == 3 and len(before.by_key) == 1  # one shared key
        await tools.rotate()
        report = await tools.reencrypt(batch=2)
        after = (await tools.status()).columns["quarantined_records.payload"]
    finally:
        await tools.close()
    assert report.remaining == 0
    assert after.by_state == {"active": 3}
    assert set(after.by_key) != set(before.by_key)  # moved to the new key
    async with sessions() as session:
        for n, row_id in enumerate(ids):
            row = await session.get(QuarantinedRecord, row_id)
            assert row is not None
            assert header(row.payload_ct).key_id in after.by_key
            assert await QuarantineRepository(session, keys).payload(row) == {
                "id": f"C-{n}",
                "taxId": CANARY,
            }

"""The audit chain: appends form one chain under concurrency; verify names every tampering."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import delete, text, update

from security.audit import AuditEvent, AuditLog
from store.models import AuditEntry

KEY = b"k" * 32


@pytest.fixture
def audit(sessions) -> AuditLog:
    async def key() -> bytes:
        return KEY

    return AuditLog(sessions, key)


def event(n: int) -> AuditEvent:
    return AuditEvent(
        actor=f"user-{n}",
        role="brand_admin",
        action="reveal",
        outcome="allowed",
        table="partners",
        column="tax_id",
        row_id=str(n),
        key_id=3,
        reason="KYC check",
    )


async def test_concurrent_appends_form_one_intact_chain(audit):
    positions = await asyncio.gather(*(audit.record(event(n)) for n in range(20)))
    assert sorted(positions) == list(range(1, 21))
    assert await audit.verify() == []
    entries = [e async for e in audit.entries()]
    assert [e.id for e in entries] == list(range(1, 21))
    assert all(e.row_hash and e.row_hash != str(n) for n, e in enumerate(entries))


async def test_verify_names_an_edited_entry(audit, sessions):
    for n in range(5):
        await audit.record(event(n))
    async with sessions.begin() as s:
        await s.execute(update(AuditEntry).where(AuditEntry.id == 3).values(reason="nothing"))
    problems = await audit.verify()
    assert problems and problems[0].position == 3
    assert "edited" in problems[0].problem


async def test_verify_names_a_deleted_entry(audit, sessions):
    for n in range(5):
        await audit.record(event(n))
    async with sessions.begin() as s:
        await s.execute(delete(AuditEntry).where(AuditEntry.id == 2))
    problems = await audit.verify()
    assert problems[0].position == 2 and "missing" in problems[0].problem


async def test_verify_catches_a_reordering(audit, sessions):
    for n in range(4):
        await audit.record(event(n))
    async with sessions.begin() as s:  # swap the contents of entries 2 and 3
        await s.execute(update(AuditEntry).where(AuditEntry.id == 2).values(id=-2))
        await s.execute(update(AuditEntry).where(AuditEntry.id == 3).values(id=2))
        await s.execute(update(AuditEntry).where(AuditEntry.id == -2).values(id=3))
    problems = await audit.verify()
    assert problems and problems[0].position == 2
    assert "does not follow" in problems[0].problem


async def test_verify_catches_a_rewritten_chain_without_the_key(sessions):
    async def key() -> bytes:
        return KEY

    async def other() -> bytes:
        return b"x" * 32

    await AuditLog(sessions, other).record(event(1))
    problems = await AuditLog(sessions, key).verify()
    assert problems and "HMAC" in problems[0].problem


async def test_verify_catches_a_cut_tail(audit, sessions):
    for n in range(3):
        await audit.record(event(n))
    async with sessions.begin() as s:
        await s.execute(text("DELETE FROM audit_entries WHERE id = 3"))
    problems = await audit.verify()
    assert problems and "head says 3" in problems[-1].problem

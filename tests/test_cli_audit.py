"""``channelhub audit verify`` and ``audit export``: an intact chain passes; an edit, a deletion,
a reordering, a cut tail and a rewritten history each fail, naming the entry.

The app writes the chain (keyed by its key service); ``cli.main`` then runs in a worker
thread (it calls ``asyncio.run``) against the same database and data folder.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import anyio
import pytest
from sqlalchemy import delete, text, update

import cli
from security.audit import AuditEvent
from settings import Settings
from store.models import AuditEntry, AuditHead


@pytest.fixture
def run(settings: Settings, monkeypatch, capsys):
    """``await run("audit", "verify")`` → (exit code, stdout, stderr) for the test's database."""
    monkeypatch.setenv("CHANNELHUB_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("CHANNELHUB_DATABASE_URL", settings.database_url)

    async def invoke(*argv: str) -> tuple[int, str, str]:
        capsys.readouterr()
        code = await anyio.to_thread.run_sync(cli.main, list(argv))
        out, err = capsys.readouterr()
        return code, out, err

    return invoke


async def record(app: Any, count: int, start: int = 0) -> None:
    for n in range(start, start + count):
        await app.state.hub.audit.record(
            AuditEvent(
                actor=f"user-{n}",
                role="brand_admin",
                action="reveal",
                outcome="allowed",
                table="partners",
                column="tax_id",
                row_id=str(n),
                detail={"n": n},
            )
        )


@pytest.fixture
async def chain(app) -> Any:
    await record(app, 5)
    return app


async def test_verify_passes_on_an_intact_chain(chain, run):
    head = await chain.state.hub.audit.head()
    code, out, err = await run("audit", "verify")
    assert (code, err) == (0, "")
    assert out == f"OK: 5 entries, head {head[1]}\n"


async def test_verify_passes_on_an_empty_chain(app, run):
    code, out, _ = await run("audit", "verify")
    assert code == 0 and out.startswith("OK: 0 entries, head " + "0" * 64)


async def test_verify_names_an_edited_entry(chain, sessions, run):
    async with sessions.begin() as s:
        await s.execute(update(AuditEntry).where(AuditEntry.id == 3).values(actor="nobody"))
    code, out, err = await run("audit", "verify")
    assert code == 1 and out == ""
    assert "entry 3 was edited" in err
    assert "FAILED" in err


async def test_verify_names_a_deleted_entry(chain, sessions, run):
    async with sessions.begin() as s:
        await s.execute(delete(AuditEntry).where(AuditEntry.id == 2))
    code, _, err = await run("audit", "verify")
    assert code == 1
    assert "entry 2 is missing" in err


async def test_verify_names_a_reordering(chain, sessions, run):
    async with sessions.begin() as s:  # swap the contents of entries 2 and 3
        await s.execute(update(AuditEntry).where(AuditEntry.id == 2).values(id=-2))
        await s.execute(update(AuditEntry).where(AuditEntry.id == 3).values(id=2))
        await s.execute(update(AuditEntry).where(AuditEntry.id == -2).values(id=3))
    code, _, err = await run("audit", "verify")
    assert code == 1
    assert "entry 2 does not follow the entry before it" in err


async def test_export_writes_a_sealed_head_and_verify_checks_it(chain, run, tmp_path):
    anchor = tmp_path / "anchor.json"
    code, out, _ = await run("audit", "export", "--output", str(anchor))
    assert code == 0 and out == f"Anchored entry 5 in {anchor}.\n"
    exported = json.loads(anchor.read_text())
    assert exported["position"] == 5
    assert exported["hash"] == (await chain.state.hub.audit.head())[1]
    assert len(exported["mac"]) == 64 and exported["exported_at"]
    await record(chain, 2, start=5)  # the chain grows past the anchor: still fine
    code, out, err = await run("audit", "verify", "--anchor", str(anchor))
    assert (code, err) == (0, "")
    assert "OK: 7 entries" in out and "holds the anchor at entry 5" in out


async def test_export_prints_to_stdout_without_output(chain, run):
    code, out, _ = await run("audit", "export")
    assert code == 0 and json.loads(out)["position"] == 5


async def test_an_anchor_catches_a_cleanly_cut_tail(chain, sessions, run, tmp_path):
    anchor = tmp_path / "anchor.json"
    assert (await run("audit", "export", "--output", str(anchor)))[0] == 0
    async with sessions.begin() as s:  # drop entries 4 and 5 and set the head back to 3
        third = (await s.execute(text("SELECT entry_hash FROM audit_entries WHERE id = 3"))).one()
        await s.execute(delete(AuditEntry).where(AuditEntry.id > 3))
        await s.execute(update(AuditHead).values(seq=3, hash=third[0]))
    assert (await run("audit", "verify"))[0] == 0  # the chain alone looks intact
    code, _, err = await run("audit", "verify", "--anchor", str(anchor))
    assert code == 1
    assert "entry 5, the anchored head, is missing (the chain now ends at 3" in err


async def test_an_anchor_catches_a_rewritten_history(chain, sessions, run, tmp_path):
    anchor = tmp_path / "anchor.json"
    assert (await run("audit", "export", "--output", str(anchor)))[0] == 0
    async with sessions.begin() as s:  # rebuild the chain from scratch, with the audit key
        await s.execute(delete(AuditEntry))
        await s.execute(update(AuditHead).values(seq=0, hash="0" * 64))
    await record(chain, 6, start=100)
    assert (await run("audit", "verify"))[0] == 0
    code, _, err = await run("audit", "verify", "--anchor", str(anchor))
    assert code == 1
    assert "entry 5 no longer has the anchored hash" in err


async def test_an_edited_anchor_is_refused(chain, run, tmp_path: Path):
    anchor = tmp_path / "anchor.json"
    assert (await run("audit", "export", "--output", str(anchor)))[0] == 0
    data = json.loads(anchor.read_text())
    anchor.write_text(json.dumps({**data, "position": 4}))
    code, _, err = await run("audit", "verify", "--anchor", str(anchor))
    assert code == 1 and "HMAC does not verify" in err
    anchor.write_text("not json")
    code, _, err = await run("audit", "verify", "--anchor", str(anchor))
    assert code == 1 and "not an audit anchor" in err


async def test_export_refuses_to_anchor_a_broken_chain(chain, sessions, run, tmp_path):
    async with sessions.begin() as s:
        await s.execute(update(AuditEntry).where(AuditEntry.id == 4).values(outcome="denied"))
    anchor = tmp_path / "anchor.json"
    code, _, err = await run("audit", "export", "--output", str(anchor))
    assert code == 1 and "entry 4 was edited" in err
    assert not anchor.exists()

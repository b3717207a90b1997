"""``channelhub keys reencrypt`` really killed (SIGKILL) halfway, then run again: it resumes
after its last committed batch, leaves no value on an old key, and every value is intact —
checked against the demo generator's plaintexts, which are deterministic."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from demo import seed
from demo.data import generate
from demo.scales import Scale
from jobs.key_admin import KeyTools
from security.fields import EncryptedValue
from settings import Settings
from store.encrypted import PARTNER_FIELDS
from store.models import KeyJobCheckpoint, Partner

ROOT = Path(__file__).resolve().parents[2]
NOW = datetime(2026, 3, 1, tzinfo=UTC)
SCALE = Scale("kill", provinces=2, cities_per_province=2, partners=300, products=20, orders=50)


async def checkpoint(tools: KeyTools) -> int:
    async with tools.sessions() as session:
        found = await session.get(KeyJobCheckpoint, "reencrypt:partners")
        return found.last_id if found is not None else 0


@pytest.mark.slow
async def test_a_killed_reencryption_resumes_and_loses_nothing(settings: Settings, app):
    tools = KeyTools(settings)
    try:
        await seed(tools.engine, scale=SCALE, now=NOW, crypto=tools.crypto)
        await tools.rotate()
        env = {k: v for k, v in os.environ.items() if not k.startswith("CHANNELHUB_")}
        env |= {"CHANNELHUB_DATA_DIR": str(settings.data_dir)}
        if settings.database_url:
            env["CHANNELHUB_DATABASE_URL"] = settings.database_url
        command = [sys.executable, "-c", "import cli, sys; sys.exit(cli.main(sys.argv[1:]))"]
        process = subprocess.Popen(  # noqa: ASYNC220 (a child process we kill on purpose)
            [*command, "keys", "reencrypt", "--batch", "1"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 60
        while await checkpoint(tools) < 20 and time.monotonic() < deadline:
            assert process.poll() is None, "re-encryption finished before it could be killed"
            await asyncio.sleep(0.01)
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=10)
        killed_at = await checkpoint(tools)
        assert 20 <= killed_at < SCALE.partners

        report = await tools.reencrypt(batch=50)
        assert report.resumed_after == {"partners": killed_at}
        assert report.remaining == 0
        status = (await tools.status()).as_json()
        for name, column in status["columns"].items():
            assert set(column["by_state"]) <= {"active"} and column["not_ciphertext"] == 0
            if name.startswith("partners."):  # the seed writes partners (no connectors)
                assert set(column["by_state"]) == {"active"}

        expected = generate(SCALE, NOW).contacts
        async with tools.sessions() as session:
            rows = list(await session.scalars(select(Partner).order_by(Partner.id)))
        values: list[EncryptedValue] = [
            getattr(row, c.column) for row in rows for c in PARTNER_FIELDS
        ]
        present = [v for v in values if v.ciphertext is not None]
        opened = await tools.crypto.open_many(present)
        assert len(present) == sum(len(fields) for fields in expected.values())
        for value, plaintext in zip(present, opened, strict=True):
            assert plaintext == expected[value.row_id][value.column]
    finally:
        await tools.close()

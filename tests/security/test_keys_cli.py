"""``channelhub keys`` through ``cli.main`` on a SQLite data dir holding a tiny encrypted seed:
status, rotate, reencrypt (progress bar, then a no-op), shred, rotate-kek; each one audited."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

import cli
from demo import seed
from jobs.key_admin import KeyTools
from settings import Settings
from tests.security.test_key_service import TINY


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A migrated SQLite database with 12 demo partners whose fields are sealed."""
    monkeypatch.setenv("CHANNELHUB_DATA_DIR", str(tmp_path))

    async def make() -> None:
        from store.migrate import upgrade

        tools = KeyTools(Settings())
        try:
            await upgrade(tools.engine)
            now = datetime(2026, 3, 1, tzinfo=UTC)
            await seed(tools.engine, scale=TINY, now=now, crypto=tools.crypto)
        finally:
            await tools.close()

    asyncio.run(make())
    yield tmp_path


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = cli.main(["keys", *args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def status(capsys: pytest.CaptureFixture[str]) -> dict[str, object]:
    code, out, _ = run(capsys, "status", "--json")
    assert code == 0
    report: dict[str, object] = json.loads(out)
    return report


def test_rotate_reencrypt_shred_and_rotate_kek_from_the_command_line(data_dir, capsys):
    code, out, _ = run(capsys, "status")
    assert code == 0 and "partners.tax_id" in out and "not ciphertext" in out
    before = status(capsys)
    tax = before["columns"]["partners.tax_id"]  # type: ignore[index]
    assert tax["not_ciphertext"] == 0 and tax["by_state"] == {"active": 12}

    code, out, _ = run(capsys, "rotate")
    assert (code, out.split(":")[0]) == (0, "Rotated 12 data key(s)")
    tax = status(capsys)["columns"]["partners.tax_id"]  # type: ignore[index]
    assert tax["by_state"] == {"decrypt_only": 12}

    code, out, err = run(capsys, "reencrypt", "--batch", "5")
    assert code == 0, err
    assert "re-encrypting" in err and "100%" in err
    assert "left on old keys: 0" in out and "retired key(s): 12" in out
    code, out, _ = run(capsys, "reencrypt")
    assert code == 0 and out.startswith("Re-encrypted 0 value(s)")
    after = status(capsys)
    assert after["columns"]["partners.tax_id"]["by_state"] == {"active": 12}  # type: ignore[index]
    assert after["keys"]["by_state"]["retired"] == 12  # type: ignore[index]

    code, out, _ = run(capsys, "shred", "--partner", "1")
    assert code == 0 and "Shredded partner" in out
    code, _, err = run(capsys, "shred", "--partner", "NO-SUCH-PARTNER")
    assert code == 1 and "no partner" in err
    tax = status(capsys)["columns"]["partners.tax_id"]  # type: ignore[index]
    assert tax["by_state"] == {"active": 11, "destroyed": 1}

    code, out, _ = run(capsys, "rotate-kek")
    assert code == 0 and "under KEK local-2" in out and "unchanged" in out
    final = status(capsys)
    assert final["kek"] == "local-2"
    assert set(final["keys"]["by_kek"]) == {"local-2", "local-1"}  # type: ignore[index]

    assert cli.main(["audit", "verify"]) == 0  # five audited operations, one intact chain
    assert "OK" in capsys.readouterr().out


def test_bad_usage_is_exit_code_2(data_dir):
    with pytest.raises(SystemExit) as exited:
        cli.main(["keys", "reencrypt", "--batch", "0"])
    assert exited.value.code == 2
    with pytest.raises(SystemExit) as exited:
        cli.main(["keys", "shred"])
    assert exited.value.code == 2

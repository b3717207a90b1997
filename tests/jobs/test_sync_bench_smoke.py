"""Keeps ``bench/sync_throughput.py`` working: a few hundred records through both sync passes
and both floors on PostgreSQL, every pass checked by the bench itself; nothing about timing."""

from __future__ import annotations

import json

import anyio
import pytest

from bench import sync_throughput
from bench.sync_throughput import SyncCheckError, main, run


async def test_the_bench_syncs_every_record_exactly_once(settings, backend):
    if backend != "postgres":
        pytest.skip("not applicable: the sync bench measures PostgreSQL only")
    report = await run(
        settings.database_url,
        450,
        page_size=100,
        rounds=1,
        warmup=0,
        data_dir=settings.data_dir,
        log=lambda _message: None,
    )
    summary = report.as_json()
    assert summary["exactly_once"] is True
    assert (summary["records"], summary["pages"]) == (450, 5)
    for key in ("sync_new", "sync_unchanged", "copy", "executemany"):
        assert summary[f"{key}_records_per_s"] > 0
    assert summary["ratio_copy_to_sync"] > 0
    assert "COPY/sync" in report.as_text()


def test_a_sqlite_url_is_refused_and_a_failed_check_is_loud(capsys):
    assert main(["--database-url", "sqlite+aiosqlite:///x.db", "--records", "10"]) == 1
    assert "measures PostgreSQL" in capsys.readouterr().err
    assert issubclass(SyncCheckError, AssertionError)


async def test_the_command_prints_one_json_line(settings, backend, capsys, monkeypatch):
    if backend != "postgres":
        pytest.skip("not applicable: the sync bench measures PostgreSQL only")
    monkeypatch.setattr(sync_throughput, "DATA_DIR", settings.data_dir)
    argv = ["--database-url", settings.database_url, "--records", "120", "--page-size", "50"]
    argv += ["--rounds", "1", "--warmup", "0", "--json"]
    assert await anyio.to_thread.run_sync(main, argv) == 0
    line = capsys.readouterr().out.strip()
    assert json.loads(line)["records"] == 120

"""Keeps ``bench/encryption_read.py`` working: a few requests over a small sealed channel.

Asserts that both queries answer and the masks are there (the bench's own checks), and that
the report carries its numbers; never anything about timing.
"""

from __future__ import annotations

from bench.encryption_read import run


async def test_the_bench_seeds_measures_and_reports(tmp_path):
    url = f"sqlite+aiosqlite:///{tmp_path / 'bench.db'}"
    report = await run(
        url,
        requests=2,
        warmup=1,
        partners=30,
        data_dir=tmp_path,
        micro_iterations=50,
        log=lambda _message: None,
    )
    summary = report.as_json()
    assert summary["partners"] == 30
    assert summary["ratio_mean"] > 0 and summary["seal_us"] > 0 and summary["unseal_us"] > 0
    assert "ratio encrypted/plain" in report.as_text()
    again = await run(
        url, requests=1, warmup=0, partners=30, data_dir=tmp_path, micro_iterations=10
    )
    assert again.partners == 30  # the seeded database is reused, not seeded twice

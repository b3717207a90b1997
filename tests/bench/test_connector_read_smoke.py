"""Keeps ``bench/connector_read.py`` working: both paths over a few hundred records.

Asserts the bench's own checks (every record served, read and mapped exactly once) and that
the report carries its numbers; never anything about timing.
"""

from __future__ import annotations

import json

import pytest

from bench.connector_read import ReadCheckError, check_exactly_once, main, run

RECORDS = 300


async def test_both_paths_read_and_map_every_record_exactly_once():
    report = await run(RECORDS, page_size=70, rounds=1, warmup=0, log=lambda _message: None)
    summary = report.as_json()
    assert summary["exactly_once"] is True
    for name, pages in (("rest", 5), ("soap", 6)):  # 300/70 → 5 pages; NAV ends on an empty one
        path = summary[name]
        assert path["records"] == RECORDS
        assert path["pages"] == pages
        assert path["end_to_end_records_per_s"] > 0
        assert path["read_only_records_per_s"] > 0
        assert path["floor_records_per_s"] > 0
    assert "floor/end to end" in report.as_text()


async def test_a_page_size_dividing_the_records_still_reads_each_once():
    report = await run(RECORDS, page_size=100, rounds=1, warmup=0, log=lambda _message: None)
    assert [(p.name, p.pages) for p in report.paths] == [("rest", 3), ("soap", 4)]


def test_exactly_once_fails_loudly_on_repeats_and_gaps():
    check_exactly_once("ok", ["a", "b"], ["b", "a"])
    with pytest.raises(ReadCheckError, match="1 repeated"):
        check_exactly_once("twice", ["a", "a"], ["a", "b"])
    with pytest.raises(ReadCheckError, match="1 missing"):
        check_exactly_once("short", ["a"], ["a", "b"])


def test_the_command_prints_one_json_line(capsys):
    argv = ["--records", "120", "--rounds", "1", "--warmup", "0", "--path", "rest", "--json"]
    assert main(argv) == 0
    line = capsys.readouterr().out.strip()
    assert json.loads(line)["rest"]["records"] == 120

"""Incremental SOAP reads: ``{cursor}`` from the saved state, a crash mid-read resumes the same
filtered read, the last page keeps only the largest cursor."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from connectors.soap.config import SoapStream
from connectors.soap.paging import pages

pytestmark = pytest.mark.anyio

T0 = datetime(2026, 3, 1, tzinfo=UTC)
ROWS: list[dict[str, Any]] = [
    {"Key": f"K{n:02d}", "Modified": T0 + timedelta(minutes=n)} for n in range(7)
]


class FakeErp:
    """ReadMultiple over ROWS: a ``>=`` filter on Modified, then bookmark paging by Key."""

    def __init__(self) -> None:
        self.calls: list[dict[str, Any]] = []

    async def __call__(self, operation: str, args: dict[str, Any]) -> Any:
        self.calls.append(args)
        since = datetime.fromisoformat(args["filter"]["Criteria"].removeprefix(">="))
        after = args.get("bookmarkKey") or ""
        rows = [r for r in ROWS if r["Modified"] >= since and r["Key"] > after]
        return rows[: args["setSize"]]


STREAM = SoapStream.model_validate(
    {
        "name": "customers",
        "operation": "ReadMultiple",
        "args": {"filter": {"Field": "Modified", "Criteria": ">={cursor}"}},
        "paginator": {"type": "bookmark", "page_size": 3},
        "incremental": {"cursor_field": "Modified", "lookback_seconds": 60},
    }
)


async def read(erp: FakeErp, state: dict[str, Any]) -> list[Any]:
    return [page async for page in pages(STREAM, state, erp)]


async def test_first_read_starts_at_the_configured_start_and_ends_with_the_largest_cursor():
    erp = FakeErp()
    result = await read(erp, {})
    assert [r["Key"] for p in result for r in p.records] == [r["Key"] for r in ROWS]
    assert erp.calls[0]["filter"]["Criteria"] == ">=1970-01-01T00:00:00+00:00"
    assert result[-1].state == {"cursor": ROWS[-1]["Modified"].isoformat()}
    assert result[0].state == {
        "cursor": ROWS[2]["Modified"].isoformat(),
        "since": "1970-01-01T00:00:00+00:00",
        "position": {"bookmark": "K02"},
    }


async def test_a_crash_mid_read_resumes_the_same_filtered_read_after_its_bookmark():
    erp = FakeErp()
    first = (await read(erp, {}))[0]
    rest = await read(erp, first.state)
    assert erp.calls[-1]["filter"]["Criteria"] == ">=1970-01-01T00:00:00+00:00"  # same since
    assert [r["Key"] for p in rest for r in p.records] == [r["Key"] for r in ROWS[3:]]


async def test_the_next_read_filters_from_the_saved_cursor_minus_the_lookback():
    erp = FakeErp()
    done = (await read(erp, {}))[-1].state
    again = await read(erp, done)
    since = (ROWS[-1]["Modified"] - timedelta(seconds=60)).isoformat()
    assert erp.calls[-1]["filter"]["Criteria"] == f">={since}"
    assert [r["Key"] for p in again for r in p.records] == ["K05", "K06"]  # the lookback
    assert again[-1].state == done

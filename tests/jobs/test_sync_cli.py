"""``channelhub sync run|retry|status`` against a small ERP on 127.0.0.1: runs recorded with
a summary per stream and progress on stderr, clear failures with exit 1, a status table."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import anyio
import pytest
from sqlalchemy import func, select

import cli
from jobs.sync_commands import SyncProgress
from settings import Settings
from store.engine import create_engine, create_sessionmaker
from store.models import JobRun, Product
from tests.jobs.sync_harness import at
from tests.local_server import serving

TOKEN = "cli-canary-token-5Yq2Rz"
RECORDS = [
    {
        "id": f"P{n}",
        "sku": f"SKU-{n}",
        "name": f"Product {n}",
        "price": f"{n}.25",
        "updated_at": at(n),
    }
    for n in range(1, 26)
]
RECORDS[4]["price"] = "n/a"  # one bad record


class _Erp(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        query = parse_qs(urlsplit(self.path).query)
        offset = int(query.get("cursor", ["0"])[0])
        limit = int(query["limit"][0])
        page = RECORDS[offset : offset + limit]
        following = offset + limit if offset + limit < len(RECORDS) else None
        body = json.dumps({"data": page, "next": following}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *_args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def erp() -> Iterator[str]:
    with serving(_Erp) as url:
        yield url


def config_text(url: str) -> str:
    return f"""
name: erp
kind: rest
connection:
  base_url: {url}/api
  authenticator: {{type: bearer, token: "{TOKEN}"}}
  retries: {{max_attempts: 1}}
  rate_limit: {{requests_per_second: 1000, burst: 100}}
streams:
  - name: products
    request: {{path: products, params: {{limit: 4}}}}
    record_selector: data
    paginator: {{type: cursor, cursor_path: next, cursor_param: cursor}}
    mapping:
      entity: product
      external_id: id
      fields:
        sku: sku
        name: name
        category: {{default: General}}
        list_price: {{source: price, cast: decimal, required: true}}
  - name: raw
    request: {{path: raw}}
"""


@pytest.fixture
def run(settings: Settings, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]):
    """``await run("sync", "status")`` → (exit code, stdout, stderr)."""
    monkeypatch.setenv("CHANNELHUB_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("CHANNELHUB_DATABASE_URL", settings.database_url)

    async def invoke(*argv: str) -> tuple[int, str, str]:
        capsys.readouterr()
        code = await anyio.to_thread.run_sync(cli.main, list(argv))
        out, err = capsys.readouterr()
        return code, out, err

    return invoke


async def count(settings: Settings, model: Any) -> int:
    engine = create_engine(settings)
    try:
        async with create_sessionmaker(engine)() as session:
            return int(await session.scalar(select(func.count()).select_from(model)) or 0)
    finally:
        await engine.dispose()


async def test_run_status_and_retry(run: Any, settings: Settings, tmp_path: Path, erp: str):
    file = tmp_path / "erp.yaml"
    file.write_text(config_text(erp))
    assert (await run("connectors", "apply", "-f", str(file)))[0] == 0

    code, out, err = await run("sync", "status")
    assert code == 0
    lines = out.splitlines()
    assert lines[0].split()[:4] == ["connector", "stream", "run", "status"]
    assert "products" in lines[1] and "never run" in lines[1]
    assert "raw" in lines[2] and "no mapping" in lines[2]

    code, out, err = await run("sync", "run", "erp")  # every mapped stream: products
    assert code == 0, err
    assert out.startswith("erp/products: SUCCEEDED (run 1) — read 25, inserted 24, updated 0,")
    assert "quarantined 1, deleted 0 in 7 pages" in out
    # progress off a terminal: a line per 10 pages and one at the end
    assert err.splitlines() == [
        "erp/products: page 7, 25 records (24 new, 0 updated, 0 unchanged, 1 quarantined)"
        + err.splitlines()[0][-7:]
    ]
    assert TOKEN not in out + err
    assert await count(settings, Product) == 24

    code, out, _ = await run("sync", "status", "erp")
    row = next(line for line in out.splitlines() if " products " in f" {line} ")
    cells = row.split()
    assert cells[:4] == ["erp", "products", "1", "SUCCEEDED"]
    assert cells[5:11] == ["25", "24", "0", "0", "1", "0"]
    assert cells[-1] == "1"  # one record waits in quarantine

    code, out, _ = await run("sync", "retry", "erp")
    assert (code, out.strip()) == (
        0,
        "retried 1: resolved 0 (inserted 0, updated 0, unchanged 0), still failing 1, unreadable 0",
    )

    code, out, _ = await run("sync", "run", "erp", "products", "--full-refresh")
    assert code == 0 and "(run 2) — read 25, inserted 0, updated 0, unchanged 24" in out
    assert await count(settings, JobRun) == 2


async def test_failures_exit_1_with_the_reason(run: Any, tmp_path: Path, erp: str):
    file = tmp_path / "erp.yaml"
    file.write_text(config_text(erp))
    await run("connectors", "apply", "-f", str(file))

    code, out, err = await run("sync", "run", "erp", "prices")
    assert code == 1
    assert "erp/prices: FAILED" in out
    assert "UnknownStream: connector 'erp' has no stream 'prices'" in err

    code, _, err = await run("sync", "run", "erp", "raw")
    assert code == 1 and "stream 'raw' of connector 'erp' has no mapping" in err

    code, out, err = await run("sync", "run", "ghost")
    assert (code, out) == (1, "")
    assert "connector 'ghost' does not exist" in err

    code, _, err = await run("sync", "status", "ghost")
    assert code == 1 and "no connector named 'ghost'" in err


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_redraws_in_place_on_a_terminal_and_uses_a_bar_for_a_known_total():
    drawn: list[tuple[int, int]] = []

    class Bar:
        def __init__(self, label: str) -> None:
            self.label = label

        def __call__(self, done: int, total: int) -> None:
            drawn.append((done, total))

        def close(self) -> None:
            drawn.append((-1, -1))

    screen = _Terminal()
    progress = SyncProgress("erp/products", Bar, stream=screen)
    run = JobRun(status="RUNNING", pages=1, records_read=3, records_inserted=3, records_updated=0)
    run.records_unchanged = run.records_quarantined = 0
    progress(run)
    run.pages, run.records_read, run.records_inserted = 2, 6, 6
    progress(run)
    progress.close()
    text = screen.getvalue()
    assert text.startswith("\rerp/products: page 1, 3 records (3 new,")
    assert "\rerp/products: page 2, 6 records (6 new," in text and text.endswith("\n")
    assert drawn == []

    run.progress_total, run.progress_done = 10, 4
    counted = SyncProgress("erp/x", Bar, stream=_Terminal())
    counted(run)
    counted.close()
    assert drawn == [(4, 10), (-1, -1)]

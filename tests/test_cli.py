"""The ``channelhub`` command, driven through ``cli.main`` against SQLite files in temp folders."""

from __future__ import annotations

import asyncio
import contextlib
import io
import os
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from sqlalchemy import func, inspect, select, text

import cli
import store.models  # noqa: F401  (registers every table)
from demo.banner import EXAMPLE_QUERY
from security.tokens import issue_token
from security.viewer import Role
from settings import Settings
from store.base import Base
from store.engine import create_engine


@dataclass
class Seeded:
    folder: Path
    code: int
    stdout: str
    stderr: str


@contextlib.contextmanager
def channelhub_env(**values: str) -> Iterator[None]:
    """Only the given CHANNELHUB_* variables (names without the prefix) for the block."""
    with pytest.MonkeyPatch.context() as patch:
        for name in list(os.environ):
            if name.startswith("CHANNELHUB_"):
                patch.delenv(name)
        for name, value in values.items():
            patch.setenv(f"CHANNELHUB_{name.upper()}", value)
        yield


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Seeded:
    """``channelhub seed --scale small`` run once into a fresh data dir."""
    folder = tmp_path_factory.mktemp("cli-seed")
    out, err = io.StringIO(), io.StringIO()
    with (
        channelhub_env(data_dir=str(folder)),
        contextlib.redirect_stdout(out),
        contextlib.redirect_stderr(err),
    ):
        code = cli.main(["seed", "--scale", "small"])
    return Seeded(folder, code, out.getvalue(), err.getvalue())


async def count(folder: Path, table: str) -> int:
    engine = create_engine(Settings(data_dir=folder, database_url=""))
    try:
        async with engine.connect() as conn:
            found = await conn.execute(
                select(func.count()).select_from(Base.metadata.tables[table])
            )
            return int(found.scalar_one())
    finally:
        await engine.dispose()


@pytest.fixture
def served(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """Calls to ``uvicorn.run``, which is replaced so nothing listens."""
    calls: list[dict[str, Any]] = []

    def fake_run(app: Any, **options: Any) -> None:
        calls.append({"app": app, **options})

    monkeypatch.setattr(uvicorn, "run", fake_run)
    return calls


def test_migrate_creates_the_schema_and_is_repeatable(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("CHANNELHUB_DATA_DIR", str(tmp_path))
    assert cli.main(["migrate"]) == 0
    assert cli.main(["migrate"]) == 0
    assert "Migrated sqlite+aiosqlite:///" in capsys.readouterr().out

    async def schema() -> tuple[set[str], list[Any]]:
        engine = create_engine(Settings(data_dir=tmp_path, database_url=""))
        try:
            async with engine.connect() as conn:
                tables = await conn.run_sync(lambda c: set(inspect(c).get_table_names()))
                version = await conn.execute(text("SELECT version_num FROM alembic_version"))
                return tables, list(version.all())
        finally:
            await engine.dispose()

    tables, versions = asyncio.run(schema())
    assert set(Base.metadata.tables) <= tables
    assert len(versions) == 1


async def test_seed_loads_the_small_channel_with_a_progress_bar(seeded):
    assert seeded.code == 0
    assert "Seeded " in seeded.stdout and "orders 20,000" in seeded.stdout
    assert " s (scale small)" in seeded.stdout
    assert "seeding small" in seeded.stderr and "100%" in seeded.stderr
    assert await count(seeded.folder, "partners") == 200
    assert await count(seeded.folder, "orders") == 20_000


def test_seed_refuses_a_database_with_partners(seeded, monkeypatch, capsys):
    monkeypatch.setenv("CHANNELHUB_DATA_DIR", str(seeded.folder))
    assert cli.main(["seed", "--scale", "small"]) == 1
    assert "already has partners" in capsys.readouterr().err


def test_demo_reuses_seeded_data_and_serves_it(seeded, served, monkeypatch, capsys):
    monkeypatch.setenv("CHANNELHUB_DATA_DIR", str(seeded.folder))
    monkeypatch.setenv("CHANNELHUB_DATABASE_URL", "postgresql+asyncpg://nobody@nowhere/none")
    assert cli.main(["demo", "--port", "8765"]) == 0
    out = capsys.readouterr().out
    assert "Using the demo data already in sqlite+aiosqlite:///" in out
    assert "http://127.0.0.1:8765/graphql" in out and "orders(first: 5)" in out
    [call] = served
    assert (call["host"], call["port"]) == ("127.0.0.1", 8765)
    hub = call["app"].state.hub
    assert hub.settings.is_sqlite and hub.settings.data_dir == seeded.folder


def test_demo_migrates_and_seeds_an_empty_database(served, tmp_path, monkeypatch, capsys):
    import demo

    seeded_scales: list[str] = []

    async def fake_seed(
        engine: Any, *, scale: str, progress: Any = None, crypto: Any = None
    ) -> demo.SeedReport:
        seeded_scales.append(scale)
        progress(1, 1)
        return demo.SeedReport(scale, datetime.now(UTC), {"partners": 200}, 0.5)

    monkeypatch.setattr(demo, "seed", fake_seed)
    monkeypatch.setenv("CHANNELHUB_DATA_DIR", str(tmp_path / "fresh"))
    assert cli.main(["demo"]) == 0
    captured = capsys.readouterr()
    assert seeded_scales == ["small"] and "seeding small" in captured.err
    assert "Seeded 200 rows in 0.5 s (scale small): partners 200" in captured.out
    assert (tmp_path / "fresh" / "channelhub.db").exists()
    assert [(c["host"], c["port"]) for c in served] == [("127.0.0.1", 8000)]


def test_serve_binds_where_settings_say(served, tmp_path, monkeypatch):
    monkeypatch.setenv("CHANNELHUB_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("CHANNELHUB_HOST", "0.0.0.0")
    monkeypatch.setenv("CHANNELHUB_PORT", "9123")
    assert cli.main(["serve"]) == 0
    assert cli.main(["serve", "--host", "127.0.0.2", "--port", "9124"]) == 0
    assert [(c["host"], c["port"]) for c in served] == [("0.0.0.0", 9123), ("127.0.0.2", 9124)]


async def test_the_example_query_the_demo_prints_answers(seeded):
    from app import create_app

    settings = Settings(data_dir=seeded.folder, database_url="", auto_migrate=False)
    app = create_app(settings)
    token = issue_token(settings, subject="demo", role=Role.BRAND_ADMIN)
    try:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://hub.test") as client:
            response = await client.post(
                "/graphql",
                json={"query": EXAMPLE_QUERY},
                headers={"Authorization": f"Bearer {token}"},
            )
    finally:
        await app.state.hub.engine.dispose()
    body = response.json()
    assert "errors" not in body, body["errors"]
    orders = body["data"]["orders"]
    assert orders["totalCount"] == 20_000 and len(orders["nodes"]) == 5
    for order in orders["nodes"]:
        assert order["partner"]["region"]["name"]
        assert 1 <= len(order["lines"]) <= 6 and order["lines"][0]["product"]["sku"]


def test_the_parser_knows_every_command_and_rejects_bad_scales(capsys):
    parser = cli.build_parser()
    for command in ("migrate", "seed", "serve", "demo"):
        assert parser.parse_args([command]).handler
    assert parser.parse_args(["seed"]).scale == "small"
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["seed", "--scale", "huge"])
    assert exit_info.value.code == 2
    assert "invalid choice: 'huge'" in capsys.readouterr().err

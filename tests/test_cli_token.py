"""``channelhub token`` and the tokens ``channelhub demo`` prints, on SQLite in temp folders."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn

import cli
from app import create_app
from domain.enums import PartnerType
from schema.node import encode_id
from security.tokens import verify_token
from security.viewer import Role
from settings import Settings
from store.engine import create_engine, create_sessionmaker
from store.migrate import upgrade
from tests import factories as f


def seed_small_channel(folder: Path) -> dict[str, int]:
    """Migrate a SQLite file in ``folder`` and add two regions and two partners."""

    async def run() -> dict[str, int]:
        engine = create_engine(Settings(data_dir=folder, database_url=""))
        try:
            await upgrade(engine)
            async with create_sessionmaker(engine).begin() as s:
                east = await f.create_region(s, name="East")
                west = await f.create_region(s, name="West")
                agent = await f.create_partner(s, code="AG-1", type=PartnerType.AGENT, region=east)
                dealer = await f.create_partner(s, code="DLR-1", region=west)
                await f.create_partner(s, code="DLR-2", region=west)
                return {"east": east.id, "west": west.id, "agent": agent.id, "dealer": dealer.id}
        finally:
            await engine.dispose()

    return asyncio.run(run())


@pytest.fixture
def folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for name in ("CHANNELHUB_DATABASE_URL", "CHANNELHUB_JWT_SECRET"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("CHANNELHUB_DATA_DIR", str(tmp_path))
    return tmp_path


def token_of(capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    assert cli.main(["token", *argv]) == 0
    return capsys.readouterr().out.strip()


def test_token_resolves_codes_and_global_ids(folder, capsys):
    ids = seed_small_channel(folder)
    settings = Settings(data_dir=folder)
    by_code = verify_token(settings, token_of(capsys, "--role", "dealer", "--partner", "DLR-1"))
    assert (by_code.role, by_code.partner_id, by_code.subject) == (
        Role.DEALER,
        ids["dealer"],
        "cli:dealer",
    )
    partner_gid = encode_id("Partner", ids["agent"])
    by_id = verify_token(settings, token_of(capsys, "--role", "dealer", "--partner", partner_gid))
    assert by_id.partner_id == ids["agent"]
    region_codes = asyncio.run(region_codes_of(folder))
    manager = verify_token(
        settings,
        token_of(
            capsys,
            "--role=region_manager",
            f"--region={region_codes['East']}",
            f"--region={encode_id('Region', ids['west'])}",
            "--subject=rm@example",
        ),
    )
    assert (manager.region_ids, manager.subject) == ((ids["east"], ids["west"]), "rm@example")


async def region_codes_of(folder: Path) -> dict[str, str]:
    from sqlalchemy import select

    from store.models import Region

    engine = create_engine(Settings(data_dir=folder, database_url=""))
    try:
        async with engine.connect() as conn:
            return {n: c for n, c in (await conn.execute(select(Region.name, Region.code))).all()}
    finally:
        await engine.dispose()


def test_token_lifetime_and_errors(folder, capsys):
    import jwt

    token = token_of(capsys, "--role", "brand_admin", "--ttl", "30m")
    claims = jwt.decode(token, options={"verify_signature": False})
    assert claims["exp"] - claims["iat"] == 1800
    assert cli.main(["token", "--role", "dealer"]) == 2
    assert "a dealer token needs --partner" in capsys.readouterr().err
    assert cli.main(["token", "--role", "dealer", "--partner", "NOPE"]) == 1
    assert "no partner with the id or code 'NOPE'" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        cli.main(["token", "--role", "service"])
    with pytest.raises(SystemExit):
        cli.main(["token", "--role", "brand_admin", "--ttl", "soon"])


def test_demo_prints_an_admin_and_a_dealer_token_that_work(folder, capsys, monkeypatch):
    ids = seed_small_channel(folder)
    served: list[Any] = []
    monkeypatch.setattr(uvicorn, "run", lambda app, **options: served.append(app))
    assert cli.main(["demo", "--port", "8765"]) == 0
    out = capsys.readouterr().out
    tokens = re.findall(r"^  (eyJ[\w-]+\.[\w-]+\.[\w-]+)$", out, re.MULTILINE)
    assert len(tokens) == 2
    assert "Dealer " in out and "(DLR-1)" in out
    assert f'-H "Authorization: Bearer {tokens[0]}"' in out
    assert "curl -s http://127.0.0.1:8765/graphql" in out
    settings = Settings(data_dir=folder, database_url="", auto_migrate=False)
    admin, dealer = (verify_token(settings, t) for t in tokens)
    assert admin.role is Role.BRAND_ADMIN
    assert (dealer.role, dealer.partner_id) == (Role.DEALER, ids["dealer"])
    seen = asyncio.run(partners_seen(settings, tokens))
    assert seen == [["AG-1", "DLR-1", "DLR-2"], ["DLR-1"]]


async def partners_seen(settings: Settings, tokens: list[str]) -> list[list[str]]:
    app = create_app(settings)
    seen = []
    try:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://hub.test") as client:
            for token in tokens:
                response = await client.post(
                    "/graphql",
                    json={"query": "{ partners { nodes { code } } }"},
                    headers={"Authorization": f"Bearer {token}"},
                )
                seen.append([n["code"] for n in response.json()["data"]["partners"]["nodes"]])
    finally:
        await app.state.hub.engine.dispose()
    return seen

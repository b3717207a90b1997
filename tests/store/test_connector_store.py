"""Stored connectors: created, unchanged on a second apply (not even rewritten), updated when
changed; secrets sealed per row (never in ``config_json``, the row or the database file),
opened back only to rebuild the config; a keyed config hash."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, text, update

from connectors.config import parse_config
from connectors.secrets import SECRET_PLACEHOLDER, join_secrets, split_secrets
from jobs.connector_configs import apply_configs, stored_config
from security.errors import CryptoError
from store.models.connector import ConnectorRow
from store.repositories.connectors import ConnectorRepository, UpsertOutcome

CANARY = "canary-Zq7xW2pLk9sV"
CANARY_TOKEN = "canary-token-8HfJ3nRt"

REST = f"""
name: erp-rest
kind: rest
connection:
  base_url: http://127.0.0.1:9/api
  authenticator: {{type: basic, username: hub, password: "{CANARY}"}}
streams:
  - name: products
    request: {{path: /products}}
    paginator: {{type: offset, page_size: 50}}
"""

SOAP = f"""
name: erp-nav
kind: soap
connection:
  wsdl: http://127.0.0.1:9/nav.wsdl
  authenticator: {{type: wsse_username_token, username: hub, password: "{CANARY_TOKEN}"}}
streams:
  - name: customers
    operation: ReadMultiple
    args: {{bookmarkKey: "{{bookmark}}"}}
    paginator: {{type: bookmark}}
"""


async def _rows(app: Any) -> list[tuple[Any, ...]]:
    async with app.state.hub.sessions() as session:
        result = await session.execute(text("SELECT * FROM connectors ORDER BY name"))
        return [tuple(row) for row in result]


async def _stamps(app: Any) -> dict[str, Any]:
    async with app.state.hub.sessions() as session:
        found = await session.execute(select(ConnectorRow.name, ConnectorRow.updated_at))
        return {name: updated for name, updated in found}


def _database_files(folder: Path) -> list[bytes]:
    return [path.read_bytes() for path in folder.glob("channelhub.db*")]


def _bytes_of(rows: list[tuple[Any, ...]]) -> bytes:
    return b"".join(v if isinstance(v, bytes) else str(v).encode() for row in rows for v in row)


def test_split_and_join_round_trip() -> None:
    config = parse_config(REST)
    public, secrets = split_secrets(config)
    assert secrets == {"/connection/authenticator/password": CANARY}
    assert public["connection"]["authenticator"]["password"] == SECRET_PLACEHOLDER
    assert CANARY not in json.dumps(public)
    assert parse_config(json.dumps(join_secrets(public, secrets))) == config


async def test_apply_creates_then_is_unchanged_then_updates(app: Any) -> None:
    crypto = app.state.hub.fields
    configs = [parse_config(REST), parse_config(SOAP)]
    assert await apply_configs(crypto, configs) == [
        (UpsertOutcome.CREATED, "erp-rest"),
        (UpsertOutcome.CREATED, "erp-nav"),
    ]
    before = await _rows(app)
    stamps = await _stamps(app)
    assert await apply_configs(crypto, configs) == [
        (UpsertOutcome.UNCHANGED, "erp-rest"),
        (UpsertOutcome.UNCHANGED, "erp-nav"),
    ]
    assert await _rows(app) == before  # not rewritten: same bytes, same updated_at
    assert await _stamps(app) == stamps

    changed = parse_config(REST.replace("page_size: 50", "page_size: 25"))
    assert await apply_configs(crypto, [changed]) == [(UpsertOutcome.UPDATED, "erp-rest")]
    after = {row[1]: row for row in await _rows(app)}
    old = {row[1]: row for row in before}
    assert after["erp-nav"] == old["erp-nav"]
    assert after["erp-rest"] != old["erp-rest"]
    assert (await _stamps(app))["erp-rest"] > stamps["erp-rest"]

    rebuilt = await stored_config(crypto, "erp-rest")
    assert rebuilt == changed
    assert await stored_config(crypto, "erp-nav") == configs[1]
    assert await stored_config(crypto, "missing") is None


async def test_a_new_secret_alone_is_an_update(app: Any) -> None:
    crypto = app.state.hub.fields
    await apply_configs(crypto, [parse_config(REST)])
    rotated = parse_config(REST.replace(CANARY, "another-password"))
    assert await apply_configs(crypto, [rotated]) == [(UpsertOutcome.UPDATED, "erp-rest")]
    assert await stored_config(crypto, "erp-rest") == rotated


async def test_secrets_never_reach_the_database_in_plaintext(
    app: Any, backend: str, settings: Any
) -> None:
    crypto = app.state.hub.fields
    await apply_configs(crypto, [parse_config(REST), parse_config(SOAP)])
    rows = await _rows(app)
    stored = _bytes_of(rows)
    for canary in (CANARY, CANARY_TOKEN):
        assert canary.encode() not in stored
    async with app.state.hub.sessions() as session:
        found = (await session.scalars(select(ConnectorRow))).all()
    for row in found:
        assert CANARY not in row.config_json and CANARY_TOKEN not in row.config_json
        assert SECRET_PLACEHOLDER in row.config_json
        assert row.secrets_ct is not None and row.secrets_mask == "********"
        # a keyed hash, not a plain digest of the config
        public = json.loads(row.config_json)
        plain = hashlib.sha256(json.dumps(public, sort_keys=True).encode()).hexdigest()
        assert row.config_hash != plain
    if backend == "sqlite":
        await app.state.hub.engine.dispose()
        files = _database_files(Path(settings.data_dir))
        assert files
        for content in files:
            assert CANARY.encode() not in content and CANARY_TOKEN.encode() not in content


async def test_sealed_secrets_are_bound_to_their_row(app: Any) -> None:
    crypto = app.state.hub.fields
    await apply_configs(crypto, [parse_config(REST), parse_config(SOAP)])
    async with app.state.hub.sessions.begin() as session:
        rows = {r.name: r for r in (await session.scalars(select(ConnectorRow))).all()}
        await session.execute(
            update(ConnectorRow)
            .where(ConnectorRow.name == "erp-nav")
            .values(secrets_ct=rows["erp-rest"].secrets_ct)
        )
    with pytest.raises(CryptoError):
        await stored_config(crypto, "erp-nav")
    assert await stored_config(crypto, "erp-rest") is not None


async def test_list_and_delete(app: Any) -> None:
    crypto = app.state.hub.fields
    await apply_configs(crypto, [parse_config(REST), parse_config(SOAP)])
    async with app.state.hub.sessions.begin() as session:
        repository = ConnectorRepository(session, crypto)
        assert [r.name for r in await repository.list_all()] == ["erp-nav", "erp-rest"]
        assert await repository.delete("erp-nav") is True
        assert await repository.delete("erp-nav") is False
    assert await stored_config(crypto, "erp-nav") is None

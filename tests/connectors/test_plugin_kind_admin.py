"""A plugin kind is administered like a built-in: ``channelhub connectors apply|list|test|
discover|schema`` and the GraphQL connector admin (applyConnector, testConnector,
discoverConnector, previewStream) take a ``memo`` config; its password is sealed in the
database and never shown back; ``/schemas/connector.json`` lists the kind."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest
import yaml
from sqlalchemy import text

import cli
from settings import Settings
from tests.connectors import memo_plugin
from tests.connectors.memo_plugin import MemoRemote, memo_config

PASSWORD = "memo-admin-canary-Tz5q"
REMOTE = "memo-admin-remote"
PARTNERS = {"entity": "partner", "external_id": "id", "fields": {"name": "name", "code": "code"}}


@pytest.fixture(autouse=True)
def remote(monkeypatch: pytest.MonkeyPatch) -> Iterator[MemoRemote]:
    memo_plugin.install(monkeypatch)
    found = MemoRemote(REMOTE, "hub", PASSWORD)
    found.put(
        "customers",
        {"id": "C-1", "code": "ALPHA", "name": "Alpha Farm"},
        {"id": "C-2", "code": "BETA"},  # no name: rejected by the mapping
        {"id": "C-3", "code": "GAMMA", "name": "Gamma Tractors"},
    )
    yield found
    MemoRemote.remotes.pop(REMOTE, None)
    memo_plugin.uninstall()


def config(**changes: Any) -> dict[str, Any]:
    data = memo_config(remote=REMOTE, password=PASSWORD, mapping=PARTNERS)
    data["streams"][0]["mapping"]["fields"]["name"] = {"source": "name", "required": True}
    data.update(changes)
    return data


@pytest.fixture
def run(settings: Settings, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]):
    """``await run("connectors", "list")`` → (exit code, stdout, stderr)."""
    monkeypatch.setenv("CHANNELHUB_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("CHANNELHUB_DATABASE_URL", settings.database_url)

    async def invoke(*argv: str) -> tuple[int, str, str]:
        capsys.readouterr()
        code = await anyio.to_thread.run_sync(cli.main, list(argv))
        out, err = capsys.readouterr()
        return code, out, err

    return invoke


async def _stored(app: Any) -> list[tuple[Any, ...]]:
    async with app.state.hub.sessions() as session:
        return [tuple(r) for r in await session.execute(text("SELECT * FROM connectors"))]


def _shows(row: tuple[Any, ...], secret: str) -> bool:
    return any(secret.encode() in (v if isinstance(v, bytes) else str(v).encode()) for v in row)


async def test_the_cli_applies_lists_tests_and_discovers_a_plugin_connector(
    run: Any, app: Any, tmp_path: Path, remote: MemoRemote
) -> None:
    file = tmp_path / "memo.yaml"
    file.write_text(yaml.safe_dump(config()))
    code, out, err = await run("connectors", "apply", "-f", str(file))
    assert (code, out, err) == (0, "created memo-erp\n", "")
    code, out, _ = await run("connectors", "apply", "-f", str(file))
    assert (code, out) == (0, "unchanged memo-erp\n")
    [row] = await _stored(app)
    assert not _shows(row, PASSWORD)
    async with app.state.hub.sessions() as session:
        query = text("SELECT kind, config_json, secrets_ct FROM connectors")
        [(kind, public, sealed)] = (await session.execute(query)).all()
    assert kind == "memo"
    assert json.loads(public)["connection"]["password"] == "<secret>"
    assert sealed  # the password is stored, sealed

    code, out, err = await run("connectors", "list")
    assert code == 0, err
    assert out.splitlines()[1].split() == ["memo-erp", "memo", "partners", "|", "create_order"]

    code, out, err = await run("connectors", "test", "memo-erp")
    assert (code, out.strip()) == (0, "ok memo-erp"), err
    assert remote.logins == 1  # the stored password was opened and sent
    code, out, err = await run("connectors", "discover", "memo-erp")
    assert code == 0, err
    assert out.splitlines() == [
        "stream partners - table customers",
        "    id: str",
        "    code: str",
        "    name: str",
        "operation create_order - into orders",
    ]

    remote.password = "rotated-on-the-remote"
    code, out, err = await run("connectors", "test", "memo-erp")
    assert code == 1 and out == ""
    assert "memo-erp failed: credentials" in err and "refused the login" in err
    code, out, err = await run("connectors", "discover", "memo-erp")
    assert code == 1 and "config_error" in err
    assert PASSWORD not in err + out


async def test_the_cli_refuses_a_bad_plugin_config_and_prints_its_schema(
    run: Any, app: Any, tmp_path: Path
) -> None:
    file = tmp_path / "bad.yaml"
    file.write_text(yaml.safe_dump([config(), config(name="b", kind="ftp")]))
    code, out, err = await run("connectors", "apply", "-f", str(file))
    assert code == 2 and out == ""
    assert "[1].kind: must be one of 'rest', 'soap', 'memo'" in err
    assert str(file) in err
    assert await _stored(app) == []
    code, out, _ = await run("connectors", "schema")
    assert code == 0
    assert set(json.loads(out)["discriminator"]["mapping"]) == {"rest", "soap", "memo"}


async def test_a_plugin_that_fails_to_load_is_reported_by_the_cli(
    run: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    memo_plugin.install(monkeypatch, memo_plugin.entry_point("broken", "NO_SUCH_KIND"))
    file = tmp_path / "memo.yaml"
    file.write_text(yaml.safe_dump(config()))
    for argv in (("apply", "-f", str(file)), ("schema",)):
        code, out, err = await run("connectors", *argv)
        assert code == 1 and out == ""
        assert "connector plugin 'broken' (tests.connectors.memo_plugin:NO_SUCH_KIND)" in err
        assert "AttributeError" in err


APPLY = """
mutation($config: JSON!) {
  applyConnector(input: {config: $config}) {
    __typename
    ... on ConnectorPayload { change connector { id name kind streams operations config } }
    ... on InvalidInputError { message fields { field message } }
  }
}"""
PREVIEW = """
mutation($id: ID!, $stream: String!) {
  previewStream(id: $id, stream: $stream) {
    __typename
    ... on StreamPreview { records rejected { index reason } rawCount }
    ... on ConnectorFailure { message kind }
  }
}"""
TEST = """
mutation($id: ID!) {
  testConnector(id: $id) {
    __typename
    ... on ConnectorCheck { ok failed message }
    ... on ConnectorFailure { message kind }
  }
}"""
DISCOVER = """
mutation($id: ID!) {
  discoverConnector(id: $id) {
    __typename ... on ConnectorEndpoints { endpoints { name kind } }
  }
}"""


async def test_the_graph_manages_a_plugin_connector(
    gql: Any, client: httpx.AsyncClient, app: Any, remote: MemoRemote
) -> None:
    seen: list[Any] = []

    async def call(query: str, **variables: Any) -> Any:
        data = await gql.data(query, **variables)
        seen.append(data)
        return next(iter(data.values()))

    applied = await call(APPLY, config=config())
    assert (applied["__typename"], applied["change"]) == ("ConnectorPayload", "CREATED")
    connector = applied["connector"]
    assert (connector["kind"], connector["streams"], connector["operations"]) == (
        "memo",
        ["partners"],
        ["create_order"],
    )
    assert connector["config"]["connection"]["password"] == "<secret>"
    assert (await call(APPLY, config=config()))["change"] == "UNCHANGED"

    preview = await call(PREVIEW, id=connector["id"], stream="partners")
    assert preview["__typename"] == "StreamPreview", preview
    assert preview["rawCount"] == 2  # the first page
    assert [r["externalId"] for r in preview["records"]] == ["C-1"]
    assert [r["index"] for r in preview["rejected"]] == [1]
    assert (await call(TEST, id=connector["id"])) == {
        "__typename": "ConnectorCheck",
        "ok": True,
        "failed": None,
        "message": "",
    }
    found = await call(DISCOVER, id=connector["id"])
    assert [(e["name"], e["kind"]) for e in found["endpoints"]] == [
        ("partners", "stream"),
        ("create_order", "operation"),
    ]

    bad = await call(APPLY, config=config(connection={"remote": REMOTE, "user": "hub"}))
    assert bad["__typename"] == "InvalidInputError"
    assert bad["fields"] == [{"field": "connection.password", "message": "is required"}]

    schema = (await client.get("/schemas/connector.json")).json()
    assert "memo" in schema["discriminator"]["mapping"]
    assert PASSWORD not in json.dumps(seen)
    assert not any(_shows(row, PASSWORD) for row in await _stored(app))

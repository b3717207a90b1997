"""``channelhub connectors``: apply (created / unchanged / updated, idempotent), list, test,
discover, schema; invalid files list every problem by path and exit 2; a canary secret never
appears in any output. The remote is a small HTTP server on 127.0.0.1."""

from __future__ import annotations

import json
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

import anyio
import pytest
from sqlalchemy import text

import cli
from connectors.config import json_schema
from settings import Settings
from tests.local_server import serving

CANARY = "canary-pw-Qm4tY8vLr2Xa"


class _Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        if self.path.startswith("/ok/items"):
            body = json.dumps([{"id": 1, "name": "plough", "price": 9.5}]).encode()
            self.send_response(200)
        else:  # echo the credentials back, as a careless server might
            body = f"denied: {self.headers.get('Authorization')} {CANARY}".encode()
            self.send_response(401)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *_args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def remote() -> Iterator[str]:
    with serving(_Handler) as url:
        yield url


def config_text(remote: str, *, name: str = "erp", prefix: str = "ok", page_size: int = 50) -> str:
    return f"""
name: {name}
kind: rest
connection:
  base_url: {remote}/{prefix}
  authenticator: {{type: basic, username: hub, password: "{CANARY}"}}
  retries: {{max_attempts: 1}}
streams:
  - name: items
    request: {{path: items}}
    paginator: {{type: offset, page_size: {page_size}}}
operations:
  - name: create_item
    path: items
"""


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


async def _rows(app: Any) -> list[tuple[Any, ...]]:
    async with app.state.hub.sessions() as session:
        return [tuple(r) for r in await session.execute(text("SELECT * FROM connectors"))]


async def test_apply_is_idempotent_and_updates_on_change(
    run: Any, app: Any, tmp_path: Path, remote: str
) -> None:
    file = tmp_path / "erp.yaml"
    file.write_text(config_text(remote))
    code, out, err = await run("connectors", "apply", "-f", str(file))
    assert (code, out, err) == (0, "created erp\n", "")
    before = await _rows(app)
    code, out, _ = await run("connectors", "apply", "-f", str(file))
    assert (code, out) == (0, "unchanged erp\n")
    assert await _rows(app) == before  # same bytes, same updated_at
    file.write_text(config_text(remote, page_size=10))
    code, out, _ = await run("connectors", "apply", "-f", str(file))
    assert (code, out) == (0, "updated erp\n")
    assert await _rows(app) != before
    for row in await _rows(app):
        assert all(
            CANARY.encode() not in (v if isinstance(v, bytes) else str(v).encode()) for v in row
        )


async def test_apply_takes_a_json_list(run: Any, tmp_path: Path, remote: str) -> None:
    import yaml

    file = tmp_path / "all.json"
    configs = [yaml.safe_load(config_text(remote, name=n)) for n in ("a-erp", "b-erp")]
    file.write_text(json.dumps(configs))
    code, out, _ = await run("connectors", "apply", "-f", str(file))
    assert (code, out) == (0, "created a-erp\ncreated b-erp\n")
    code, out, _ = await run("connectors", "list")
    assert code == 0
    assert "a-erp" in out and "b-erp" in out and "items" in out and "create_item" in out
    assert CANARY not in out


async def test_list_shows_no_secrets(run: Any, tmp_path: Path, remote: str) -> None:
    code, out, _ = await run("connectors", "list")
    assert code == 0 and "No connectors" in out
    file = tmp_path / "erp.yaml"
    file.write_text(config_text(remote))
    await run("connectors", "apply", "-f", str(file))
    code, out, err = await run("connectors", "list")
    assert code == 0 and err == ""
    assert "erp" in out and "rest" in out and "items | create_item" in out
    assert CANARY not in out


async def test_test_and_discover(run: Any, tmp_path: Path, remote: str) -> None:
    good, bad = tmp_path / "good.yaml", tmp_path / "bad.yaml"
    good.write_text(config_text(remote))
    bad.write_text(config_text(remote, name="denied", prefix="deny"))
    await run("connectors", "apply", "-f", str(good))
    await run("connectors", "apply", "-f", str(bad))

    code, out, err = await run("connectors", "test", "erp")
    assert (code, out.strip()) == (0, "ok erp"), err

    code, out, err = await run("connectors", "test", "denied")
    assert code == 1 and out == ""
    assert "denied failed: credentials" in err
    assert CANARY not in err and CANARY not in out

    code, out, err = await run("connectors", "discover", "erp")
    assert code == 0, err
    assert "stream items" in out and "    name: " in out and "operation create_item" in out
    assert CANARY not in out

    code, out, err = await run("connectors", "discover", "denied")
    assert code == 1 and CANARY not in err + out

    code, _, err = await run("connectors", "test", "nobody")
    assert code == 1 and "no connector named 'nobody'" in err


async def test_schema_prints_json_with_both_kinds(run: Any) -> None:
    code, out, _ = await run("connectors", "schema")
    assert code == 0
    schema = json.loads(out)
    assert schema == json.loads(json.dumps(json_schema()))
    kinds = set(schema["discriminator"]["mapping"])
    assert kinds == {"rest", "soap"}


async def test_an_invalid_file_lists_every_problem_by_path(run: Any, tmp_path: Path) -> None:
    file = tmp_path / "bad.yaml"
    file.write_text(
        f"""
- name: one
  kind: rest
  connection:
    base_url: ftp://x
    authenticator: {{type: basic, username: u, password: "{CANARY}"}}
  streams: [{{name: s, request: {{path: /s}}, paginator: {{type: offset}}}}]
- name: two
  kind: soap
  connection: {{wsdl: x.wsdl}}
  streams: [{{name: s, operation: Op, colour: red}}]
"""
    )
    code, out, err = await run("connectors", "apply", "-f", str(file))
    assert code == 2 and out == ""
    assert "[0].connection.base_url: base_url must start with http:// or https://" in err
    assert "[0].streams[0].paginator.page_size: is required" in err
    assert "[1].streams[0].colour: is not a known setting here" in err
    assert CANARY not in err
    code, out, _ = await run("connectors", "list")
    assert "No connectors" in out  # nothing applied

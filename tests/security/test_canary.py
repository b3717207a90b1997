"""Canary values written through the graph appear nowhere at rest or in logs: not in the SQLite
files, not in a ``pg_dump``, not in the logs (DEBUG, SQL echo on), not in error messages —
raw, hex or base64. They do come back from an audited reveal, which is the point."""

from __future__ import annotations

import base64
import logging
import shutil
import subprocess
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url

from settings import Settings
from tests.security.encrypted_partners import CREATE, UPDATE, create, reveal_all

CANARIES = {
    "taxId": "CNRYTAX7Q3Z9X2W8",
    "bankAccount": "CNRYBANK7Q3Z9X2W8V5",
    "contactPhone": "+86 139 7301 4455",
    "contactEmail": "cnry.mail.7q3z@example.org",
}
UPDATED_TAX_ID = "CNRYTAXUPD8K4M2P6"


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"database_echo": True})


def forms(secret: str) -> list[bytes]:
    """The canary raw, in hex (both cases) and in base64 at each of the three alignments."""
    raw = secret.encode()
    found = [raw, raw.hex().encode(), raw.hex().upper().encode()]
    for shift in range(3):
        for encode in (base64.b64encode, base64.urlsafe_b64encode):
            found.append(encode(bytes(shift) + raw)[4:-4])  # the part only the canary decides
    return found


def assert_absent(haystack: bytes, where: str) -> None:
    for secret in [*CANARIES.values(), UPDATED_TAX_ID]:
        for form in forms(secret):
            assert form not in haystack, f"a canary ({form[:6]!r}…) is in {where}"


async def write_canaries_and_provoke_errors(gql) -> list[str]:
    """Write, update and reveal the canaries; send bad inputs carrying them. Responses."""
    responses: list[str] = []
    partner = await create(gql, "CANARY", **CANARIES)
    responses.append(str(partner))
    updated = await gql(UPDATE, input={"id": partner["id"], "taxId": UPDATED_TAX_ID})
    responses.append(str(updated))
    for bad in (
        {
            "code": "BAD1",
            "taxId": CANARIES["taxId"] + "!?",
            "contactEmail": "x" + CANARIES["taxId"],
        },
        {"code": "CANARY", **CANARIES},  # duplicate code
        {"code": "BAD2", "contactPhone": CANARIES["bankAccount"]},
    ):
        body = await gql(CREATE, input={"name": "Bad", "type": "DEALER", **bad})
        responses.append(str(body))
    missing = await gql(UPDATE, input={"id": "UGFydG5lcjo5OTk=", "taxId": CANARIES["taxId"]})
    responses.append(str(missing))
    revealed = await reveal_all(gql, partner["id"], "canary check")
    assert revealed["taxId"]["value"] == UPDATED_TAX_ID  # the canary is really stored
    assert revealed["contactEmail"]["value"] == CANARIES["contactEmail"]
    return responses


async def test_canaries_are_absent_from_the_database_logs_and_errors(
    gql, app, settings, caplog, capsys, request
):
    caplog.set_level(logging.DEBUG)
    responses = await write_canaries_and_provoke_errors(gql)
    for response in responses[2:]:  # the error responses
        assert_absent(response.encode(), "an error response")
    assert "INSERT INTO partners" in caplog.text  # the SQL echo really was on
    assert_absent(caplog.text.encode(), "the logs")
    captured = capsys.readouterr()
    assert_absent((captured.out + captured.err).encode(), "stdout/stderr")

    if settings.is_sqlite:
        async with app.state.hub.engine.begin() as conn:
            await conn.execute(text("PRAGMA wal_checkpoint(FULL)"))
        files = files_under(Path(settings.data_dir))
        assert "channelhub.db" in files
        for name, content in files.items():  # the database, its WAL and shm files, the keyring…
            assert_absent(content, name)
    else:
        dump = pg_dump(request.getfixturevalue("postgres_url"))
        assert b"COPY public.partners" in dump
        assert_absent(dump, "the pg_dump")


def files_under(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def pg_dump(url: str) -> bytes:
    binary = shutil.which("pg_dump")
    assert binary is not None, "pg_dump must be on PATH"
    parsed = make_url(url)
    command = [
        binary,
        "--host",
        parsed.host or "127.0.0.1",
        "--port",
        str(parsed.port or 5432),
        "--username",
        parsed.username or "postgres",
        "--no-password",
        parsed.database or "",
    ]
    return subprocess.run(command, check=True, capture_output=True, timeout=120).stdout

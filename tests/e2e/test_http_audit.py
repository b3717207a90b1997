"""The GraphQL-over-HTTP spec audit (npm ``graphql-http``) against a real uvicorn server.

Starts ``app.create_app`` under uvicorn on 127.0.0.1 in a background thread, runs
``node http_audit/audit.mjs URL`` (installing its pinned packages with ``npm ci`` when
``node_modules`` is missing) and requires every MUST and SHOULD audit to pass. Skipped only
when ``node`` is not installed; CI has it and runs ``npm ci --prefix tests/e2e/http_audit``.
"""

from __future__ import annotations

import contextlib
import json
import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn

from app import create_app
from settings import Settings

AUDIT_DIR = Path(__file__).parent / "http_audit"
STARTUP_TIMEOUT = 30.0


@contextlib.contextmanager
def running_server(app: Any) -> Iterator[str]:
    """Serve ``app`` on a free 127.0.0.1 port until the block ends; yields the base URL."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
        config = uvicorn.Config(
            app,
            log_config=None,
            log_level="warning",
            access_log=False,
            lifespan="on",
            ws="none",
            timeout_graceful_shutdown=5,
        )
        server = uvicorn.Server(config)
        thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
        thread.start()
        base_url = f"http://127.0.0.1:{port}"
        try:
            wait_until_healthy(base_url, thread)
            yield base_url
        finally:
            server.should_exit = True
            thread.join(timeout=15)
            assert not thread.is_alive(), "the uvicorn thread did not stop"


def wait_until_healthy(base_url: str, thread: threading.Thread) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT
    with httpx.Client(base_url=base_url, timeout=2.0) as client:
        while time.monotonic() < deadline:
            if not thread.is_alive():
                pytest.fail("the server thread exited during startup")
            with contextlib.suppress(httpx.TransportError):
                if client.get("/healthz").status_code == 200:
                    return
            time.sleep(0.05)
    pytest.fail(f"{base_url}/healthz did not answer 200 within {STARTUP_TIMEOUT}s")


def ensure_audit_packages() -> str:
    """The path of ``node``, after ``npm ci`` if the pinned packages are not installed."""
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not on PATH: the graphql-http audit needs Node.js (CI has it)")
    if not (AUDIT_DIR / "node_modules" / "graphql-http" / "package.json").is_file():
        npm = shutil.which("npm")
        if npm is None:
            pytest.fail("node is installed but npm is not: cannot run `npm ci` for the audit")
        installed = subprocess.run(
            [npm, "ci", "--no-audit", "--no-fund"],
            cwd=AUDIT_DIR,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        assert installed.returncode == 0, f"npm ci failed:\n{installed.stdout}\n{installed.stderr}"
    return node


def describe(audits: list[dict[str, Any]]) -> str:
    return "\n".join(
        f"  {a['id']} {a['name']}\n    -> {a.get('reason')} "
        f"(HTTP {a.get('httpStatus')}, {a.get('contentType')})"
        for a in audits
    )


@pytest.mark.e2e
def test_graphql_over_http_audit_passes(tmp_path: Path) -> None:
    node = ensure_audit_packages()
    app = create_app(Settings(data_dir=tmp_path, auto_migrate=True))
    with running_server(app) as base_url:
        run = subprocess.run(
            [node, "audit.mjs", f"{base_url}/graphql"],
            cwd=AUDIT_DIR,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
    try:
        summary = json.loads(run.stdout)
    except json.JSONDecodeError:
        pytest.fail(f"audit.mjs printed no JSON (exit {run.returncode}):\n{run.stderr}")

    audits: list[dict[str, Any]] = summary["audits"]
    errors = [a for a in audits if a["status"] == "error"]
    warnings = [a for a in audits if a["status"] == "warn"]
    assert not errors, f"{len(errors)} MUST audits failed:\n{describe(errors)}"
    assert not warnings, f"{len(warnings)} SHOULD audits failed:\n{describe(warnings)}"
    assert run.returncode == 0, run.stderr
    assert len(audits) >= 50, f"expected the full audit list, got {len(audits)}"
    assert summary["counts"]["ok"] + summary["counts"]["notice"] == len(audits)

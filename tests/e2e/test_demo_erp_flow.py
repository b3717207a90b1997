"""The demo end to end, as `channelhub demo` composes it (``cli.demo_app``) and served by
uvicorn on 127.0.0.1: the demo ERP's records arrive through the start-up sync (incremental
SOAP reads, bookmark paging, natural-key linking; finance invoices and payments over REST),
an approved order goes back to the ERP
through the outbox exactly once, and a partner's credit balance is a live field."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn

import cli
from demo import seed
from demo.erp.data import TINY_HUB
from demo.erp.erp import DemoErp
from security.tokens import issue_token
from security.viewer import Role
from settings import Settings
from store.engine import create_engine
from store.migrate import upgrade
from tests.conftest import TEST_JWT_SECRET

NOW = datetime(2026, 3, 15, 9, 30, tzinfo=UTC)
RUNS = """{ jobRuns(first: 20) { nodes { connector stream status trigger
  counts { read inserted updated quarantined } errorMessage } } }"""
SUBMITTED = """{ orders(first: 1, filter: {status: [SUBMITTED]}) { nodes { id number } } }"""
APPROVE = """mutation($input: ChangeOrderStatusInput!) { changeOrderStatus(input: $input) {
  __typename ... on OrderPayload { order { status } } } }"""
LIVE = """{ partners(first: 10, orderBy: CODE_ASC) { nodes { code
  live(field: "creditBalance") { values stale error { kind } } } } }"""


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(
        data_dir=tmp_path, database_url="", jwt_secret=TEST_JWT_SECRET, embedded_scheduler=False
    )


@pytest.fixture
def served(settings: Settings) -> Iterator[tuple[str, DemoErp]]:
    async def prepare() -> None:
        engine = create_engine(settings)
        try:
            await upgrade(engine)
            await seed(engine, scale=TINY_HUB, now=NOW)
        finally:
            await engine.dispose()

    asyncio.run(prepare())
    port = _free_port()
    base_url = f"http://127.0.0.1:{port}"
    app, _ = cli.demo_app(settings, base_url, scale="tiny", seeded_at=NOW)
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        _until(lambda: server.started, 30)
        yield base_url, app.state.demo_erp
    finally:
        server.should_exit = True
        thread.join(timeout=30)


def _query(client: httpx.Client, query: str, **variables: Any) -> dict[str, Any]:
    response = client.post("/graphql", json={"query": query, "variables": variables})
    body = response.json()
    assert response.status_code == 200 and "errors" not in body, body
    return dict(body["data"])


def _until(check: Any, seconds: float = 90.0) -> Any:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.25)
    raise AssertionError("timed out")


def test_the_demo_erp_syncs_in_writes_back_once_and_answers_live(settings, served):
    base_url, erp = served
    token = issue_token(settings, subject="e2e-admin", role=Role.BRAND_ADMIN)
    headers = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=base_url, headers=headers, timeout=30) as client:

        def startup_runs() -> list[dict[str, Any]]:
            runs = [
                r for r in _query(client, RUNS)["jobRuns"]["nodes"] if r["trigger"] == "startup"
            ]
            done = len(runs) == 6 and all(
                r["status"] != "QUEUED" and r["status"] != "RUNNING" for r in runs
            )
            return runs if done else []

        runs = {r["stream"]: r for r in _until(startup_runs)}
        assert {s: r["status"] for s, r in runs.items()} == dict.fromkeys(
            ("customers", "items", "stock", "sales_orders", "invoices", "payments"), "SUCCEEDED"
        ), runs
        assert all(r["counts"]["quarantined"] == 0 for r in runs.values())
        customers, items = runs["customers"]["counts"], runs["items"]["counts"]
        assert customers["read"] == len(erp.dataset.customers)
        assert customers["inserted"] == 3  # the ERP-only dealers; the rest linked by code
        assert items["inserted"] == 2 and items["updated"] == items["read"] - 2
        assert runs["sales_orders"]["counts"]["inserted"] == len(erp.dataset.orders)
        assert runs["invoices"]["counts"]["inserted"] == len(erp.dataset.invoices)
        assert runs["payments"]["counts"]["inserted"] == len(erp.dataset.payments)

        order = _query(client, SUBMITTED)["orders"]["nodes"][0]
        approved = _query(client, APPROVE, input={"order": order["id"], "to": "APPROVED"})
        assert approved["changeOrderStatus"]["order"]["status"] == "APPROVED"
        created = _until(lambda: erp.dataset.orders_by_external_no(order["number"]), 60)
        time.sleep(1.0)  # a second delivery would land within this
        assert len(erp.dataset.orders_by_external_no(order["number"])) == 1 == len(created)

        partners = _query(client, LIVE)["partners"]["nodes"]
        assert all(p["live"]["error"] is None and not p["live"]["stale"] for p in partners)
        known = {c.no for c in erp.dataset.customers}
        in_erp = [p for p in partners if p["code"] in known]
        assert in_erp and all("available" in p["live"]["values"] for p in in_erp)
        assert all(p["live"]["values"] is None for p in partners if p["code"] not in known)

"""The whole path in one process, as ``channelhub serve`` runs it: ``runSync`` over GraphQL
queues a run, the embedded worker syncs a slow local ERP page by page, ``jobRunUpdated``
streams its progress to the end, and ``/metrics`` shows the run and its records."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qs, urlparse

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from connectors.config import config_from_data
from jobs.connector_calls import CALLS
from jobs.connector_configs import apply_configs
from security.viewer import Role
from settings import Settings
from tests.conftest import token_for
from tests.local_server import serving
from tests.schema.test_jobs_graph_subscription import FOLLOW, ws_session

PAGES, PER_PAGE = 4, 5


class _SlowErp(BaseHTTPRequestHandler):
    """``GET /partners?cursor=N``: page N of 4 (5 partners each), 0.2 s per page."""

    def do_GET(self) -> None:
        page = int(parse_qs(urlparse(self.path).query).get("cursor", ["0"])[0])
        time.sleep(0.2)
        records = [
            {"id": f"E{n:03d}", "code": f"E{n:03d}", "name": f"ERP partner {n}", "kind": "D"}
            for n in range(page * PER_PAGE, (page + 1) * PER_PAGE)
        ]
        body = json.dumps({"data": records, "next": page + 1 if page + 1 < PAGES else None})
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(body.encode())

    def log_message(self, *_args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def erp_url() -> Iterator[str]:
    with serving(_SlowErp) as url:
        yield url


RUN_SYNC = """mutation { runSync(connector: "erp", stream: "partners") {
  __typename ... on JobRunPayload { run { id status } } ... on UserError { message } } }"""


async def test_run_sync_progress_reaches_a_subscriber_and_metrics(
    app: Any, gql: Any, settings: Settings, erp_url: str
) -> None:
    config = {
        "name": "erp",
        "kind": "rest",
        "connection": {"base_url": erp_url, "retries": {"max_attempts": 1}},
        "streams": [
            {
                "name": "partners",
                "request": {"path": "partners"},
                "record_selector": "data",
                "paginator": {"type": "cursor", "cursor_path": "next", "cursor_param": "cursor"},
                "mapping": {
                    "entity": "partner",
                    "external_id": "id",
                    "fields": {
                        "code": "code",
                        "name": "name",
                        "type": {"source": "kind", "value_map": {"D": "DEALER"}},
                    },
                },
            }
        ],
    }
    await apply_configs(app.state.hub.fields, [config_from_data(config, source="test")])
    earlier = CALLS.calls().get(("erp", "read:partners"))  # this process's calls add up
    async with app.router.lifespan_context(app):  # the embedded worker runs
        queued = (await gql.data(RUN_SYNC))["runSync"]
        assert queued["__typename"] == "JobRunPayload", queued
        variables = {"id": queued["run"]["id"]}
        async with ws_session(app, token_for(settings, Role.ERP_ADMIN)) as client:
            await client.send(
                {
                    "id": "1",
                    "type": "subscribe",
                    "payload": {"query": FOLLOW, "variables": variables},
                }
            )
            updates = []
            while (message := await client.receive())["type"] == "next":
                updates.append(message["payload"]["data"]["jobRunUpdated"])
            assert message == {"id": "1", "type": "complete"}
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://hub.test") as web:
            metrics = (await web.get("/metrics")).text
    statuses = [u["status"] for u in updates]
    assert statuses[-1] == "SUCCEEDED" and "RUNNING" in statuses, statuses
    done = [u["progress"]["done"] for u in updates]
    assert done == sorted(done) and len(set(done)) >= 2  # progress seen page by page
    assert updates[-1]["counts"] == {"read": PAGES * PER_PAGE, "inserted": PAGES * PER_PAGE}
    found = {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(metrics)
        for s in family.samples
    }
    assert found[("channelhub_job_runs", (("kind", "sync"), ("status", "SUCCEEDED")))] == 1
    inserted = (("kind", "sync"), ("outcome", "inserted"))
    assert found[("channelhub_job_records_total", inserted)] == PAGES * PER_PAGE
    calls = (("connector", "erp"), ("operation", "read:partners"))
    before = 0 if earlier is None else earlier.count
    assert found[("channelhub_connector_call_seconds_count", calls)] == before + PAGES

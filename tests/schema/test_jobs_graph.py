"""Job runs, quarantined records and dead letters in the graph: only job managers (erp_admin,
brand_admin) may read them, others get FORBIDDEN like the connector admin gives; filters,
newest-first keyset pages and totalCount; a run's counts, progress and duration; a
quarantined record's sealed payload never appears."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from schema.node import encode_id
from security.viewer import Role
from tests.schema.jobs_graph import T0, add_dead_letter, add_quarantined, add_run

RUN_FIELDS = """id kind connector stream mode status trigger requestedBy attempts pages
  counts { read inserted updated unchanged quarantined deleted }
  progress { done total fraction } queuedAt startedAt endedAt durationSeconds
  errorClass errorMessage cancelRequested"""
RUNS = (
    "query($filter: JobRunFilter, $first: Int, $after: String) {"
    " jobRuns(filter: $filter, first: $first, after: $after) {"
    " totalCount pageInfo { hasNextPage endCursor } nodes { " + RUN_FIELDS + " } } }"
)
ONE = "query($id: ID!) { jobRun(id: $id) { " + RUN_FIELDS + " } }"
QUARANTINE = """query($connector: String, $stream: String, $all: Boolean!, $first: Int,
  $after: String) {
  quarantinedRecords(connector: $connector, stream: $stream, unresolvedOnly: $all,
    first: $first, after: $after) {
    totalCount pageInfo { hasNextPage endCursor }
    nodes { id connector stream externalId reason createdAt retried resolved }
  }
}"""
DEAD = """query($replayed: Boolean) { deadLetters(replayed: $replayed) {
  totalCount nodes { id queue actor errorClass errorMessage failedAt replayedAt jobRunId } } }"""

READS = [
    "{ jobRuns { totalCount } }",
    '{ jobRun(id: "Sm9iUnVuOjE") { id } }',
    "{ quarantinedRecords { totalCount } }",
    "{ deadLetters { totalCount } }",
]


@pytest.mark.parametrize("role", [Role.DEALER, Role.REGION_MANAGER, Role.SECURITY_AUDITOR])
async def test_only_job_managers_may_read_jobs(gql_as: Any, role: Role, sessions: Any) -> None:
    await add_run(sessions)
    viewer = gql_as(role, partner=1) if role is Role.DEALER else gql_as(role, regions=[1])
    for query in READS:
        body = await viewer(query)
        assert all(value is None for value in (body["data"] or {}).values()), body
        assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
        assert body["errors"][0]["message"] == "your role may not manage background jobs"
    anonymous = await gql_as(None)(READS[0])
    assert anonymous["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


@pytest.mark.parametrize("role", [Role.ERP_ADMIN, Role.BRAND_ADMIN])
async def test_job_managers_read_runs(gql_as: Any, role: Role, sessions: Any) -> None:
    await add_run(sessions)
    data = await gql_as(role).data(RUNS)
    assert data["jobRuns"]["totalCount"] == 1


async def test_a_run_shows_its_counts_progress_and_duration(gql: Any, sessions: Any) -> None:
    run = await add_run(
        sessions,
        status="SUCCEEDED",
        mode="incremental",
        attempts=2,
        pages=3,
        records_read=120,
        records_inserted=100,
        records_updated=15,
        records_unchanged=3,
        records_quarantined=2,
        progress_done=120,
        progress_total=120,
        started_at=T0,
        ended_at=T0 + timedelta(seconds=90),
    )
    data = await gql.data(ONE, id=encode_id("JobRun", run.id))
    shown = data["jobRun"]
    assert shown["id"] == encode_id("JobRun", run.id)
    assert (shown["kind"], shown["connector"], shown["stream"]) == ("sync", "erp", "partners")
    assert (shown["status"], shown["mode"], shown["attempts"], shown["pages"]) == (
        "SUCCEEDED",
        "incremental",
        2,
        3,
    )
    assert shown["counts"] == {
        "read": 120,
        "inserted": 100,
        "updated": 15,
        "unchanged": 3,
        "quarantined": 2,
        "deleted": 0,
    }
    assert shown["progress"] == {"done": 120, "total": 120, "fraction": 1.0}
    assert shown["durationSeconds"] == 90.0
    assert shown["startedAt"] == "2025-04-01T09:00:00+00:00"
    assert shown["endedAt"] == "2025-04-01T09:01:30+00:00"


async def test_a_running_run_shows_a_fraction_and_an_unknown_total_shows_none(
    gql: Any, sessions: Any
) -> None:
    half = await add_run(sessions, status="RUNNING", progress_done=50, progress_total=200)
    unknown = await add_run(sessions, status="RUNNING", progress_done=50, started_at=T0)
    first = await gql.data(ONE, id=encode_id("JobRun", half.id))
    assert first["jobRun"]["progress"] == {"done": 50, "total": 200, "fraction": 0.25}
    assert first["jobRun"]["durationSeconds"] is None  # not started
    second = await gql.data(ONE, id=encode_id("JobRun", unknown.id))
    assert second["jobRun"]["progress"]["fraction"] is None
    assert second["jobRun"]["durationSeconds"] > 0  # running: up to now


async def test_an_unknown_or_malformed_run_id_is_null(gql: Any) -> None:
    assert (await gql.data(ONE, id=encode_id("JobRun", 999)))["jobRun"] is None
    assert (await gql.data(ONE, id="not-an-id"))["jobRun"] is None
    assert (await gql.data(ONE, id=encode_id("Partner", 1)))["jobRun"] is None


async def test_runs_are_filtered_by_status_kind_connector_stream_and_time(
    gql: Any, sessions: Any
) -> None:
    await add_run(sessions, status="SUCCEEDED", minutes=0)
    await add_run(sessions, status="FAILED", stream="orders", minutes=10)
    await add_run(sessions, status="RUNNING", connector="wms", stream="stock", minutes=20)
    await add_run(sessions, kind="reencrypt", connector=None, stream=None, minutes=30)

    async def streams(**filter_: Any) -> list[str | None]:
        data = await gql.data(RUNS, filter=filter_)
        return [n["stream"] for n in data["jobRuns"]["nodes"]]

    assert await streams() == [None, "stock", "orders", "partners"]  # newest first
    assert await streams(status=["FAILED", "RUNNING"]) == ["stock", "orders"]
    assert await streams(kind="sync") == ["stock", "orders", "partners"]
    assert await streams(connector="erp") == ["orders", "partners"]
    assert await streams(connector="erp", stream="orders") == ["orders"]
    assert await streams(since=(T0 + timedelta(minutes=10)).isoformat()) == [
        None,
        "stock",
        "orders",
    ]
    data = await gql.data(RUNS, filter={"kind": "sync", "status": ["SUCCEEDED"]})
    assert data["jobRuns"]["totalCount"] == 1


async def test_runs_page_newest_first_with_cursors(gql: Any, sessions: Any) -> None:
    ids = [(await add_run(sessions, minutes=n)).id for n in range(5)]
    seen: list[str] = []
    after = None
    while True:
        data = await gql.data(RUNS, first=2, after=after)
        page = data["jobRuns"]
        assert page["totalCount"] == 5
        seen += [n["id"] for n in page["nodes"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert seen == [encode_id("JobRun", pk) for pk in reversed(ids)]
    bad = await gql(RUNS, first=2, after="garbage")
    assert "invalid cursor" in bad["errors"][0]["message"]


async def test_quarantined_records_are_listed_without_their_payload(app: Any, gql: Any) -> None:
    canary = "canary-taxid-DE811907980"
    first = await add_quarantined(app, payload={"id": "C-1", "vat": canary}, external_id="C-1")
    await add_quarantined(app, stream="orders", reason="lines: no line")
    await add_quarantined(app, connector="wms", stream="stock")
    resolved = await add_quarantined(app, resolved_at=T0, retried_at=T0)

    body = await gql(QUARANTINE, connector="erp", stream="partners", all=True)
    assert canary not in str(body)
    nodes = body["data"]["quarantinedRecords"]["nodes"]
    assert [n["id"] for n in nodes] == [encode_id("QuarantinedRecord", first)]
    assert nodes[0]["externalId"] == "C-1"
    assert nodes[0]["reason"] == "name: required field missing"
    assert (nodes[0]["retried"], nodes[0]["resolved"]) == (False, False)

    everything = await gql.data(QUARANTINE, all=False)
    listed = everything["quarantinedRecords"]
    assert listed["totalCount"] == 4
    assert listed["nodes"][0]["id"] == encode_id("QuarantinedRecord", resolved)  # newest first
    assert (listed["nodes"][0]["retried"], listed["nodes"][0]["resolved"]) == (True, True)
    unresolved = await gql.data(QUARANTINE, all=True, first=2)
    assert unresolved["quarantinedRecords"]["totalCount"] == 3
    assert unresolved["quarantinedRecords"]["pageInfo"]["hasNextPage"] is True


async def test_dead_letters_are_listed_waiting_or_replayed(gql: Any, sessions: Any) -> None:
    run = await add_run(sessions, status="FAILED")
    await add_dead_letter(sessions, 1, job_run_id=run.id)
    await add_dead_letter(sessions, 2, replayed_at=T0)
    data = await gql.data(DEAD)
    assert data["deadLetters"]["totalCount"] == 2
    waiting = (await gql.data(DEAD, replayed=False))["deadLetters"]["nodes"]
    assert len(waiting) == 1
    assert waiting[0]["jobRunId"] == encode_id("JobRun", run.id)
    assert (waiting[0]["actor"], waiting[0]["errorClass"]) == ("sync_stream", "PermanentError")
    replayed = (await gql.data(DEAD, replayed=True))["deadLetters"]["nodes"]
    assert [n["replayedAt"] for n in replayed] == ["2025-04-01T09:00:00+00:00"]

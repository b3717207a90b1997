"""Job mutations: runSync queues a run and sends its message after the commit (typed errors
for an unknown connector or stream, a stream with nothing to sync, a stream already syncing;
a broker that does not take it leaves the run FAILED, not stuck); cancelJobRun cancels a
queued run at once and flags a running one; replayDeadLetters sends them again; only job
managers may, others get ForbiddenError (audited)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from dramatiq import Broker
from sqlalchemy import select

from jobs import dispatch
from jobs.connector_configs import apply_configs
from jobs.dispatch import queue_name
from schema.node import encode_id
from security.viewer import Role
from settings import Settings
from store.models.audit import AuditEntry
from store.models.jobs import DeadLetter, JobRun
from tests.jobs.scheduling import rest_config
from tests.schema.jobs_graph import T0, add_dead_letter, add_quarantined, add_run

RUN_SYNC = """
mutation($connector: String!, $stream: String!, $full: Boolean!) {
  runSync(connector: $connector, stream: $stream, fullRefresh: $full) {
    __typename
    ... on JobRunPayload { run { id kind connector stream mode status trigger requestedBy
                                 errorClass } }
    ... on UnknownConnectorError { connector }
    ... on UnknownStreamError { connector stream }
    ... on SyncAlreadyActiveError { run { id status } }
    ... on InvalidInputError { fields { field message } }
    ... on ForbiddenError { permission }
    ... on UserError { message }
  }
}"""
CANCEL = """
mutation($id: ID!) {
  cancelJobRun(id: $id) {
    __typename
    ... on JobRunPayload { run { id status cancelRequested endedAt } }
    ... on JobRunFinishedError { run { status } }
    ... on NotFoundError { field id }
    ... on UserError { message }
  }
}"""
REPLAY = """
mutation($ids: [ID!]) {
  replayDeadLetters(ids: $ids) {
    __typename
    ... on ReplayedDeadLetters { count }
    ... on InvalidInputError { fields { field message } }
    ... on UserError { message }
  }
}"""


@pytest.fixture
def broker(app: Any) -> Broker:
    """The app's in-process broker with our actors, installed; no worker consumes it (the
    embedded worker starts with the lifespan, which these tests do not run)."""
    installed: Broker = app.state.hub.broker
    return installed


def queued(broker: Broker, settings: Settings, actor: str = "sync_stream") -> list[Any]:
    """The arguments of the messages waiting on ``actor``'s queue."""
    queue = broker.queues[queue_name(settings, actor)]
    return [json.loads(raw)["args"] for raw in list(queue.queue)]


@pytest.fixture
async def erp(app: Any) -> None:
    config = rest_config("erp", {"partners": None, "orders": None})
    config["streams"][0]["mapping"] = {
        "entity": "partner",
        "external_id": "id",
        "fields": {"code": "code", "name": "name"},
    }
    from connectors.config import config_from_data

    await apply_configs(app.state.hub.fields, [config_from_data(config, source="test")])


async def _runs(sessions: Any) -> list[JobRun]:
    async with sessions() as session:
        return list((await session.scalars(select(JobRun).order_by(JobRun.id))).all())


async def test_run_sync_queues_a_run_and_sends_its_message(
    gql: Any, erp: None, broker: Broker, settings: Settings, sessions: Any
) -> None:
    result = (await gql.data(RUN_SYNC, connector="erp", stream="partners", full=False))["runSync"]
    assert result["__typename"] == "JobRunPayload"
    run = result["run"]
    assert (run["kind"], run["connector"], run["stream"], run["mode"]) == (
        "sync",
        "erp",
        "partners",
        "incremental",
    )
    assert (run["status"], run["trigger"], run["requestedBy"]) == ("QUEUED", "manual", "test-admin")
    [stored] = await _runs(sessions)
    assert run["id"] == encode_id("JobRun", stored.id)
    assert queued(broker, settings) == [[stored.id]]


async def test_run_sync_full_refresh_and_an_active_run(
    gql: Any, erp: None, broker: Broker, settings: Settings
) -> None:
    first = await gql.data(RUN_SYNC, connector="erp", stream="partners", full=True)
    assert first["runSync"]["run"]["mode"] == "full_refresh"
    again = (await gql.data(RUN_SYNC, connector="erp", stream="partners", full=False))["runSync"]
    assert again["__typename"] == "SyncAlreadyActiveError"
    assert again["run"] == {"id": first["runSync"]["run"]["id"], "status": "QUEUED"}
    assert "already has a QUEUED run" in again["message"]
    assert len(queued(broker, settings)) == 1


async def test_run_sync_on_an_unknown_connector_or_stream_is_a_typed_error(
    gql: Any, erp: None, broker: Broker, settings: Settings, sessions: Any
) -> None:
    unknown = (await gql.data(RUN_SYNC, connector="nope", stream="partners", full=False))["runSync"]
    assert unknown["__typename"] == "UnknownConnectorError" and unknown["connector"] == "nope"
    assert "does not exist" in unknown["message"]
    stream = (await gql.data(RUN_SYNC, connector="erp", stream="invoices", full=False))["runSync"]
    assert stream["__typename"] == "UnknownStreamError"
    assert (stream["connector"], stream["stream"]) == ("erp", "invoices")
    assert "has no stream 'invoices'" in stream["message"]
    unmapped = (await gql.data(RUN_SYNC, connector="erp", stream="orders", full=False))["runSync"]
    assert unmapped["__typename"] == "InvalidInputError"
    assert unmapped["fields"] == [
        {"field": "stream", "message": "stream 'orders' has no mapping: nothing to sync"}
    ]
    assert await _runs(sessions) == [] and queued(broker, settings) == []


async def test_a_run_the_broker_does_not_take_is_failed_not_stuck(
    app: Any, gql: Any, erp: None, sessions: Any
) -> None:
    dispatch.use_broker(None)  # this process has no broker to send on
    try:
        query = await gql.data(RUN_SYNC, connector="erp", stream="partners", full=False)
    finally:
        dispatch.use_broker(app.state.hub.broker)
    result = query["runSync"]
    assert result["run"]["status"] == "FAILED"
    assert result["run"]["errorClass"] == "RuntimeError"
    [stored] = await _runs(sessions)
    assert stored.status == "FAILED" and "no job broker" in (stored.error_message or "")


@pytest.mark.parametrize("role", [Role.DEALER, Role.SECURITY_AUDITOR])
async def test_only_job_managers_may_run_cancel_or_replay(
    gql_as: Any, erp: None, role: Role, sessions: Any
) -> None:
    run = await add_run(sessions)
    viewer = gql_as(role, partner=1) if role is Role.DEALER else gql_as(role)
    results = [
        (await viewer.data(RUN_SYNC, connector="erp", stream="partners", full=False))["runSync"],
        (await viewer.data(CANCEL, id=encode_id("JobRun", run.id)))["cancelJobRun"],
        (await viewer.data(REPLAY, ids=None))["replayDeadLetters"],
    ]
    assert [r["__typename"] for r in results] == ["ForbiddenError"] * 3
    assert results[0]["permission"] == "JOBS_MANAGE"
    async with sessions() as session:
        denied = (
            await session.scalars(select(AuditEntry).where(AuditEntry.action == "authz.denied"))
        ).all()
    assert len(denied) == 3
    [unchanged] = await _runs(sessions)
    assert unchanged.status == "QUEUED"


async def test_cancel_a_queued_run_at_once_and_flag_a_running_one(gql: Any, sessions: Any) -> None:
    waiting = await add_run(sessions)
    running = await add_run(sessions, status="RUNNING", started_at=T0)
    first = (await gql.data(CANCEL, id=encode_id("JobRun", waiting.id)))["cancelJobRun"]
    assert first["__typename"] == "JobRunPayload"
    assert (first["run"]["status"], first["run"]["cancelRequested"]) == ("CANCELLED", True)
    assert first["run"]["endedAt"] is not None
    second = (await gql.data(CANCEL, id=encode_id("JobRun", running.id)))["cancelJobRun"]
    assert (second["run"]["status"], second["run"]["cancelRequested"]) == ("RUNNING", True)


async def test_cancel_a_finished_or_unknown_run_is_a_typed_error(gql: Any, sessions: Any) -> None:
    done = await add_run(sessions, status="SUCCEEDED", ended_at=T0)
    finished = (await gql.data(CANCEL, id=encode_id("JobRun", done.id)))["cancelJobRun"]
    assert finished["__typename"] == "JobRunFinishedError"
    assert finished["run"] == {"status": "SUCCEEDED"}
    for key in (encode_id("JobRun", 999), "garbage", encode_id("Partner", done.id)):
        missing = (await gql.data(CANCEL, id=key))["cancelJobRun"]
        assert (missing["__typename"], missing["id"]) == ("NotFoundError", key)


async def test_replay_dead_letters_sends_them_again(
    gql: Any, broker: Broker, settings: Settings, sessions: Any
) -> None:
    run = await add_run(sessions, status="FAILED", ended_at=T0)
    message = broker.get_actor("sync_stream").message(run.id)
    async with sessions.begin() as session:
        session.add(
            DeadLetter(
                message_id=message.message_id,
                queue=message.queue_name,
                actor="sync_stream",
                message_json=json.dumps(message.asdict()),
                job_run_id=run.id,
                error_class="RetriableError",
                error_message="ERP answered 503",
            )
        )
    other = await add_dead_letter(sessions, 7, replayed_at=T0)  # replayed before: not again
    bad = (await gql.data(REPLAY, ids=["garbage"]))["replayDeadLetters"]
    assert bad["__typename"] == "InvalidInputError" and bad["fields"][0]["field"] == "ids"
    replayed = (await gql.data(REPLAY, ids=None))["replayDeadLetters"]
    assert replayed == {"__typename": "ReplayedDeadLetters", "count": 1}
    assert queued(broker, settings) == [[run.id]]
    again = (await gql.data(REPLAY, ids=[encode_id("DeadLetter", other.id)]))["replayDeadLetters"]
    assert again["count"] == 0
    [back] = [r for r in await _runs(sessions) if r.id == run.id]
    assert back.status == "QUEUED"


RETRY = """
mutation($connector: String!, $stream: String, $ids: [ID!]) {
  retryQuarantined(connector: $connector, stream: $stream, ids: $ids) {
    __typename
    ... on QuarantineRetry { retried resolved stillFailing unreadable inserted updated unchanged
                             streams }
    ... on UnknownConnectorError { connector }
    ... on UnknownStreamError { stream }
    ... on InvalidInputError { fields { field message } }
    ... on UserError { message }
  }
}"""
UNRESOLVED = '{ quarantinedRecords(connector: "erp") { totalCount nodes { reason retried } } }'


async def _apply_partners(app: Any, name_source: str) -> None:
    from connectors.config import config_from_data

    config = rest_config("erp", {"partners": None})
    config["streams"][0]["mapping"] = {
        "entity": "partner",
        "external_id": "id",
        "fields": {
            "code": {"source": "code", "required": True},
            "name": {"source": name_source, "required": True},
            "type": {"source": "kind", "value_map": {"D": "DEALER"}},
        },
    }
    await apply_configs(app.state.hub.fields, [config_from_data(config, source="test")])


async def test_retry_quarantined_stores_records_after_a_mapping_fix(
    app: Any, gql: Any, sessions: Any
) -> None:
    from store.models import Partner

    await _apply_partners(app, "name")
    record = {"id": "X1", "code": "C-X1", "full_name": "Xeno Farm", "kind": "D"}
    quarantined = await add_quarantined(app, payload=record, external_id="X1")
    ids = [encode_id("QuarantinedRecord", quarantined)]

    before = (await gql.data(RETRY, connector="erp", ids=ids))["retryQuarantined"]
    assert before["__typename"] == "QuarantineRetry"
    assert (before["retried"], before["resolved"], before["stillFailing"]) == (1, 0, 1)
    listed = (await gql.data(UNRESOLVED))["quarantinedRecords"]
    assert listed["totalCount"] == 1 and listed["nodes"][0]["retried"] is True

    await _apply_partners(app, "full_name")  # the mapping fix
    after = (await gql.data(RETRY, connector="erp", stream="partners"))["retryQuarantined"]
    assert (after["retried"], after["resolved"], after["inserted"]) == (1, 1, 1)
    assert after["streams"] == ["partners"]
    assert (await gql.data(UNRESOLVED))["quarantinedRecords"]["totalCount"] == 0
    async with sessions() as session:
        names = (await session.scalars(select(Partner.name).where(Partner.code == "C-X1"))).all()
    assert names == ["Xeno Farm"]


async def test_retry_quarantined_refuses_unknown_connectors_and_bad_ids(
    gql: Any, gql_as: Any
) -> None:
    unknown = (await gql.data(RETRY, connector="nope"))["retryQuarantined"]
    assert (unknown["__typename"], unknown["connector"]) == ("UnknownConnectorError", "nope")
    bad = (await gql.data(RETRY, connector="erp", ids=["garbage"]))["retryQuarantined"]
    assert bad["__typename"] == "InvalidInputError" and bad["fields"][0]["field"] == "ids"
    dealer = await gql_as(Role.DEALER, partner=1).data(RETRY, connector="erp")
    assert dealer["retryQuarantined"]["__typename"] == "ForbiddenError"

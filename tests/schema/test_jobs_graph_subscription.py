"""``jobRunUpdated`` over WebSocket (graphql-transport-ws): the run as it is now, then each
progress event of that run (others' are ignored) until it ends, then ``complete``; only job
managers may subscribe."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import anyio
from anyio.streams.memory import MemoryObjectReceiveStream, MemoryObjectSendStream

from jobs.runs import RunCounts, finish_run, publish, record_progress, start_run
from schema.node import encode_id
from security.viewer import Role
from settings import Settings
from tests.conftest import token_for
from tests.schema.jobs_graph import add_run

FOLLOW = """subscription($id: ID!) {
  jobRunUpdated(id: $id) { id status counts { read inserted } progress { done total fraction } }
}"""


class WsClient:
    """A graphql-transport-ws client talking to the ASGI app in this process."""

    def __init__(
        self,
        to_app: MemoryObjectSendStream[dict[str, Any]],
        from_app: MemoryObjectReceiveStream[dict[str, Any]],
    ) -> None:
        self.to_app, self.from_app = to_app, from_app

    async def send(self, message: dict[str, Any]) -> None:
        await self.to_app.send({"type": "websocket.receive", "text": json.dumps(message)})

    async def receive(self) -> dict[str, Any]:
        """The next protocol message (accept frames skipped); a close as ``{"type": "close"}``."""
        with anyio.fail_after(10):
            while True:
                frame = await self.from_app.receive()
                if frame["type"] == "websocket.send":
                    message: dict[str, Any] = json.loads(frame["text"])
                    return message
                if frame["type"] == "websocket.close":
                    return {"type": "close", "code": frame.get("code")}


@asynccontextmanager
async def ws_session(app: Any, token: str) -> AsyncIterator[WsClient]:
    """An acknowledged graphql-transport-ws connection authenticated with ``token``."""
    to_app, app_inbox = anyio.create_memory_object_stream[dict[str, Any]](100)
    app_outbox, from_app = anyio.create_memory_object_stream[dict[str, Any]](100)
    scope = {
        "type": "websocket",
        "asgi": {"version": "3.0"},
        "path": "/graphql",
        "raw_path": b"/graphql",
        "root_path": "",
        "scheme": "ws",
        "query_string": b"",
        "headers": [(b"host", b"hub.test")],
        "subprotocols": ["graphql-transport-ws"],
        "client": ("127.0.0.1", 50000),
        "server": ("hub.test", 80),
    }
    async with to_app, app_inbox, app_outbox, from_app, anyio.create_task_group() as tasks:
        tasks.start_soon(app, scope, app_inbox.receive, app_outbox.send)
        await to_app.send({"type": "websocket.connect"})
        client = WsClient(to_app, from_app)
        init = {"type": "connection_init", "payload": {"Authorization": f"Bearer {token}"}}
        await client.send(init)
        assert await client.receive() == {"type": "connection_ack"}
        try:
            yield client
        finally:
            await to_app.send({"type": "websocket.disconnect", "code": 1000})


async def _changed(app: Any, run_id: int, step: Any) -> None:
    """Apply ``step(session)`` to the run in one transaction, then publish its event."""
    async with app.state.hub.sessions.begin() as session:
        run = await step(session)
    await publish(app.state.hub.events, run)


async def test_a_subscriber_sees_the_run_then_its_progress_until_it_ends(
    app: Any, settings: Settings, sessions: Any
) -> None:
    run = await add_run(sessions)
    other = await add_run(sessions, stream="orders")
    async with ws_session(app, token_for(settings, Role.ERP_ADMIN)) as client:
        variables = {"id": encode_id("JobRun", run.id)}
        await client.send(
            {"id": "1", "type": "subscribe", "payload": {"query": FOLLOW, "variables": variables}}
        )
        first = await client.receive()
        assert first["type"] == "next" and first["id"] == "1"
        assert first["payload"]["data"]["jobRunUpdated"]["status"] == "QUEUED"

        await _changed(app, run.id, lambda s: start_run(s, run.id))
        await _changed(app, other.id, lambda s: start_run(s, other.id))  # not followed
        progress = RunCounts(read=50, inserted=40, pages=1)
        await _changed(app, run.id, lambda s: record_progress(s, run.id, progress, total=100))
        await _changed(app, run.id, lambda s: finish_run(s, run.id))

        seen = [await client.receive() for _ in range(4)]
    updates = [m["payload"]["data"]["jobRunUpdated"] for m in seen[:3]]
    assert [u["status"] for u in updates] == ["RUNNING", "RUNNING", "SUCCEEDED"]
    assert {u["id"] for u in updates} == {encode_id("JobRun", run.id)}
    assert updates[1]["counts"] == {"read": 50, "inserted": 40}
    assert updates[1]["progress"] == {"done": 50, "total": 100, "fraction": 0.5}
    assert updates[2]["progress"]["fraction"] == 1.0
    assert seen[3] == {"id": "1", "type": "complete"}


async def test_a_finished_run_is_sent_once_then_complete(
    app: Any, settings: Settings, sessions: Any
) -> None:
    run = await add_run(sessions, status="FAILED", error_message="ERP refused")
    async with ws_session(app, token_for(settings, Role.BRAND_ADMIN)) as client:
        variables = {"id": encode_id("JobRun", run.id)}
        await client.send(
            {"id": "7", "type": "subscribe", "payload": {"query": FOLLOW, "variables": variables}}
        )
        only = await client.receive()
        assert only["payload"]["data"]["jobRunUpdated"]["status"] == "FAILED"
        assert await client.receive() == {"id": "7", "type": "complete"}


async def test_only_job_managers_may_subscribe(app: Any, settings: Settings, sessions: Any) -> None:
    run = await add_run(sessions)
    async with ws_session(app, token_for(settings, Role.SECURITY_AUDITOR)) as client:
        variables = {"id": encode_id("JobRun", run.id)}
        await client.send(
            {"id": "2", "type": "subscribe", "payload": {"query": FOLLOW, "variables": variables}}
        )
        refused = await client.receive()
    errors = refused["payload"] if refused["type"] == "error" else refused["payload"]["errors"]
    assert errors[0]["message"] == "your role may not manage background jobs"
    assert errors[0]["extensions"]["code"] == "FORBIDDEN"

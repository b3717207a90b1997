"""Connectors managed through GraphQL: apply (created, then unchanged), list with secrets as
"<secret>", preview (mapped and rejected records, nothing written), test, delete; only
connector managers may; invalid configs list every problem by path; a canary secret never
appears in any response. The remote is a small HTTP server on 127.0.0.1."""

from __future__ import annotations

import json
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from sqlalchemy import text

from security.viewer import Role
from tests.local_server import serving

CANARY = "canary-pw-Zk7uP3wQs9Lb"
RECORDS = [
    {"id": "P-1", "name": "Alpha Tractors", "code": "ALPHA"},
    {"id": "P-2", "code": "BETA"},  # no name: a required mapped field is missing
    {"id": "P-3", "name": "Gamma Farm", "code": "GAMMA"},
]


class _Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = json.dumps(RECORDS).encode()
        self.send_response(200)
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


def config(remote: str) -> dict[str, Any]:
    return {
        "name": "erp",
        "kind": "rest",
        "connection": {
            "base_url": remote,
            "authenticator": {"type": "basic", "username": "hub", "password": CANARY},
            "retries": {"max_attempts": 1},
        },
        "streams": [
            {
                "name": "partners",
                "request": {"path": "partners"},
                "mapping": {
                    "entity": "partner",
                    "external_id": "id",
                    "fields": {
                        "name": {"source": "name", "required": True},
                        "code": "code",
                    },
                },
            }
        ],
    }


APPLY = """
mutation($config: JSON!) {
  applyConnector(input: {config: $config}) {
    __typename
    ... on ConnectorPayload { change connector { id name kind streams operations config } }
    ... on InvalidInputError { message fields { field message } }
    ... on UserError { message }
  }
}"""
LIST = "{ connectors { id name kind config streams operations createdAt updatedAt } }"
PREVIEW = """
mutation($id: ID!, $stream: String!) {
  previewStream(id: $id, stream: $stream) {
    __typename
    ... on StreamPreview { records rejected { index reason } rawCount }
    ... on ConnectorFailure { message kind }
    ... on UserError { message }
  }
}"""
TEST = """
mutation($id: ID!) {
  testConnector(id: $id) {
    __typename
    ... on ConnectorCheck { ok failed message }
    ... on ConnectorFailure { message kind }
    ... on UserError { message }
  }
}"""
DISCOVER = """
mutation($id: ID!) {
  discoverConnector(id: $id) {
    __typename
    ... on ConnectorEndpoints { endpoints { name kind fields { name type required } } }
    ... on UserError { message }
  }
}"""
DELETE = """
mutation($id: ID!) {
  deleteConnector(id: $id) {
    __typename ... on DeletedConnector { name } ... on UserError { message }
  }
}"""


async def _partners(app: Any) -> int:
    async with app.state.hub.sessions() as session:
        return int((await session.execute(text("SELECT count(*) FROM partners"))).scalar_one())


async def test_an_erp_admin_manages_a_connector_without_seeing_its_secret(
    gql_as: Any, app: Any, remote: str
) -> None:
    admin = gql_as(Role.ERP_ADMIN)
    seen: list[Any] = []

    async def call(query: str, **variables: Any) -> dict[str, Any]:
        body = await admin(query, **variables)
        seen.append(body)
        assert "errors" not in body, body
        data: dict[str, Any] = body["data"]
        return data

    applied = (await call(APPLY, config=config(remote)))["applyConnector"]
    assert applied["__typename"] == "ConnectorPayload", applied
    assert applied["change"] == "CREATED"
    connector = applied["connector"]
    assert (connector["name"], connector["kind"]) == ("erp", "rest")
    assert connector["streams"] == ["partners"]
    assert connector["operations"] == []
    assert connector["config"]["connection"]["authenticator"]["password"] == "<secret>"
    again = (await call(APPLY, config=config(remote)))["applyConnector"]
    assert again["change"] == "UNCHANGED"
    assert again["connector"]["id"] == connector["id"]

    listed = (await call(LIST))["connectors"]
    assert [c["name"] for c in listed] == ["erp"]
    assert listed[0]["config"]["connection"]["authenticator"]["password"] == "<secret>"
    one = await call("query($id: ID!) { connector(id: $id) { name } }", id=connector["id"])
    assert one["connector"] == {"name": "erp"}

    before = await _partners(app)
    preview = (await call(PREVIEW, id=connector["id"], stream="partners"))["previewStream"]
    assert preview["__typename"] == "StreamPreview", preview
    assert preview["rawCount"] == 3
    assert [r["externalId"] for r in preview["records"]] == ["P-1", "P-3"]
    assert preview["records"][0]["values"] == {"name": "Alpha Tractors", "code": "ALPHA"}
    [rejected] = preview["rejected"]
    assert rejected["index"] == 1
    assert "name" in rejected["reason"]
    assert await _partners(app) == before

    unknown = (await call(PREVIEW, id=connector["id"], stream="nope"))["previewStream"]
    assert unknown["__typename"] == "InvalidInputError"

    check = (await call(TEST, id=connector["id"]))["testConnector"]
    assert check["__typename"] == "ConnectorCheck", check
    assert check["ok"] is True
    found = (await call(DISCOVER, id=connector["id"]))["discoverConnector"]
    assert found["__typename"] == "ConnectorEndpoints", found

    deleted = (await call(DELETE, id=connector["id"]))["deleteConnector"]
    assert deleted == {"__typename": "DeletedConnector", "name": "erp"}
    assert (await call(LIST))["connectors"] == []
    gone = (await call(TEST, id=connector["id"]))["testConnector"]
    assert gone["__typename"] == "NotFoundError"

    assert CANARY not in json.dumps(seen)


async def test_a_brand_admin_may_manage_connectors(gql: Any, remote: str) -> None:
    applied = (await gql.data(APPLY, config=config(remote)))["applyConnector"]
    assert applied["change"] == "CREATED"
    assert [c["name"] for c in (await gql.data(LIST))["connectors"]] == ["erp"]


@pytest.mark.parametrize("role", [Role.DEALER, Role.SECURITY_AUDITOR])
async def test_other_roles_are_forbidden(gql_as: Any, remote: str, role: Role, app: Any) -> None:
    admin = gql_as(Role.ERP_ADMIN)
    connector = (await admin.data(APPLY, config=config(remote)))["applyConnector"]["connector"]
    other = gql_as(role, partner=1) if role is Role.DEALER else gql_as(role)

    listed = await other(LIST)
    assert listed["data"] is None
    assert listed["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    one = await other("query($id: ID!) { connector(id: $id) { name } }", id=connector["id"])
    assert one["errors"][0]["extensions"]["code"] == "FORBIDDEN"

    bodies = [
        await other(APPLY, config=config(remote)),
        await other(PREVIEW, id=connector["id"], stream="partners"),
        await other(TEST, id=connector["id"]),
        await other(DISCOVER, id=connector["id"]),
        await other(DELETE, id=connector["id"]),
    ]
    for body in bodies:
        [result] = body["data"].values()
        assert result["__typename"] == "ForbiddenError", body
    assert CANARY not in json.dumps(bodies)
    assert len((await admin.data(LIST))["connectors"]) == 1


async def test_an_invalid_config_lists_every_problem_by_path(gql_as: Any, remote: str) -> None:
    bad = config(remote)
    del bad["streams"][0]["request"]
    bad["streams"][0]["mapping"]["entity"] = "spaceship"
    body = await gql_as(Role.ERP_ADMIN).data(APPLY, config=bad)
    result = body["applyConnector"]
    assert result["__typename"] == "InvalidInputError", result
    fields = [f["field"] for f in result["fields"]]
    assert "streams[0].request" in fields
    assert "streams[0].mapping.entity" in fields
    assert CANARY not in json.dumps(body)
    assert (await gql_as(Role.ERP_ADMIN).data(LIST))["connectors"] == []


async def test_a_failing_remote_is_a_connector_failure_without_secrets(gql_as: Any) -> None:
    admin = gql_as(Role.ERP_ADMIN)
    closed = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    port = closed.server_address[1]
    closed.server_close()  # nothing listens here any more
    applied = await admin.data(APPLY, config=config(f"http://127.0.0.1:{port}"))
    connector = applied["applyConnector"]["connector"]
    body = await admin(PREVIEW, id=connector["id"], stream="partners")
    result = body["data"]["previewStream"]
    assert result["__typename"] == "ConnectorFailure", result
    assert result["kind"] == "transient_error"
    assert CANARY not in json.dumps(body)

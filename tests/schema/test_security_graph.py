"""The security auditor's graph: ``auditLog`` (filters, newest first, keyset pages),
``encryptionReport`` and ``keyUsage`` (counted from ciphertext headers), and who may ask."""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import update

from security.audit import AuditEvent, AuditLog
from security.cipher import FieldContext, seal
from security.keys import KeyState
from security.viewer import Role
from store.models import DataKeyRow, Partner
from tests import factories as f

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)

AUDIT_LOG = """
query($filter: AuditLogFilter, $first: Int, $after: String) {
  auditLog(filter: $filter, first: $first, after: $after) {
    totalCount
    pageInfo { hasNextPage endCursor }
    nodes { position at actor role action outcome table column rowHash keyId reason detail
            prevHash entryHash }
  }
}
"""


@pytest.fixture
def auditor(gql_as):
    return gql_as(Role.SECURITY_AUDITOR)


@pytest.fixture
async def trail(app) -> AuditLog:
    """Five entries an hour apart from T0, written with the app's own audit key."""
    ticks = iter(T0 + timedelta(hours=n) for n in range(100))
    log = AuditLog(app.state.hub.sessions, app.state.hub.audit.audit_key, clock=lambda: next(ticks))
    for n, (actor, action, outcome) in enumerate(
        [
            ("alice", "reveal", "allowed"),
            ("bob", "reveal", "denied"),
            ("alice", "query.refused", "denied"),
            ("carol", "reveal", "allowed"),
            ("alice", "reveal", "allowed"),
        ]
    ):
        await log.record(
            AuditEvent(
                actor=actor,
                role="brand_admin",
                action=action,
                outcome=outcome,
                table="partners" if action == "reveal" else None,
                column="tax_id" if action == "reveal" else None,
                row_id=str(n) if action == "reveal" else None,
                key_id=7 if action == "reveal" else None,
                reason="KYC" if action == "reveal" else None,
                detail={"n": n},
            )
        )
    return log


def positions(data: dict[str, Any]) -> list[int]:
    return [n["position"] for n in data["auditLog"]["nodes"]]


async def test_the_audit_log_is_newest_first_and_hides_row_ids(auditor, trail):
    data = await auditor.data(AUDIT_LOG)
    assert positions(data) == [5, 4, 3, 2, 1]
    assert data["auditLog"]["totalCount"] == 5
    newest = data["auditLog"]["nodes"][0]
    assert newest["actor"] == "alice" and newest["table"] == "partners"
    assert newest["column"] == "tax_id" and newest["keyId"] == 7
    assert newest["detail"] == {"n": 4}
    assert newest["rowHash"] and newest["rowHash"] != "4"
    assert datetime.fromisoformat(newest["at"]) == T0 + timedelta(hours=4)
    oldest = data["auditLog"]["nodes"][-1]
    assert oldest["prevHash"] == "0" * 64
    assert data["auditLog"]["nodes"][-2]["prevHash"] == oldest["entryHash"]


@pytest.mark.parametrize(
    ("filter_", "expected"),
    [
        ({"actor": "alice"}, [5, 3, 1]),
        ({"action": "reveal", "outcome": "allowed"}, [5, 4, 1]),
        ({"table": "partners", "column": "tax_id"}, [5, 4, 2, 1]),
        ({"outcome": "denied"}, [3, 2]),
        ({"from": (T0 + timedelta(hours=1)).isoformat()}, [5, 4, 3, 2]),
        ({"to": (T0 + timedelta(hours=2)).isoformat()}, [2, 1]),
        (
            {"actor": "alice", "from": T0.isoformat(), "to": (T0 + timedelta(hours=3)).isoformat()},
            [3, 1],
        ),
    ],
)
async def test_the_audit_log_filters(auditor, trail, filter_, expected):
    data = await auditor.data(AUDIT_LOG, filter=filter_)
    assert positions(data) == expected
    assert data["auditLog"]["totalCount"] == len(expected)


async def test_the_audit_log_pages_by_keyset(auditor, trail):
    first = await auditor.data(AUDIT_LOG, first=2)
    assert positions(first) == [5, 4]
    assert first["auditLog"]["pageInfo"]["hasNextPage"] is True
    cursor = first["auditLog"]["pageInfo"]["endCursor"]
    second = await auditor.data(AUDIT_LOG, first=2, after=cursor)
    assert positions(second) == [3, 2]
    cursor = second["auditLog"]["pageInfo"]["endCursor"]
    third = await auditor.data(AUDIT_LOG, first=2, after=cursor)
    assert positions(third) == [1]
    assert third["auditLog"]["pageInfo"]["hasNextPage"] is False


async def test_a_brand_admin_may_read_the_audit_log(gql, trail):
    assert positions(await gql.data(AUDIT_LOG)) == [5, 4, 3, 2, 1]


@pytest.mark.parametrize(
    "field", ["auditLog { totalCount }", "encryptionReport { rows }", "keyUsage { totalCount }"]
)
async def test_roles_without_audit_read_are_forbidden(gql_as, trail, field):
    for role, claims in (
        (Role.DEALER, {"partner": 1}),
        (Role.REGION_MANAGER, {"regions": [1]}),
        (Role.ERP_ADMIN, {}),
    ):
        body = await gql_as(role, **claims)("{ " + field + " }")
        assert body["data"] is None
        assert [e["extensions"]["code"] for e in body["errors"]] == ["FORBIDDEN"]


@pytest.mark.parametrize(
    "field", ["auditLog { totalCount }", "encryptionReport { rows }", "keyUsage { totalCount }"]
)
async def test_anonymous_viewers_are_unauthenticated(gql_as, trail, field):
    body = await gql_as(None)("{ " + field + " }")
    assert body["data"] is None
    assert [e["extensions"]["code"] for e in body["errors"]] == ["UNAUTHENTICATED"]


# --- encryption report and key usage --------------------------------------------------------


@dataclass(frozen=True)
class Key:
    id: int
    material: bytes


def sealed(key_id: int, value: str, column: str, row_id: int) -> bytes:
    return seal(
        Key(key_id, os.urandom(32)), value.encode(), FieldContext("partners", column, str(row_id))
    )


@pytest.fixture
async def encrypted(sessions) -> dict[str, int]:
    """Three partners: two sealed under their own keys (one rotated), one with a plaintext
    tax id smuggled in; three data keys plus the audit secret's key."""
    now = datetime.now(UTC)
    async with sessions.begin() as s:
        a, b, c = [await f.create_partner(s) for _ in range(3)]
        keys = [
            DataKeyRow(id=11, purpose=f"partner:{a.id}", state=KeyState.DECRYPT_ONLY),
            DataKeyRow(id=12, purpose=f"partner:{a.id}", state=KeyState.ACTIVE),
            DataKeyRow(id=13, purpose=f"partner:{b.id}", state=KeyState.ACTIVE),
            DataKeyRow(id=14, purpose="audit", state=KeyState.ACTIVE),
        ]
        for key in keys:
            key.wrapped, key.kek_id, key.created_at, key.state_changed_at = (
                b"w",
                "local:1",
                now,
                now,
            )
            s.add(key)
        await s.flush()
        values = {
            a.id: {
                "tax_id_ct": sealed(11, "DE111", "tax_id", a.id),
                "contact_email_ct": sealed(12, "a@example.com", "contact_email", a.id),
            },
            b.id: {
                "tax_id_ct": sealed(13, "DE222", "tax_id", b.id),
                "bank_account_ct": sealed(13, "DE89 3704", "bank_account", b.id),
            },
            # plaintext where ciphertext belongs, one shorter than a ciphertext header
            c.id: {"tax_id_ct": b"DE333333333", "contact_phone_ct": b"555"},
        }
        for partner_id, columns in values.items():
            await s.execute(update(Partner).where(Partner.id == partner_id).values(**columns))
    return {"a": a.id, "b": b.id, "c": c.id}


async def test_the_encryption_report_counts_rows_per_key_and_plaintext(auditor, encrypted):
    data = await auditor.data(
        "{ encryptionReport { table column field rows plaintextRows keys { keyId rows } } }"
    )
    report = {r["column"]: r for r in data["encryptionReport"]}
    assert set(report) == {
        "tax_id",
        "bank_account",
        "contact_phone",
        "contact_email",
        "secrets",
        "payload",
    }
    assert report["secrets"]["table"] == "connectors" and report["secrets"]["rows"] == 0
    assert report["payload"]["table"] == "quarantined_records"
    assert report["payload"]["rows"] == 0
    assert report["tax_id"] == {
        "table": "partners",
        "column": "tax_id",
        "field": "taxId",
        "rows": 3,
        "plaintextRows": 1,
        "keys": [{"keyId": 11, "rows": 1}, {"keyId": 13, "rows": 1}],
    }
    assert report["bank_account"]["keys"] == [{"keyId": 13, "rows": 1}]
    assert report["contact_email"]["keys"] == [{"keyId": 12, "rows": 1}]
    assert report["contact_phone"]["rows"] == 1 and report["contact_phone"]["plaintextRows"] == 1


async def test_key_usage_lists_keys_with_the_rows_they_sealed(auditor, encrypted):
    data = await auditor.data(
        "{ keyUsage { totalCount nodes { keyId purpose state rows createdAt } } }"
    )
    usage = data["keyUsage"]
    assert usage["totalCount"] == 4
    assert [(k["keyId"], k["purpose"], k["state"], k["rows"]) for k in usage["nodes"]] == [
        (11, f"partner:{encrypted['a']}", "DECRYPT_ONLY", 1),
        (12, f"partner:{encrypted['a']}", "ACTIVE", 1),
        (13, f"partner:{encrypted['b']}", "ACTIVE", 2),
        (14, "audit", "ACTIVE", 0),
    ]


async def test_key_usage_filters_by_state_and_pages(auditor, encrypted):
    query = """query($state: KeyState, $after: String) {
      keyUsage(state: $state, first: 1, after: $after) {
        totalCount pageInfo { hasNextPage endCursor } nodes { keyId } } }"""
    active = (await auditor.data(query, state="ACTIVE"))["keyUsage"]
    assert active["totalCount"] == 3 and [k["keyId"] for k in active["nodes"]] == [12]
    cursor = active["pageInfo"]["endCursor"]
    following = (await auditor.data(query, state="ACTIVE", after=cursor))["keyUsage"]
    assert [k["keyId"] for k in following["nodes"]] == [13]

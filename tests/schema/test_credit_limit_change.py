"""requestCreditLimitChange through the graph on both backends: applied at once (audited)
without an approval rule; with one it waits, the partner's limit changing only when the last
step approves (audited, with the decision history), while a rejection changes nothing; a
negative limit, an empty reason, an unknown partner, one outside a region manager's scope
and a dealer are refused with typed errors and nothing written."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from schema.node import encode_id
from security.viewer import Role
from store.models import AuditEntry, CreditLimitChange, Partner, Region
from tests.factories import create_partner, create_region

pytestmark = pytest.mark.anyio

Sessions = async_sessionmaker[AsyncSession]

CHANGE = """mutation($partner: ID!, $limit: Decimal!, $reason: String!) {
  requestCreditLimitChange(partner: $partner, newLimit: $limit, reason: $reason) {
    __typename
    ... on CreditLimitChangePayload { change { id partnerId oldLimit newLimit reason status
        requestedBy approvalRequestId appliedAt } }
    ... on InvalidInputError { fields { field message } }
    ... on NotFoundError { field }
    ... on ForbiddenError { permission } } }"""

RULE = """mutation($input: ApprovalRuleInput!) { createApprovalRule(input: $input) {
  __typename } }"""

DECIDE = """mutation($id: ID!, $comment: String!) {
  approve(requestId: $id, comment: $comment) { __typename
    ... on ApprovalDecisionPayload { request { status decisions { outcome decidedBy } } } } }"""

REJECT = """mutation($id: ID!, $comment: String!) {
  reject(requestId: $id, comment: $comment) { __typename
    ... on ApprovalDecisionPayload { request { status } } } }"""


@dataclass
class Channel:
    north: Region
    west: Region
    partner: int  # in East under North, limit 10 000.00
    elsewhere: int  # in West


async def channel(sessions: Sessions) -> Channel:
    async with sessions.begin() as s:
        north = await create_region(s, name="North")
        east = await create_region(s, name="East", parent=north)
        west = await create_region(s, name="West")
        partner = await create_partner(s, region=east, credit_limit=Decimal("10000.00"))
        elsewhere = await create_partner(s, region=west, credit_limit=Decimal("500.00"))
    return Channel(north, west, partner.id, elsewhere.id)


async def limit_of(sessions: Sessions, partner: int) -> Decimal:
    async with sessions() as s:
        value = await s.scalar(select(Partner.credit_limit).where(Partner.id == partner))
        assert value is not None
        return value


async def audited(sessions: Sessions) -> list[AuditEntry]:
    async with sessions() as s:
        rows = await s.scalars(select(AuditEntry).where(AuditEntry.action == "credit.limit_change"))
        return list(rows)


async def changes(sessions: Sessions) -> int:
    async with sessions() as s:
        return int(await s.scalar(select(func.count()).select_from(CreditLimitChange)) or 0)


def ask(partner: int, limit: str, reason: str = "grew in Q1") -> dict[str, Any]:
    return {"partner": encode_id("Partner", partner), "limit": limit, "reason": reason}


async def test_without_a_rule_the_change_applies_at_once_and_is_audited(sessions, gql):
    ch = await channel(sessions)
    result = (await gql.data(CHANGE, **ask(ch.partner, "25000.50")))["requestCreditLimitChange"]
    change = result["change"]
    assert (change["status"], change["oldLimit"], change["newLimit"]) == (
        "APPLIED",
        "10000.00",
        "25000.50",
    )
    assert change["approvalRequestId"] is None and change["appliedAt"] is not None
    assert await limit_of(sessions, ch.partner) == Decimal("25000.50")
    [entry] = await audited(sessions)
    assert entry.outcome == "applied" and entry.reason == "grew in Q1"


async def test_refusals_are_typed_and_change_nothing(sessions, gql, gql_as):
    ch = await channel(sessions)
    negative = (await gql.data(CHANGE, **ask(ch.partner, "-0.01")))["requestCreditLimitChange"]
    assert negative["fields"] == [{"field": "newLimit", "message": "must not be negative"}]
    blank = (await gql.data(CHANGE, **ask(ch.partner, "1.00", "  ")))["requestCreditLimitChange"]
    assert [f["field"] for f in blank["fields"]] == ["reason"]
    unknown = (await gql.data(CHANGE, **ask(999_999, "1.00")))["requestCreditLimitChange"]
    assert (unknown["__typename"], unknown["field"]) == ("NotFoundError", "partner")
    manager = gql_as(Role.REGION_MANAGER, regions=[ch.north])
    outside = (await manager.data(CHANGE, **ask(ch.elsewhere, "1.00")))["requestCreditLimitChange"]
    assert (outside["__typename"], outside["field"]) == ("NotFoundError", "partner")
    dealer = gql_as(Role.DEALER, partner=ch.partner)
    forbidden = (await dealer.data(CHANGE, **ask(ch.partner, "99999.00")))[
        "requestCreditLimitChange"
    ]
    assert (forbidden["__typename"], forbidden["permission"]) == ("ForbiddenError", "CHANNEL_WRITE")
    assert await limit_of(sessions, ch.partner) == Decimal("10000.00")
    assert await limit_of(sessions, ch.elsewhere) == Decimal("500.00")
    assert await changes(sessions) == 0 and await audited(sessions) == []
    # in scope, the region manager may ask
    inside = (await manager.data(CHANGE, **ask(ch.partner, "12000")))["requestCreditLimitChange"]
    assert inside["change"]["status"] == "APPLIED"
    assert await limit_of(sessions, ch.partner) == Decimal("12000.00")


async def rule(gql: Any, ch: Channel) -> None:
    steps = [
        {"role": "REGION_MANAGER", "region": encode_id("Region", ch.north.id)},
        {"role": "BRAND_ADMIN"},
    ]
    made = await gql.data(
        RULE,
        input={"name": "Limits", "documentType": "CREDIT_LIMIT_CHANGE", "steps": steps},
    )
    assert made["createApprovalRule"]["__typename"] == "ApprovalRulePayload"


async def test_with_a_rule_the_limit_changes_only_at_the_last_approval(sessions, gql, gql_as):
    ch = await channel(sessions)
    await rule(gql, ch)
    manager = gql_as(Role.REGION_MANAGER, regions=[ch.north])
    asked = (await manager.data(CHANGE, **ask(ch.partner, "30000")))["requestCreditLimitChange"]
    change = asked["change"]
    assert change["status"] == "PENDING_APPROVAL" and change["appliedAt"] is None
    request = change["approvalRequestId"]
    assert request is not None
    assert await limit_of(sessions, ch.partner) == Decimal("10000.00")
    shown = """query($id: ID!) { approvalRequest(id: $id) { documentType documentId partner
      amount status } }"""
    assert (await manager.data(shown, id=request))["approvalRequest"] == {
        "documentType": "CREDIT_LIMIT_CHANGE",
        "documentId": change["id"],
        "partner": encode_id("Partner", ch.partner),
        "amount": "30000.00",
        "status": "PENDING",
    }

    first = (await manager.data(DECIDE, id=request, comment="ok"))["approve"]
    assert first["request"]["status"] == "PENDING"
    assert await limit_of(sessions, ch.partner) == Decimal("10000.00")
    assert await audited(sessions) == []

    last = (await gql.data(DECIDE, id=request, comment="fine"))["approve"]["request"]
    assert last["status"] == "APPROVED"
    assert [d["outcome"] for d in last["decisions"]] == ["APPROVED", "APPROVED"]
    assert await limit_of(sessions, ch.partner) == Decimal("30000.00")
    [entry] = await audited(sessions)
    assert entry.outcome == "applied"
    async with sessions() as s:
        row = (await s.scalars(select(CreditLimitChange))).one()
    assert (row.status, row.old_limit, row.new_limit) == (
        "APPLIED",
        Decimal("10000.00"),
        Decimal("30000.00"),
    )


async def test_a_refused_approval_changes_nothing(sessions, gql, gql_as):
    ch = await channel(sessions)
    await rule(gql, ch)
    asked = (await gql.data(CHANGE, **ask(ch.partner, "0")))["requestCreditLimitChange"]
    request = asked["change"]["approvalRequestId"]
    manager = gql_as(Role.REGION_MANAGER, regions=[ch.north])
    rejected = (await manager.data(REJECT, id=request, comment="too risky"))["reject"]
    assert rejected["request"]["status"] == "REJECTED"
    assert await limit_of(sessions, ch.partner) == Decimal("10000.00")
    assert await audited(sessions) == []
    async with sessions() as s:
        assert (await s.scalars(select(CreditLimitChange.status))).one() == "REJECTED"
    # a decision after the rejection is refused: still nothing changes
    late = (await gql.data(DECIDE, id=request, comment="after all"))["approve"]
    assert late["__typename"] == "ConflictError"
    assert await limit_of(sessions, ch.partner) == Decimal("10000.00")


UPDATE = """mutation($input: UpdatePartnerInput!) { updatePartner(input: $input) { __typename
  ... on InvalidInputError { fields { field message } } } }"""


async def test_update_partner_cannot_bypass_a_rule_governing_credit_limits(sessions, gql):
    ch = await channel(sessions)
    direct = {"id": encode_id("Partner", ch.partner), "creditLimit": "20000"}
    assert (await gql.data(UPDATE, input=direct))["updatePartner"]["__typename"] == (
        "PartnerPayload"
    )  # no rule yet: the direct edit is allowed
    await rule(gql, ch)
    refused = (await gql.data(UPDATE, input={**direct, "creditLimit": "90000"}))["updatePartner"]
    assert refused["__typename"] == "InvalidInputError"
    [problem] = refused["fields"]
    assert problem["field"] == "creditLimit" and "requestCreditLimitChange" in problem["message"]
    assert await limit_of(sessions, ch.partner) == Decimal("20000.00")
    renamed = {"id": encode_id("Partner", ch.partner), "name": "Renamed"}
    assert (await gql.data(UPDATE, input=renamed))["updatePartner"]["__typename"] == (
        "PartnerPayload"
    )  # other fields still change freely

"""Approval flows through the graph: rules admin, a two-step approval (region manager, then
brand admin) moving an order to APPROVED and writing its outbox entries once, rejection,
refusals by a wrong role or scope (nothing changes), and pendingApprovals per viewer."""

from __future__ import annotations

import json
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

import jobs.outbox
import resolvers.approvals
from domain.enums import OrderStatus
from jobs.channel_events import take
from schema.node import encode_id
from security.viewer import Role
from store.models import (
    ApprovalDecision,
    ApprovalRequest,
    AuditEntry,
    Order,
    OrderStatusChange,
    Partner,
    Region,
)
from tests.factories import create_order, create_partner, create_product, create_region
from tests.jobs.outbox_erp import rest_config
from tests.jobs.outbox_support import outbox, store_connectors
from tests.schema.test_statement_count import counting

Sessions = async_sessionmaker[AsyncSession]

RULE = """mutation($input: ApprovalRuleInput!) { createApprovalRule(input: $input) {
  __typename
  ... on ApprovalRulePayload { rule { id name documentType minAmount maxAmount region priority
      steps { position role region } } }
  ... on UserError { message }
  ... on InvalidInputError { fields { field message } }
  ... on ForbiddenError { permission } } }"""

RULES = """query { approvalRules { name documentType steps { role } } }"""

UPDATE = """mutation($id: ID!, $input: ApprovalRuleInput!) {
  updateApprovalRule(id: $id, input: $input) { __typename
    ... on ApprovalRulePayload { rule { name minAmount steps { role } } } } }"""

DELETE = """mutation($id: ID!) { deleteApprovalRule(id: $id) {
  __typename ... on DeleteApprovalRulePayload { deletedId } ... on NotFoundError { id } } }"""

CHANGE = """mutation($input: ChangeOrderStatusInput!) { changeOrderStatus(input: $input) {
  __typename
  ... on OrderPayload { order { status } approvalRequest { id status currentStep } }
  ... on UserError { message } } }"""

REQUEST_FIELDS = """id documentType documentId status currentStep ruleName amount requestedBy
  steps { position role region } decisions { step outcome decidedBy role comment }"""

APPROVE = f"""mutation($id: ID!, $comment: String) {{ approve(requestId: $id, comment: $comment) {{
  __typename
  ... on ApprovalDecisionPayload {{ request {{ {REQUEST_FIELDS} }} }}
  ... on ApprovalNotAllowedError {{ message role }}
  ... on UserError {{ message }} }} }}"""

REJECT = """mutation($id: ID!, $comment: String!) { reject(requestId: $id, comment: $comment) {
  __typename
  ... on ApprovalDecisionPayload { request { status currentStep decisions { outcome comment } } }
  ... on InvalidInputError { fields { field message } }
  ... on UserError { message } } }"""

PENDING = """query { pendingApprovals(first: 10) { totalCount nodes { id documentId } } }"""

REQUEST = f"""query($id: ID!) {{ approvalRequest(id: $id) {{ {REQUEST_FIELDS} }} }}"""


@dataclass
class Channel:
    north: Region
    east: Region
    west: Region
    partner: Partner
    order: Order


async def channel(sessions: Sessions, quantity: int = 3) -> Channel:
    """North ⊃ East; West. A partner in East with a SUBMITTED order of 100.00 × quantity."""
    async with sessions.begin() as s:
        north = await create_region(s, name="North")
        east = await create_region(s, name="East", parent=north)
        west = await create_region(s, name="West")
        partner = await create_partner(s, region=east, credit_limit=Decimal("100000.00"))
        product = await create_product(s, price=Decimal("100.00"))
        order = await create_order(s, partner=partner, lines=[(product, quantity)])
    return Channel(north, east, west, partner, order)


def rule_input(ch: Channel, **extra: Any) -> dict[str, Any]:
    return {
        "input": {
            "name": "Big orders",
            "documentType": "ORDER",
            "minAmount": "200.00",
            "steps": [
                {"role": "REGION_MANAGER", "region": encode_id("Region", ch.north.id)},
                {"role": "BRAND_ADMIN"},
            ],
        }
        | extra
    }


def approve_order(order: Order) -> dict[str, Any]:
    return {"input": {"order": encode_id("Order", order.id), "to": "APPROVED"}}


@pytest.fixture
def enqueued(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    sent: list[int] = []

    def enqueue(entry_id: int) -> str:
        sent.append(entry_id)
        return f"message-{entry_id}"

    monkeypatch.setattr(jobs.outbox, "enqueue_outbox", enqueue)
    return sent


async def order_status(sessions: Sessions, order: Order) -> OrderStatus:
    async with sessions() as s:
        status = await s.scalar(select(Order.status).where(Order.id == order.id))
    assert status is not None
    return status


async def decisions(sessions: Sessions) -> int:
    async with sessions() as s:
        return len((await s.scalars(select(ApprovalDecision))).all())


async def start(gql: Any, sessions: Sessions, ch: Channel) -> str:
    created = await gql.data(RULE, **rule_input(ch))
    assert created["createApprovalRule"]["__typename"] == "ApprovalRulePayload"
    result = (await gql.data(CHANGE, **approve_order(ch.order)))["changeOrderStatus"]
    assert result["order"]["status"] == "SUBMITTED"
    assert result["approvalRequest"]["status"] == "PENDING"
    assert result["approvalRequest"]["currentStep"] == 0
    request_id: str = result["approvalRequest"]["id"]
    return request_id


async def test_a_two_step_approval_moves_the_order_on_at_its_last_step_with_outbox_once(
    app, sessions, gql, gql_as, enqueued, monkeypatch
):
    published: list[dict[str, Any]] = []

    async def record(_events: Any, session: Any) -> None:
        published.extend(take(session))

    monkeypatch.setattr(resolvers.approvals, "publish_deferred", record)
    await store_connectors(app.state.hub.fields, rest_config("erp", "http://127.0.0.1:9"))
    ch = await channel(sessions)
    request_id = await start(gql, sessions, ch)
    assert await outbox(sessions) == []
    north = gql_as(Role.REGION_MANAGER, regions=[ch.north], subject="north-manager")

    first = (await north.data(APPROVE, id=request_id, comment="fine by me"))["approve"]
    assert first["request"]["status"] == "PENDING"
    assert first["request"]["currentStep"] == 1
    assert await order_status(sessions, ch.order) == OrderStatus.SUBMITTED
    assert await outbox(sessions) == [] and enqueued == []

    last = (await gql.data(APPROVE, id=request_id, comment="ok"))["approve"]["request"]
    assert last["status"] == "APPROVED"
    assert last["currentStep"] is None
    assert last["documentId"] == encode_id("Order", ch.order.id)
    assert (last["ruleName"], last["amount"], last["requestedBy"]) == (
        "Big orders",
        "300.00",
        "test-admin",
    )
    assert last["steps"] == [
        {"position": 0, "role": "REGION_MANAGER", "region": encode_id("Region", ch.north.id)},
        {"position": 1, "role": "BRAND_ADMIN", "region": None},
    ]
    assert last["decisions"] == [
        {
            "step": 0,
            "outcome": "APPROVED",
            "decidedBy": "north-manager",
            "role": "region_manager",
            "comment": "fine by me",
        },
        {
            "step": 1,
            "outcome": "APPROVED",
            "decidedBy": "test-admin",
            "role": "brand_admin",
            "comment": "ok",
        },
    ]
    assert await order_status(sessions, ch.order) == OrderStatus.APPROVED
    assert [(e["orderId"], e["fromStatus"], e["toStatus"]) for e in published] == [
        (ch.order.id, "SUBMITTED", "APPROVED")
    ]
    [entry] = await outbox(sessions)
    assert (entry.entity, entry.entity_id) == ("order", ch.order.id)
    assert json.loads(entry.payload_json)["total"] == "300.00"
    assert enqueued == [entry.id]
    async with sessions() as s:
        history = (
            await s.scalars(
                select(OrderStatusChange)
                .where(OrderStatusChange.order_id == ch.order.id)
                .order_by(OrderStatusChange.id)
            )
        ).all()
    assert [(h.to_status, h.changed_by) for h in history][-1] == (
        OrderStatus.APPROVED,
        "test-admin",
    )

    again = (await gql.data(APPROVE, id=request_id))["approve"]
    assert again["__typename"] == "ConflictError"
    assert len(await outbox(sessions)) == 1 and enqueued == [entry.id]
    shown = (await gql.data(REQUEST, id=request_id))["approvalRequest"]
    assert shown["status"] == "APPROVED" and len(shown["decisions"]) == 2


async def test_asking_twice_returns_the_pending_request(sessions, gql):
    ch = await channel(sessions)
    request_id = await start(gql, sessions, ch)
    again = (await gql.data(CHANGE, **approve_order(ch.order)))["changeOrderStatus"]
    assert again["approvalRequest"]["id"] == request_id
    async with sessions() as s:
        assert len((await s.scalars(select(ApprovalRequest))).all()) == 1


async def test_an_order_no_rule_governs_is_approved_at_once(sessions, gql):
    ch = await channel(sessions, quantity=1)
    await gql.data(RULE, **rule_input(ch))
    result = (await gql.data(CHANGE, **approve_order(ch.order)))["changeOrderStatus"]
    assert result["order"]["status"] == "APPROVED"
    assert result["approvalRequest"] is None


async def test_a_wrong_role_or_scope_is_refused_and_nothing_changes(sessions, gql, gql_as):
    ch = await channel(sessions)
    request_id = await start(gql, sessions, ch)

    by_admin = (await gql.data(APPROVE, id=request_id))["approve"]
    assert by_admin["__typename"] == "ApprovalNotAllowedError"
    assert by_admin["role"] == "region_manager"
    # the East manager sees the partner but not the step's region (North)
    east = gql_as(Role.REGION_MANAGER, regions=[ch.east])
    by_east = (await east.data(APPROVE, id=request_id))["approve"]
    assert by_east["__typename"] == "ApprovalNotAllowedError"
    # the West manager does not even see the request
    west = gql_as(Role.REGION_MANAGER, regions=[ch.west])
    assert (await west.data(APPROVE, id=request_id))["approve"]["__typename"] == "NotFoundError"
    dealer = gql_as(Role.DEALER, partner=ch.partner)
    by_dealer = (await dealer.data(APPROVE, id=request_id))["approve"]
    assert by_dealer["__typename"] == "ApprovalNotAllowedError"

    assert await decisions(sessions) == 0
    state = (await gql.data(REQUEST, id=request_id))["approvalRequest"]
    assert (state["status"], state["currentStep"]) == ("PENDING", 0)
    assert await order_status(sessions, ch.order) == OrderStatus.SUBMITTED
    async with sessions() as s:
        denied = (
            await s.scalars(select(AuditEntry).where(AuditEntry.action == "authz.denied"))
        ).all()
    assert len(denied) == 4


async def test_a_rejection_closes_the_request_and_leaves_the_order_submitted(
    app, sessions, gql, gql_as, enqueued
):
    await store_connectors(app.state.hub.fields, rest_config("erp", "http://127.0.0.1:9"))
    ch = await channel(sessions)
    request_id = await start(gql, sessions, ch)
    north = gql_as(Role.REGION_MANAGER, regions=[ch.north])

    blank = (await north.data(REJECT, id=request_id, comment="  "))["reject"]
    assert blank["fields"] == [{"field": "comment", "message": "say why the request is rejected"}]
    result = (await north.data(REJECT, id=request_id, comment="over budget"))["reject"]
    assert result["request"] == {
        "status": "REJECTED",
        "currentStep": None,
        "decisions": [{"outcome": "REJECTED", "comment": "over budget"}],
    }
    assert await order_status(sessions, ch.order) == OrderStatus.SUBMITTED
    assert await outbox(sessions) == [] and enqueued == []
    late = (await gql.data(APPROVE, id=request_id))["approve"]
    assert late["__typename"] == "ConflictError"
    # asking again starts a new approval
    again = (await gql.data(CHANGE, **approve_order(ch.order)))["changeOrderStatus"]
    assert again["approvalRequest"]["id"] != request_id


async def test_pending_approvals_lists_what_each_viewer_may_decide(sessions, gql, gql_as):
    ch = await channel(sessions)
    request_id = await start(gql, sessions, ch)
    async with sessions.begin() as s:
        elsewhere = await create_partner(s, region=ch.west, credit_limit=Decimal("100000.00"))
        product = await create_product(s, price=Decimal("500.00"))
        other = await create_order(s, partner=elsewhere, lines=[(product, 1)])
    await gql.data(CHANGE, **approve_order(other))

    north = gql_as(Role.REGION_MANAGER, regions=[ch.north])
    mine = (await north.data(PENDING))["pendingApprovals"]
    assert mine["totalCount"] == 1
    assert [n["id"] for n in mine["nodes"]] == [request_id]
    west = gql_as(Role.REGION_MANAGER, regions=[ch.west])
    # the West order's step 0 needs North in scope: West's manager sees its partner, not North
    assert (await west.data(PENDING))["pendingApprovals"]["totalCount"] == 0
    for viewer in (gql, gql_as(Role.DEALER, partner=ch.partner)):
        assert (await viewer.data(PENDING))["pendingApprovals"]["totalCount"] == 0
    everyone_north = gql_as(Role.REGION_MANAGER, regions=[ch.north, ch.west])
    assert (await everyone_north.data(PENDING))["pendingApprovals"]["totalCount"] == 2

    await north.data(APPROVE, id=request_id)
    assert (await north.data(PENDING))["pendingApprovals"]["totalCount"] == 0
    admin = (await gql.data(PENDING))["pendingApprovals"]
    assert [n["documentId"] for n in admin["nodes"]] == [encode_id("Order", ch.order.id)]


async def test_rules_are_managed_by_brand_admins_only_and_checked(sessions, gql, gql_as):
    ch = await channel(sessions)
    refused = await gql_as(Role.REGION_MANAGER, regions=[ch.north]).data(RULE, **rule_input(ch))
    assert refused["createApprovalRule"]["permission"] == "APPROVALS_MANAGE"
    bad = rule_input(ch, minAmount="-1", maxAmount="-5", steps=[], name=" ")
    problems = (await gql.data(RULE, **bad))["createApprovalRule"]["fields"]
    assert [p["field"] for p in problems] == [
        "name",
        "minAmount",
        "maxAmount",
        "maxAmount",
        "steps",
    ]
    unknown = rule_input(ch, region=encode_id("Region", 999999))
    assert (await gql.data(RULE, **unknown))["createApprovalRule"]["__typename"] == "NotFoundError"

    created = (await gql.data(RULE, **rule_input(ch)))["createApprovalRule"]["rule"]
    assert created["minAmount"] == "200.00" and created["documentType"] == "ORDER"
    assert (await gql.data(RULES))["approvalRules"] == [
        {
            "name": "Big orders",
            "documentType": "ORDER",
            "steps": [{"role": "REGION_MANAGER"}, {"role": "BRAND_ADMIN"}],
        }
    ]
    changed = rule_input(
        ch, name="Huge orders", minAmount="1000.00", steps=[{"role": "BRAND_ADMIN"}]
    )
    updated = (await gql.data(UPDATE, id=created["id"], **changed))["updateApprovalRule"]
    assert updated["rule"] == {
        "name": "Huge orders",
        "minAmount": "1000.00",
        "steps": [{"role": "BRAND_ADMIN"}],
    }
    # the 300.00 order is below the new threshold: approved at once
    result = (await gql.data(CHANGE, **approve_order(ch.order)))["changeOrderStatus"]
    assert result["order"]["status"] == "APPROVED"
    deleted = (await gql.data(DELETE, id=created["id"]))["deleteApprovalRule"]
    assert deleted["deletedId"] == created["id"]
    assert (await gql.data(DELETE, id=created["id"]))["deleteApprovalRule"]["__typename"] == (
        "NotFoundError"
    )
    assert (await gql.data(RULES))["approvalRules"] == []


NESTED_PENDING = """query($n: Int!) { pendingApprovals(first: $n) { nodes { id status
  steps { role } decisions { outcome comment } } } }"""


async def test_pending_approvals_take_the_same_statements_for_2_and_12_requests(
    app, sessions, gql, gql_as
):
    ch = await channel(sessions)
    await gql.data(RULE, **rule_input(ch, minAmount=None))
    async with sessions.begin() as s:
        product = await create_product(s, price=Decimal("10.00"))
        orders = [
            await create_order(s, partner=ch.partner, lines=[(product, 1)]) for _ in range(12)
        ]
    for order in orders:
        await gql.data(CHANGE, **approve_order(order))
    north = gql_as(Role.REGION_MANAGER, regions=[ch.north])
    with counting(app) as two:
        small = await north.data(NESTED_PENDING, n=2)
    with counting(app) as twelve:
        large = await north.data(NESTED_PENDING, n=12)
    assert len(small["pendingApprovals"]["nodes"]) == 2
    assert len(large["pendingApprovals"]["nodes"]) == 12
    assert len(two) == len(twelve)

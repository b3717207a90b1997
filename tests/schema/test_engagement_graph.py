"""Engagement through the graph per role: the brand issues a task by region (a partner
outside a region manager's scope is NotFoundError, nothing stored), a dealer reports its own
progress and sees only its own line, scan reports become sell-out with points, exams graded
(an unknown question named), rewards redeemed and an overdraft refused as
InsufficientPointsError with nothing debited; a dealer may not issue tasks."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import func, select

from domain.training import Question, QuestionKind
from schema.node import encode_id
from security.viewer import Role
from store.models import EngagementTask, Reward, ScanReport
from store.repositories.training import TrainingRepository
from store.scope import Scope
from tests.factories import create_partner, create_product, create_region

ISSUE = """mutation($input: IssueTaskInput!) { issueTask(input: $input) {
  __typename
  ... on IssueTaskPayload { taskId assignedPartners }
  ... on NotFoundError { field }
  ... on InvalidInputError { fields { field message } }
  ... on ForbiddenError { permission } } }"""

REPORT = """mutation($task: ID!, $partner: ID!, $value: Decimal!, $evidence: [EvidenceInput!]) {
  reportTaskProgress(task: $task, partner: $partner, value: $value, evidence: $evidence) {
  __typename ... on UserError { message } } }"""

PROGRESS = """query($task: ID!) { taskProgress(task: $task) {
  assigned completed overdue
  partners { partnerId progress completed missingEvidence } } }"""

SCAN = """mutation($partner: ID!, $code: String!, $quantity: Int!) {
  recordScanReport(partner: $partner, code: $code, quantity: $quantity) {
  __typename
  ... on ScanReportPayload { productId quantity points }
  ... on NotFoundError { field id }
  ... on InvalidInputError { fields { field } } } }"""

EXAM = """mutation($exam: ID!, $partner: ID!, $answers: [AnswerInput!]!) {
  submitExamAttempt(exam: $exam, partner: $partner, answers: $answers) {
  __typename
  ... on ExamAttemptPayload { score maxScore passed points certificateNumber }
  ... on InvalidInputError { fields { field message } } } }"""

REDEEM = """mutation($partner: ID!, $reward: String!) {
  redeemReward(partner: $partner, reward: $reward) {
  __typename
  ... on RedemptionPayload { cost balance }
  ... on InsufficientPointsError { balance cost }
  ... on NotFoundError { field } } }"""

BALANCE = "query($partner: ID!) { pointsBalance(partner: $partner) }"


async def setup(sessions: Any) -> dict[str, Any]:
    async with sessions.begin() as s:
        north, south = await create_region(s, name="North"), await create_region(s, name="South")
        a = await create_partner(s, code="A", region=north)
        b = await create_partner(s, code="B", region=north)
        c = await create_partner(s, code="C", region=south)
        product = await create_product(s)
        s.add(Reward(code="PRIO", name="Priority supply", kind="PRIORITY_SUPPLY", cost_points=100))
        repo = TrainingRepository(s, Scope.everything())
        course = await repo.create_course(code="B1", title="Basics")
        exam = await repo.add_exam(
            course_id=course.id,
            title="Basics exam",
            pass_mark=Decimal("0.5"),
            questions=[Question("q1", QuestionKind.SINGLE, ("a", "b"), frozenset({"b"}))],
        )
        return {
            "north": north.id,
            "a": a,
            "b": b,
            "c": c,
            "A": encode_id("Partner", a.id),
            "B": encode_id("Partner", b.id),
            "C": encode_id("Partner", c.id),
            "barcode": product.barcode,
            "product": encode_id("Product", product.id),
            "exam": encode_id("Exam", exam.id),
        }


def task_input(**extra: Any) -> dict[str, Any]:
    return {
        "title": "Endcap display",
        "target": "10",
        "unit": "displays",
        "dueAt": "2030-06-30T00:00:00+00:00",
        "evidenceRequired": ["photo"],
        **extra,
    }


async def test_tasks_per_role(sessions, gql, gql_as):
    ids = await setup(sessions)
    manager = gql_as(Role.REGION_MANAGER, regions=[ids["north"]])
    refused = await manager.data(ISSUE, input=task_input(partners=[ids["A"], ids["C"]]))
    assert refused["issueTask"] == {"__typename": "NotFoundError", "field": "partner"}
    dealer_a = gql_as(Role.DEALER, partner=ids["a"])
    forbidden = (await dealer_a.data(ISSUE, input=task_input(partners=[ids["A"]])))["issueTask"]
    assert forbidden["__typename"] == "ForbiddenError"
    async with sessions() as s:
        assert await s.scalar(select(func.count()).select_from(EngagementTask)) == 0

    issued = (
        await manager.data(ISSUE, input=task_input(regions=[encode_id("Region", ids["north"])]))
    )["issueTask"]
    assert issued["__typename"] == "IssueTaskPayload"
    assert sorted(issued["assignedPartners"]) == sorted([ids["A"], ids["B"]])
    task = issued["taskId"]

    bad = (await gql.data(ISSUE, input=task_input(target="0", partners=[ids["A"]])))["issueTask"]
    assert bad["fields"] == [{"field": "target", "message": "must be a positive number"}]

    done = await dealer_a.data(
        REPORT, task=task, partner=ids["A"], value="10", evidence=[{"kind": "photo", "ref": "f/1"}]
    )
    assert done["reportTaskProgress"]["__typename"] == "TaskProgressReportPayload"
    other = await dealer_a.data(REPORT, task=task, partner=ids["B"], value="1", evidence=[])
    assert other["reportTaskProgress"]["__typename"] == "NotFoundError"
    half = await gql_as(Role.DEALER, partner=ids["b"]).data(
        REPORT, task=task, partner=ids["B"], value="5", evidence=[]
    )
    assert half["reportTaskProgress"]["__typename"] == "TaskProgressReportPayload"

    brand = (await gql.data(PROGRESS, task=task))["taskProgress"]
    assert (brand["assigned"], brand["completed"], brand["overdue"]) == (2, 1, 0)
    by_partner = {p["partnerId"]: p for p in brand["partners"]}
    assert by_partner[ids["A"]]["completed"] is True
    assert by_partner[ids["B"]]["missingEvidence"] == ["photo"]
    own = (await dealer_a.data(PROGRESS, task=task))["taskProgress"]
    assert [p["partnerId"] for p in own["partners"]] == [ids["A"]]
    outsider = gql_as(Role.DEALER, partner=ids["c"])
    assert (await outsider.data(PROGRESS, task=task))["taskProgress"] is None


async def test_scan_exam_points_and_redemption(sessions, gql_as):
    ids = await setup(sessions)
    dealer = gql_as(Role.DEALER, partner=ids["a"])
    scan = await dealer.data(SCAN, partner=ids["A"], code=ids["barcode"], quantity=40)
    assert scan["recordScanReport"] == {
        "__typename": "ScanReportPayload",
        "productId": ids["product"],
        "quantity": 40,
        "points": 40,
    }
    unknown = await dealer.data(SCAN, partner=ids["A"], code="nope", quantity=1)
    assert unknown["recordScanReport"] == {
        "__typename": "NotFoundError",
        "field": "code",
        "id": "nope",
    }
    elsewhere = await dealer.data(SCAN, partner=ids["C"], code=ids["barcode"], quantity=1)
    assert elsewhere["recordScanReport"]["__typename"] == "NotFoundError"
    async with sessions() as s:
        assert await s.scalar(select(func.count()).select_from(ScanReport)) == 1

    wrong = (
        await dealer.data(
            EXAM, exam=ids["exam"], partner=ids["A"], answers=[{"question": "q9", "options": ["a"]}]
        )
    )["submitExamAttempt"]
    assert wrong["__typename"] == "InvalidInputError"
    assert wrong["fields"][0]["field"] == "answers.q9"
    passed = (
        await dealer.data(
            EXAM, exam=ids["exam"], partner=ids["A"], answers=[{"question": "q1", "options": ["b"]}]
        )
    )["submitExamAttempt"]
    assert (passed["score"], passed["passed"], passed["points"]) == (1, True, 100)
    assert passed["certificateNumber"]

    assert (await dealer.data(BALANCE, partner=ids["A"]))["pointsBalance"] == 140
    assert (await dealer.data(BALANCE, partner=ids["C"]))["pointsBalance"] is None
    first = (await dealer.data(REDEEM, partner=ids["A"], reward="PRIO"))["redeemReward"]
    assert first == {"__typename": "RedemptionPayload", "cost": 100, "balance": 40}
    again = (await dealer.data(REDEEM, partner=ids["A"], reward="PRIO"))["redeemReward"]
    assert again == {"__typename": "InsufficientPointsError", "balance": 40, "cost": 100}
    assert (await dealer.data(BALANCE, partner=ids["A"]))["pointsBalance"] == 40

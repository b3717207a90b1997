"""``postFundEntry`` on both backends: a brand admin posts PREPAYMENT, DEPOSIT and POINTS
entries (corrections are negative entries), each audited and referencing its audit record;
bad input is refused naming the field with nothing written; dealers and region managers may
not post; a dealer sees its own entries and balances only."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from schema.node import encode_id
from security.viewer import Role
from store.models import AuditEntry, FundLedgerEntry, Partner
from tests.factories import create_partner, create_region

pytestmark = pytest.mark.anyio
Sessions = async_sessionmaker[AsyncSession]

POST = """mutation($input: PostFundEntryInput!) { postFundEntry(input: $input) {
  __typename
  ... on FundEntryPayload { entry { partnerId fund amount currency sourceType sourceId memo } }
  ... on InvalidInputError { fields { field message } }
  ... on NotFoundError { field id }
  ... on ForbiddenError { message }
} }"""
MINE = """{ fundLedger { partnerId fund amount currency memo }
  fundBalances { partnerId fund currency balance } }"""


async def partners(sessions: Sessions) -> tuple[Partner, Partner]:
    async with sessions.begin() as s:
        region = await create_region(s)
        return (
            await create_partner(s, code="P-ONE", region=region),
            await create_partner(s, code="P-TWO"),
        )


def entry(partner: Partner, fund: str, amount: str, **extra: Any) -> dict[str, Any]:
    given = {"partner": encode_id("Partner", partner.id), "fund": fund, "amount": amount}
    return {"input": given | {"reference": "TT-2026-0042"} | extra}


async def ledger_count(sessions: Sessions) -> int:
    async with sessions() as s:
        return int(await s.scalar(select(func.count()).select_from(FundLedgerEntry)) or 0)


async def test_a_brand_admin_posts_each_fund_audited_and_referenced(sessions, gql):
    one, _ = await partners(sessions)
    paid = await gql.data(POST, **entry(one, "PREPAYMENT", "5000.00", note="advance for Q2"))
    posted = paid["postFundEntry"]
    assert posted["__typename"] == "FundEntryPayload"
    assert posted["entry"] | {"sourceId": None} == {
        "partnerId": encode_id("Partner", one.id),
        "fund": "PREPAYMENT",
        "amount": "5000.00",
        "currency": "CNY",
        "sourceType": "audit",
        "sourceId": None,
        "memo": "TT-2026-0042: advance for Q2",
    }
    async with sessions() as s:
        record = await s.get(AuditEntry, int(posted["entry"]["sourceId"]))
    assert record is not None and record.action == "fund.entry"
    assert record.reason == "advance for Q2" and record.table_name == "fund_ledger"
    assert json.loads(record.detail) == {
        "partner": one.id,
        "fund": "PREPAYMENT",
        "amount": "5000.00",
        "currency": "CNY",
        "reference": "TT-2026-0042",
    }

    correction = await gql.data(POST, **entry(one, "PREPAYMENT", "-1200.50"))
    assert correction["postFundEntry"]["entry"]["amount"] == "-1200.50"
    deposit = await gql.data(POST, **entry(one, "DEPOSIT", "20000", reference=" DEP-7 "))
    assert deposit["postFundEntry"]["entry"]["memo"] == "DEP-7"
    points = await gql.data(POST, **entry(one, "POINTS", "150", currency="USD"))
    assert points["postFundEntry"]["entry"]["currency"] == "PTS"

    data = await gql.data(MINE)
    assert {(b["fund"], b["currency"], b["balance"]) for b in data["fundBalances"]} == {
        ("PREPAYMENT", "CNY", "3799.50"),
        ("DEPOSIT", "CNY", "20000.00"),
        ("POINTS", "PTS", "150.00"),
    }
    assert len(data["fundLedger"]) == 4


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"amount": "0"}, "amount"),
        ({"amount": "10.001"}, "amount"),
        ({"fund": "POINTS", "amount": "1.5"}, "amount"),
        ({"amount": "1e15"}, "amount"),
        ({"currency": "XXQ"}, "currency"),
        ({"reference": "   "}, "reference"),
        ({"reference": "R" * 121}, "reference"),
        ({"note": "n" * 501}, "note"),
    ],
)
async def test_bad_input_names_the_field_and_writes_nothing(sessions, gql, change, field):
    one, _ = await partners(sessions)
    given = entry(one, "DEPOSIT", "10.00")
    given["input"] |= change
    result = (await gql.data(POST, **given))["postFundEntry"]
    assert result["__typename"] == "InvalidInputError"
    assert [f["field"] for f in result["fields"]] == [field]
    assert await ledger_count(sessions) == 0


async def test_the_rebate_fund_and_unknown_partners_are_refused(sessions, gql):
    one, _ = await partners(sessions)
    body = await gql(POST, **entry(one, "REBATE", "10.00"))
    assert body["errors"] and "REBATE" in body["errors"][0]["message"]
    missing = entry(one, "DEPOSIT", "10.00")
    missing["input"]["partner"] = encode_id("Partner", 999_999)
    result = (await gql.data(POST, **missing))["postFundEntry"]
    assert result["__typename"] == "NotFoundError" and result["field"] == "partner"
    assert await ledger_count(sessions) == 0


@pytest.mark.parametrize("role", [Role.DEALER, Role.REGION_MANAGER])
async def test_dealers_and_region_managers_may_not_post(sessions, gql_as, role):
    one, _ = await partners(sessions)
    claims: dict[str, Any] = (
        {"partner": one} if role is Role.DEALER else {"regions": [one.region_id]}
    )
    as_them = gql_as(role, **claims)
    result = (await as_them.data(POST, **entry(one, "PREPAYMENT", "10.00")))["postFundEntry"]
    assert result["__typename"] == "ForbiddenError"
    assert await ledger_count(sessions) == 0


async def test_a_dealer_sees_only_its_own_entries_and_balances(sessions, gql, gql_as):
    one, two = await partners(sessions)
    await gql.data(POST, **entry(one, "PREPAYMENT", "100.00"))
    await gql.data(POST, **entry(two, "PREPAYMENT", "900.00"))
    await gql.data(POST, **entry(two, "POINTS", "40"))
    data = await gql_as(Role.DEALER, partner=one).data(MINE)
    own = encode_id("Partner", one.id)
    assert data["fundLedger"] == [
        {"partnerId": own, "fund": "PREPAYMENT", "amount": "100.00", "currency": "CNY",
         "memo": "TT-2026-0042"}
    ]  # fmt: skip
    assert data["fundBalances"] == [
        {"partnerId": own, "fund": "PREPAYMENT", "currency": "CNY", "balance": "100.00"}
    ]
    assert Decimal(data["fundBalances"][0]["balance"]) == Decimal(100)

"""Rebate settlements end to end, on both backends: a period not closed is refused; a
settlement travels DRAFT → APPROVED (through an approval rule, or at once without one) →
outbox → the demo finance connector (POST /credit-notes) → PAID, and the REBATE fund
balance returns to zero; a rejection releases the accruals; a settlement is not paid twice."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from sqlalchemy import select

from demo.erp.configs import FINANCE_CONNECTOR, demo_connector_configs
from demo.erp.erp import DemoErp
from demo.erp.server import serve_erp
from domain.enums import OrderStatus
from jobs.accrual import accrue
from jobs.approvals import decide
from jobs.connector_configs import apply_configs
from jobs.outbox import relay
from jobs.runtime import Resources, close_resources, open_resources
from jobs.settlements import (
    NothingToSettle,
    PeriodNotClosed,
    SettlementExists,
    create_settlement,
    mark_paid,
    outbox_entries_of,
)
from settings import Settings
from store.models import (
    Accrual,
    ApprovalRule,
    ApprovalStep,
    FundLedgerEntry,
    OutboxEntry,
    Partner,
    RebateAgreement,
    RebateTier,
    Settlement,
)
from store.scope import Scope
from tests.factories import create_order, create_partner, create_product

pytestmark = pytest.mark.anyio

AFTER_Q1 = date(2026, 4, 2)


@pytest.fixture
async def resources(settings: Settings) -> AsyncIterator[Resources]:
    opened = await open_resources(settings)
    yield opened
    await close_resources(opened)


@contextmanager
def demo_erp() -> Iterator[tuple[DemoErp, str]]:
    erp = DemoErp.build("tiny", now=datetime(2026, 3, 1, tzinfo=UTC))
    with serve_erp(erp) as url:
        yield erp, url


async def seed(resources: Resources) -> int:
    """Partner D, a quarterly marginal per-unit agreement on its own sales by quantity:
    [0, 100) 2.00 per unit, [100, ∞) 3.00 per unit. D buys 150 units in February.
    Q1 accrual: 100 × 2.00 + 50 × 3.00 = 350.00."""
    async with resources.sessions.begin() as s:
        partner = await create_partner(s, code="D-SETTLE")
        product = await create_product(s, price=Decimal("10.00"))
        feb = datetime(2026, 2, 10, tzinfo=UTC)
        await create_order(
            s, partner=partner, lines=[(product, 150)], status=OrderStatus.APPROVED, created_at=feb
        )
        agreement = RebateAgreement(
            code="D-Q",
            name="D quarterly",
            currency="CNY",
            scope_kind="PARTNER",
            partner_id=partner.id,
            period="QUARTER",
            basis="QUANTITY",
            method="MARGINAL",
            product_ids_json=json.dumps([product.id]),
            categories_json="[]",
            valid_from=date(2026, 1, 1),
            valid_to=date(2027, 1, 1),
            active=True,
        )
        s.add(agreement)
        await s.flush()
        for position, (lower, upper, per_unit) in enumerate(
            [(Decimal(0), Decimal(100), Decimal("2.00")), (Decimal(100), None, Decimal("3.00"))]
        ):
            s.add(
                RebateTier(
                    agreement_id=agreement.id,
                    position=position,
                    lower=lower,
                    upper=upper,
                    per_unit=per_unit,
                )
            )
        partner_id = partner.id
    await accrue(resources.sessions, year=2026, month=3)
    return partner_id


async def settle(
    resources: Resources, partner_id: int, today: date = AFTER_Q1
) -> tuple[int, list[int]]:
    async with resources.sessions.begin() as s:
        settlement = await create_settlement(
            s,
            partner_id=partner_id,
            year=2026,
            period_kind="QUARTER",
            period_index=1,
            currency="CNY",
            created_by="admin",
            today=today,
        )
        return settlement.id, outbox_entries_of(s)


async def settlement(resources: Resources, settlement_id: int) -> Settlement:
    async with resources.sessions() as s:
        found = await s.get(Settlement, settlement_id)
        assert found is not None
        return found


async def rebate_balance(resources: Resources, partner_id: int) -> Decimal:
    async with resources.sessions() as s:
        rows = await s.scalars(
            select(FundLedgerEntry).where(FundLedgerEntry.partner_id == partner_id)
        )
        return sum((r.amount for r in rows), Decimal(0))


async def test_a_period_not_closed_is_refused_and_nothing_is_written(resources):
    partner_id = await seed(resources)
    with pytest.raises(PeriodNotClosed, match="ends on 2026-04-01"):
        await settle(resources, partner_id, today=date(2026, 3, 31))
    async with resources.sessions() as s:
        assert list(await s.scalars(select(Settlement))) == []
        assert [a.settlement_id for a in await s.scalars(select(Accrual))] == [None]


async def test_without_a_rule_a_settlement_is_approved_at_once_and_paid_by_the_relay(resources):
    partner_id = await seed(resources)
    assert await rebate_balance(resources, partner_id) == Decimal("350.00")
    with demo_erp() as (erp, url):
        finance = [c for c in demo_connector_configs(url, erp) if c.name == FINANCE_CONNECTOR]
        await apply_configs(resources.crypto, finance)
        settlement_id, entries = await settle(resources, partner_id)
        approved = await settlement(resources, settlement_id)
        assert (approved.status, approved.total) == ("APPROVED", Decimal("350.00"))
        [entry_id] = entries
        await relay(resources, entry_id)
    [note] = erp.credit_notes.values()
    assert (note["customer_code"], note["amount"], note["currency"]) == (
        "D-SETTLE",
        "350.00",
        "CNY",
    )
    assert note["reference"] == approved.number
    assert note["lines"] == [{"agreement_code": "D-Q", "amount": "350.00"}]
    paid = await settlement(resources, settlement_id)
    assert (paid.status, paid.reference) == ("PAID", note["id"])
    # accrued +350.00, paid out -350.00: nothing left owed; the debit names the settlement
    assert await rebate_balance(resources, partner_id) == Decimal("0.00")
    async with resources.sessions() as s:
        last = (
            await s.scalars(select(FundLedgerEntry).order_by(FundLedgerEntry.id.desc()))
        ).first()
        assert last is not None and (last.source_type, last.source_id) == (
            "settlement",
            settlement_id,
        )
        entry = await s.get(OutboxEntry, entry_id)
        assert entry is not None and (entry.status, entry.connector) == ("SENT", FINANCE_CONNECTOR)
    # a second acknowledgement pays nothing twice; a second settlement is refused
    async with resources.sessions.begin() as s:
        assert await mark_paid(s, settlement_id, note["id"]) is False
    with pytest.raises(SettlementExists):
        await settle(resources, partner_id)
    assert await rebate_balance(resources, partner_id) == Decimal("0.00")


async def approval_rule(resources: Resources) -> None:
    async with resources.sessions.begin() as s:
        rule = ApprovalRule(
            name="settlements", document_type="rebate_settlement", priority=1, active=True
        )
        s.add(rule)
        await s.flush()
        s.add(ApprovalStep(rule_id=rule.id, position=0, role="brand_admin"))


async def test_through_the_approval_flow_draft_then_approved_then_paid(resources):
    partner_id = await seed(resources)
    await approval_rule(resources)
    with demo_erp() as (erp, url):
        finance = [c for c in demo_connector_configs(url, erp) if c.name == FINANCE_CONNECTOR]
        await apply_configs(resources.crypto, finance)
        settlement_id, entries = await settle(resources, partner_id)
        draft = await settlement(resources, settlement_id)
        assert (draft.status, entries) == ("DRAFT", [])
        assert draft.approval_request_id is not None
        async with resources.sessions.begin() as s:
            await decide(
                s,
                Scope.everything(),
                role="brand_admin",
                subject="boss",
                request_id=draft.approval_request_id,
                approve=True,
                comment="ok",
            )
            [entry_id] = outbox_entries_of(s)
        assert (await settlement(resources, settlement_id)).status == "APPROVED"
        await relay(resources, entry_id)
    assert (await settlement(resources, settlement_id)).status == "PAID"
    assert len(erp.credit_notes) == 1


async def test_a_rejected_settlement_releases_its_accruals(resources):
    partner_id = await seed(resources)
    await approval_rule(resources)
    settlement_id, _ = await settle(resources, partner_id)
    draft = await settlement(resources, settlement_id)
    assert draft.approval_request_id is not None
    async with resources.sessions.begin() as s:
        await decide(
            s,
            Scope.everything(),
            role="brand_admin",
            subject="boss",
            request_id=draft.approval_request_id,
            approve=False,
            comment="wrong period",
        )
    assert (await settlement(resources, settlement_id)).status == "REJECTED"
    async with resources.sessions() as s:
        assert [a.settlement_id for a in await s.scalars(select(Accrual))] == [None]


async def test_nothing_to_settle_is_refused(resources):
    async with resources.sessions.begin() as s:
        partner_id = (await create_partner(s)).id
    with pytest.raises(NothingToSettle):
        await settle(resources, partner_id)


async def test_a_settled_accrual_is_frozen_and_a_late_order_trues_up_next_period(resources):
    partner_id = await seed(resources)
    await settle(resources, partner_id)
    async with resources.sessions.begin() as s:
        partner = await s.get(Partner, partner_id)
        product = await create_product(s, price=Decimal("10.00"))
        assert partner is not None
        late = datetime(2026, 3, 30, tzinfo=UTC)  # in Q1, but booked after its settlement
        await create_order(
            s, partner=partner, lines=[(product, 50)], status=OrderStatus.APPROVED, created_at=late
        )
        agreement = (await s.scalars(select(RebateAgreement))).one()
        agreement.product_ids_json = json.dumps(
            [*json.loads(agreement.product_ids_json), product.id]
        )
    report = await accrue(resources.sessions, year=2026, month=6)
    # YTD 200 units: 100 × 2.00 + 100 × 3.00 = 500.00; Q1 stays 350.00 (settled), Q2 = 150.00
    async with resources.sessions() as s:
        rows = list(await s.scalars(select(Accrual).order_by(Accrual.period_index)))
    assert [(r.period_index, r.amount) for r in rows] == [
        (1, Decimal("350.00")),
        (2, Decimal("150.00")),
    ]
    assert report.frozen == 1

"""``channelhub rebates accrue``: accrues in-process, prints what it did, changes nothing the
second time, and refuses a month that does not exist."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime
from decimal import Decimal

import cli
from domain.enums import OrderStatus
from settings import Settings
from store.engine import create_engine, create_sessionmaker
from store.models import RebateAgreement, RebateTier
from tests.factories import create_order, create_partner, create_product


async def _seed() -> None:
    engine = create_engine(Settings())
    try:
        async with create_sessionmaker(engine).begin() as s:
            partner = await create_partner(s)
            product = await create_product(s, price=Decimal("10.00"))
            await create_order(
                s,
                partner=partner,
                lines=[(product, 30)],
                status=OrderStatus.APPROVED,
                created_at=datetime(2025, 1, 20, tzinfo=UTC),
            )
            agreement = RebateAgreement(
                code="CLI-1",
                name="monthly",
                currency="CNY",
                scope_kind="PARTNER",
                partner_id=partner.id,
                period="MONTH",
                basis="AMOUNT",
                method="RETROACTIVE",
                product_ids_json="[]",
                categories_json="[]",
                valid_from=date(2025, 1, 1),
                valid_to=date(2026, 1, 1),
                active=True,
            )
            s.add(agreement)
            await s.flush()
            s.add(
                RebateTier(
                    agreement_id=agreement.id, position=0, lower=Decimal(0), rate=Decimal("0.1")
                )
            )
    finally:
        await engine.dispose()


def test_accrue_prints_what_it_did_and_is_idempotent(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("CHANNELHUB_DATA_DIR", str(tmp_path))
    assert cli.main(["migrate"]) == 0
    asyncio.run(_seed())
    capsys.readouterr()
    assert cli.main(["rebates", "accrue", "--year", "2025", "--month", "2"]) == 0
    # January: 300.00 × 10 % = 30.00; February: YTD still 30.00 → 0.00
    first = capsys.readouterr().out
    assert "Accrued 1 agreements for 2025-02: 2 new, 0 changed, 0 unchanged" in first
    assert "(30.00 CNY)" in first
    assert cli.main(["rebates", "accrue", "--year", "2025", "--month", "2"]) == 0
    assert "0 new, 0 changed, 2 unchanged, 0 settled; ledger 0 entries" in capsys.readouterr().out


def test_accrue_refuses_a_month_that_does_not_exist(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("CHANNELHUB_DATA_DIR", str(tmp_path))
    assert cli.main(["migrate"]) == 0
    assert cli.main(["rebates", "accrue", "--year", "2025", "--month", "13"]) == 1
    assert "period.index" in capsys.readouterr().err

"""``channelhub rebates accrue`` on a freshly migrated database accrues ACTIVE promotions too
and says so; a second run changes nothing."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, date, datetime
from decimal import Decimal

import cli
from domain.enums import OrderStatus
from settings import Settings
from store.engine import create_engine, create_sessionmaker
from store.models import Promotion
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
            s.add(
                Promotion(
                    code="JAN",
                    name="January",
                    currency="CNY",
                    product_ids_json=json.dumps([product.id]),
                    percent=Decimal("3"),
                    starts=date(2025, 1, 1),
                    ends=date(2025, 1, 31),
                    status="ACTIVE",
                )
            )
    finally:
        await engine.dispose()


def test_accrue_counts_promotions(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("CHANNELHUB_DATA_DIR", str(tmp_path))
    assert cli.main(["migrate"]) == 0
    asyncio.run(_seed())
    capsys.readouterr()
    assert cli.main(["rebates", "accrue", "--year", "2025", "--month", "2"]) == 0
    # January: 3 % of 300.00 = 9.00; February is after the window: no row
    first = capsys.readouterr().out
    assert "Accrued 0 agreements and 1 promotions for 2025-02: 1 new, 0 changed" in first
    assert "(9.00 CNY)" in first
    assert cli.main(["rebates", "accrue", "--year", "2025", "--month", "2"]) == 0
    assert "0 new, 0 changed, 1 unchanged, 0 settled; ledger 0 entries" in capsys.readouterr().out

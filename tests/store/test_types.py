"""Money stays exact and times stay UTC through every database; cursors are opaque but strict."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from sqlalchemy import select

from store.models import Order, Tier
from store.pagination import Cursor, PaginationError, Window
from tests import factories as f


async def test_money_round_trips_exactly_and_sums_in_sql(sessions):
    amounts = [Decimal("0.10"), Decimal("0.20"), Decimal("12345678.9999"), Decimal("-3.30")]
    async with sessions.begin() as s:
        for i, amount in enumerate(amounts):
            s.add(Tier(name=f"t{i}", rank=i, allocation_weight=amount))
    async with sessions() as s:
        stored = list(await s.scalars(select(Tier.allocation_weight).order_by(Tier.rank)))
        from sqlalchemy import func

        total = await s.scalar(select(func.sum(Tier.allocation_weight)))
    assert stored == amounts
    assert total == sum(amounts)
    assert [str(v) for v in stored] == ["0.10", "0.20", "12345678.9999", "-3.30"]


async def test_money_refuses_floats(sessions):
    with pytest.raises(Exception, match="Money takes Decimal"):
        async with sessions.begin() as s:
            s.add(Tier(name="float", rank=1, allocation_weight=0.1))


async def test_times_are_stored_as_utc_and_returned_aware(sessions):
    shanghai = timezone(timedelta(hours=8))
    async with sessions.begin() as s:
        partner = await f.create_partner(s)
        product = await f.create_product(s)
        await f.create_order(
            s,
            partner=partner,
            lines=[(product, 1)],
            created_at=datetime(2026, 3, 1, 8, 0, tzinfo=shanghai),
        )
    async with sessions() as s:
        created = await s.scalar(select(Order.created_at))
    assert created == datetime(2026, 3, 1, 0, 0, tzinfo=UTC)
    assert created is not None and created.tzinfo is UTC


async def test_naive_times_are_refused(sessions):
    with pytest.raises(Exception, match="naive datetime"):
        async with sessions.begin() as s:
            partner = await f.create_partner(s)
            product = await f.create_product(s)
            await f.create_order(
                s, partner=partner, lines=[(product, 1)], created_at=datetime(2026, 3, 1)
            )


def test_cursor_round_trip_and_garbage():
    token = Cursor("CODE_ASC", "A001", 7).encode()
    assert Cursor.decode(token) == Cursor("CODE_ASC", "A001", 7)
    for bad in ["", "x", "eyJ4IjoxfQ", Cursor("CODE_ASC", "A", 1).encode()[:-3]]:
        with pytest.raises(PaginationError):
            Cursor.decode(bad)


def test_window_defaults_and_limits():
    assert Window().validate(default_size=50, max_size=500).first == 50
    assert Window(last=3).validate(default_size=50, max_size=500).backwards
    with pytest.raises(PaginationError):
        Window(first=501).validate(default_size=50, max_size=500)

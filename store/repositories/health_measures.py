"""The raw measures of every active partner's month, for the health-score job.

Eight statements whatever the number of partners (the active partners, then order amounts by
month, invoices, overdue invoices, stock, purchases, tasks and documents summed in SQL per
partner);
``domain.health_measures`` turns them into component scores. Batch reads for a job: no
viewer scope (the job scores every partner; reads of the scores are scoped).

Interface::

    async partner_measures(session, period: str) -> dict[int, PartnerMeasures]
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from itertools import pairwise
from typing import Any

from sqlalchemy import and_, case, exists, func, select, type_coerce
from sqlalchemy.ext.asyncio import AsyncSession

from domain.enums import OrderStatus, PartnerStatus
from domain.health_measures import PartnerMeasures, add_months, month_start
from store.models import (
    Invoice,
    InvoiceStatus,
    Location,
    Order,
    OrderLine,
    Partner,
    PartnerDocument,
    StockLevel,
    TaskAssignment,
    TaskReport,
)
from store.types import Money

PLACED = Order.status.not_in((OrderStatus.DRAFT, OrderStatus.CANCELLED))


def _at(d: date) -> datetime:
    return datetime(d.year, d.month, d.day, tzinfo=UTC)


def _sum_money(expression: Any) -> Any:
    return type_coerce(func.coalesce(func.sum(expression), 0), Money())


def _count(condition: Any) -> Any:
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


async def partner_measures(session: AsyncSession, period: str) -> dict[int, PartnerMeasures]:
    """Measures of every ACTIVE partner for month ``period`` ("YYYY-MM")."""
    start = month_start(period)
    end = add_months(start, 1)
    months = [add_months(start, i) for i in range(-5, 2)]  # 6 month starts + the end
    last_year = (_at(add_months(start, -12)), _at(add_months(start, -11)))
    partners = list(
        await session.scalars(
            select(Partner.id).where(Partner.status == PartnerStatus.ACTIVE).order_by(Partner.id)
        )
    )
    got: dict[int, dict[str, Any]] = {
        pid: {"monthly_amounts": [Decimal(0)] * 6} for pid in partners
    }

    in_month = [
        and_(Order.created_at >= _at(a), Order.created_at < _at(b)) for a, b in pairwise(months)
    ]
    amounts = (
        select(
            Order.partner_id,
            *(_sum_money(case((cond, Order.total), else_=0)) for cond in in_month),
            _sum_money(
                case(
                    (
                        and_(Order.created_at >= last_year[0], Order.created_at < last_year[1]),
                        Order.total,
                    ),
                    else_=0,
                )
            ),
        )
        .where(PLACED, Order.created_at >= last_year[0], Order.created_at < _at(end))
        .group_by(Order.partner_id)
    )
    for row in await session.execute(amounts):
        if row[0] in got:
            got[row[0]]["monthly_amounts"] = list(row[1:7])
            got[row[0]]["last_year_amount"] = row[7]

    window_start = add_months(start, -2)
    invoices = (
        select(Invoice.partner_id, func.count(), _count(Invoice.status == InvoiceStatus.PAID))
        .where(Invoice.due_on >= window_start, Invoice.due_on < end)
        .group_by(Invoice.partner_id)
    )
    for pid, due, paid in await session.execute(invoices):
        if pid in got:
            got[pid].update(invoices_due=int(due), invoices_paid=int(paid))
    overdue = (
        select(Invoice.partner_id, Invoice.due_on, func.count())
        .where(
            Invoice.due_on >= window_start,
            Invoice.due_on < end,
            Invoice.status != InvoiceStatus.PAID,
        )
        .group_by(Invoice.partner_id, Invoice.due_on)
    )
    late: dict[int, list[int]] = defaultdict(list)
    for pid, due_on, n in await session.execute(overdue):
        if due_on is not None:
            late[pid].extend([(end - due_on).days] * int(n))
    for pid, days in late.items():
        if pid in got:
            got[pid]["overdue_days"] = days

    on_hand = (
        select(Location.partner_id, func.coalesce(func.sum(StockLevel.on_hand), 0))
        .join(Location, Location.id == StockLevel.location_id)
        .where(Location.partner_id.is_not(None))
        .group_by(Location.partner_id)
    )
    for pid, units in await session.execute(on_hand):
        if pid in got:
            got[pid]["on_hand"] = int(units)
    bought = (
        select(Order.partner_id, func.coalesce(func.sum(OrderLine.quantity), 0))
        .join(OrderLine, OrderLine.order_id == Order.id)
        .where(
            PLACED, Order.created_at >= _at(end - timedelta(weeks=12)), Order.created_at < _at(end)
        )
        .group_by(Order.partner_id)
    )
    for pid, units in await session.execute(bought):
        if pid in got:
            got[pid]["units_bought_12w"] = int(units)

    reported = exists().where(
        TaskReport.assignment_id == TaskAssignment.id, TaskReport.reported_at < _at(end)
    )
    tasks = (
        select(TaskAssignment.partner_id, func.count(), _count(reported))
        .where(TaskAssignment.created_at < _at(end))
        .group_by(TaskAssignment.partner_id)
    )
    for pid, assigned, done in await session.execute(tasks):
        if pid in got:
            got[pid].update(tasks_assigned=int(assigned), tasks_reported=int(done))
    valid = and_(
        PartnerDocument.verified.is_(True),
        (PartnerDocument.valid_until.is_(None)) | (PartnerDocument.valid_until >= end),
    )
    documents = select(PartnerDocument.partner_id, func.count(), _count(valid)).group_by(
        PartnerDocument.partner_id
    )
    for pid, total, ok in await session.execute(documents):
        if pid in got:
            got[pid].update(documents=int(total), documents_valid=int(ok))
    return {pid: PartnerMeasures(**values) for pid, values in got.items()}

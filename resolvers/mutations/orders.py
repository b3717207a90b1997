"""Place orders and move them through their statuses.

``place_order`` is one transaction: the partner must be allowed to order, every product must
be orderable, and lines and totals are computed exactly (``domain.orders``); any failure
writes nothing. Order numbers are random per day and a collision is retried with a fresh one.
``change_order_status`` changes the status by compare-and-set, so of two concurrent changes
of one order exactly one wins and the other gets ``Conflict``. Approving an order writes, in
the same transaction, an outbox entry per connector operation triggered by
``order.approved`` (``jobs.outbox_entries``), and enqueues their delivery after the commit.

Placing needs ``orders:place`` and a partner in the caller's scope (another partner is
``NotFound``, exactly like a missing one). Submitting or cancelling needs ``orders:place``
or ``orders:manage``; approving, shipping, delivering and closing need ``orders:manage``.

Credit (``resolvers.credit``): placing a SUBMITTED order, or approving one, beyond the
partner's available credit is ``CreditLimitExceeded`` unless the caller gives a
``credit_override`` reason and holds ``credit:override`` (audited as ``credit.override``).
Approval flows (``jobs.approvals``): when an approval rule governs the order, approving it
starts (or returns) its approval request and the order stays SUBMITTED; the request's last
approval moves it to APPROVED and writes its outbox entries then.
Each status change is published as an ``orderStatusChanged`` event to ``events`` after the
commit (``jobs.channel_events``).
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from domain.enums import OrderStatus
from domain.orders import (
    InvalidOrder,
    LineProblem,
    LineRequest,
    TransitionNotAllowed,
    check_transition,
    line_problems,
    order_number,
    partner_may_order,
    price_lines,
    product_orderable,
)
from jobs.approvals import request_approval
from jobs.channel_events import EventSink, publish_deferred
from jobs.outbox import enqueue_entries
from jobs.outbox_entries import record_order_approved
from resolvers.credit import audit_override, check_credit, override_problems
from resolvers.mutations.common import (
    Caller,
    Problems,
    Ref,
    RefRule,
    field_name,
    load,
    not_found,
    ref_problems,
    refuse,
)
from resolvers.mutations.errors import (
    Conflict,
    InvalidInput,
    NotFound,
    PartnerNotActive,
    ProductNotOrderable,
    TransitionRefused,
)
from security.audit import AuditLog
from security.viewer import Permission
from store.base import utcnow
from store.models import Order, Partner, Product
from store.repositories.common_writes import unique_violation
from store.repositories.order_writes import NewLine, NewOrder, OrderWrites
from store.repositories.orders import OrderRepository
from store.repositories.partners import PartnerRepository
from store.repositories.products import ProductRepository
from store.scope import Scope

Sessions = async_sessionmaker[AsyncSession]

PLACER_STATUSES = frozenset({OrderStatus.SUBMITTED, OrderStatus.CANCELLED})
"""Where ``orders:place`` alone may move an order (its own: submit a draft, or cancel)."""

SUFFIX_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
SUFFIX_LENGTH = 6
NUMBER_ATTEMPTS = 5


@dataclass(frozen=True)
class LineInput:
    """One requested line: a product by id or by SKU; no unit price means the list price."""

    product: Ref | None
    sku: str | None
    quantity: int
    unit_price: Decimal | None = None


@dataclass(frozen=True)
class OrderRequest:
    partner: Ref
    lines: Sequence[LineInput]
    note: str | None = None
    submit: bool = True
    credit_override: str | None = None
    """A reason to place the order beyond the partner's available credit (audited)."""


def number_suffix() -> str:
    """The random part of an order number: 32**6 (about a billion) values per day."""
    return "".join(secrets.choice(SUFFIX_ALPHABET) for _ in range(SUFFIX_LENGTH))


def _as_problems(problems: Sequence[LineProblem]) -> Problems:
    return [
        (
            field_name(p.field) if p.index is None else f"lines.{p.index}.{field_name(p.field)}",
            p.message,
        )
        for p in problems
    ]


def _check_request(request: OrderRequest) -> None:
    refs: dict[str, Ref | None] = {"partner": request.partner}
    refs |= {f"lines.{i}.product": line.product for i, line in enumerate(request.lines)}
    problems: list[LineProblem] = []
    if not request.lines:
        problems.append(LineProblem(None, "lines", "an order needs at least one line"))
    for i, line in enumerate(request.lines):
        if (line.product is None) == (line.sku is None):
            problems.append(LineProblem(i, "product", "give either product or sku"))
        problems += line_problems(i, line.quantity, line.unit_price)
    refuse(ref_problems(refs) + _as_problems(problems) + override_problems(request.credit_override))


async def _products(
    session: AsyncSession, scope: Scope, lines: Sequence[LineInput]
) -> list[Product]:
    """The product of every line, in line order; ``NotFound`` for the first unknown one."""
    repo = ProductRepository(session, scope)
    by_id = await repo.by_ids(line.product.pk for line in lines if line.product is not None)
    by_sku = await repo.by_skus([line.sku for line in lines if line.sku is not None])
    found: list[Product] = []
    for i, line in enumerate(lines):
        if line.product is not None:
            product = by_id.get(line.product.pk)
            field, key = f"lines.{i}.product", line.product.given
        else:
            product = by_sku.get(line.sku or "")
            field, key = f"lines.{i}.sku", line.sku or ""
        if product is None:
            raise NotFound(field, key, "product")
        found.append(product)
    return found


async def _place(
    session: AsyncSession,
    scope: Scope,
    request: OrderRequest,
    number: str,
    caller: Caller,
    now: datetime,
    audit: AuditLog | None,
) -> Order:
    partner = await load(
        session, scope, RefRule(PartnerRepository, "partner"), request.partner, "partner"
    )
    if not partner_may_order(partner.status):
        raise PartnerNotActive(partner.code, partner.status)
    products = await _products(session, scope, request.lines)
    for product in products:
        if not product_orderable(product.lifecycle):
            raise ProductNotOrderable(product.sku, product.lifecycle)
    try:
        priced = price_lines(
            [
                LineRequest(
                    line.quantity,
                    product.list_price if line.unit_price is None else line.unit_price,
                )
                for line, product in zip(request.lines, products, strict=True)
            ]
        )
    except InvalidOrder as error:
        raise InvalidInput(_as_problems(error.problems)) from None
    credit = None
    if request.submit:
        credit = await check_credit(
            session,
            caller,
            partner_id=partner.id,
            partner_code=partner.code,
            amount=priced.total,
            override=request.credit_override,
            audit=audit,
        )
    new = NewOrder(
        number=number,
        partner_id=partner.id,
        status=OrderStatus.SUBMITTED if request.submit else OrderStatus.DRAFT,
        total=priced.total,
        note=request.note,
        lines=[
            NewLine(product.id, line.line_no, line.quantity, line.unit_price, line.line_total)
            for line, product in zip(priced.lines, products, strict=True)
        ],
    )
    order = await OrderWrites(session, scope).insert(new, caller.subject, now)
    if credit is not None:
        await audit_override(session, audit, caller, credit, order.id, "place order")
    return order


async def place_order(
    sessions: Sessions,
    caller: Caller,
    request: OrderRequest,
    audit: AuditLog | None = None,
    events: EventSink | None = None,
) -> Order:
    caller.require(Permission.ORDERS_PLACE, "place orders")
    _check_request(request)
    if request.credit_override is not None and audit is not None:
        await audit.audit_key()  # may create the key: never inside our write transaction
    for attempt in range(1, NUMBER_ATTEMPTS + 1):
        now = utcnow()
        number = order_number(now.date(), number_suffix())
        try:
            async with sessions.begin() as session:
                order = await _place(session, caller.scope, request, number, caller, now, audit)
            await publish_deferred(events, session)
            return order
        except IntegrityError as error:
            if unique_violation(error) != "orders.number" or attempt == NUMBER_ATTEMPTS:
                raise
    raise AssertionError("unreachable")


def _require_transition_right(caller: Caller, to: OrderStatus) -> None:
    viewer = caller.viewer
    if to in PLACER_STATUSES and viewer is not None and viewer.can(Permission.ORDERS_PLACE):
        return
    caller.require(Permission.ORDERS_MANAGE, f"move orders to {to}")


async def change_order_status(
    sessions: Sessions,
    caller: Caller,
    ref: Ref,
    to: OrderStatus,
    note: str | None,
    credit_override: str | None = None,
    audit: AuditLog | None = None,
    events: EventSink | None = None,
) -> Order:
    _require_transition_right(caller, to)
    refuse(ref_problems({"order": ref}) + override_problems(credit_override))
    if credit_override is not None and audit is not None:
        await audit.audit_key()  # may create the key: never inside our write transaction
    async with sessions.begin() as session:
        writes = OrderWrites(session, caller.scope)
        order = await writes.current(ref.pk)
        if order is None:
            raise await not_found(session, caller.scope, OrderRepository, ref, "order", "order")
        from_status = order.status
        try:
            check_transition(from_status, to)
        except TransitionNotAllowed as error:
            raise TransitionRefused(str(error), from_status, to, error.allowed) from None
        if to == OrderStatus.APPROVED:
            pending = await _approve_with_checks(session, caller, order, credit_override, audit)
            if pending:
                return order
        now = utcnow()
        changed = await writes.compare_and_set_status(order.id, from_status, to, now)
        if changed is None:
            raise Conflict(
                f"order {order.number} was changed concurrently and is no longer {from_status}; "
                "read it again and retry"
            )
        await writes.record_change(order.id, from_status, to, caller.subject, note, now)
        outbox = []
        if to == OrderStatus.APPROVED:
            outbox = await record_order_approved(session, order.id, now=now)
    enqueue_entries(outbox)  # after the commit: an entry is never sent before its approval
    await publish_deferred(events, session)
    return changed


async def _approve_with_checks(
    session: AsyncSession,
    caller: Caller,
    order: Order,
    credit_override: str | None,
    audit: AuditLog | None,
) -> bool:
    """Check the credit of an order about to be approved, then start its approval flow;
    True when an approval rule governs it (the order stays SUBMITTED for now)."""
    partner = await session.get(Partner, order.partner_id)
    credit = await check_credit(
        session,
        caller,
        partner_id=order.partner_id,
        partner_code=partner.code if partner is not None else str(order.partner_id),
        amount=order.total,
        override=credit_override,
        audit=audit,
    )
    if credit is not None:
        await audit_override(session, audit, caller, credit, order.id, "approve order")
    started = await request_approval(
        session,
        document_type="order",
        document_id=order.id,
        amount=order.total,
        partner_id=order.partner_id,
        requested_by=caller.subject,
    )
    return started is not None

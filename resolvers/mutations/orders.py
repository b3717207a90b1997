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
from jobs.outbox import enqueue_entries
from jobs.outbox_entries import record_order_approved
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
from security.viewer import Permission
from store.base import utcnow
from store.models import Order, Product
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
    refuse(ref_problems(refs) + _as_problems(problems))


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
    changed_by: str,
    now: datetime,
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
    return await OrderWrites(session, scope).insert(new, changed_by, now)


async def place_order(sessions: Sessions, caller: Caller, request: OrderRequest) -> Order:
    caller.require(Permission.ORDERS_PLACE, "place orders")
    _check_request(request)
    for attempt in range(1, NUMBER_ATTEMPTS + 1):
        now = utcnow()
        number = order_number(now.date(), number_suffix())
        try:
            async with sessions.begin() as session:
                return await _place(session, caller.scope, request, number, caller.subject, now)
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
    sessions: Sessions, caller: Caller, ref: Ref, to: OrderStatus, note: str | None
) -> Order:
    _require_transition_right(caller, to)
    refuse(ref_problems({"order": ref}))
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
    return changed

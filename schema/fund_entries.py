"""``postFundEntry``: a brand admin posts to a partner's PREPAYMENT, DEPOSIT or POINTS fund.

The input, the payload and the result union live here; ``schema.rebates.RebateMutation``
exposes the mutation and calls :func:`post_fund_entry`. The service (validation, audit,
the append-only entry) is ``resolvers.fund_entries``.
"""

from __future__ import annotations

from decimal import Decimal
from enum import Enum
from typing import Annotated, cast

import strawberry

from resolvers import fund_entries as service
from resolvers.mutations.common import Caller
from schema.context import Info
from schema.mutations.base import ref, run
from schema.mutations.errors import ForbiddenError, InvalidInputError, NotFoundError
from schema.node import encode_id
from schema.rebate_types import FundLedgerEntry
from store import models

__all__ = [
    "FundEntryPayload",
    "ManualFund",
    "PostFundEntryInput",
    "PostFundEntryResult",
    "ledger_entry_of",
    "post_fund_entry",
]


@strawberry.enum(description="The funds a brand admin posts to by hand (REBATE is the job's).")
class ManualFund(Enum):
    PREPAYMENT = "PREPAYMENT"
    DEPOSIT = "DEPOSIT"
    POINTS = "POINTS"


@strawberry.input
class PostFundEntryInput:
    partner: strawberry.ID
    fund: ManualFund
    amount: Decimal = strawberry.field(
        description="Positive credits the fund; negative corrects or draws on it. Points are "
        "whole numbers."
    )
    reference: str = strawberry.field(
        description="The source document (a bank transfer, a receipt); required."
    )
    note: str | None = None
    currency: str = strawberry.field(default="CNY", description="Ignored for POINTS (PTS).")


@strawberry.type
class FundEntryPayload:
    entry: FundLedgerEntry


PostFundEntryResult = Annotated[
    FundEntryPayload | InvalidInputError | NotFoundError | ForbiddenError,
    strawberry.union("PostFundEntryResult"),
]


def ledger_entry_of(row: models.FundLedgerEntry) -> FundLedgerEntry:
    return FundLedgerEntry(
        id=encode_id("FundLedgerEntry", row.id),
        partner_id=encode_id("Partner", row.partner_id),
        fund=row.fund,
        amount=row.amount,
        currency=row.currency,
        source_type=row.source_type,
        source_id=strawberry.ID(str(row.source_id)),
        memo=row.memo,
        created_at=row.created_at,
    )


async def post_fund_entry(info: Info, input: PostFundEntryInput) -> PostFundEntryResult:
    """Resolve ``postFundEntry`` (see ``resolvers.fund_entries``)."""
    data = service.FundEntryData(
        partner=ref(input.partner, "Partner"),
        fund=input.fund.value,
        amount=input.amount,
        reference=input.reference,
        note=input.note,
        currency=input.currency,
    )
    ctx = info.context
    action = service.post_fund_entry(
        ctx.sessions, Caller.of(ctx), data, getattr(ctx.hub, "audit", None)
    )
    wrap = lambda row: FundEntryPayload(entry=ledger_entry_of(row))  # noqa: E731
    return cast(PostFundEntryResult, await run(info, PostFundEntryResult, action, wrap))

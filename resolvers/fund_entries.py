"""Manual postings to a partner's PREPAYMENT, DEPOSIT or POINTS fund (brand admin).

Interface::

    FUND_ENTRY_FUNDS = ("PREPAYMENT", "DEPOSIT", "POINTS")
    FundEntryData(partner: Ref, fund, amount: Decimal, reference, note=None, currency="CNY")
    await post_fund_entry(sessions, caller, data, audit) -> FundLedgerEntry

The REBATE fund is written only by the accrual job and settlements; the other funds by this
service. An entry is never changed or removed: a positive amount credits the fund, a
negative one is a correction (or a draw on it). ``reference`` names the source document
(a bank transfer, a receipt, a campaign) and is required. Each posting is recorded in the
audit trail (``fund.entry``: partner, fund, amount, currency, reference, note) in the same
transaction, and the entry's source *is* that audit record: ``source_type`` "audit",
``source_id`` its position in the chain; its memo carries the reference (and the note).

Money funds are in a currency (default CNY) with at most its minor unit's decimals; POINTS
are whole numbers in the pseudo-currency ``PTS`` (any currency given is ignored).

Errors: ``Forbidden`` without ``rebates:manage`` (or without the audit trail);
``InvalidInput`` naming ``fund``, ``amount``, ``currency``, ``reference`` or ``note``;
``NotFound`` on ``partner`` for a partner that does not exist or is out of scope. Nothing is
written on any error.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from domain.money import MoneyError, minor_unit
from resolvers.mutations.common import Caller, Problems, Ref, RefRule, load
from resolvers.mutations.errors import Forbidden, InvalidInput
from security.audit import AuditEvent, AuditLog
from security.viewer import Permission
from store.models import FundLedgerEntry
from store.repositories.fund_ledger import FundLedgerRepository
from store.repositories.partners import PartnerRepository

__all__ = [
    "FUND_ENTRY_FUNDS",
    "NOTE_MAX",
    "POINTS_CURRENCY",
    "REFERENCE_MAX",
    "FundEntryData",
    "post_fund_entry",
]

FUND_ENTRY_FUNDS = ("PREPAYMENT", "DEPOSIT", "POINTS")
POINTS_CURRENCY = "PTS"
REFERENCE_MAX = 120
NOTE_MAX = 500
AMOUNT_MAX = Decimal("1e12")
_PARTNER = RefRule(PartnerRepository, "partner")


@dataclass(frozen=True)
class FundEntryData:
    partner: Ref
    fund: str
    amount: Decimal
    reference: str
    note: str | None = None
    currency: str = "CNY"


def _problems(data: FundEntryData) -> tuple[Problems, str]:
    """What is wrong with ``data`` (field, message), and the entry's currency."""
    problems: Problems = []
    currency = POINTS_CURRENCY
    if data.fund not in FUND_ENTRY_FUNDS:
        problems.append(("fund", f"must be one of {', '.join(FUND_ENTRY_FUNDS)}"))
    elif data.fund != "POINTS":
        currency = data.currency.strip().upper()
    amount = data.amount
    if not amount.is_finite():
        problems.append(("amount", "must be a finite number"))
    elif amount == 0:
        problems.append(("amount", "must not be zero (use a negative amount to correct)"))
    elif abs(amount) >= AMOUNT_MAX:
        problems.append(("amount", f"must be less than {AMOUNT_MAX:,.0f} in size"))
    elif currency == POINTS_CURRENCY:
        if amount != amount.to_integral_value():
            problems.append(("amount", "points are whole numbers"))
    else:
        try:
            places = minor_unit(currency)
        except MoneyError as error:
            problems.append(("currency", error.message))
        else:
            exponent = amount.as_tuple().exponent
            if isinstance(exponent, int) and -exponent > places:
                problems.append(("amount", f"{currency} has at most {places} decimals"))
    reference = data.reference.strip()
    if not reference:
        problems.append(("reference", "give the source document (e.g. a transfer number)"))
    elif len(reference) > REFERENCE_MAX:
        problems.append(("reference", f"must be at most {REFERENCE_MAX} characters"))
    if data.note is not None and len(data.note.strip()) > NOTE_MAX:
        problems.append(("note", f"must be at most {NOTE_MAX} characters"))
    return problems, currency


async def post_fund_entry(
    sessions: async_sessionmaker[AsyncSession],
    caller: Caller,
    data: FundEntryData,
    audit: AuditLog | None,
) -> FundLedgerEntry:
    """Append one entry to a partner's PREPAYMENT, DEPOSIT or POINTS fund (module doc)."""
    caller.require(Permission.REBATES_MANAGE, "post to a partner's funds")
    if audit is None:
        raise Forbidden("posting to a fund needs the audit trail, which is not available")
    problems, currency = _problems(data)
    if problems:
        raise InvalidInput(problems)
    reference = data.reference.strip()
    note = (data.note or "").strip() or None
    amount = data.amount
    viewer = caller.viewer
    async with sessions.begin() as session:
        partner = await load(session, caller.scope, _PARTNER, data.partner, "partner")
        position = await audit.record(
            AuditEvent(
                actor=caller.subject,
                role=str(viewer.role) if viewer is not None else "none",
                action="fund.entry",
                outcome="allowed",
                table="fund_ledger",
                reason=note,
                detail={
                    "partner": int(partner.id),
                    "fund": data.fund,
                    "amount": str(amount),
                    "currency": currency,
                    "reference": reference,
                },
            ),
            session=session,
        )
        entry = FundLedgerEntry(
            partner_id=int(partner.id),
            fund=data.fund,
            amount=amount,
            currency=currency,
            source_type="audit",
            source_id=position,
            memo=f"{reference}: {note}" if note else reference,
            created_by=caller.subject,
        )
        await FundLedgerRepository(session, caller.scope).append(entry)
    return entry

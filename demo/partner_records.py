"""Each demo partner's paperwork (1-3 documents) and cooperation timeline (2-5 events)."""

from __future__ import annotations

import random
import string
from datetime import date, datetime, timedelta

from demo.partners import PartnerInfo
from demo.values import Row, random_moment, utc_at
from domain.enums import CooperationEventKind, DocumentKind, PartnerStatus, PartnerType

EXTRA_DOCUMENTS: dict[PartnerType, tuple[DocumentKind, ...]] = {
    PartnerType.DISTRIBUTOR: (DocumentKind.DISTRIBUTION_AGREEMENT, DocumentKind.TAX_REGISTRATION),
    PartnerType.DEALER: (DocumentKind.DISTRIBUTION_AGREEMENT, DocumentKind.FOOD_PERMIT),
    PartnerType.STORE: (DocumentKind.FOOD_PERMIT, DocumentKind.OTHER),
    PartnerType.AGENT: (DocumentKind.TAX_REGISTRATION, DocumentKind.OTHER),
}
_CODE_CHARS = string.digits + "ABCDEFGHJKLMNPQRTUWXY"  # the USCC alphabet
VISIT_NOTES = (
    "Sales visit by the regional manager",
    "Shelf check and promotion briefing",
    "Joint planning for the Spring Festival season",
    "Training on the new product range",
)
NOTES = (
    "Asked for longer payment terms",
    "Interested in the gift set range",
    "Complained about late deliveries",
    "Opened a second outlet",
)


def _document_number(rng: random.Random, kind: DocumentKind, partner: PartnerInfo) -> str:
    if kind in (DocumentKind.BUSINESS_LICENCE, DocumentKind.TAX_REGISTRATION):
        body = "".join(rng.choice(_CODE_CHARS) for _ in range(10))
        return f"91{partner.city.id:06d}{body}"
    if kind is DocumentKind.DISTRIBUTION_AGREEMENT:
        return f"DA-{partner.code}-{rng.randint(1, 9)}"
    if kind is DocumentKind.FOOD_PERMIT:
        return f"JY{rng.randrange(10**13, 10**14)}"
    return f"DOC-{rng.randrange(10**7, 10**8)}"


def build_documents(
    rng: random.Random, partners: list[PartnerInfo], now: datetime, first_id: int = 1
) -> list[Row]:
    """A business licence for everyone plus up to two documents their type needs."""
    today = now.date()
    rows: list[Row] = []
    for partner in partners:
        extras = list(EXTRA_DOCUMENTS[partner.type])
        kinds = [DocumentKind.BUSINESS_LICENCE, *rng.sample(extras, rng.randint(0, len(extras)))]
        issued = partner.joined_on or today - timedelta(days=rng.randint(5, 120))
        for kind in kinds:
            roll = rng.random()
            valid_until: date | None
            if kind is DocumentKind.BUSINESS_LICENCE and roll < 0.4:
                valid_until = None  # a long-term licence
            elif roll < 0.08:
                valid_until = today - timedelta(days=rng.randint(1, 200))  # expired
            elif roll < 0.18:
                valid_until = today + timedelta(days=rng.randint(1, 60))  # expiring soon
            else:
                valid_until = today + timedelta(days=rng.randint(61, 3 * 365))
            verified_odds = 0.4 if partner.status is PartnerStatus.PROSPECT else 0.92
            created = utc_at(issued, 3600 * 3)
            rows.append(
                {
                    "id": first_id + len(rows),
                    "partner_id": partner.id,
                    "kind": kind,
                    "number": _document_number(rng, kind, partner),
                    "valid_until": valid_until,
                    "verified": rng.random() < verified_odds,
                    "created_at": created,
                    "updated_at": created,
                }
            )
    return rows


def _timeline(
    rng: random.Random, partner: PartnerInfo, now: datetime
) -> list[tuple[datetime, CooperationEventKind, str]]:
    events: list[tuple[datetime, CooperationEventKind, str]] = []
    start = utc_at(partner.joined_on) if partner.joined_on else now - timedelta(days=120)
    if partner.joined_on:
        events.append(
            (
                start + timedelta(hours=2),
                CooperationEventKind.SIGNED,
                f"Signed a {partner.type.value.lower()} agreement",
            )
        )
        if rng.random() < 0.35:
            events.append(
                (
                    random_moment(rng, start, now),
                    CooperationEventKind.TIER_CHANGED,
                    f"Tier reviewed: now tier {partner.tier_id}",
                )
            )
        events.append(
            (
                random_moment(rng, start, now),
                CooperationEventKind.REVIEW,
                f"Annual review, rating confirmed ({rng.choice('ABC')})",
            )
        )
    if partner.status_since:
        verb = "Suspended" if partner.status is PartnerStatus.SUSPENDED else "Terminated"
        reason = rng.choice(("overdue payments", "agreement not renewed", "compliance issue"))
        events.append(
            (
                utc_at(partner.status_since, 3600 * 5),
                CooperationEventKind.STATUS_CHANGED,
                f"{verb}: {reason}",
            )
        )
    while len(events) < 2 or (len(events) < 5 and rng.random() < 0.5):
        if rng.random() < 0.6:
            kind, text = CooperationEventKind.VISIT, rng.choice(VISIT_NOTES)
        else:
            kind, text = CooperationEventKind.NOTE, rng.choice(NOTES)
        events.append((random_moment(rng, start, now), kind, text))
    events.sort(key=lambda event: event[0])
    return events


def build_events(
    rng: random.Random, partners: list[PartnerInfo], now: datetime, first_id: int = 1
) -> list[Row]:
    """A few timeline entries per partner, in time order, none after ``now``."""
    rows: list[Row] = []
    for partner in partners:
        for occurred_at, kind, text in _timeline(rng, partner, now):
            rows.append(
                {
                    "id": first_id + len(rows),
                    "partner_id": partner.id,
                    "kind": kind,
                    "occurred_at": min(occurred_at, now),
                    "text": text,
                }
            )
    return rows

"""Demo partners: distributors first, then dealers, stores and agents under them.

Distributors get the lowest ids so every child row can point at a parent already in the same
bulk insert. Each partner also carries what orders need: how much it buys and the days on
which it may have ordered (only ACTIVE and SUSPENDED partners order at all).
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal

from demo.regions import City
from demo.values import Row, random_day, utc_at
from domain.enums import PartnerStatus, PartnerType

TRADE_NAMES = (
    "Hengtai",
    "Jinlong",
    "Huamei",
    "Xinda",
    "Ruifeng",
    "Fuxing",
    "Baolong",
    "Tianhe",
    "Hongyun",
    "Minsheng",
    "Yongxin",
    "Dafu",
    "Jiahe",
    "Shengshi",
    "Huaxia",
    "Kangda",
    "Lianhua",
    "Meiyuan",
    "Xingwang",
    "Zhongxin",
    "Anping",
    "Longsheng",
    "Haitian",
    "Jinhui",
    "Wanjia",
    "Lehe",
)
SUFFIXES: dict[PartnerType, tuple[str, ...]] = {
    PartnerType.DISTRIBUTOR: ("Trading Co., Ltd.", "Supply Chain Co., Ltd.", "Commerce Group"),
    PartnerType.DEALER: ("Foods Co., Ltd.", "Wholesale Co., Ltd.", "Commercial Firm"),
    PartnerType.STORE: ("Mart", "Supermarket", "Convenience Store", "Fresh Market"),
    PartnerType.AGENT: ("Sales Agency", "Brokerage", "Marketing Studio"),
}
CODE_PREFIX = {
    PartnerType.DISTRIBUTOR: "DIS",
    PartnerType.DEALER: "DLR",
    PartnerType.STORE: "STR",
    PartnerType.AGENT: "AGT",
}
# share of non-distributors, chance to sit under a distributor, buying weight, case quantities
MIX = {PartnerType.DEALER: 50, PartnerType.STORE: 34, PartnerType.AGENT: 16}
PARENTED = {PartnerType.DEALER: 0.9, PartnerType.STORE: 0.8, PartnerType.AGENT: 0.6}
BUYING_WEIGHT = {
    PartnerType.DISTRIBUTOR: 8.0,
    PartnerType.DEALER: 2.0,
    PartnerType.STORE: 1.0,
    PartnerType.AGENT: 1.0,
}
QUANTITY = {
    PartnerType.DISTRIBUTOR: (12, 240),
    PartnerType.DEALER: (2, 60),
    PartnerType.STORE: (1, 24),
    PartnerType.AGENT: (1, 36),
}
CREDIT_THOUSANDS = {
    PartnerType.DISTRIBUTOR: (800, 6000),
    PartnerType.DEALER: (80, 800),
    PartnerType.STORE: (10, 150),
    PartnerType.AGENT: (20, 200),
}
# tier ids 1-4 = Platinum, Gold, Silver, Bronze
TIER_ODDS = {
    PartnerType.DISTRIBUTOR: (40, 40, 20, 0),
    PartnerType.DEALER: (0, 20, 45, 35),
    PartnerType.STORE: (0, 0, 30, 70),
    PartnerType.AGENT: (0, 0, 40, 60),
}
TIER_BOOST = {1: 1.6, 2: 1.3, 3: 1.0, 4: 0.8}
STATUSES = (
    PartnerStatus.ACTIVE,
    PartnerStatus.SUSPENDED,
    PartnerStatus.PROSPECT,
    PartnerStatus.TERMINATED,
)
STATUS_WEIGHTS = (82, 6, 7, 5)
RATINGS = ("AAA", "AA", "A", "BBB", "BB", "B", "C")
RATING_WEIGHTS = (5, 12, 25, 25, 18, 10, 5)


@dataclass(slots=True)
class PartnerInfo:
    """One partner as the order, stock and history generators see it."""

    id: int
    code: str
    name: str
    type: PartnerType
    status: PartnerStatus
    city: City
    tier_id: int | None
    joined_on: date | None
    status_since: date | None
    buying_weight: float
    orders_from: date | None = None
    orders_until: date | None = None


@dataclass(slots=True)
class PartnerSet:
    rows: list[Row] = field(default_factory=list)
    partners: list[PartnerInfo] = field(default_factory=list)


def _types(rng: random.Random, count: int) -> list[PartnerType]:
    distributors = max(4, round(count * 0.12))
    rest = count - distributors
    kinds = list(MIX)
    others = rng.choices(kinds, [MIX[k] for k in kinds], k=rest)
    for needed in kinds:  # every type shows up even in a tiny channel
        if needed not in others and rest:
            others[rng.randrange(rest)] = needed
    return [PartnerType.DISTRIBUTOR] * distributors + others


def _status(rng: random.Random, kind: PartnerType, index: int) -> PartnerStatus:
    if index == 0:  # the first distributor always trades: orders can always fall back to it
        return PartnerStatus.ACTIVE
    if kind is PartnerType.DISTRIBUTOR:
        return PartnerStatus.ACTIVE if rng.random() < 0.95 else PartnerStatus.SUSPENDED
    return rng.choices(STATUSES, STATUS_WEIGHTS)[0]


def _name(rng: random.Random, kind: PartnerType, city: City) -> str:
    trade = rng.choice(TRADE_NAMES) + rng.choice(("", "", rng.choice(TRADE_NAMES).lower()))
    suffix = rng.choice(SUFFIXES[kind])
    if kind is PartnerType.STORE:
        return f"{trade} {suffix} {city.name} No.{rng.randint(1, 30)}"
    return f"{city.name} {trade} {suffix}"


def build_partners(
    rng: random.Random, count: int, cities: list[City], window_start: date, now: datetime
) -> PartnerSet:
    """``count`` partners with ids 1…count; children of distributors in their province."""
    today = now.date()
    result = PartnerSet()
    provinces = sorted({c.province_id for c in cities})
    by_province: dict[int, list[PartnerInfo]] = {p: [] for p in provinces}
    city_weights = [1.0 / (1 + i % 6) for i in range(len(cities))]  # capitals are busier
    for index, kind in enumerate(_types(rng, count)):
        partner_id = index + 1
        status = _status(rng, kind, index)
        if kind is PartnerType.DISTRIBUTOR:
            province = provinces[index % len(provinces)]
            city = next(c for c in cities if c.province_id == province)
        else:
            city = rng.choices(cities, city_weights)[0]
        parents = by_province[city.province_id]
        parent = None
        if kind is not PartnerType.DISTRIBUTOR and parents and rng.random() < PARENTED[kind]:
            parent = rng.choice(parents)
        tier_id = rng.choices((1, 2, 3, 4), TIER_ODDS[kind])[0]
        joined: date | None = None
        since: date | None = None
        if status is PartnerStatus.PROSPECT:
            tier_id = 4
        elif kind is PartnerType.DISTRIBUTOR or rng.random() < 0.75:
            joined = random_day(rng, today - timedelta(days=8 * 365), window_start)
        else:
            joined = random_day(rng, window_start, today - timedelta(days=30))
        if joined and status in (PartnerStatus.SUSPENDED, PartnerStatus.TERMINATED):
            latest = today - timedelta(days=20)
            earliest = min(max(joined + timedelta(days=60), today - timedelta(days=400)), latest)
            since = max(random_day(rng, earliest, latest), joined)
        info = PartnerInfo(
            id=partner_id,
            code=f"{CODE_PREFIX[kind]}-{partner_id:05d}",
            name=_name(rng, kind, city),
            type=kind,
            status=status,
            city=city,
            tier_id=tier_id,
            joined_on=joined,
            status_since=since,
            buying_weight=BUYING_WEIGHT[kind] * TIER_BOOST[tier_id] * rng.lognormvariate(0, 0.5),
        )
        if joined and status in (PartnerStatus.ACTIVE, PartnerStatus.SUSPENDED):
            info.orders_from = max(joined, window_start)
            info.orders_until = since if status is PartnerStatus.SUSPENDED else None
        if kind is PartnerType.DISTRIBUTOR:
            parents.append(info)
        result.partners.append(info)
        result.rows.append(_row(rng, info, parent, today))
    return result


def _row(rng: random.Random, info: PartnerInfo, parent: PartnerInfo | None, today: date) -> Row:
    prospect = info.status is PartnerStatus.PROSPECT
    review: date | None
    if info.joined_on is None:
        review = today + timedelta(days=rng.randint(7, 90))
    else:  # on the anniversary of joining; a few reviews are overdue
        review = info.joined_on.replace(year=today.year, day=min(info.joined_on.day, 28))
        if review < today:
            review = review.replace(year=today.year + 1)
        if rng.random() < 0.06:
            review = today - timedelta(days=rng.randint(1, 60))
    if info.status is PartnerStatus.TERMINATED:
        review = None
    low, high = CREDIT_THOUSANDS[info.type]
    created = utc_at(info.joined_on or today - timedelta(days=rng.randint(5, 200)), 3600 * 2)
    return {
        "id": info.id,
        "code": info.code,
        "name": info.name,
        "type": info.type,
        "status": info.status,
        "parent_id": parent.id if parent else None,
        "region_id": info.city.id,
        "tier_id": info.tier_id,
        "joined_on": info.joined_on,
        "next_review_on": review,
        "credit_limit": Decimal(0) if prospect else Decimal(rng.randint(low, high) * 1000),
        "credit_rating": None if prospect else rng.choices(RATINGS, RATING_WEIGHTS)[0],
        "created_at": created,
        "updated_at": created,
    }

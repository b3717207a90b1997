"""Demo channel policies: rebate agreements, approval rules, reorder rules and open alerts.

Everything is derived from the rest of the demo data and a "now", so the same seed gives the
same rows:

- **Rebate agreements** valid from 1 January of the year before ``now`` to the end of
  ``now``'s year (so last year can be accrued in full): a retroactive quarterly agreement per
  tier for Platinum and Silver (Silver's capped at 30 000), marginal ones for Gold (annual)
  and Bronze (quarterly), an annual growth rebate for the first province's partners (2 % of
  the increment over a 300 000 baseline once growth reaches 10 %), and an annual agreement
  of one Platinum distributor of its own, capped at 100 000. All on amount, in CNY.
- **Approval rules**: orders of 200 000 or more need a region manager, then a brand admin;
  rebate settlements of 50 000 or more need a brand admin.
- **Reorder rules** at about a quarter of partner-site stock levels (minimum = the level's
  own minimum, maximum 3-5 times it, in multiples of 1, 6 or 12), and an open low-stock alert
  for every stock level whose on-hand stock is under its minimum, as
  ``jobs.stock_alerts.refresh_alerts`` would have raised it.
"""

from __future__ import annotations

import random
from datetime import date, datetime
from decimal import Decimal

from demo.partners import PartnerInfo
from demo.regions import City
from demo.values import Row

__all__ = ["AGREEMENT_CODES", "build_policies"]

D = Decimal
PLATINUM, GOLD, SILVER, BRONZE = 1, 2, 3, 4
AGREEMENT_CODES = (
    "RB-PLATINUM-Q",
    "RB-GOLD-Y",
    "RB-SILVER-Q",
    "RB-BRONZE-Q",
    "RB-GROWTH-P1",
    "RB-KEY-ACCOUNT",
)
_Tiers = tuple[tuple[str, str | None, str], ...]  # (lower, upper, rate)


def _agreement(
    agreement_id: int,
    name: str,
    period: str,
    method: str,
    valid: tuple[date, date],
    created: datetime,
    *,
    tier_id: int | None = None,
    region_id: int | None = None,
    partner_id: int | None = None,
    cap: str | None = None,
    growth: tuple[str, str, str, str] | None = None,
) -> Row:
    scope = "PARTNER" if partner_id else "TIER" if tier_id else "REGION"
    baseline, threshold, rate, on = growth or (None, None, None, None)
    return {
        "id": agreement_id,
        "code": AGREEMENT_CODES[agreement_id - 1],
        "name": name,
        "currency": "CNY",
        "scope_kind": scope,
        "partner_id": partner_id,
        "tier_id": tier_id,
        "region_id": region_id,
        "period": period,
        "basis": "AMOUNT",
        "method": method,
        "product_ids_json": "[]",
        "categories_json": "[]",
        "growth_baseline": D(baseline) if baseline else None,
        "growth_threshold": D(threshold) if threshold else None,
        "growth_rate": D(rate) if rate else None,
        "growth_on": on,
        "cap": D(cap) if cap else None,
        "valid_from": valid[0],
        "valid_to": valid[1],
        "active": True,
        "created_at": created,
        "updated_at": created,
    }


def _tiers(first_id: int, agreement_id: int, tiers: _Tiers) -> list[Row]:
    return [
        {
            "id": first_id + position,
            "agreement_id": agreement_id,
            "position": position,
            "lower": D(lower),
            "upper": D(upper) if upper else None,
            "rate": D(rate),
            "per_unit": None,
        }
        for position, (lower, upper, rate) in enumerate(tiers)
    ]


def _rebates(
    partners: list[PartnerInfo], cities: list[City], now: datetime
) -> tuple[list[Row], list[Row]]:
    valid = (date(now.year - 1, 1, 1), date(now.year + 1, 1, 1))
    created = datetime(now.year - 1, 1, 1, tzinfo=now.tzinfo)
    key_account = next(
        (p for p in partners if p.tier_id == PLATINUM), partners[0] if partners else None
    )
    plans: list[tuple[Row, _Tiers]] = [
        (
            _agreement(1, "Platinum quarterly volume rebate", "QUARTER", "RETROACTIVE", valid,
                       created, tier_id=PLATINUM),
            (("0", "2000000", "0.01"), ("2000000", "10000000", "0.015"),
             ("10000000", None, "0.02")),
        ),
        (
            _agreement(2, "Gold annual banded rebate", "YEAR", "MARGINAL", valid, created,
                       tier_id=GOLD),
            (("0", "500000", "0.005"), ("500000", "2000000", "0.01"), ("2000000", None, "0.015")),
        ),
        (
            _agreement(3, "Silver quarterly rebate (capped)", "QUARTER", "RETROACTIVE", valid,
                       created, tier_id=SILVER, cap="30000"),
            (("200000", "1000000", "0.01"), ("1000000", None, "0.015")),
        ),
        (
            _agreement(4, "Bronze quarterly banded rebate", "QUARTER", "MARGINAL", valid,
                       created, tier_id=BRONZE),
            (("100000", "500000", "0.005"), ("500000", None, "0.01")),
        ),
        (
            _agreement(5, f"{cities[0].province_name} growth rebate", "YEAR", "RETROACTIVE",
                       valid, created, region_id=cities[0].province_id,
                       growth=("300000", "0.10", "0.02", "increment")),
            (),
        ),
    ]  # fmt: skip
    if key_account is not None:
        plans.append(
            (
                _agreement(6, f"{key_account.name} key account rebate", "YEAR", "RETROACTIVE",
                           valid, created, partner_id=key_account.id, cap="100000"),
                (("0", "5000000", "0.005"), ("5000000", None, "0.01")),
            )
        )  # fmt: skip
    agreements: list[Row] = []
    tiers: list[Row] = []
    for agreement, bands in plans:
        agreements.append(agreement)
        tiers += _tiers(len(tiers) + 1, agreement["id"], bands)
    return agreements, tiers


def _approvals(created: datetime) -> tuple[list[Row], list[Row]]:
    def rule(rule_id: int, name: str, document_type: str, minimum: str) -> Row:
        return {
            "id": rule_id,
            "name": name,
            "document_type": document_type,
            "min_amount": D(minimum),
            "max_amount": None,
            "tier_id": None,
            "region_id": None,
            "priority": 100,
            "active": True,
            "created_at": created,
            "updated_at": created,
        }

    rules = [
        rule(1, "Large orders (200 000 and more)", "order", "200000"),
        rule(2, "Large rebate settlements (50 000 and more)", "rebate_settlement", "50000"),
    ]
    steps = [
        {"id": 1, "rule_id": 1, "position": 0, "role": "region_manager", "region_id": None},
        {"id": 2, "rule_id": 1, "position": 1, "role": "brand_admin", "region_id": None},
        {"id": 3, "rule_id": 2, "position": 0, "role": "brand_admin", "region_id": None},
    ]
    return rules, steps


def _stock_rules(
    rng: random.Random, locations: list[Row], levels: list[Row], now: datetime
) -> tuple[list[Row], list[Row]]:
    at_partner = {row["id"] for row in locations if row["partner_id"] is not None}
    rules: list[Row] = []
    alerts: list[Row] = []
    for level in levels:
        minimum = level["min_quantity"]
        if minimum is None:
            continue
        if level["location_id"] in at_partner and rng.random() < 0.25:
            rules.append(
                {
                    "id": len(rules) + 1,
                    "location_id": level["location_id"],
                    "product_id": level["product_id"],
                    "minimum": minimum,
                    "maximum": minimum * rng.randint(3, 5),
                    "multiple": rng.choice((1, 6, 12)),
                    "updated_by": "demo",
                    "created_at": level["updated_at"],
                    "updated_at": level["updated_at"],
                }
            )
        if level["on_hand"] < minimum:
            alerts.append(
                {
                    "id": len(alerts) + 1,
                    "location_id": level["location_id"],
                    "product_id": level["product_id"],
                    "minimum": minimum,
                    "on_hand": level["on_hand"],
                    "raised_at": min(level["updated_at"], now),
                    "resolved_at": None,
                    "resolved_on_hand": None,
                }
            )
    return rules, alerts


def build_policies(
    rng: random.Random,
    partners: list[PartnerInfo],
    cities: list[City],
    locations: list[Row],
    levels: list[Row],
    now: datetime,
) -> list[tuple[str, list[Row]]]:
    """The policy tables' rows, in insert order (parents first), ids from 1."""
    agreements, tiers = _rebates(partners, cities, now)
    rules, steps = _approvals(datetime(now.year - 1, 1, 1, tzinfo=now.tzinfo))
    reorder_rules, alerts = _stock_rules(rng, locations, levels, now)
    return [
        ("rebate_agreements", agreements),
        ("rebate_tiers", tiers),
        ("approval_rules", rules),
        ("approval_steps", steps),
        ("reorder_rules", reorder_rules),
        ("stock_alerts", alerts),
    ]

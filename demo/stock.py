"""Demo stock-holding locations (brand warehouses, one site per partner) and their stock.

Warehouses stock every product on sale; each partner site holds a sample of 40-80 of them,
about one in six below its minimum quantity so low-stock filters have something to find.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from demo.catalog import CatalogItem
from demo.partners import PartnerInfo
from demo.regions import City
from demo.values import Row, random_moment, uniform_int
from domain.enums import LocationKind


@dataclass(slots=True)
class StockData:
    locations: list[Row] = field(default_factory=list)
    levels: list[Row] = field(default_factory=list)


def _level(
    rng: random.Random, location_id: int, item: CatalogItem, now: datetime, big: bool
) -> Row:
    minimum = uniform_int(rng, 50, 400) if big else uniform_int(rng, 4, 30)
    if rng.random() < 0.16:
        on_hand = uniform_int(rng, 0, minimum - 1)
    else:
        on_hand = uniform_int(rng, minimum, minimum * 6)
    received = random_moment(rng, now - timedelta(days=90), now - timedelta(hours=1))
    sold = None if rng.random() < 0.05 else random_moment(rng, received, now)
    return {
        "location_id": location_id,
        "product_id": item.id,
        "on_hand": on_hand,
        "reserved": uniform_int(rng, 0, on_hand // 4),
        "in_transit": rng.choice((0, 0, 0, uniform_int(rng, 1, minimum))),
        "min_quantity": minimum,
        "last_sale_at": sold,
        "last_received_at": received,
        "updated_at": max(received, sold) if sold else received,
    }


def build_stock(
    rng: random.Random,
    warehouses: int,
    cities: list[City],
    partners: list[PartnerInfo],
    products: list[CatalogItem],
    sample: tuple[int, int],
    now: datetime,
) -> StockData:
    """Warehouses in the first provinces' capitals, then one site per partner, ids from 1."""
    data = StockData()
    capitals = [
        c for i, c in enumerate(cities) if i == 0 or c.province_id != cities[i - 1].province_id
    ]
    created = now - timedelta(days=3 * 365)
    sites: list[tuple[str, str, int, int | None]] = [
        (f"WH-{i + 1:02d}", f"Brand DC {city.name}", city.id, None)
        for i, city in enumerate(capitals[:warehouses])
    ]
    sites += [(f"LOC-{p.code}", f"{p.name} (site)", p.city.id, p.id) for p in partners]
    for location_id, (code, name, region_id, partner_id) in enumerate(sites, start=1):
        data.locations.append(
            {
                "id": location_id,
                "code": code,
                "name": name,
                "kind": LocationKind.PARTNER_SITE if partner_id else LocationKind.BRAND_WAREHOUSE,
                "partner_id": partner_id,
                "region_id": region_id,
                "created_at": created,
                "updated_at": created,
            }
        )
        held = (
            products
            if partner_id is None
            else rng.sample(products, min(len(products), uniform_int(rng, *sample)))
        )
        for item in sorted(held, key=lambda i: i.id):
            row = _level(rng, location_id, item, now, big=partner_id is None)
            row["id"] = len(data.levels) + 1
            data.levels.append(row)
    return data

"""The demo region tree (country → provinces → cities) and the partner tiers.

Primary keys are assigned here, so parents and children go in one bulk insert and every
``path`` (``/root-id/…/own-id/``) and ``level`` (root = 0) is known before anything is written.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from demo.geography import COUNTRY, PROVINCES
from demo.scales import Scale
from demo.values import Row


@dataclass(slots=True)
class City:
    """A leaf of the tree that partners and locations are placed in."""

    id: int
    name: str
    province_id: int
    province_name: str


@dataclass(slots=True)
class RegionTree:
    rows: list[Row] = field(default_factory=list)
    cities: list[City] = field(default_factory=list)


def build_regions(scale: Scale, created_at: datetime) -> RegionTree:
    """Rows for the country, ``scale.provinces`` provinces and their cities."""
    if scale.provinces > len(PROVINCES):
        raise ValueError(f"at most {len(PROVINCES)} provinces are known")
    tree = RegionTree()
    next_id = 1

    def add(code: str, name: str, parent: Row | None) -> Row:
        nonlocal next_id
        own_id, next_id = next_id, next_id + 1
        parent_path = parent["path"] if parent else "/"
        row: Row = {
            "id": own_id,
            "code": code,
            "name": name,
            "parent_id": parent["id"] if parent else None,
            "level": parent["level"] + 1 if parent else 0,
            "path": f"{parent_path}{own_id}/",
            "created_at": created_at,
            "updated_at": created_at,
        }
        tree.rows.append(row)
        return row

    country = add(COUNTRY[0], COUNTRY[1], None)
    for abbrev, province_name, city_names in PROVINCES[: scale.provinces]:
        province = add(f"{country['code']}-{abbrev}", province_name, country)
        for number, city_name in enumerate(city_names[: scale.cities_per_province], start=1):
            city = add(f"{province['code']}-{number:02d}", city_name, province)
            tree.cities.append(City(city["id"], city_name, province["id"], province_name))
    return tree


TIERS: tuple[tuple[str, int, str], ...] = (
    ("Platinum", 1, "2.0"),
    ("Gold", 2, "1.5"),
    ("Silver", 3, "1.0"),
    ("Bronze", 4, "0.6"),
)


def build_tiers(created_at: datetime) -> list[Row]:
    """The four tiers, best (rank 1, highest allocation weight) first; ids 1-4."""
    return [
        {
            "id": tier_id,
            "name": name,
            "rank": rank,
            "allocation_weight": Decimal(weight),
            "created_at": created_at,
            "updated_at": created_at,
        }
        for tier_id, (name, rank, weight) in enumerate(TIERS, start=1)
    ]

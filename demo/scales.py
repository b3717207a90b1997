"""How big a demo channel is: the named scales `channelhub seed --scale` accepts."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Scale:
    """Row counts and shape knobs for one demo size."""

    name: str
    provinces: int
    cities_per_province: int
    partners: int
    products: int
    orders: int
    warehouses: int = 3
    months: int = 24
    stock_sample: tuple[int, int] = (40, 80)


SCALES: dict[str, Scale] = {
    "small": Scale(
        "small", provinces=6, cities_per_province=4, partners=200, products=500, orders=20_000
    ),
    "medium": Scale(
        "medium", provinces=8, cities_per_province=5, partners=400, products=800, orders=50_000
    ),
    "large": Scale(
        "large", provinces=12, cities_per_province=6, partners=1_000, products=2_000, orders=64_000
    ),
}


def get_scale(name: str) -> Scale:
    """The scale called ``name``; ``ValueError`` names the valid ones otherwise."""
    try:
        return SCALES[name]
    except KeyError:
        raise ValueError(f"unknown scale {name!r}; choose one of {', '.join(SCALES)}") from None

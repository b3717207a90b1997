"""The demo product catalogue: a food and beverage brand's SKUs across ten categories.

Each product also gets what the order generator needs but the table does not hold: when
it can be sold (launch to discontinuation) and how popular it is.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import NamedTuple

from demo.values import Row, ean13, money, utc_at
from domain.enums import ProductLifecycle


class Category(NamedTuple):
    code: str
    name: str
    unit: str
    min_yuan: int
    max_yuan: int
    lines: tuple[str, ...]


# fmt: off
CATEGORIES = (
    Category("TEA", "Tea", "BOX", 28, 688, ("Oolong Tea", "Jasmine Green Tea", "Pu'er Tea Cake",
                                            "Longjing Tea", "Black Tea", "White Tea")),
    Category("COF", "Coffee", "BAG", 35, 198, ("Arabica Beans", "Yunnan Ground Coffee",
                                               "Instant Coffee Sticks", "Drip Bags")),
    Category("BEV", "Beverages", "CASE", 36, 128, ("Sparkling Water", "Herbal Tea Drink",
                                                   "Coconut Milk Drink", "Sour Plum Juice")),
    Category("SNK", "Snacks", "BAG", 9, 49, ("Rice Crackers", "Sunflower Seeds", "Seaweed Snack",
                                             "Dried Mango", "Beef Jerky", "Walnut Cookies")),
    Category("DRY", "Dairy", "CASE", 42, 158, ("UHT Whole Milk", "Yogurt Drink", "Milk Powder",
                                               "Cheese Sticks")),
    Category("NOO", "Noodles", "CASE", 24, 88, ("Beef Noodles", "Hot and Sour Vermicelli",
                                                "Dan Dan Noodles", "Rice Noodles")),
    Category("CON", "Condiments", "BOTTLE", 6, 58, ("Light Soy Sauce", "Oyster Sauce", "Chili Oil",
                                                    "Black Vinegar", "Sesame Paste")),
    Category("BBY", "Baby Food", "BOX", 58, 328, ("Infant Formula Stage 1", "Rice Cereal",
                                                  "Infant Formula Stage 2", "Fruit Puree")),
    Category("HLT", "Health", "BOTTLE", 88, 598, ("Goji Extract", "Vitamin C Tablets",
                                                  "Fish Oil Capsules", "Ginseng Tonic")),
    Category("GFT", "Gift Sets", "SET", 128, 1688, ("Mooncake Box", "Spring Festival Hamper",
                                                    "Tea Gift Set", "Premium Nut Box")),
)
# fmt: on
VARIANTS = ("Classic", "Premium", "Light", "Organic", "Spicy", "Original", "Honey", "Reserve")
SIZES = ("Mini", "Regular", "Family Pack", "Value Pack", "Twin Pack", "Party Size")
PRICE_ENDINGS = (0, 0, 0, 50, 80, 90)
BARCODE_COMPANY_PREFIX = "6921234"  # GS1 China range 690-699
LIFECYCLE_KINDS = (
    ProductLifecycle.ACTIVE,
    ProductLifecycle.LAUNCHED,
    ProductLifecycle.PHASE_OUT,
    ProductLifecycle.DISCONTINUED,
    ProductLifecycle.DRAFT,
)
LIFECYCLE_WEIGHTS = (70, 10, 9, 7, 4)


@dataclass(slots=True)
class CatalogItem:
    """What orders and stock need to know about one product."""

    id: int
    list_price_cents: int
    sellable_from: date
    sellable_until: date | None
    popularity: float


@dataclass(slots=True)
class Catalog:
    rows: list[Row] = field(default_factory=list)
    items: list[CatalogItem] = field(default_factory=list)

    @property
    def sellable_now(self) -> list[CatalogItem]:
        return [i for i in self.items if i.sellable_until is None and i.popularity > 0]


def _dates(
    rng: random.Random, lifecycle: ProductLifecycle, today: date
) -> tuple[date, date | None]:
    """Launch date and last day of sale (None: still on sale) for a lifecycle."""
    if lifecycle is ProductLifecycle.DRAFT:
        return today + timedelta(days=rng.randint(15, 120)), None
    if lifecycle is ProductLifecycle.LAUNCHED:
        return today - timedelta(days=rng.randint(5, 180)), None
    launched = today - timedelta(days=rng.randint(200, 2200))
    if lifecycle is ProductLifecycle.DISCONTINUED:
        return launched, today - timedelta(days=rng.randint(60, 540))
    return launched, None


def build_catalog(rng: random.Random, count: int, now: datetime) -> Catalog:
    """``count`` products with ids 1…count, unique SKUs and valid unique EAN-13 barcodes."""
    if count > 99_999:
        raise ValueError("the demo barcode range holds at most 99,999 products")
    catalog = Catalog()
    today = now.date()
    for product_id in range(1, count + 1):
        category = CATEGORIES[(product_id - 1) % len(CATEGORIES)]
        lifecycle = rng.choices(LIFECYCLE_KINDS, LIFECYCLE_WEIGHTS)[0]
        launched, until = _dates(rng, lifecycle, today)
        cents = rng.randint(category.min_yuan, category.max_yuan) * 100
        cents += rng.choice(PRICE_ENDINGS)
        name = f"{rng.choice(VARIANTS)} {rng.choice(category.lines)} {rng.choice(SIZES)}"
        created = min(utc_at(launched - timedelta(days=30)), now)
        catalog.rows.append(
            {
                "id": product_id,
                "sku": f"{category.code}-{product_id:05d}",
                "name": name,
                "category": category.name,
                "unit": category.unit,
                "list_price": money(cents),
                "lifecycle": lifecycle,
                "launch_date": launched,
                "barcode": ean13(f"{BARCODE_COMPANY_PREFIX}{product_id:05d}"),
                "created_at": created,
                "updated_at": created,
            }
        )
        popularity = rng.paretovariate(1.3)
        if lifecycle is ProductLifecycle.PHASE_OUT:
            popularity /= 3
        if lifecycle is ProductLifecycle.DRAFT:
            popularity = 0.0
        catalog.items.append(CatalogItem(product_id, cents, launched, until, popularity))
    return catalog

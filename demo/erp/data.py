"""The demo ERP's dataset, generated deterministically from the hub's own demo seed.

``build_dataset(scale, now=..., seed=...)`` regenerates the hub's demo channel
(``demo.data.generate``) for the same seed and scale and derives the ERP's books from it, so a
sync links ERP records to hub rows by natural key: customers are the seed's partners (same
codes; prospects are not ERP customers) plus a few dealers that exist only in the ERP, items
are the seed's products (same SKUs) plus a few new ones, stock is kept per (location code,
SKU) at some partner sites, and there are a few hundred recent sales orders with invoices
and payments. Codes and SKUs never depend on ``now``; regions and tiers of seed partners are
exactly the seed's when ``now`` is the seed's ``now`` (``SeedReport.now``).

No clock: ``now`` is passed in. Every part draws from its own ``random.Random``.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from demo.catalog import BARCODE_COMPANY_PREFIX, CATEGORIES, SIZES, VARIANTS
from demo.data import DEFAULT_SEED, generate
from demo.erp.dataset import FIRST_ORDER_NUMBER, ErpDataset
from demo.erp.finance_data import build_finance
from demo.erp.records import Customer, Item, SalesLine, SalesOrder, StockEntry
from demo.partners import TRADE_NAMES
from demo.scales import SCALES, Scale
from demo.values import Row, ean13, random_moment
from domain.enums import PartnerStatus, PartnerType, ProductLifecycle

POSTING_GROUP = {
    PartnerType.DISTRIBUTOR: "DISTRIB",
    PartnerType.DEALER: "DEALER",
    PartnerType.STORE: "RETAIL",
    PartnerType.AGENT: "AGENT",
}
BLOCKED = {PartnerStatus.ACTIVE: "_blank_", PartnerStatus.SUSPENDED: "Ship"}
LIFECYCLE_CODE = {
    ProductLifecycle.DRAFT: "PLANNED",
    ProductLifecycle.LAUNCHED: "NEW",
    ProductLifecycle.ACTIVE: "ACTIVE",
    ProductLifecycle.PHASE_OUT: "PHASE-OUT",
    ProductLifecycle.DISCONTINUED: "BLOCKED",
}
ORDER_QUANTITY = {"DISTRIB": (12, 120), "DEALER": (2, 40), "RETAIL": (1, 12), "AGENT": (1, 24)}
TIER_DISCOUNT = {"PLATINUM": "0.12", "GOLD": "0.08", "SILVER": "0.05", "BRONZE": "0.00"}


@dataclass(frozen=True, slots=True)
class ErpScale:
    """How big the ERP is, and which hub seed scale it lines up with."""

    name: str
    hub: Scale
    new_dealers: int
    new_items: int
    sales_orders: int
    stock_sites: int
    order_days: int = 60


TINY_HUB = Scale("tiny", provinces=2, cities_per_province=2, partners=12, products=30, orders=60)
ERP_SCALES: dict[str, ErpScale] = {
    "tiny": ErpScale("tiny", TINY_HUB, new_dealers=3, new_items=2, sales_orders=24, stock_sites=3),
    "small": ErpScale(
        "small", SCALES["small"], new_dealers=10, new_items=5, sales_orders=300, stock_sites=40
    ),
}


def _rng(seed: int, part: str) -> random.Random:
    return random.Random(f"{seed}:erp:{part}")  # noqa: S311 (demo data, not secrets)


def build_dataset(scale: ErpScale | str, *, now: datetime, seed: int = DEFAULT_SEED) -> ErpDataset:
    """The ERP's books at ``now`` for the hub seed of ``scale.hub`` and ``seed``."""
    scale = ERP_SCALES[scale] if isinstance(scale, str) else scale
    channel = generate(scale.hub, now, seed)
    now = channel.now
    tables = dict(channel.reference)
    customers = _customers(_rng(seed, "customers"), scale, tables, now)
    items = _items(_rng(seed, "items"), scale, tables["products"], now)
    stock = _stock(_rng(seed, "stock"), scale, tables, customers, now)
    orders = _orders(_rng(seed, "orders"), scale, customers, items, now)
    invoices, payments = build_finance(_rng(seed, "finance"), customers, orders, now)
    return ErpDataset(customers, items, stock, orders, invoices, payments)


def _recently(rng: random.Random, now: datetime, days: int) -> datetime:
    return random_moment(rng, now - timedelta(days=days), now - timedelta(hours=1))


def _customers(
    rng: random.Random, scale: ErpScale, tables: dict[str, list[Row]], now: datetime
) -> list[Customer]:
    regions = {row["id"]: row for row in tables["regions"]}
    tiers = {row["id"]: str(row["name"]).upper() for row in tables["tiers"]}
    partners = tables["partners"]
    codes = {row["id"]: row["code"] for row in partners}
    found: list[Customer] = []
    for row in partners:
        if row["status"] not in (*BLOCKED, PartnerStatus.TERMINATED):
            continue  # a prospect is a contact in an ERP, not a customer
        region = regions[row["region_id"]]
        found.append(
            Customer(
                no=row["code"],
                name=row["name"],
                posting_group=POSTING_GROUP[row["type"]],
                blocked=BLOCKED.get(row["status"], "All"),
                territory_code=region["code"],
                city=region["name"],
                price_group=tiers[row["tier_id"]],
                bill_to=codes.get(row["parent_id"]),
                credit_limit=Decimal(row["credit_limit"]).quantize(Decimal("0.01")),
                last_modified=_recently(rng, now, 90),
            )
        )
    cities = [r for r in tables["regions"] if r["level"] == 2]
    distributors = [r for r in partners if r["type"] is PartnerType.DISTRIBUTOR]
    for number in range(scale.hub.partners + 1, scale.hub.partners + scale.new_dealers + 1):
        city = rng.choice(cities)
        parents = [
            d["code"]
            for d in distributors
            if regions[d["region_id"]]["parent_id"] == city["parent_id"]
        ]
        trade = rng.choice(TRADE_NAMES)
        found.append(
            Customer(
                no=f"DLR-{number:05d}",
                name=f"{city['name']} {trade} Foods Co., Ltd.",
                posting_group="DEALER",
                blocked="_blank_",
                territory_code=city["code"],
                city=city["name"],
                price_group=rng.choice(("GOLD", "SILVER", "SILVER", "BRONZE")),
                bill_to=rng.choice(parents) if parents else None,
                credit_limit=Decimal(rng.randint(80, 600) * 1000).quantize(Decimal("0.01")),
                last_modified=_recently(rng, now, 14),
                only_in_erp=True,
            )
        )
    return found


def _items(rng: random.Random, scale: ErpScale, products: list[Row], now: datetime) -> list[Item]:
    found = [
        Item(
            no=row["sku"],
            description=row["name"],
            category_code=str(row["sku"]).split("-")[0],
            unit=row["unit"],
            unit_price=row["list_price"],
            gtin=row["barcode"],
            lifecycle_code=LIFECYCLE_CODE[row["lifecycle"]],
            launch_date=row["launch_date"],
            last_modified=_recently(rng, now, 90),
        )
        for row in products
    ]
    first = scale.hub.products + 1
    for number in range(first, first + scale.new_items):
        category = CATEGORIES[(number - 1) % len(CATEGORIES)]
        name = f"{rng.choice(VARIANTS)} {rng.choice(category.lines)} {rng.choice(SIZES)}"
        cents = rng.randint(category.min_yuan, category.max_yuan) * 100
        launched = _recently(rng, now, 21)
        found.append(
            Item(
                no=f"{category.code}-{number:05d}",
                description=name,
                category_code=category.code,
                unit=category.unit,
                unit_price=Decimal(cents).scaleb(-2),
                gtin=ean13(f"{BARCODE_COMPANY_PREFIX}{number:05d}"),
                lifecycle_code="NEW",
                launch_date=launched.date(),
                last_modified=launched,
                only_in_erp=True,
            )
        )
    return found


def _stock(
    rng: random.Random,
    scale: ErpScale,
    tables: dict[str, list[Row]],
    customers: list[Customer],
    now: datetime,
) -> list[StockEntry]:
    trading = {c.no for c in customers if c.blocked == "_blank_"}
    partner_codes = {row["id"]: row["code"] for row in tables["partners"]}
    sites = {
        row["id"]: row["code"]
        for row in tables["locations"]
        if partner_codes.get(row["partner_id"]) in trading
    }
    chosen = set(rng.sample(sorted(sites), min(scale.stock_sites, len(sites))))
    skus = {row["id"]: row["sku"] for row in tables["products"]}
    found: list[StockEntry] = []
    for level in tables["stock_levels"]:
        if level["location_id"] not in chosen:
            continue
        reorder = int(level["min_quantity"] or 0)
        inventory = max(0, level["on_hand"] + rng.randint(-reorder, reorder))
        found.append(
            StockEntry(
                location_code=sites[level["location_id"]],
                item_no=skus[level["product_id"]],
                inventory=inventory,
                reserved=rng.randint(0, inventory // 4),
                in_transit=level["in_transit"],
                reorder_point=reorder,
                last_receipt_at=level["last_received_at"],
                last_sale_at=level["last_sale_at"],
                last_modified=_recently(rng, now, 30),
            )
        )
    return found


def _status(rng: random.Random, age_days: float) -> str:
    if age_days > 20:
        return "Invoiced" if rng.random() < 0.9 else "Shipped"
    if age_days > 7:
        return rng.choice(("Invoiced", "Shipped", "Shipped", "Released"))
    if age_days > 2:
        return rng.choice(("Shipped", "Released", "Released"))
    return rng.choice(("Open", "Released"))


def _orders(
    rng: random.Random,
    scale: ErpScale,
    customers: list[Customer],
    items: list[Item],
    now: datetime,
) -> list[SalesOrder]:
    buyers = [c for c in customers if c.blocked == "_blank_"]
    sellable = [i for i in items if i.lifecycle_code in ("NEW", "ACTIVE", "PHASE-OUT")]
    start = now - timedelta(days=scale.order_days)
    placed = sorted(random_moment(rng, start, now) for _ in range(scale.sales_orders))
    orders: list[SalesOrder] = []
    for number, moment in enumerate(placed, start=FIRST_ORDER_NUMBER):
        customer = rng.choice(buyers)
        low, high = ORDER_QUANTITY[customer.posting_group]
        discount = Decimal(1) - Decimal(TIER_DISCOUNT[customer.price_group])
        picked = rng.sample(sellable, min(len(sellable), rng.randint(1, 4)))
        lines = [
            SalesLine(
                line_no=position * 10_000,
                item_no=item.no,
                description=item.description,
                quantity=rng.randint(low, high),
                unit_price=(item.unit_price * discount).quantize(Decimal("0.01")),
            )
            for position, item in enumerate(picked, start=1)
        ]
        status = _status(rng, (now - moment).total_seconds() / 86_400)
        changed = min(now, moment + timedelta(hours=rng.randint(1, 24 * 12)))
        if status == "Open":
            changed = moment
        external = f"PO-{rng.randint(10_000, 99_999)}" if rng.random() < 0.3 else None
        orders.append(
            SalesOrder(
                no=f"SO-{number}",
                external_document_no=external,
                customer_no=customer.no,
                customer_name=customer.name,
                order_date=moment.date(),
                status=status,
                lines=lines,
                last_modified=changed,
            )
        )
    return orders

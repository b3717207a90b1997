"""The whole demo channel, generated deterministically from a seed, a scale and a "now".

``generate`` builds the reference data (regions, tiers, partners and their records, products,
locations, stock, and the policies of ``demo.policies``: rebate agreements, approval rules,
reorder rules, open low-stock alerts) as rows with their primary keys already assigned, and
*plans* the orders; order rows are drawn batch by batch from the plans so even the large
scale stays small in memory. The same seed, scale and ``now`` always give the same rows:
every part draws from its own ``random.Random`` named after it, never from the global
generator.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

from demo.catalog import CatalogItem, build_catalog
from demo.order_plan import OrderPlan, months_before, plan_orders
from demo.orders import OrderBatch, OrderRows
from demo.partner_contacts import Contacts, build_contacts
from demo.partner_records import build_documents, build_events
from demo.partners import build_partners
from demo.policies import build_policies
from demo.regions import build_regions, build_tiers
from demo.scales import Scale, get_scale
from demo.stock import build_stock
from demo.values import Row

DEFAULT_SEED = 20_240_101
ORDER_TABLES = ("orders", "order_lines", "order_status_changes")


@dataclass(slots=True)
class DemoChannel:
    """Reference rows per table (in insert order) and the plans the orders are drawn from."""

    scale: Scale
    now: datetime
    seed: int
    window_start: datetime
    reference: list[tuple[str, list[Row]]]
    plans: list[OrderPlan]
    products: list[CatalogItem]
    contacts: Contacts
    """Each partner's sensitive fields in plaintext: the loader seals them, never stores them."""

    @property
    def planned_rows(self) -> int:
        """Rows the whole channel will insert (reference rows plus every order's rows)."""
        return sum(len(rows) for _, rows in self.reference) + sum(p.row_count for p in self.plans)

    def order_batches(self, orders_per_batch: int = 2_000) -> Iterator[OrderBatch]:
        """Orders with their lines and status changes, ``orders_per_batch`` orders at a time."""
        rows = OrderRows(_rng(self.seed, "order-lines"), self.products)
        for first in range(0, len(self.plans), orders_per_batch):
            yield rows.batch(self.plans[first : first + orders_per_batch])


def _rng(seed: int, part: str) -> random.Random:
    return random.Random(f"{seed}:{part}")  # noqa: S311 (demo data, not secrets)


def generate(
    scale: Scale | str, now: datetime | None = None, seed: int = DEFAULT_SEED
) -> DemoChannel:
    """The demo channel of ``scale`` whose orders span the months before ``now`` (default: now)."""
    scale = get_scale(scale) if isinstance(scale, str) else scale
    if now is not None and now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    now = (now or datetime.now(UTC)).astimezone(UTC).replace(microsecond=0)
    start = months_before(now, scale.months)
    setup_time = months_before(now, scale.months + 12)
    tree = build_regions(scale, setup_time)
    partners = build_partners(
        _rng(seed, "partners"), scale.partners, tree.cities, start.date(), now
    )
    catalog = build_catalog(_rng(seed, "products"), scale.products, now)
    stock = build_stock(
        _rng(seed, "stock"),
        scale.warehouses,
        tree.cities,
        partners.partners,
        catalog.sellable_now,
        scale.stock_sample,
        now,
    )
    reference = [
        ("regions", tree.rows),
        ("tiers", build_tiers(setup_time)),
        ("partners", partners.rows),
        ("partner_documents", build_documents(_rng(seed, "documents"), partners.partners, now)),
        ("cooperation_events", build_events(_rng(seed, "events"), partners.partners, now)),
        ("products", catalog.rows),
        ("locations", stock.locations),
        ("stock_levels", stock.levels),
    ]
    reference += build_policies(
        _rng(seed, "policies"), partners.partners, tree.cities, stock.locations, stock.levels, now
    )
    plans = plan_orders(_rng(seed, "orders"), scale.orders, partners.partners, start, now)
    contacts = build_contacts(_rng(seed, "contacts"), partners.partners)
    return DemoChannel(scale, now, seed, start, reference, plans, catalog.items, contacts)

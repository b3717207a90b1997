"""The demo channel for ``channelhub demo`` and ``channelhub seed``.

``seed`` generates a realistic, deterministic channel (regions, tiers, partners and their
records, products, locations, stock, two years of orders) at a named scale and bulk-loads it
into an empty database; ``is_empty`` tells whether a database would accept it.
"""

from demo.loader import DatabaseNotEmptyError, DemoSeedError, SeedReport, is_empty, seed
from demo.scales import SCALES

__all__ = ["SCALES", "DatabaseNotEmptyError", "DemoSeedError", "SeedReport", "is_empty", "seed"]

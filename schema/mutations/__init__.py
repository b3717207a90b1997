"""The root ``Mutation``: the per-area mutation classes, combined by inheritance.

Each mutation takes one ``input`` and returns a union of its payload and the typed errors it
can produce (all implementing ``UserError``); unexpected failures stay masked exceptions.
"""

from __future__ import annotations

import strawberry

from schema.mutations.api_keys import ApiKeyMutations
from schema.mutations.catalog import CatalogMutations
from schema.mutations.orders import OrderMutations
from schema.mutations.partners import PartnerMutations
from schema.mutations.regions import RegionMutations
from schema.mutations.stock import StockMutations


@strawberry.type(description="Every change to the channel graph.")
class Mutation(
    PartnerMutations,
    CatalogMutations,
    RegionMutations,
    StockMutations,
    OrderMutations,
    ApiKeyMutations,
):
    pass

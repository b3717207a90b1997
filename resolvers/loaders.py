"""Per-request DataLoaders: one batched, scoped query per relation and per nesting level.

Every nested field of the graph goes through one of these, so the number of SQL statements
for a query depends on its shape, not on how many rows it returns.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Hashable, Sequence
from functools import cached_property
from typing import TYPE_CHECKING, Any, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from strawberry.dataloader import DataLoader

from security.keys import KeyState
from store.models import (
    ApprovalDecision,
    CooperationEvent,
    Location,
    Order,
    OrderLine,
    OrderStatusChange,
    Partner,
    PartnerDocument,
    Product,
    Region,
    StockLevel,
    Tier,
)
from store.pagination import Page, Window
from store.repositories.approvals import ApprovalRequestRepository
from store.repositories.base import ScopedRepository
from store.repositories.data_keys import key_states
from store.repositories.finance import CreditFigures, FinanceRepository
from store.repositories.orders import OrderFilter, OrderRepository
from store.repositories.partners import (
    CooperationEventRepository,
    PartnerDocumentRepository,
    PartnerRepository,
)
from store.repositories.products import ProductRepository
from store.repositories.regions import RegionRepository, TierRepository
from store.repositories.stock import LocationRepository, StockLevelRepository
from store.scope import Scope

if TYPE_CHECKING:
    from resolvers.live import LiveFields, LiveService

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")
R = TypeVar("R", bound=ScopedRepository[Any, Any])

OrdersKey = tuple[int, OrderFilter | None, str, Window]


class Loaders:
    """The DataLoaders of one request, created on first use."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        scope: Scope,
        live: LiveService | None = None,
    ) -> None:
        self.sessions = sessions
        self.scope = scope
        self._live = live

    @cached_property
    def live(self) -> LiveFields | None:
        """Live fields of this request (``resolvers.live``); None without a live service."""
        return None if self._live is None else self._live.for_request(self.sessions, self.scope)

    def _loader(
        self,
        repository: type[R],
        fetch: Callable[[R, list[K]], Awaitable[dict[K, V]]],
        missing: Callable[[], V],
    ) -> DataLoader[K, V]:
        async def load(keys: Sequence[K]) -> list[V]:
            async with self.sessions() as session:
                found = await fetch(repository(session, self.scope), list(keys))
            return [found[k] if k in found else missing() for k in keys]

        return DataLoader(load_fn=load)

    def _by_id(self, repository: type[R]) -> DataLoader[int, Any]:
        return self._loader(repository, lambda repo, ids: repo.by_ids(ids), lambda: None)

    # -- rows by primary key (None when missing or out of scope) --------------------------
    @cached_property
    def region(self) -> DataLoader[int, Region | None]:
        return self._by_id(RegionRepository)

    @cached_property
    def tier(self) -> DataLoader[int, Tier | None]:
        return self._by_id(TierRepository)

    @cached_property
    def partner(self) -> DataLoader[int, Partner | None]:
        return self._by_id(PartnerRepository)

    @cached_property
    def partner_document(self) -> DataLoader[int, PartnerDocument | None]:
        return self._by_id(PartnerDocumentRepository)

    @cached_property
    def product(self) -> DataLoader[int, Product | None]:
        return self._by_id(ProductRepository)

    @cached_property
    def location(self) -> DataLoader[int, Location | None]:
        return self._by_id(LocationRepository)

    @cached_property
    def stock_level(self) -> DataLoader[int, StockLevel | None]:
        return self._by_id(StockLevelRepository)

    @cached_property
    def order(self) -> DataLoader[int, Order | None]:
        return self._by_id(OrderRepository)

    # -- one-to-many relations ------------------------------------------------------------
    @cached_property
    def region_children(self) -> DataLoader[int, list[Region]]:
        return self._loader(RegionRepository, lambda r, ids: r.children_of(ids), list)

    @cached_property
    def partner_children(self) -> DataLoader[int, list[Partner]]:
        return self._loader(PartnerRepository, lambda r, ids: r.children_of(ids), list)

    @cached_property
    def partner_documents(self) -> DataLoader[int, list[PartnerDocument]]:
        return self._loader(PartnerDocumentRepository, lambda r, ids: r.of_partners(ids), list)

    @cached_property
    def partner_history(self) -> DataLoader[int, list[CooperationEvent]]:
        return self._loader(CooperationEventRepository, lambda r, ids: r.of_partners(ids), list)

    @cached_property
    def partner_stock(self) -> DataLoader[int, list[StockLevel]]:
        return self._loader(StockLevelRepository, lambda r, ids: r.of_partners(ids), list)

    @cached_property
    def product_stock(self) -> DataLoader[int, list[StockLevel]]:
        return self._loader(StockLevelRepository, lambda r, ids: r.of_products(ids), list)

    @cached_property
    def order_lines(self) -> DataLoader[int, list[OrderLine]]:
        return self._loader(OrderRepository, lambda r, ids: r.lines_of(ids), list)

    @cached_property
    def order_history(self) -> DataLoader[int, list[OrderStatusChange]]:
        return self._loader(OrderRepository, lambda r, ids: r.history_of(ids), list)

    @cached_property
    def data_key_state(self) -> DataLoader[int, KeyState | None]:
        """States of data keys by id (for ``EncryptedField.state``; no key material)."""

        async def load(keys: Sequence[int]) -> list[KeyState | None]:
            async with self.sessions() as session:
                found = await key_states(session, keys)
            return [found.get(k) for k in keys]

        return DataLoader(load_fn=load)

    # -- nested connections ---------------------------------------------------------------
    @cached_property
    def partner_orders(self) -> DataLoader[OrdersKey, Page[Order]]:
        async def load(keys: Sequence[OrdersKey]) -> list[Page[Order]]:
            pages: dict[OrdersKey, Page[Order]] = {}
            async with self.sessions() as session:
                repo = OrderRepository(session, self.scope)
                for args in {k[1:] for k in keys}:
                    ids = [k[0] for k in keys if k[1:] == args]
                    filter_, ordering, window = args
                    found = await repo.pages_by_partner(ids, filter_, ordering, window)
                    pages.update({(pid, *args): page for pid, page in found.items()})
            return [pages[k] for k in keys]

        return DataLoader(load_fn=load)

    @cached_property
    def partner_order_count(self) -> DataLoader[tuple[int, OrderFilter | None], int]:
        async def load(keys: Sequence[tuple[int, OrderFilter | None]]) -> list[int]:
            counts: dict[tuple[int, OrderFilter | None], int] = {}
            async with self.sessions() as session:
                repo = OrderRepository(session, self.scope)
                for filter_ in {k[1] for k in keys}:
                    ids = [k[0] for k in keys if k[1] == filter_]
                    found = await repo.counts_by_partner(ids, filter_)
                    counts.update({(pid, filter_): n for pid, n in found.items()})
            return [counts[k] for k in keys]

        return DataLoader(load_fn=load)

    @cached_property
    def partner_credit(self) -> DataLoader[int, CreditFigures | None]:
        """Credit figures per partner (``store.repositories.finance``), three statements."""

        async def load(keys: Sequence[int]) -> list[CreditFigures | None]:
            async with self.sessions() as session:
                found = await FinanceRepository(session, self.scope).credit_figures(keys)
            return [found.get(k) for k in keys]

        return DataLoader(load_fn=load)

    @cached_property
    def approval_decisions(self) -> DataLoader[int, list[ApprovalDecision]]:
        """Decisions per approval request (of requests already read through the scope)."""

        async def load(keys: Sequence[int]) -> list[list[ApprovalDecision]]:
            async with self.sessions() as session:
                found = await ApprovalRequestRepository(session, self.scope).decisions(keys)
            return [found.get(k, []) for k in keys]

        return DataLoader(load_fn=load)


NODE_LOADERS: dict[str, str] = {
    "Region": "region",
    "Tier": "tier",
    "Partner": "partner",
    "PartnerDocument": "partner_document",
    "Product": "product",
    "Location": "location",
    "StockLevel": "stock_level",
    "Order": "order",
}


def node_loader(loaders: Loaders, type_name: str) -> DataLoader[int, Any] | None:
    """The by-id loader for a ``Node`` type name, or None if no such node type exists."""
    attribute = NODE_LOADERS.get(type_name)
    return None if attribute is None else getattr(loaders, attribute)

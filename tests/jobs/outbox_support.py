"""Helpers of the outbox tests: connectors stored by config, orders to approve, and reading
back entries and external refs."""

from __future__ import annotations

import os
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from connectors.config import config_from_data
from domain.enums import OrderStatus
from jobs.connector_configs import apply_configs
from resolvers.mutations.common import Caller, Ref
from resolvers.mutations.orders import change_order_status
from security.field_crypto import FieldCrypto
from security.viewer import Role, Viewer
from settings import Settings
from store.models import ExternalRef, Order, OutboxEntry, Product
from store.scope import Scope
from tests.factories import create_order, create_partner, create_product

Sessions = async_sessionmaker[AsyncSession]

MANAGER = Caller(Viewer(subject="test-manager", role=Role.BRAND_ADMIN), Scope.everything())


async def store_connectors(crypto: FieldCrypto, *configs: dict[str, Any]) -> None:
    await apply_configs(crypto, [config_from_data(config) for config in configs])


async def submitted_orders(
    sessions: Sessions, count: int = 1, *, lines: int = 2
) -> tuple[list[Order], list[Product]]:
    """``count`` SUBMITTED orders of one partner, each with the same ``lines`` products."""
    async with sessions.begin() as session:
        partner = await create_partner(session)
        products = [await create_product(session) for _ in range(lines)]
        orders = [
            await create_order(
                session,
                partner=partner,
                lines=[(product, n + 1) for n, product in enumerate(products)],
            )
            for _ in range(count)
        ]
    return orders, products


async def approve(sessions: Sessions, order: Order) -> Order:
    ref = Ref(order.id, str(order.id))
    return await change_order_status(sessions, MANAGER, ref, OrderStatus.APPROVED, None)


async def outbox(sessions: Sessions) -> list[OutboxEntry]:
    async with sessions() as session:
        return list(await session.scalars(select(OutboxEntry).order_by(OutboxEntry.id)))


async def entry(sessions: Sessions, entry_id: int) -> OutboxEntry:
    async with sessions() as session:
        found = await session.get(OutboxEntry, entry_id)
    assert found is not None
    return found


async def external_refs(sessions: Sessions, entity: str = "order") -> list[ExternalRef]:
    async with sessions() as session:
        stmt = select(ExternalRef).where(ExternalRef.entity == entity).order_by(ExternalRef.id)
        return list(await session.scalars(stmt))


def child_env(settings: Settings) -> dict[str, str]:
    """The environment of a child process on the test's database and data dir."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CHANNELHUB_")}
    env |= {"CHANNELHUB_DATA_DIR": str(settings.data_dir), "CHANNELHUB_AUTO_MIGRATE": "false"}
    if settings.database_url:
        env["CHANNELHUB_DATABASE_URL"] = settings.database_url
    return env

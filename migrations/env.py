"""Alembic environment: runs on a connection handed in by ``store.migrate`` or on the URL."""

from __future__ import annotations

import asyncio

from alembic import context
from sqlalchemy import Connection

import store.models  # noqa: F401  (registers every table)
from settings import Settings
from store.base import Base
from store.engine import create_engine

target_metadata = Base.metadata


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


async def _run_with_engine() -> None:
    engine = create_engine(Settings())
    async with engine.begin() as conn:
        await conn.run_sync(_run)
    await engine.dispose()


connection = context.config.attributes.get("connection")
if connection is not None:
    _run(connection)
else:
    asyncio.run(_run_with_engine())

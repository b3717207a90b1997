"""Shared fixtures: the async backend, a migrated database per test on SQLite (always) and on
PostgreSQL (when ``CHANNELHUB_TEST_DATABASE_URL`` is set), and an in-process app client.

``client`` and ``gql`` authenticate as a brand admin (subject ``ADMIN_SUBJECT``) with an HS256
token signed by the test secret; ``gql_as(role, partner=..., regions=...)`` is a client for
any other viewer, and ``gql_as(None)`` an anonymous one."""

from __future__ import annotations

import os
import shutil
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from pydantic import SecretStr
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app import create_app
from security.tokens import issue_token
from security.viewer import Role
from settings import Settings
from store.base import Base
from store.engine import create_engine
from store.migrate import upgrade

PG_URL_ENV = "CHANNELHUB_TEST_DATABASE_URL"
TEST_JWT_SECRET = SecretStr("channelhub-test-secret-" + "0123456789" * 4)
ADMIN_SUBJECT = "test-admin"


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated, empty SQLite file; each test gets a copy (faster than migrating)."""
    import asyncio

    folder = tmp_path_factory.mktemp("template")
    settings = Settings(data_dir=folder)

    async def make() -> None:
        engine = create_engine(settings)
        await upgrade(engine)
        await engine.dispose()

    asyncio.run(make())
    return folder / "channelhub.db"


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A fresh, migrated PostgreSQL database for this test session, dropped at the end.

    Created next to the database named by ``CHANNELHUB_TEST_DATABASE_URL``, so concurrent
    test runs on one server never see each other's rows.
    """
    import asyncio

    from sqlalchemy.engine import make_url

    base = make_url(os.environ[PG_URL_ENV])
    name = f"channelhub_test_{os.getpid()}"
    url = base.set(database=name).render_as_string(hide_password=False)

    async def admin(statement: str) -> None:
        engine = create_engine(Settings(database_url=os.environ[PG_URL_ENV]))
        try:
            async with engine.connect() as conn:
                conn = await conn.execution_options(isolation_level="AUTOCOMMIT")
                await conn.execute(text(statement))
        finally:
            await engine.dispose()

    async def migrate() -> None:
        engine = create_engine(Settings(database_url=url))
        await upgrade(engine)
        await engine.dispose()

    asyncio.run(admin(f'DROP DATABASE IF EXISTS "{name}"'))
    asyncio.run(admin(f'CREATE DATABASE "{name}"'))
    asyncio.run(migrate())
    yield url
    asyncio.run(admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


async def _truncate_postgres(url: str) -> None:
    engine = create_engine(Settings(database_url=url))
    try:
        tables = ", ".join(t.name for t in Base.metadata.sorted_tables if t.name != "audit_head")
        async with engine.begin() as conn:
            await conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
            await conn.execute(
                text("UPDATE audit_head SET seq = 0, hash = :genesis"), {"genesis": "0" * 64}
            )
    finally:
        await engine.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def backend(request: pytest.FixtureRequest) -> str:
    if request.param == "postgres" and not os.environ.get(PG_URL_ENV):
        pytest.skip(f"{PG_URL_ENV} is not set")
    return str(request.param)


@pytest.fixture
def database_url(request: pytest.FixtureRequest, backend: str, tmp_path: Path) -> str:
    """The URL of an empty, migrated database for one test ("" means the SQLite default)."""
    if backend == "postgres":
        return str(request.getfixturevalue("postgres_url"))
    shutil.copy(request.getfixturevalue("sqlite_template"), tmp_path / "channelhub.db")
    return ""


@pytest.fixture
async def settings(database_url: str, tmp_path: Path, anyio_backend: str) -> Settings:
    if database_url:
        await _truncate_postgres(database_url)
    return Settings(
        data_dir=tmp_path, database_url=database_url, auto_migrate=False, jwt_secret=TEST_JWT_SECRET
    )


def _pk(row: Any) -> int:
    return row if isinstance(row, int) else int(row.id)


def token_for(
    settings: Settings,
    role: Role | str,
    *,
    partner: Any = None,
    regions: Any = (),
    subject: str | None = None,
    ttl_seconds: int | None = None,
) -> str:
    """A bearer token for a viewer; ``partner``/``regions`` take rows or primary keys."""
    role = Role(role)
    return issue_token(
        settings,
        subject=subject or (ADMIN_SUBJECT if role is Role.BRAND_ADMIN else f"test-{role}"),
        role=role,
        partner_id=None if partner is None else _pk(partner),
        region_ids=tuple(_pk(r) for r in regions),
        ttl_seconds=ttl_seconds,
    )


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
async def app(settings: Settings) -> AsyncIterator[Any]:
    application = create_app(settings)
    yield application
    # what the lifespan closes at shutdown (the tests' app runs without its lifespan)
    from jobs.broker import close_broker

    hub = application.state.hub
    close_broker(hub.broker)
    close_events = getattr(hub.events, "aclose", None)
    if close_events is not None:
        await close_events()
    await hub.aclose()
    await hub.engine.dispose()


@pytest.fixture
def sessions(app: Any) -> async_sessionmaker[AsyncSession]:
    return app.state.hub.sessions  # type: ignore[no-any-return]


@pytest.fixture
async def client(app: Any, settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    """An in-process client that authenticates as a brand admin."""
    transport = httpx.ASGITransport(app=app)
    headers = bearer(token_for(settings, Role.BRAND_ADMIN))
    async with httpx.AsyncClient(
        transport=transport, base_url="http://hub.test", headers=headers
    ) as c:
        yield c


class GraphQLClient:
    """Posts GraphQL operations to the in-process app and returns the decoded response.

    ``headers`` replace the client's own for each request (``{}`` with no ``Authorization``
    entry sends the client's default credential; pass ``anonymous=True`` to send none).
    """

    def __init__(
        self,
        client: httpx.AsyncClient,
        headers: dict[str, str] | None = None,
        *,
        anonymous: bool = False,
    ) -> None:
        self.client = client
        self.headers = headers or {}
        self.anonymous = anonymous

    async def post(self, query: str, **variables: Any) -> httpx.Response:
        request = self.client.build_request(
            "POST", "/graphql", json={"query": query, "variables": variables}, headers=self.headers
        )
        if self.anonymous:
            request.headers.pop("Authorization", None)
        return await self.client.send(request)

    async def __call__(self, query: str, **variables: Any) -> dict[str, Any]:
        body: dict[str, Any] = (await self.post(query, **variables)).json()
        return body

    async def data(self, query: str, **variables: Any) -> dict[str, Any]:
        """The ``data`` of a response that must have no errors."""
        body = await self(query, **variables)
        assert "errors" not in body, body["errors"]
        data: dict[str, Any] = body["data"]
        return data


@pytest.fixture
def gql(client: httpx.AsyncClient) -> GraphQLClient:
    """GraphQL as a brand admin."""
    return GraphQLClient(client)


@pytest.fixture
def gql_as(client: httpx.AsyncClient, settings: Settings) -> Any:
    """``gql_as(role, partner=..., regions=..., subject=...)``: GraphQL as that viewer;
    ``gql_as(None)``: anonymous; ``gql_as(headers={...})``: with exactly these headers."""

    def make(
        role: Role | str | None = None,
        *,
        headers: dict[str, str] | None = None,
        **claims: Any,
    ) -> GraphQLClient:
        if headers is not None:
            return GraphQLClient(client, headers, anonymous="Authorization" not in headers)
        if role is None:
            return GraphQLClient(client, anonymous=True)
        return GraphQLClient(client, bearer(token_for(settings, role, **claims)))

    return make


@pytest.fixture(autouse=True)
def _no_stray_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Keep a developer's own CHANNELHUB_* settings out of the tests."""
    for name in list(os.environ):
        if name.startswith("CHANNELHUB_") and name not in SERVICE_URL_ENVS:
            monkeypatch.delenv(name)
    yield


# -- job brokers: Redis and RabbitMQ (CI sets both URLs; .ci/run starts the servers) ----------

REDIS_URL_ENV = "CHANNELHUB_TEST_REDIS_URL"
AMQP_URL_ENV = "CHANNELHUB_TEST_AMQP_URL"
SERVICE_URL_ENVS = frozenset({PG_URL_ENV, REDIS_URL_ENV, AMQP_URL_ENV})
BROKER_QUEUES = ("sync", "outbox", "jobs")  # jobs.dispatch.ACTOR_QUEUES


@pytest.fixture
def broker_namespace() -> str:
    """A namespace (queue prefix, Redis key prefix, event channel) of this test alone."""
    import uuid

    return f"t{os.getpid()}-{uuid.uuid4().hex[:10]}"


@pytest.fixture
def redis_url(broker_namespace: str) -> Iterator[str]:
    """The test Redis; the test's keys (``broker_namespace``) are deleted afterwards."""
    url = os.environ.get(REDIS_URL_ENV)
    if not url:
        pytest.skip(f"{REDIS_URL_ENV} is not set (a Redis broker test)")
    yield url
    import redis

    client = redis.Redis.from_url(url)
    try:
        keys = list(client.scan_iter(match=f"{broker_namespace}*", count=1000))
        if keys:
            client.delete(*keys)
    finally:
        client.close()


@pytest.fixture
def amqp_url(broker_namespace: str) -> Iterator[str]:
    """The test RabbitMQ; the test's queues (``broker_namespace``) are deleted afterwards."""
    url = os.environ.get(AMQP_URL_ENV)
    if not url:
        pytest.skip(f"{AMQP_URL_ENV} is not set (a RabbitMQ broker test)")
    yield url
    import pika

    connection = pika.BlockingConnection(pika.URLParameters(url))
    try:
        channel = connection.channel()
        for queue in BROKER_QUEUES:
            for suffix in ("", ".DQ", ".XQ"):
                channel.queue_delete(f"{broker_namespace}.{queue}{suffix}")
    finally:
        connection.close()


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Run every ``async def`` test on anyio's asyncio backend without marking each one."""
    import inspect

    for item in items:
        function = getattr(item, "function", None)
        if function is not None and inspect.iscoroutinefunction(function):
            item.add_marker(pytest.mark.anyio)

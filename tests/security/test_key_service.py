"""The key service on a real database: one key per purpose under concurrent first use, the KEK
context binding, state checks on every decryption, the AWS KMS provider (moto) end to end,
and the demo seed sealing every partner's fields under keys of their own."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import boto3  # type: ignore[import-untyped]
import pytest
from sqlalchemy import func, select, update

from demo import seed
from demo.scales import Scale
from jobs.key_admin import KeyTools
from schema.node import encode_id
from security.errors import IntegrityError, KeyDestroyedError, KeyManagementError
from security.kek import AwsKmsKek, LocalKeyring
from security.key_lifecycle import destroy
from security.key_service import KeyService
from settings import Settings
from store.engine import create_engine, create_sessionmaker
from store.models import DataKeyRow, Partner
from tests.kms import REGION, fake_kms_key
from tests.security.encrypted_partners import SECRETS, create, reveal_all

TINY = Scale("tiny", provinces=2, cities_per_province=2, partners=12, products=30, orders=300)


def fresh_service(settings: Settings) -> tuple[Any, KeyService]:
    """A second process's view: its own engine, key service and (empty) cache."""
    engine = create_engine(settings)
    return engine, KeyService(
        create_sessionmaker(engine), LocalKeyring(settings.resolved_keyring_file)
    )


async def test_concurrent_first_uses_of_a_named_secret_agree_on_one_key(app, settings, sessions):
    engine, other = fresh_service(settings)
    try:
        mine = app.state.hub.keys
        secrets = await asyncio.gather(
            *(service.named_secret("audit") for service in (mine, other) for _ in range(4))
        )
    finally:
        await engine.dispose()
    assert len(set(secrets)) == 1 and len(secrets[0]) == 32
    async with sessions() as s:
        count = select(func.count()).where(DataKeyRow.purpose == "audit")
        assert await s.scalar(count) == 1


async def test_concurrent_first_writes_of_a_purpose_share_one_active_key(app, sessions):
    keys: KeyService = app.state.hub.keys

    async def first_use() -> int:
        async with sessions.begin() as s:
            return (await keys.active_key(s, "partner:77")).id

    ids = await asyncio.gather(*(first_use() for _ in range(5)))
    assert len(set(ids)) == 1


async def test_a_wrapped_key_moved_to_another_purpose_does_not_unwrap(app, sessions):
    keys = app.state.hub.keys
    async with sessions.begin() as s:
        one = await keys.active_key(s, "partner:1")
        two = await keys.active_key(s, "partner:2")
    async with sessions.begin() as s:
        wrapped = await s.scalar(select(DataKeyRow.wrapped).where(DataKeyRow.id == one.id))
        await s.execute(update(DataKeyRow).where(DataKeyRow.id == two.id).values(wrapped=wrapped))
    keys.cache.clear()
    loaded = await keys.load([one.id, two.id])
    assert loaded.require(one.id) == one.material
    with pytest.raises(IntegrityError):
        loaded.require(two.id)


async def test_a_key_destroyed_by_another_process_is_refused_at_once(app, settings, sessions):
    keys = app.state.hub.keys
    async with sessions.begin() as s:
        key = await keys.active_key(s, "partner:5")
    assert (await keys.load([key.id])).require(key.id) == key.material  # now cached here
    engine, other = fresh_service(settings)
    try:
        async with other.sessions.begin() as s:
            await destroy(other, s, "partner:5")
    finally:
        await engine.dispose()
    with pytest.raises(KeyDestroyedError):
        (await keys.load([key.id])).require(key.id)


async def test_named_secrets_can_be_neither_rotated_nor_destroyed(app, sessions):
    from security.key_lifecycle import rotate

    keys = app.state.hub.keys
    await keys.named_secret("blind-index")
    assert await rotate(keys) == []
    async with sessions.begin() as s:
        with pytest.raises(KeyManagementError):
            await destroy(keys, s, "blind-index")


async def test_the_demo_seed_seals_every_partner_under_its_own_key(settings, app, gql, sessions):
    tools = KeyTools(settings)
    try:
        report = await seed(
            tools.engine, scale=TINY, now=datetime(2026, 3, 1, tzinfo=UTC), crypto=tools.crypto
        )
        status = (await tools.status()).as_json()
    finally:
        await tools.close()
    assert report.counts["data_keys"] == 12
    tax = status["columns"]["partners.tax_id"]
    assert (tax["empty"], tax["not_ciphertext"], tax["by_state"]) == (0, 0, {"active": 12})
    assert len(tax["by_key"]) == 12
    async with sessions() as s:
        first = (await s.scalars(select(Partner).order_by(Partner.id))).first()
    assert first is not None
    revealed = await reveal_all(gql, encode_id("Partner", first.id))
    assert revealed["taxId"]["value"].startswith("91")
    assert "@" in revealed["contactEmail"]["value"]
    found = await gql.data(
        "query($t: String!) { partners(filter: {taxId: $t}) { nodes { code } } }",
        t=revealed["taxId"]["value"],
    )
    assert found["partners"]["nodes"] == [{"code": first.code}]


@pytest.fixture
def kms_key(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    with fake_kms_key(monkeypatch, "channelhub KEK") as arn:
        yield arn


async def test_field_encryption_through_aws_kms(kms_key, settings, gql, app, sessions):
    kms = AwsKmsKek(kms_key, REGION)
    hub = app.state.hub
    hub.keys.use_kek(kms)
    partner = await create(gql, "P1", **SECRETS)
    hub.keys.cache.clear()
    revealed = await reveal_all(gql, partner["id"])
    assert revealed["taxId"]["value"] == SECRETS["taxId"]
    async with sessions() as s:
        keks = set(await s.scalars(select(DataKeyRow.kek_id)))
    assert keks == {kms.kek_id}
    other_arn = boto3.client("kms", region_name=REGION).create_key()["KeyMetadata"]["Arn"]
    other = AwsKmsKek(other_arn, REGION)
    tools = KeyTools(settings.model_copy(update={"aws_region": REGION}), kek=kms)
    try:
        report = await tools.rotate_kek(to_kms_key=other_arn)
    finally:
        await tools.close()
    assert report.failed == () and report.kek_id == other.kek_id
    hub.keys.use_kek(other)
    hub.keys.cache.clear()
    assert (await reveal_all(gql, partner["id"]))["bankAccount"]["value"] == SECRETS["bankAccount"]


async def test_the_kek_provider_comes_from_settings(settings, tmp_path):
    from security.key_service import kek_from_settings

    local = kek_from_settings(settings)
    assert isinstance(local, LocalKeyring) and local.path == tmp_path / "keyring.json"
    assert (local.path.stat().st_mode & 0o777) == 0o600
    with pytest.raises(KeyManagementError):  # aws-kms without a key id and region
        kek_from_settings(settings.model_copy(update={"kek_provider": "aws-kms"}))

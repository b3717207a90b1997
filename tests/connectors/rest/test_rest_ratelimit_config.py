"""The per-connector rate limit, and config validation that names the failing path."""

from __future__ import annotations

import json

import pytest
from pydantic import ValidationError

from connectors.rest import RestConnectorConfig
from connectors.rest.ratelimit import TokenBucket
from connectors.rest.testing import FakeTime, config, json_response, open_connector, read_all

pytestmark = pytest.mark.anyio


async def test_n_requests_take_at_least_the_rate_limited_time():
    fake = FakeTime()
    limit = {"requests_per_second": 2, "burst": 3}
    cfg = config(rate_limit=limit)
    start = fake.now
    async with open_connector(cfg, lambda r: json_response({"data": []}), fake) as connector:
        for _ in range(11):
            await read_all(connector)
    # 3 at once, then 8 more at 2 per second
    assert fake.now - start >= 4.0 - 1e-9
    assert fake.now - start < 4.5


async def test_token_bucket_refills_while_idle():
    fake = FakeTime()
    bucket = TokenBucket(1.0, 2, clock=fake.clock, sleep=fake.sleep)
    await bucket.acquire()
    await bucket.acquire()
    fake.now += 5
    await bucket.acquire()
    await bucket.acquire()
    assert fake.sleeps == []
    await bucket.acquire()
    assert fake.sleeps == [pytest.approx(1.0)]


def _raw(**stream: object) -> dict[str, object]:
    streams: list[dict[str, object]] = [
        {"name": f"s{n}", "request": {"path": f"/s{n}"}} for n in range(2)
    ]
    streams.append({"name": "s2", "request": {"path": "/s2"}, **stream})
    return {
        "name": "erp",
        "kind": "rest",
        "connection": {"base_url": "http://erp.test"},
        "streams": streams,
    }


def test_page_size_zero_is_refused_with_its_path():
    with pytest.raises(ValidationError) as caught:
        RestConnectorConfig.model_validate(_raw(paginator={"type": "offset", "page_size": 0}))
    (error,) = caught.value.errors()
    # pydantic puts the discriminator tag ("offset") in the location of a tagged union
    assert error["loc"] == ("streams", 2, "paginator", "offset", "page_size")
    assert error["type"] == "greater_than"


@pytest.mark.parametrize(
    ("stream", "where"),
    [
        ({"paginator": {"type": "pages"}}, ("streams", 2, "paginator")),
        ({"record_selector": "data[?"}, ("streams", 2, "record_selector")),
        ({"schedule": "every day"}, ("streams", 2, "schedule")),
        ({"requets": {}}, ("streams", 2, "requets")),
    ],
)
def test_invalid_stream_config_names_the_path(stream, where):
    with pytest.raises(ValidationError) as caught:
        RestConnectorConfig.model_validate(_raw(**stream))
    assert caught.value.errors()[0]["loc"][: len(where)] == where


def test_secrets_are_not_in_the_config_repr_or_dump():
    cfg = config(auth={"type": "bearer", "token": "t0ken-secret"})
    assert "t0ken-secret" not in repr(cfg)
    assert "t0ken-secret" not in cfg.model_dump_json()


def test_every_field_of_the_json_schema_has_a_description():
    schema = RestConnectorConfig.model_json_schema()
    missing = [
        f"{model}.{name}"
        for model, spec in schema["$defs"].items()
        if "EntityMapping" not in model and model not in {"FieldRule", "LinesMapping"}
        for name, prop in spec.get("properties", {}).items()
        if "description" not in prop
    ]
    assert missing == []
    assert json.dumps(schema)

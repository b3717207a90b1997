"""The demo finance service's POST /credit-notes: bearer auth, one credit note per
Idempotency-Key (the same key answers the same note), clear 400s for bad input."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime

import httpx
import pytest

from demo.erp.erp import DemoErp
from demo.erp.routes import erp_app

pytestmark = pytest.mark.anyio

URL = "/demo-erp/finance/credit-notes"
NOTE = {"customer_code": "C1", "currency": "CNY", "amount": "350.00", "reference": "RS-1"}


@pytest.fixture
def erp() -> DemoErp:
    return DemoErp.build("tiny", now=datetime(2026, 3, 1, tzinfo=UTC))


@pytest.fixture
async def client(erp: DemoErp) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=erp_app(erp))
    async with httpx.AsyncClient(transport=transport, base_url="http://erp.test") as c:
        yield c


async def bearer(client: httpx.AsyncClient, erp: DemoErp) -> dict[str, str]:
    response = await client.post(
        "/demo-erp/finance/oauth/token",
        data={"grant_type": "client_credentials"},
        auth=(erp.client_id, erp.client_secret),
    )
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


async def test_the_same_key_answers_the_same_credit_note(client, erp):
    headers = await bearer(client, erp) | {"Idempotency-Key": "CH-S1-APPROVED-ABCD1234"}
    first = await client.post(URL, json=NOTE, headers=headers)
    again = await client.post(URL, json=NOTE | {"amount": "999.00"}, headers=headers)
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json() == again.json()
    assert first.json()["id"] == "CN-000001" and first.json()["amount"] == "350.00"
    other = await client.post(URL, json=NOTE, headers=headers | {"Idempotency-Key": "K2"})
    assert other.json()["id"] == "CN-000002"
    assert len(erp.credit_notes) == 2


async def test_credit_notes_need_a_token_a_key_and_a_positive_amount(client, erp):
    assert (await client.post(URL, json=NOTE, headers={"Idempotency-Key": "K"})).status_code == 401
    headers = await bearer(client, erp)
    missing_key = await client.post(URL, json=NOTE, headers=headers)
    assert missing_key.status_code == 400
    assert "Idempotency-Key" in missing_key.json()["error_description"]
    keyed = headers | {"Idempotency-Key": "K"}
    negative = await client.post(URL, json=NOTE | {"amount": "-1"}, headers=keyed)
    assert (negative.status_code, negative.json()["error_description"]) == (
        400,
        "amount must be above 0",
    )
    no_customer = await client.post(URL, json=NOTE | {"customer_code": ""}, headers=keyed)
    assert no_customer.status_code == 400
    assert erp.credit_notes == {}

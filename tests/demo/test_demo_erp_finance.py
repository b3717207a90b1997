"""The demo ERP's finance service on the wire: OAuth2 client credentials, bearer tokens that
expire, cursor pages that hold every document once, incremental reads and batched balances."""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx
import pytest

from demo.erp.erp import DemoErp
from demo.erp.routes import erp_app

pytestmark = pytest.mark.anyio  # at collection, so parametrized async tests keep their ids

NOW = datetime(2026, 3, 15, 9, 30, tzinfo=UTC)
TOKEN_URL = "/demo-erp/finance/oauth/token"


class Clock:
    def __init__(self) -> None:
        self.seconds = 1000.0

    def __call__(self) -> float:
        return self.seconds


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def erp(clock: Clock) -> DemoErp:
    return DemoErp.build(
        "tiny", now=NOW, utcnow=lambda: NOW + timedelta(hours=1), clock=clock, token_ttl_seconds=60
    )


@pytest.fixture
async def client(erp: DemoErp) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=erp_app(erp))
    async with httpx.AsyncClient(transport=transport, base_url="http://erp.test") as c:
        yield c


async def token(client: httpx.AsyncClient, erp: DemoErp) -> str:
    response = await client.post(
        TOKEN_URL,
        data={"grant_type": "client_credentials"},
        auth=(erp.client_id, erp.client_secret),
    )
    assert response.status_code == 200, response.text
    return str(response.json()["access_token"])


async def get(client: httpx.AsyncClient, path: str, bearer: str, **params: Any) -> httpx.Response:
    headers = {"Authorization": f"Bearer {bearer}"}
    return await client.get(f"/demo-erp/finance{path}", params=params, headers=headers)


async def read_all(
    client: httpx.AsyncClient, path: str, bearer: str, **params: Any
) -> tuple[list[dict[str, Any]], int]:
    found: list[dict[str, Any]] = []
    pages = 0
    cursor: str | None = None
    while True:
        extra = {} if cursor is None else {"cursor": cursor}
        response = await get(client, path, bearer, **params, **extra)
        assert response.status_code == 200, response.text
        body = response.json()
        pages += 1
        found += body["data"]
        cursor = body["next_cursor"]
        if cursor is None:
            return found, pages


async def test_a_token_is_granted_for_client_credentials_by_basic_or_form(
    client: httpx.AsyncClient, erp: DemoErp
) -> None:
    by_basic = await client.post(
        TOKEN_URL,
        data={"grant_type": "client_credentials"},
        auth=(erp.client_id, erp.client_secret),
    )
    by_form = await client.post(
        TOKEN_URL,
        data={
            "grant_type": "client_credentials",
            "client_id": erp.client_id,
            "client_secret": erp.client_secret,
        },
    )
    for response in (by_basic, by_form):
        assert response.status_code == 200
        body = response.json()
        assert body["token_type"] == "Bearer" and body["expires_in"] == 60
        assert erp.token_state(body["access_token"]) == "valid"
    assert by_basic.json()["access_token"] != by_form.json()["access_token"]


@pytest.mark.parametrize(
    ("data", "auth", "status", "error"),
    [
        ({"grant_type": "client_credentials"}, ("channelhub-demo", "wrong"), 401, "invalid_client"),
        ({"grant_type": "client_credentials"}, None, 401, "invalid_client"),
        ({"grant_type": "password"}, "right", 400, "unsupported_grant_type"),
    ],
    ids=["wrong-secret", "no-client", "password-grant"],
)
async def test_a_token_request_that_is_refused_says_why(
    client: httpx.AsyncClient,
    erp: DemoErp,
    data: dict[str, str],
    auth: Any,
    status: int,
    error: str,
) -> None:
    credentials = (erp.client_id, erp.client_secret) if auth == "right" else auth
    response = await client.post(TOKEN_URL, data=data, auth=credentials)
    assert response.status_code == status
    assert response.json()["error"] == error
    assert erp.client_secret not in response.text


async def test_collections_need_a_valid_unexpired_bearer_token(
    client: httpx.AsyncClient, erp: DemoErp, clock: Clock
) -> None:
    missing = await client.get("/demo-erp/finance/invoices")
    unknown = await get(client, "/invoices", "made-up")
    bearer = await token(client, erp)
    assert (await get(client, "/invoices", bearer)).status_code == 200
    clock.seconds += 61
    expired = await get(client, "/invoices", bearer)
    for response, words in (
        (missing, "required"),
        (unknown, "not valid"),
        (expired, "expired"),
    ):
        assert response.status_code == 401
        assert response.headers["www-authenticate"].startswith("Bearer")
        assert words in response.json()["error_description"]
    assert (await get(client, "/invoices", await token(client, erp))).status_code == 200
    erp.expire_tokens()
    assert (await get(client, "/payments", bearer)).status_code == 401


@pytest.mark.parametrize("path", ["/invoices", "/payments", "/credit-balances"])
async def test_cursor_pages_hold_every_document_exactly_once(
    client: httpx.AsyncClient, erp: DemoErp, path: str
) -> None:
    bearer = await token(client, erp)
    found, pages = await read_all(client, path, bearer, limit=4)
    key = "customer_code" if path == "/credit-balances" else "id"
    ids = [record[key] for record in found]
    expected = {
        "/invoices": [i.id for i in erp.dataset.invoices],
        "/payments": [p.id for p in erp.dataset.payments],
        "/credit-balances": [c.no for c in erp.dataset.customers],
    }[path]
    assert sorted(ids) == sorted(expected) and len(ids) == len(set(ids))
    assert pages == -(-len(ids) // 4)
    if key == "id":
        order = [(r["updated_at"], r["id"]) for r in found]
        assert order == sorted(order)


async def test_updated_since_reads_what_changed_including_the_boundary(
    client: httpx.AsyncClient, erp: DemoErp
) -> None:
    bearer = await token(client, erp)
    everything, _ = await read_all(client, "/invoices", bearer)
    newest = max(r["updated_at"] for r in everything)
    unchanged, _ = await read_all(client, "/invoices", bearer, updated_since=newest)
    assert {r["updated_at"] for r in unchanged} == {newest}
    invoice = next(i for i in erp.dataset.invoices if i.open_amount > 0)
    payment = erp.dataset.record_payment(invoice.id, invoice.open_amount, at=NOW)
    changed, _ = await read_all(client, "/invoices", bearer, updated_since=newest)
    assert invoice.id in {r["id"] for r in changed}
    paid = next(r for r in changed if r["id"] == invoice.id)
    assert paid["open_amount"] == "0.00" and paid["status"] == "paid"
    payments, _ = await read_all(client, "/payments", bearer, updated_since=newest)
    assert payment.id in {r["id"] for r in payments}


async def test_many_customers_balances_come_in_one_call(
    client: httpx.AsyncClient, erp: DemoErp
) -> None:
    bearer = await token(client, erp)
    codes = [c.no for c in erp.dataset.customers[:3]]
    response = await get(client, "/credit-balances", bearer, customers=",".join([*codes, "NOPE"]))
    body = response.json()
    assert body["next_cursor"] is None
    assert [r["customer_code"] for r in body["data"]] == sorted(codes)
    for record in body["data"]:
        limit, open_balance = Decimal(record["credit_limit"]), Decimal(record["open_balance"])
        outstanding, available = Decimal(record["outstanding_orders"]), Decimal(record["available"])
        assert available == limit - open_balance - outstanding
        assert record["currency"] == "CNY" and record["updated_at"].endswith("Z")


@pytest.mark.parametrize(
    "params",
    [{"limit": 0}, {"limit": "ten"}, {"cursor": "not-ours"}, {"updated_since": "yesterday"}],
    ids=["zero-limit", "word-limit", "foreign-cursor", "bad-since"],
)
async def test_bad_parameters_are_a_400_naming_the_parameter(
    client: httpx.AsyncClient, erp: DemoErp, params: dict[str, Any]
) -> None:
    response = await get(client, "/invoices", await token(client, erp), **params)
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_request"
    assert next(iter(params)) in response.json()["error_description"]


async def test_an_outage_answers_503_everywhere_until_it_ends(
    client: httpx.AsyncClient, erp: DemoErp
) -> None:
    bearer = await token(client, erp)
    erp.set_unavailable(True)
    basic = base64.b64encode(f"{erp.client_id}:{erp.client_secret}".encode()).decode()
    down = [
        await get(client, "/invoices", bearer),
        await client.post(
            TOKEN_URL,
            data={"grant_type": "client_credentials"},
            headers={"Authorization": f"Basic {basic}"},
        ),
    ]
    for response in down:
        assert response.status_code == 503
        assert response.headers["retry-after"] == "5"
        assert response.json()["error"] == "temporarily_unavailable"
    erp.set_unavailable(False)
    assert (await get(client, "/invoices", bearer)).status_code == 200

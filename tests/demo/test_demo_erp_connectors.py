"""Our real connectors against the demo ERP served on 127.0.0.1, configured by the demo's own
connector files: every stream read exactly once across pages, check and discover, OAuth2 token
expiry, outages, a preview that maps without rejections, write-back and live balances."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator, Mapping
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest

from connectors.errors import RetriableError
from connectors.live import read_values
from connectors.mapper import map_page
from connectors.protocol import Connector
from connectors.registry import BUILTIN_KINDS, ConnectorResources, build_connector
from connectors.rest.auth import OAuth2ClientCredentialsAuth
from connectors.rest.config import RestConnectorConfig
from connectors.rest.connector import RestConnector
from connectors.soap.config import SoapConnectorConfig
from connectors.soap.connector import SoapConnector
from demo.data import generate
from demo.erp.configs import CONFIG_DIR, demo_connector_configs
from demo.erp.data import ERP_SCALES
from demo.erp.erp import DemoErp
from demo.erp.records import FIELDS
from demo.erp.server import serve_erp
from domain.enums import OrderStatus, PartnerStatus, PartnerType, ProductLifecycle
from jobs.sync.fields import check_mapping, clean_values
from jobs.sync.sinks import sink_for

pytestmark = pytest.mark.anyio  # at collection, so parametrized async tests keep their ids

NOW = datetime(2026, 3, 15, 9, 30, tzinfo=UTC)
SOAP_PAGE = 10
REST_PAGE = 4
SALES_STREAMS = ("customers", "items", "stock", "sales_orders")
FINANCE_STREAMS = ("invoices", "payments", "credit_balances")


@pytest.fixture
def erp() -> DemoErp:
    return DemoErp.build("tiny", now=NOW, utcnow=lambda: NOW + timedelta(hours=1))


@pytest.fixture
def base_url(erp: DemoErp) -> Iterator[str]:
    with serve_erp(erp) as url:
        yield url


@pytest.fixture
def configs(base_url: str, erp: DemoErp) -> tuple[SoapConnectorConfig, RestConnectorConfig]:
    sales, finance = demo_connector_configs(base_url, erp)
    assert isinstance(sales, SoapConnectorConfig) and isinstance(finance, RestConnectorConfig)
    return sales, finance


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=httpx.Timeout(10.0)) as client:
        yield client


@pytest.fixture
async def sales(configs, http, tmp_path: Path) -> AsyncIterator[Connector]:
    resources = ConnectorResources(http=http, cache_dir=tmp_path)
    connector = build_connector(dict(BUILTIN_KINDS), small_pages(configs[0], SOAP_PAGE), resources)
    yield connector
    await connector.aclose()


@pytest.fixture
async def finance(configs, http, tmp_path: Path) -> AsyncIterator[Connector]:
    resources = ConnectorResources(http=http, cache_dir=tmp_path)
    connector = build_connector(dict(BUILTIN_KINDS), small_pages(configs[1], REST_PAGE), resources)
    yield connector
    await connector.aclose()


def small_pages(config: Any, size: int) -> Any:
    """``config`` with ``size`` records per page in every stream."""
    streams = []
    for stream in config.streams:
        if isinstance(config, SoapConnectorConfig):
            paginator = stream.paginator.model_copy(update={"page_size": size})
            streams.append(stream.model_copy(update={"paginator": paginator}))
        else:
            request = stream.request.model_copy(update={"params": {"limit": size}})
            streams.append(stream.model_copy(update={"request": request}))
    return config.model_copy(update={"streams": streams})


async def read_all(
    connector: Connector, stream: str, state: Mapping[str, Any] | None = None
) -> tuple[list[dict[str, Any]], int, dict[str, Any]]:
    records: list[dict[str, Any]] = []
    pages = 0
    last: dict[str, Any] = {}
    async for page in connector.read(stream, state):
        pages += 1
        records += page.records
        last = page.state
    return records, pages, last


def test_the_demo_configs_validate_with_the_erps_credentials_and_the_files_hold_none(
    configs, erp: DemoErp, base_url: str
) -> None:
    sales_config, finance_config = configs
    assert (sales_config.name, finance_config.name) == ("demo-erp-sales", "demo-erp-finance")
    assert sales_config.connection.wsdl == f"{base_url}/demo-erp/soap?wsdl"
    auth = sales_config.connection.authenticator
    assert auth.type == "basic" and auth.password.get_secret_value() == erp.soap_password
    oauth = finance_config.connection.authenticator
    assert oauth.type == "oauth2_client_credentials"
    assert oauth.client_secret.get_secret_value() == erp.client_secret
    assert oauth.token_url == f"{base_url}/demo-erp/finance/oauth/token"
    streams = [*sales_config.streams, *finance_config.streams]
    assert [s.name for s in streams] == [*SALES_STREAMS, *FINANCE_STREAMS]
    assert all(s.schedule for s in streams)
    assert [s.mapping.entity for s in sales_config.streams if s.mapping] == [
        "partner",
        "product",
        "stock_level",
        "order",
    ]
    assert [s.name for s in finance_config.streams if s.live] == ["credit_balances"]
    for path in CONFIG_DIR.glob("*.yaml"):
        text = path.read_text()
        assert erp.soap_password not in text and erp.client_secret not in text
        assert "${" in text


async def test_every_sales_stream_reads_each_record_exactly_once(sales, erp: DemoErp) -> None:
    keys = {"customers": "No", "items": "No", "stock": "Id", "sales_orders": "No"}
    tables = {
        "customers": "Customer",
        "items": "Item",
        "stock": "Stock",
        "sales_orders": "Sales_Order",
    }
    for stream in SALES_STREAMS:
        records, pages, state = await read_all(sales, stream)
        ids = [str(r[keys[stream]]) for r in records]
        expected = [r.sort_key for r in erp.dataset.table(tables[stream])]
        assert ids == expected, stream
        assert (
            pages == -(-len(ids) // SOAP_PAGE) + 1
        )  # full pages, then the empty page that ends it
        newest = max(_when(r["Last_Modified"]) for r in records)
        assert state == {"cursor": newest.isoformat()}  # the next read filters from here


def _when(value: Any) -> datetime:
    when = value if isinstance(value, datetime) else datetime.fromisoformat(value)
    return when.astimezone(UTC)


async def test_an_incremental_sales_read_returns_only_what_changed_since(
    sales, erp: DemoErp
) -> None:
    everything, _, state = await read_all(sales, "customers")
    window = _when(state["cursor"]) - timedelta(seconds=60)  # the stream's lookback
    recent = {r["No"] for r in everything if _when(r["Last_Modified"]) >= window}
    again, _, same = await read_all(sales, "customers", state)
    assert {r["No"] for r in again} == recent and len(recent) < len(everything)
    assert same == state
    touched = erp.touch(erp.dataset.customers[3].no)
    changed, _, after = await read_all(sales, "customers", state)
    assert {r["No"] for r in changed} == recent | {touched.no}
    assert _when(after["cursor"]) == _when(touched.last_modified)


async def test_a_sales_read_resumes_after_its_saved_bookmark(sales, erp: DemoErp) -> None:
    first = await anext(aiter(sales.read("items")))
    rest, _, _ = await read_all(sales, "items", first.state)
    assert [r["No"] for r in first.records + rest] == [i.no for i in erp.dataset.items]


async def test_every_finance_stream_reads_each_record_exactly_once(finance, erp: DemoErp) -> None:
    expected = {
        "invoices": sorted(i.id for i in erp.dataset.invoices),
        "payments": sorted(p.id for p in erp.dataset.payments),
        "credit_balances": sorted(c.no for c in erp.dataset.customers),
    }
    for stream in FINANCE_STREAMS:
        records, pages, state = await read_all(finance, stream)
        ids = [r.get("id") or r["customer_code"] for r in records]
        assert sorted(ids) == expected[stream] and len(ids) == len(set(ids)), stream
        assert pages == -(-len(ids) // REST_PAGE)
        assert state["cursor"] == max(r["updated_at"] for r in records)


async def test_an_incremental_finance_read_returns_what_changed(finance, erp: DemoErp) -> None:
    everything, _, state = await read_all(finance, "invoices")
    invoice = next(i for i in erp.dataset.invoices if i.open_amount > 0)
    erp.dataset.record_payment(invoice.id, invoice.open_amount, at=NOW + timedelta(hours=2))
    changed, _, after = await read_all(finance, "invoices", state)
    assert invoice.id in {r["id"] for r in changed}
    assert len(changed) < len(everything)
    assert after["cursor"] > state["cursor"]


async def test_a_last_modified_filter_in_the_stream_args_reads_only_changed_customers(
    configs, erp: DemoErp, tmp_path: Path
) -> None:
    since = max(c.last_modified for c in erp.dataset.customers) + timedelta(seconds=1)
    stream = configs[0].streams[0]
    criteria = {"Field": "Last_Modified", "Criteria": f">={since.isoformat()}"}
    filtered = stream.model_copy(update={"args": {"filter": [criteria]}})
    connector = SoapConnector(
        configs[0].model_copy(update={"streams": [filtered]}), cache_dir=tmp_path
    )
    assert (await read_all(connector, "customers"))[0] == []
    touched = erp.touch(erp.dataset.customers[2].no)
    records, _, _ = await read_all(connector, "customers")
    assert [r["No"] for r in records] == [touched.no]
    await connector.aclose()


async def test_check_passes_with_the_right_credentials_and_names_them_when_wrong(
    configs, erp: DemoErp, http: httpx.AsyncClient, tmp_path: Path
) -> None:
    sales_config, finance_config = configs
    assert (await SoapConnector(sales_config, cache_dir=tmp_path).check()).ok
    assert (await RestConnector(finance_config, http).check()).ok
    erp.soap_password = "changed-" + erp.soap_password
    erp.client_secret = "changed-" + erp.client_secret
    soap = await SoapConnector(sales_config, cache_dir=tmp_path).check()
    rest = await RestConnector(finance_config, http).check()
    assert (soap.ok, soap.failed) == (False, "credentials")
    assert (rest.ok, rest.failed) == (False, "credentials")
    assert "client id and secret" in rest.message
    assert finance_config.connection.authenticator.client_secret.get_secret_value() not in (
        rest.message + soap.message
    )


async def test_discover_lists_the_operations_and_the_record_fields(sales, finance) -> None:
    found = {(e.kind, e.name): e for e in await sales.discover()}
    operations = {name for kind, name in found if kind == "operation"}
    assert operations == {
        "ReadMultipleCustomers",
        "ReadMultipleItems",
        "ReadMultipleStock",
        "ReadMultipleSalesOrders",
        "ReadSalesOrderByExternalNo",
        "CreateSalesOrder",
    }
    read = found[("operation", "ReadMultipleCustomers")]
    assert [f.name for f in read.fields] == ["filter", "bookmarkKey", "setSize"]
    for record in ("Customer", "Item", "Stock", "Sales_Order"):
        fields = found[("record_type", record)].fields
        assert tuple(f.name for f in fields) == FIELDS[record]
    assert {("stream", s) for s in SALES_STREAMS} <= set(found)
    invoices = next(e for e in await finance.discover() if e.name == "invoices")
    assert {"id", "customer_code", "amount", "updated_at"} <= {f.name for f in invoices.fields}


async def test_an_expired_token_is_fetched_again_once(configs, erp, http) -> None:
    connector = RestConnector(configs[1], http)
    first, _, _ = await read_all(connector, "payments")
    erp.expire_tokens()
    again, _, _ = await read_all(connector, "payments")
    assert first == again
    assert isinstance(connector.auth, OAuth2ClientCredentialsAuth)
    assert connector.auth.fetches == 2


async def test_an_outage_is_retriable_and_reads_work_again_after_it(
    configs, erp: DemoErp, http: httpx.AsyncClient, tmp_path: Path
) -> None:
    async def no_wait(seconds: float) -> None:
        pass

    soap = SoapConnector(configs[0], cache_dir=tmp_path)
    rest = RestConnector(configs[1], http, sleep=no_wait)
    await read_all(soap, "items")
    erp.set_unavailable(True)
    with pytest.raises(RetriableError):
        await read_all(soap, "items")
    with pytest.raises(RetriableError, match="503"):
        await read_all(rest, "invoices")
    assert (await soap.check()).failed == "endpoint"
    assert (await rest.check()).failed == "reachability"
    erp.set_unavailable(False)
    assert len((await read_all(soap, "items"))[0]) == len(erp.dataset.items)
    assert len((await read_all(rest, "invoices"))[0]) == len(erp.dataset.invoices)
    await soap.aclose()


async def test_a_first_page_of_each_sales_stream_maps_and_fits_the_hub_without_rejections(
    configs, erp: DemoErp, tmp_path: Path
) -> None:
    seed = dict(generate(ERP_SCALES["tiny"].hub, NOW).reference)
    ids: dict[str, dict[str, int]] = {
        "region": {row["code"]: row["id"] for row in seed["regions"]},
        "tier": {row["name"]: row["id"] for row in seed["tiers"]},
        "location": {row["code"]: row["id"] for row in seed["locations"]},
        "partner": {c.no: n for n, c in enumerate(erp.dataset.customers, start=1)},
        "product": {i.no: n for n, i in enumerate(erp.dataset.items, start=1)},
    }

    def resolve(entity: str, key: str) -> int | None:
        return ids.get(entity, {}).get(key)

    connector = SoapConnector(configs[0], cache_dir=tmp_path)
    mapped_by_stream = {}
    for stream in configs[0].streams:
        assert stream.mapping is not None
        sink = sink_for(stream.mapping.entity, label=stream.name)
        check_mapping(stream.mapping, sink.fields, sink.line_fields, label=stream.name)
        page = await anext(aiter(connector.read(stream.name)))
        mapped, rejected = map_page(stream.mapping, page.records, resolve)
        assert rejected == [], (stream.name, rejected[:2])
        assert len(mapped) == len(page.records) > 0
        for record in mapped:
            assert clean_values(sink.fields, record.values)[1] == [], stream.name
            for line in record.lines:
                assert sink.line_fields is not None
                assert clean_values(sink.line_fields, line)[1] == [], stream.name
        mapped_by_stream[stream.name] = mapped
    await connector.aclose()
    partners = mapped_by_stream["customers"]
    assert any(p.values["parent_id"] for p in partners)
    assert {p.values["type"] for p in partners} <= set(PartnerType)
    assert {p.values["status"] for p in partners} <= set(PartnerStatus)
    assert all(isinstance(p.values["credit_limit"], Decimal) for p in partners)
    products = mapped_by_stream["items"]
    assert {p.values["lifecycle"] for p in products} <= set(ProductLifecycle)
    for order in mapped_by_stream["sales_orders"]:
        assert order.values["status"] in set(OrderStatus)
        assert order.values["created_at"].tzinfo is not None
        assert order.values["total"] == sum(line["line_total"] for line in order.lines)
        assert all(
            line["quantity"] * line["unit_price"] == line["line_total"] for line in order.lines
        )


async def test_an_approved_order_is_written_back_and_found_before_a_resend(
    sales, erp: DemoErp
) -> None:
    customer = next(c for c in erp.dataset.customers if c.blocked == "_blank_")
    first, second = erp.dataset.items[0], erp.dataset.items[1]
    record = {
        "idempotency_key": "outbox-1",
        "order_number": "SO-2026-000777",
        "partner_code": customer.no,
        "partner_external_id": customer.no,
        "ordered_at": "2026-03-15T23:30:00+00:00",
        "currency": "CNY",
        "total": "31.00",
        "lines": [
            {"sku": first.no, "quantity": 2, "unit_price": "10.50"},
            {"sku": second.no, "quantity": 1, "unit_price": "10.00"},
        ],
    }
    assert await sales.lookup("create_sales_order", record, idempotency_key="outbox-1") is None
    written = await sales.write("create_sales_order", record, idempotency_key="outbox-1")
    [created] = erp.dataset.created_orders
    assert written.reference == created.no and created.external_document_no == "SO-2026-000777"
    assert created.customer_no == customer.no and created.amount == Decimal("31.00")
    assert created.order_date.isoformat() == "2026-03-15"
    assert [(line.item_no, line.quantity) for line in created.lines] == [
        (first.no, 2),
        (second.no, 1),
    ]
    found = await sales.lookup("create_sales_order", record, idempotency_key="outbox-1")
    assert found is not None and found.reference == created.no
    await sales.write("create_sales_order", record, idempotency_key="outbox-1")
    assert len(erp.dataset.orders_by_external_no("SO-2026-000777")) == 2  # no dedupe, like NAV


async def test_credit_balances_are_read_live_for_many_partners_in_one_request(
    configs, erp: DemoErp, http: httpx.AsyncClient
) -> None:
    requests: list[httpx.Request] = []

    async def seen(request: httpx.Request) -> None:
        requests.append(request)

    http.event_hooks["request"].append(seen)
    connector = RestConnector(configs[1], http)
    stream = configs[1].stream("credit_balances")
    assert stream is not None and stream.live is not None
    codes = [c.no for c in erp.dataset.customers[:5]]
    records = await connector.fetch("credit_balances", [*codes, "NOPE"])
    answer = read_values(stream.live, records, [*codes, "NOPE"])
    assert sorted(answer.values) == sorted(codes) and answer.problems == {}
    balance = erp.dataset.credit_balance(codes[0])
    assert balance is not None
    assert answer.values[codes[0]]["available"] == str(balance.available)
    balance_calls = [r for r in requests if r.url.path.endswith("/credit-balances")]
    assert len(balance_calls) == 1

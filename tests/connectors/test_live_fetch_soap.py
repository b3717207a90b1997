"""SOAP ``fetch`` (the LiveReader capability) against a real spyne service on 127.0.0.1:
``{keys}`` sends many keys in one call (split by ``batch_size``), ``{key}`` one call per key,
and the answered records map to exact Decimals."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal as D
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

import pytest
from spyne import (  # type: ignore[import-untyped]
    Application,
    Array,
    ComplexModel,
    Decimal,
    ServiceBase,
    Unicode,
    rpc,
)
from spyne.protocol.soap import Soap11  # type: ignore[import-untyped]
from spyne.server.wsgi import WsgiApplication  # type: ignore[import-untyped]

from connectors.errors import ConfigError
from connectors.live import LiveReader, read_values
from connectors.soap import SoapConnector, SoapConnectorConfig

TNS = "urn:channelhub.test.balances"


class Balance(ComplexModel):  # type: ignore[misc]
    __namespace__ = TNS
    customer = Unicode
    balance = Decimal
    currency = Unicode


@dataclass
class Ledger:
    balances: dict[str, D]
    calls: list[tuple[str, list[str]]] = field(default_factory=list)


def _service(ledger: Ledger) -> type:
    def rows(keys: list[str]) -> list[Any]:
        return [
            Balance(customer=k, balance=ledger.balances[k], currency="CNY")
            for k in keys
            if k in ledger.balances
        ]

    class BalanceService(ServiceBase):  # type: ignore[misc]
        @rpc(Array(Unicode), _returns=Array(Balance))  # type: ignore[untyped-decorator]
        def balances(ctx: Any, customers: list[str] | None) -> list[Any]:
            ledger.calls.append(("balances", list(customers or [])))
            return rows(list(customers or []))

        @rpc(Unicode, _returns=Balance)  # type: ignore[untyped-decorator]
        def balance(ctx: Any, customer: str) -> Any:
            ledger.calls.append(("balance", [customer]))
            found = rows([customer])
            return found[0] if found else None

    return BalanceService


class _Quiet(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def service() -> Iterator[tuple[Ledger, str]]:
    ledger = Ledger(balances={f"C{n}": D(f"{n}.10") for n in range(1, 31)})
    application = Application(
        [_service(ledger)],
        tns=TNS,
        name="BalanceApplication",
        in_protocol=Soap11(validator="lxml"),
        out_protocol=Soap11(),
    )
    server: WSGIServer = make_server(
        "127.0.0.1", 0, WsgiApplication(application), handler_class=_Quiet
    )
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield ledger, f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def _config(url: str) -> SoapConnectorConfig:
    values = {"balance": {"source": "balance", "cast": "decimal"}, "currency": "currency"}
    live = {"entity": "partner", "key": "code", "match": "customer", "values": values}
    return SoapConnectorConfig.model_validate(
        {
            "name": "ledger",
            "kind": "soap",
            "connection": {"wsdl": f"{url}/?wsdl", "timeouts": {"operation": 10}},
            "streams": [
                {
                    "name": "balances",
                    "operation": "balances",
                    "args": {"customers": {"string": "{keys}"}},
                    "live": {**live, "field": "creditBalance", "batch_size": 10},
                },
                {
                    "name": "balance",
                    "operation": "balance",
                    "args": {"customer": "{key}"},
                    "live": {**live, "field": "creditBalanceOne"},
                },
                {"name": "plain", "operation": "balances", "args": {}},
            ],
        }
    )


async def test_many_keys_per_call(service: Any, tmp_path: Any) -> None:
    ledger, url = service
    connector = SoapConnector(_config(url), cache_dir=tmp_path)
    try:
        assert isinstance(connector, LiveReader)
        keys = [f"C{n}" for n in range(1, 26)] + ["C404"]
        records = await connector.fetch("balances", keys)
        assert sorted(len(sent) for _, sent in ledger.calls) == [6, 10, 10]
        live = connector.config.streams[0].live
        assert live is not None
        answer = read_values(live, records, keys)
        assert len(answer.values) == 25 and not answer.problems
        assert answer.values["C7"] == {"balance": "7.10", "currency": "CNY"}
        assert D(answer.values["C25"]["balance"]) == D("25.10")
    finally:
        await connector.aclose()


async def test_one_call_per_key(service: Any, tmp_path: Any) -> None:
    ledger, url = service
    connector = SoapConnector(_config(url), cache_dir=tmp_path)
    try:
        records = await connector.fetch("balance", ["C1", "C2", "C404"])
        assert sorted(ledger.calls) == [
            ("balance", ["C1"]),
            ("balance", ["C2"]),
            ("balance", ["C404"]),
        ]
        assert sorted(r["customer"] for r in records) == ["C1", "C2"]
        with pytest.raises(ConfigError, match="not a live stream"):
            await connector.fetch("plain", ["C1"])
    finally:
        await connector.aclose()

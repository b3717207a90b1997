"""``SoapConnector``: a zeep client built from config, used from async code.

zeep's synchronous ``Client`` (requests transport) runs in a worker thread
(``asyncio.to_thread``): WSDL loading is synchronous in zeep 4.3.3 even for ``AsyncClient``,
and the sync transport is the one zeep's own test suite exercises most; one client is built
per connector, on first use, and reused. Paging lives in ``connectors.soap.paging``; error
classification in ``connectors.soap.faults``; replies become plain values in
``connectors.soap.fast_records`` (zeep's own parser for what it does not model). Never touches
the store.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import requests
import zeep
from zeep.proxy import ServiceProxy
from zeep.transports import Transport
from zeep.wsse.username import UsernameToken

from connectors.errors import ConfigError, ConnectorError, PermanentError, RetriableError
from connectors.live import fetch_batches, fill_keys
from connectors.live_config import template_mentions
from connectors.protocol import CheckResult, EndpointInfo, JsonObject, Page, WriteResult
from connectors.soap import discovery, fast_records, paging, templates, wsdl_cache
from connectors.soap.config import BasicAuth, SoapConnectorConfig, WsseUsernameToken
from connectors.soap.faults import RedactingPlugin, classify_call, classify_load


class SoapConnector:
    """The ``soap`` kind of ``connectors.protocol.Connector``."""

    def __init__(self, config: SoapConnectorConfig, *, cache_dir: Path | None = None) -> None:
        self.config = config
        self.name = config.name
        self._cache_dir = cache_dir
        self._secrets = config.secrets()
        self._streams = {stream.name: stream for stream in config.streams}
        self._operations = {operation.name: operation for operation in config.operations}
        self._client: zeep.Client | None = None
        self._service: Any = None
        self._address = ""
        self._session = requests.Session()
        self._lock = asyncio.Lock()

    async def check(self) -> CheckResult:
        try:
            await self._ensure_client()
        except ConnectorError as exc:
            return CheckResult(ok=False, failed="wsdl", message=str(exc))
        try:
            status = await asyncio.to_thread(self._probe)
        except (requests.RequestException, OSError) as exc:
            error = classify_call(exc, connector=self.name, what="endpoint", secrets=self._secrets)
            return CheckResult(ok=False, failed="endpoint", message=str(error))
        if status in (401, 403):
            return CheckResult(ok=False, failed="credentials", message=f"HTTP {status}")
        if self.config.streams:
            try:
                async for _page in self.read(self.config.streams[0].name):
                    break
            except ConfigError as exc:
                return CheckResult(ok=False, failed="credentials", message=str(exc))
            except RetriableError as exc:
                return CheckResult(ok=False, failed="endpoint", message=str(exc))
            except ConnectorError as exc:
                return CheckResult(ok=False, failed="stream", message=str(exc))
        return CheckResult(ok=True)

    async def discover(self) -> list[EndpointInfo]:
        service = await self._ensure_client()
        assert self._client is not None
        found = [
            EndpointInfo(name=s.name, kind="stream", description=f"operation {s.operation}")
            for s in self.config.streams
        ]
        found += discovery.operations(service._binding)
        found += discovery.record_types(self._client.wsdl)
        return found

    async def read(
        self, stream: str, state: Mapping[str, Any] | None = None
    ) -> AsyncIterator[Page]:
        config = self._streams.get(stream)
        if config is None:
            raise ConfigError(f"{self.name}: unknown stream {stream!r}", connector=self.name)
        await self._ensure_client()
        async for page in paging.pages(config, dict(state or {}), self._call):
            yield page

    async def write(
        self, operation: str, record: Mapping[str, Any], *, idempotency_key: str
    ) -> WriteResult:
        config = self._operations.get(operation)
        if config is None:
            raise ConfigError(f"{self.name}: unknown operation {operation!r}", connector=self.name)
        await self._ensure_client()
        args = templates.fill(config.args, {**record, "idempotency_key": idempotency_key})
        result = await self._call(config.operation, args)
        reference = templates.lookup(result, config.reference_path)
        if reference is None:
            raise PermanentError(
                f"{self.name}: {operation}: no reference at {config.reference_path!r}",
                connector=self.name,
            )
        raw = result if isinstance(result, dict) else {"result": result}
        return WriteResult(reference=str(reference), raw=raw)

    async def lookup(
        self, operation: str, record: Mapping[str, Any], *, idempotency_key: str
    ) -> WriteResult | None:
        """The record an earlier write of ``idempotency_key`` created, by the operation's
        ``lookup`` read; None when the answer has no reference, a fault says "not found"
        (``not_found_faults``), or the operation declares no lookup."""
        config = self._operations.get(operation)
        if config is None:
            raise ConfigError(f"{self.name}: unknown operation {operation!r}", connector=self.name)
        lookup = config.lookup
        if lookup is None:
            return None
        args = templates.fill(lookup.args, {**record, "idempotency_key": idempotency_key})
        try:
            result = await self._call(lookup.operation, args)
        except (PermanentError, RetriableError) as exc:
            text = str(exc).lower()
            if any(fault.lower() in text for fault in lookup.not_found_faults if fault):
                return None
            raise
        reference = templates.lookup(result, lookup.reference_path)
        if reference is None or reference == "" or reference == []:
            return None
        if isinstance(reference, dict | list):
            raise PermanentError(
                f"{self.name}: lookup of {operation}: {lookup.reference_path!r} is not a value",
                connector=self.name,
            )
        raw = result if isinstance(result, dict) else {"result": result}
        return WriteResult(reference=str(reference), raw=raw)

    async def fetch(self, stream: str, keys: Sequence[str]) -> list[JsonObject]:
        """Records of the live ``stream`` for ``keys`` (``connectors.live.LiveReader``): one
        call per ``live.batch_size`` keys when ``args`` hold ``{keys}``, else one per key
        (``{key}``); one page, the records at ``record_path``."""
        config = self._streams.get(stream)
        if config is None or config.live is None:
            what = "unknown stream" if config is None else "not a live stream:"
            raise ConfigError(f"{self.name}: {what} {stream!r}", connector=self.name)
        live = config.live
        await self._ensure_client()
        size = live.batch_size if template_mentions(config.args, "keys") else 1

        async def one(batch: list[str]) -> list[JsonObject]:
            template, values = fill_keys(config.args, batch, live.key_separator)
            result = await self._call(config.operation, templates.fill(template, values))
            return templates.records_at(result, config.record_path)

        return await fetch_batches(keys, size, one)

    async def aclose(self) -> None:
        self._session.close()

    async def _call(self, operation: str, args: dict[str, Any]) -> Any:
        """Call ``operation`` with keyword ``args``; the result as plain dicts and lists."""
        service = await self._ensure_client()
        try:
            typed = _typed(self._client, args)
            return await asyncio.to_thread(_invoke, service, operation, typed)
        except Exception as exc:
            what = f"operation {operation}"
            raise classify_call(
                exc, connector=self.name, what=what, secrets=self._secrets
            ) from None

    async def _ensure_client(self) -> Any:
        if self._service is None:
            async with self._lock:
                if self._service is None:
                    try:
                        await asyncio.to_thread(self._build)
                    except ConnectorError:
                        raise
                    except Exception as exc:
                        raise classify_load(
                            exc,
                            connector=self.name,
                            wsdl=self.config.connection.wsdl,
                            secrets=self._secrets,
                        ) from None
        return self._service

    def _build(self) -> None:
        connection = self.config.connection
        auth = connection.authenticator
        if isinstance(auth, BasicAuth):
            self._session.auth = (auth.username, auth.password.get_secret_value())
        transport = Transport(  # type: ignore[no-untyped-call]
            session=self._session,
            timeout=connection.timeouts.load,
            operation_timeout=connection.timeouts.operation,
        )
        settings = zeep.Settings()
        document = wsdl_cache.load_document(
            connection.wsdl, transport, settings, cache_dir=self._cache_dir
        )
        wsse = None
        if isinstance(auth, WsseUsernameToken):
            wsse = UsernameToken(  # type: ignore[no-untyped-call]
                auth.username, auth.password.get_secret_value(), use_digest=auth.digest
            )
        client = zeep.Client(  # type: ignore[no-untyped-call]
            wsdl=document,
            transport=transport,
            settings=settings,
            wsse=wsse,
            plugins=[RedactingPlugin(self._secrets)],
        )
        port = discovery.select_port(document, connection.service, connection.port, self.name)
        options = dict(port.binding_options)
        if connection.address:
            options["address"] = connection.address
        self._address = str(options.get("address", ""))
        self._client = client
        self._service = ServiceProxy(client, port.binding, **options)  # type: ignore[no-untyped-call]

    def _probe(self) -> int:
        timeout = self.config.connection.timeouts.operation
        return int(self._session.get(self._address, timeout=timeout).status_code)


XSI_TYPE_KEY = "_xsi_type"


def _typed(client: Any, value: Any) -> Any:
    """Build zeep objects for argument dicts that name their XML type with ``_xsi_type``.

    An abstract parameter — NetSuite's ``searchRecord`` is ``platformCore:SearchRecord`` —
    needs a concrete subtype (``{urn:relationships_…}CustomerSearch``) that plain config
    cannot otherwise express; every other value passes through unchanged.
    """
    if isinstance(value, Mapping):
        fields = {k: _typed(client, v) for k, v in value.items() if k != XSI_TYPE_KEY}
        if XSI_TYPE_KEY not in value:
            return fields
        qname = str(value[XSI_TYPE_KEY])
        try:
            return client.get_type(qname)(**fields)
        except Exception as exc:
            raise ConfigError(f"cannot build XML type {qname}: {exc}") from None
    if isinstance(value, list):
        return [_typed(client, item) for item in value]
    return value


def _invoke(service: Any, operation: str, args: dict[str, Any]) -> Any:
    try:
        method = service[operation]
    except (AttributeError, KeyError) as exc:
        raise ConfigError(f"operation {operation!r} is not in the WSDL") from exc
    return fast_records.call(service, operation, method, args)

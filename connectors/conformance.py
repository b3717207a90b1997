"""The standard conformance suite every connector kind subclasses (as Airbyte's CDK does).

``ConnectorConformance`` is a pytest test class without a ``Test`` prefix: pytest collects
nothing from it until a kind's test module subclasses it, fills in the hooks below and names
the subclass ``Test…``. Each rule of ``connectors.protocol`` is one test method:

    test_satisfies_the_connector_protocol          isinstance(connector, Connector)
    test_check_is_ok_against_a_healthy_remote      check().ok
    test_discover_lists_every_configured_stream    every stream (and the write operation)
    test_read_from_no_state_ends_with_a_last_page  dict records, JSON states, last=True on
                                                   the final page only, expected_records
    test_reading_again_from_the_final_state_yields_no_record_already_seen
    test_reading_from_the_state_after_page_one_yields_exactly_the_rest
    test_write_returns_a_reference
    test_write_twice_with_the_same_idempotency_key_yields_the_same_reference
    test_errors_are_classified_connector_errors    a ConnectorError with a known ``kind``
    test_errors_never_show_the_configured_secrets  str/repr of the error and its chain
    test_aclose_can_be_called_twice

Using it (a third-party plugin does the same in its own tests)::

    import pytest
    from connectors.conformance import ConnectorConformance

    class TestAcmeConformance(ConnectorConformance):
        stream = "orders"
        expected_records = 23                  # the fake remote's records for ``stream``
        secrets = ("acme-api-key",)            # configured in make_connector's config
        write_operation = "create_order"       # None (the default): read-only kind
        write_record = {"sku": "A", "qty": 1}
        idempotent_writes = True               # the remote honours the idempotency key

        @pytest.fixture(autouse=True)
        def _remote(self, tmp_path):           # any fixtures the kind needs, kept on self
            self.remote = start_fake_acme(records=23)

        async def make_connector(self):
            return build_connector(load_registry(), acme_config(self.remote), resources)

        async def provoke_error(self):         # optional; must raise, secrets kept out
            connector = await self.make_connector()
            self.remote.break_auth()
            await self.read_pages(connector)

        def add_remote_records(self):          # optional: records appended between runs
            return self.remote.append(2)

``make_connector`` (required) builds a fresh connector against the healthy fake remote the
subclass's fixtures started; the suite closes it. Rules that do not apply skip and say why:
``write_operation = None`` (read-only), ``idempotent_writes = False``, ``resumable = False``
(full-refresh streams keep no bookmark or cursor), no ``secrets``, and a stream that fits in
one page (the resume rule needs two). Tests run on anyio; ``anyio_backend`` is asyncio unless
a subclass overrides the fixture. The suite drives only the public protocol, never a kind's
internals.
"""

from __future__ import annotations

import base64
import json
from collections.abc import AsyncIterator, Awaitable, Hashable, Mapping
from contextlib import asynccontextmanager
from typing import Any, ClassVar
from urllib.parse import quote, quote_plus

import pytest

from connectors.errors import ConnectorError
from connectors.protocol import Connector, JsonObject, Page

# Skip reasons of rules that do not apply to a kind start with this; CI accepts such skips
# (and no other: a skipped service test means a backend went untested).
NOT_APPLICABLE = "not applicable: "


__all__ = ["ERROR_KINDS", "ConnectorConformance"]

ERROR_KINDS = frozenset(
    {"config_error", "transient_error", "permanent_error", "record_error", "system_error"}
)

_UNKNOWN = "conformance-no-such-endpoint"


class ConnectorConformance:
    """Base class of every kind's conformance tests; see the module docstring."""

    stream: ClassVar[str]
    """The stream the read rules use."""
    expected_records: ClassVar[int]
    """How many records the fake remote holds for ``stream`` when a test starts."""
    configured_streams: ClassVar[tuple[str, ...]] = ()
    """Every stream of the config (``discover`` must list them); default: ``(stream,)``."""
    resumable: ClassVar[bool] = True
    """The stream keeps a bookmark or cursor, so a read from the final state is incremental."""
    write_operation: ClassVar[str | None] = None
    """An operation ``write`` accepts; None marks the kind (or this config) read-only."""
    write_record: ClassVar[Mapping[str, Any]] = {}
    """The record written through ``write_operation``."""
    idempotent_writes: ClassVar[bool] = False
    """The remote returns the same reference for a repeated idempotency key."""
    secrets: ClassVar[tuple[str, ...]] = ()
    """Secrets in the config ``make_connector`` and ``provoke_error`` use."""

    # --- hooks ---------------------------------------------------------------------------

    async def make_connector(self) -> Connector:
        """A fresh connector against a healthy fake remote (the suite closes it)."""
        raise NotImplementedError("a conformance subclass must implement make_connector()")

    async def provoke_error(self) -> None:
        """Optional: make a connector fail (broken remote, wrong credentials…); must raise.

        Not overridden: only the suite's own unknown-stream and unknown-operation errors are
        checked.
        """
        raise NotImplementedError

    def add_remote_records(self) -> int:
        """Append records to the fake remote between two runs; return how many (default 0)."""
        return 0

    def record_key(self, record: JsonObject) -> Hashable:
        """What identifies a record across reads; default: its canonical JSON."""
        return json.dumps(record, sort_keys=True, default=str)

    @pytest.fixture
    def anyio_backend(self) -> str:
        return "asyncio"

    # --- helpers -------------------------------------------------------------------------

    @property
    def streams(self) -> tuple[str, ...]:
        return self.configured_streams or (self.stream,)

    @asynccontextmanager
    async def connected(self) -> AsyncIterator[Connector]:
        """A connector from ``make_connector``, closed on exit."""
        connector = await self.make_connector()
        try:
            yield connector
        finally:
            await connector.aclose()

    async def read_pages(self, connector: Connector, state: JsonObject | None = None) -> list[Page]:
        """Every page of ``stream`` from ``state`` on."""
        return [page async for page in connector.read(self.stream, state)]

    def keys(self, pages: list[Page]) -> list[Hashable]:
        return [self.record_key(record) for page in pages for record in page.records]

    async def provoked_errors(self) -> list[ConnectorError]:
        """The suite's own errors (unknown stream and operation) and ``provoke_error``'s."""
        errors: list[ConnectorError] = []

        async def unknown_stream(connector: Connector) -> None:
            async for _page in connector.read(_UNKNOWN):
                pass

        async def unknown_operation(connector: Connector) -> None:
            await connector.write(_UNKNOWN, {}, idempotency_key="conformance-1")

        for provoke in (unknown_stream, unknown_operation):
            async with self.connected() as connector:
                errors.append(await _raised(provoke.__name__, provoke(connector)))
        if type(self).provoke_error is not ConnectorConformance.provoke_error:
            errors.append(await _raised("provoke_error()", self.provoke_error()))
        return errors

    # --- the rules -----------------------------------------------------------------------

    @pytest.mark.anyio
    async def test_satisfies_the_connector_protocol(self) -> None:
        async with self.connected() as connector:
            assert isinstance(connector, Connector)
            assert isinstance(connector.name, str) and connector.name

    @pytest.mark.anyio
    async def test_check_is_ok_against_a_healthy_remote(self) -> None:
        async with self.connected() as connector:
            result = await connector.check()
        assert result.ok, f"check() failed ({result.failed}): {result.message}"

    @pytest.mark.anyio
    async def test_discover_lists_every_configured_stream(self) -> None:
        async with self.connected() as connector:
            found = await connector.discover()
        streams = {e.name for e in found if e.kind == "stream"}
        assert set(self.streams) <= streams, f"missing streams: {set(self.streams) - streams}"
        if self.write_operation is not None:
            operations = {e.name for e in found if e.kind == "operation"}
            assert self.write_operation in operations

    @pytest.mark.anyio
    async def test_read_from_no_state_ends_with_a_last_page(self) -> None:
        async with self.connected() as connector:
            pages = await self.read_pages(connector)
        assert pages, "read() yielded no page"
        for page in pages:
            assert all(isinstance(record, dict) for record in page.records)
            assert isinstance(page.state, dict)
            json.dumps(page.state)  # a state must be saveable as JSON
        assert [page.last for page in pages] == [False] * (len(pages) - 1) + [True]
        assert len(self.keys(pages)) == self.expected_records

    @pytest.mark.anyio
    async def test_reading_again_from_the_final_state_yields_no_record_already_seen(
        self,
    ) -> None:
        if not self.resumable:
            pytest.skip(NOT_APPLICABLE + "full-refresh stream: a new read starts over by design")
        async with self.connected() as connector:
            first = await self.read_pages(connector)
            added = self.add_remote_records()
            again = await self.read_pages(connector, first[-1].state)
        seen = set(self.keys(first))
        repeated = [key for key in self.keys(again) if key in seen]
        assert not repeated, f"records read again from the final state: {repeated}"
        assert len(self.keys(again)) == added, "new records were lost on the second run"
        assert again and again[-1].last

    @pytest.mark.anyio
    async def test_reading_from_the_state_after_page_one_yields_exactly_the_rest(self) -> None:
        async with self.connected() as connector:
            everything = self.keys(await self.read_pages(connector))
            reader = connector.read(self.stream, None)
            try:
                first = await anext(reader)
            finally:
                close = getattr(reader, "aclose", None)
                if close is not None:
                    await close()
            if first.last:
                pytest.skip(
                    NOT_APPLICABLE + "the stream fits in one page: configure a smaller page size"
                )
            rest = await self.read_pages(connector, first.state)
        resumed = self.keys([first, *rest])
        assert resumed == everything, "resuming after page 1 lost or repeated records"

    @pytest.mark.anyio
    async def test_write_returns_a_reference(self) -> None:
        if self.write_operation is None:
            pytest.skip(NOT_APPLICABLE + "read-only: no write operation")
        async with self.connected() as connector:
            result = await connector.write(
                self.write_operation, self.write_record, idempotency_key="conformance-once"
            )
        assert isinstance(result.reference, str) and result.reference

    @pytest.mark.anyio
    async def test_write_twice_with_the_same_idempotency_key_yields_the_same_reference(
        self,
    ) -> None:
        if self.write_operation is None:
            pytest.skip(NOT_APPLICABLE + "read-only: no write operation")
        if not self.idempotent_writes:
            pytest.skip(NOT_APPLICABLE + "the remote does not honour idempotency keys")
        operation, record = self.write_operation, self.write_record
        async with self.connected() as connector:
            first = await connector.write(operation, record, idempotency_key="conformance-2x")
            second = await connector.write(operation, record, idempotency_key="conformance-2x")
            other = await connector.write(operation, record, idempotency_key="conformance-new")
        assert first.reference == second.reference
        assert other.reference != first.reference, "a new key must make a new remote record"

    @pytest.mark.anyio
    async def test_errors_are_classified_connector_errors(self) -> None:
        for error in await self.provoked_errors():
            assert error.kind in ERROR_KINDS, f"{type(error).__name__}.kind = {error.kind!r}"

    @pytest.mark.anyio
    async def test_errors_never_show_the_configured_secrets(self) -> None:
        if not self.secrets:
            pytest.skip(NOT_APPLICABLE + "no configured secrets declared")
        forms = {
            form
            for secret in self.secrets
            for form in (
                secret,
                quote(secret, safe=""),
                quote_plus(secret),
                base64.b64encode(secret.encode()).decode(),
            )
        }
        for error in await self.provoked_errors():
            for text in _texts(error):
                leaked = [form for form in forms if form in text]
                assert not leaked, f"{type(error).__name__} shows a secret: {text}"

    @pytest.mark.anyio
    async def test_aclose_can_be_called_twice(self) -> None:
        connector = await self.make_connector()
        await connector.check()
        await connector.aclose()
        await connector.aclose()


async def _raised(what: str, action: Awaitable[object]) -> ConnectorError:
    try:
        await action
    except ConnectorError as error:
        return error
    except Exception as error:
        pytest.fail(f"{what} raised {type(error).__name__}, not a ConnectorError: {error}")
    pytest.fail(f"{what} raised nothing")


def _texts(error: BaseException) -> list[str]:
    """str and repr of the error and of every exception a traceback would print with it."""
    texts: list[str] = []
    shown: BaseException | None = error
    while shown is not None:
        texts += [str(shown), repr(shown)]
        shown = shown.__cause__ or (None if shown.__suppress_context__ else shown.__context__)
    return texts

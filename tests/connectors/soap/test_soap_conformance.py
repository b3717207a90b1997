"""The ``soap`` kind passes the conformance suite against the NAV Customer page-service stub.

The stub serves the unmodified NAV WSDL behind HTTP basic auth and pages ``ReadMultiple``
by bookmark. This config is read-only: NAV's ``Create`` has no idempotency key, so write
rules are skipped.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from connectors.conformance import ConnectorConformance
from connectors.protocol import Connector
from connectors.registry import ConnectorResources, build_connector, load_registry

from .conftest import NavStub
from .test_soap_nav import fake_rows, nav_config

USER, PASSWORD = "nav-user", "Nav-s3cret-pass"


class TestSoapNavConformance(ConnectorConformance):
    stream = "customer"
    expected_records = 23
    secrets = (PASSWORD,)

    @pytest.fixture(autouse=True)
    async def _remote(self, nav_stub: NavStub, tmp_path: Path) -> AsyncIterator[None]:
        nav_stub.basic_auth = (USER, PASSWORD)
        nav_stub.records["Customer"] = fake_rows("C", self.expected_records)
        self.stub = nav_stub
        async with httpx.AsyncClient() as client:
            self.resources = ConnectorResources(http=client, cache_dir=tmp_path)
            yield

    async def make_connector(self) -> Connector:
        auth = {"type": "basic", "username": USER, "password": PASSWORD}
        config = nav_config(self.stub, "Customer", authenticator=auth)
        return build_connector(load_registry([]), config, self.resources)

    async def provoke_error(self) -> None:
        """A SOAP fault whose text echoes the password (as some ERPs do)."""
        connector = await self.make_connector()
        self.stub.fault = ("s:Client", f"login failed for {USER} with password {PASSWORD}")
        try:
            await self.read_pages(connector)
        finally:
            self.stub.fault = None
            await connector.aclose()

    def add_remote_records(self) -> int:
        rows = self.stub.records["Customer"]
        rows += fake_rows("D", 2)
        return 2

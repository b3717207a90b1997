"""The test plugin kind ``memo``, installed through its entry point and built from a config
validated like any other, passes the connector conformance suite."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from connectors.config import config_from_data
from connectors.conformance import ConnectorConformance
from connectors.protocol import Connector
from connectors.registry import ConnectorResources, build_connector, load_registry
from tests.connectors import memo_plugin
from tests.connectors.memo_plugin import MemoConnector, MemoRemote, memo_config

PASSWORD = "memo-conformance-pw-Lx7"


def customer(n: int) -> dict[str, object]:
    return {"id": f"C-{n}", "name": f"Customer {n}"}


class TestMemoConformance(ConnectorConformance):
    stream = "partners"
    expected_records = 5
    secrets = (PASSWORD,)
    write_operation = "create_order"
    write_record = {"partner": "C-1", "lines": [{"sku": "A", "qty": 2}]}
    idempotent_writes = True

    @pytest.fixture(autouse=True)
    async def _remote(self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[None]:
        memo_plugin.install(monkeypatch)
        self.remote = MemoRemote("conformance-remote", "hub", PASSWORD)
        self.remote.put("customers", *(customer(n) for n in range(1, 6)))
        self.config = config_from_data(
            memo_config("memo-erp", remote=self.remote.name, password=PASSWORD)
        )
        async with httpx.AsyncClient() as client:
            self.resources = ConnectorResources(http=client, cache_dir=tmp_path)
            yield
        MemoRemote.remotes.pop(self.remote.name, None)
        memo_plugin.uninstall()

    async def make_connector(self) -> Connector:
        connector = build_connector(load_registry(), self.config, self.resources)
        assert isinstance(connector, MemoConnector)
        return connector

    async def provoke_error(self) -> None:
        """A password change on the remote: its refusal echoes the password we sent."""
        connector = await self.make_connector()
        self.remote.password = "changed-on-the-remote"
        try:
            await self.read_pages(connector)
        finally:
            self.remote.password = PASSWORD
            await connector.aclose()

    def add_remote_records(self) -> int:
        return self.remote.put("customers", customer(6), customer(7))

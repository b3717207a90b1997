"""The app and connectors: ``/schemas/connector.json`` is public documentation, and a connector
plugin that fails to load stops start-up with a message naming it."""

from __future__ import annotations

import importlib.metadata
import json
from pathlib import Path
from typing import Any

import httpx
import pytest

import connectors.registry
from app import create_app
from connectors.config import json_schema
from connectors.registry import ENTRY_POINT_GROUP, PluginLoadError
from settings import Settings


async def test_the_connector_schema_is_served_without_credentials(app: Any) -> None:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://hub.test") as client:
        response = await client.get("/schemas/connector.json")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert body == json.loads(json.dumps(json_schema()))
    assert set(body["discriminator"]["mapping"]) == {"rest", "soap"}


def test_the_registry_is_loaded_at_start_up(tmp_path: Path) -> None:
    app = create_app(Settings(data_dir=tmp_path))
    assert {"rest", "soap"} <= set(app.state.hub.connector_kinds)


def test_a_broken_plugin_stops_start_up(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    broken = importlib.metadata.EntryPoint(
        name="acme_erp", value="channelhub_no_such_plugin:factory", group=ENTRY_POINT_GROUP
    )
    monkeypatch.setattr(connectors.registry, "_plugins", lambda: [broken])
    with pytest.raises(PluginLoadError) as raised:
        create_app(Settings(data_dir=tmp_path))
    message = str(raised.value)
    assert "acme_erp" in message and "channelhub_no_such_plugin" in message
    assert "failed to load" in message

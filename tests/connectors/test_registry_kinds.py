"""The registry of connector kinds: built-ins rest and soap, plugins from entry points, and
a plugin that fails to load stopping start-up with a message naming it."""

from __future__ import annotations

import importlib.metadata
from importlib.metadata import EntryPoint

import httpx
import pytest

from connectors.config import parse_config
from connectors.errors import ConfigError
from connectors.protocol import Connector
from connectors.registry import (
    ENTRY_POINT_GROUP,
    ConnectorResources,
    PluginLoadError,
    build_connector,
    load_registry,
)

REST = """
name: erp-rest
kind: rest
connection: {base_url: "https://erp.example/api"}
streams: [{name: partners, request: {path: /customers}}]
"""
SOAP = """
name: erp-soap
kind: soap
connection: {wsdl: erp.wsdl}
streams: [{name: orders, operation: ReadMultiple}]
"""

PLUGIN = """
class EchoConnector:
    def __init__(self, config, resources):
        self.name = config.name
        self.resources = resources

    async def check(self): ...
    async def discover(self): return []
    def read(self, stream, state=None): ...
    async def write(self, operation, record, *, idempotency_key): ...
    async def aclose(self): ...


def factory(config, resources):
    return EchoConnector(config, resources)


def not_a_connector(config, resources):
    return object()


NOT_CALLABLE = 42
"""


@pytest.fixture
async def resources(tmp_path):
    async with httpx.AsyncClient() as client:
        yield ConnectorResources(http=client, cache_dir=tmp_path)


@pytest.fixture
def plugin_module(tmp_path, monkeypatch):
    folder = tmp_path / "plugins"
    folder.mkdir()
    (folder / "hub_echo_plugin.py").write_text(PLUGIN)
    (folder / "hub_broken_plugin.py").write_text("import no_such_dependency_xyz\n")
    monkeypatch.syspath_prepend(str(folder))
    return "hub_echo_plugin"


def entry_point(name: str, value: str) -> EntryPoint:
    return EntryPoint(name=name, value=value, group=ENTRY_POINT_GROUP)


async def test_builtin_kinds_build_connectors_from_their_configs(resources):
    registry = load_registry([])
    assert set(registry) == {"rest", "soap"}
    for text in (REST, SOAP):
        config = parse_config(text)
        connector = build_connector(registry, config, resources)
        assert isinstance(connector, Connector)
        assert connector.name == config.name
        await connector.aclose()


async def test_a_plugin_registers_a_kind_through_its_entry_point(resources, plugin_module):
    registry = load_registry([entry_point("echo", f"{plugin_module}:factory")])
    assert set(registry) == {"rest", "soap", "echo"}

    class EchoConfig:
        kind = "echo"
        name = "echo-1"

    connector = build_connector(registry, EchoConfig(), resources)
    assert isinstance(connector, Connector)
    assert connector.name == "echo-1"


def test_installed_plugins_are_read_from_the_entry_point_group(monkeypatch, plugin_module):
    seen = []

    def fake_entry_points(*, group):
        seen.append(group)
        return [entry_point("echo", f"{plugin_module}:factory")]

    monkeypatch.setattr(importlib.metadata, "entry_points", fake_entry_points)
    assert "echo" in load_registry()
    assert seen == [ENTRY_POINT_GROUP]


def test_a_plugin_that_fails_to_import_stops_start_up_naming_it(plugin_module):
    with pytest.raises(PluginLoadError) as caught:
        load_registry([entry_point("broken", "hub_broken_plugin:factory")])
    message = str(caught.value)
    assert "'broken'" in message
    assert "hub_broken_plugin:factory" in message
    assert "ModuleNotFoundError" in message
    assert "no_such_dependency_xyz" in message
    assert isinstance(caught.value.__cause__, ModuleNotFoundError)


@pytest.mark.parametrize(
    ("name", "value", "words"),
    [
        ("missing", "hub_echo_plugin:no_such_factory", "AttributeError"),
        ("number", "hub_echo_plugin:NOT_CALLABLE", "not a factory"),
        ("rest", "hub_echo_plugin:factory", "already registered"),
    ],
)
def test_bad_plugins_are_refused_with_a_clear_message(plugin_module, name, value, words):
    with pytest.raises(PluginLoadError, match=words):
        load_registry([entry_point(name, value)])


async def test_unknown_kinds_and_wrong_shapes_are_config_errors(resources, plugin_module):
    registry = load_registry([entry_point("odd", f"{plugin_module}:not_a_connector")])

    class OddConfig:
        kind = "odd"
        name = "odd-1"

    class FtpConfig:
        kind = "ftp"

    with pytest.raises(ConfigError, match="not a Connector"):
        build_connector(registry, OddConfig(), resources)
    with pytest.raises(ConfigError, match="unknown connector kind 'ftp'"):
        build_connector(registry, FtpConfig(), resources)

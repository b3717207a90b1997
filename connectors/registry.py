"""The registry of connector kinds: a plain dict from kind name to a factory.

A factory takes a validated config and the process's shared ``ConnectorResources`` (one
``httpx.AsyncClient``, a cache directory for parsed WSDLs and the like) and returns an
object implementing ``connectors.protocol.Connector``. The built-in kinds ``rest`` and
``soap`` import their modules inside the factory, so a kind whose optional dependencies are
missing breaks only its own connectors. Third-party kinds register through the entry-point
group ``channelhub.connectors``; each entry point names a factory. A plugin that fails to
load raises ``PluginLoadError`` at start-up, naming the plugin and the original error.
"""

from __future__ import annotations

import importlib.metadata
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from connectors.errors import ConfigError
from connectors.protocol import Connector

__all__ = [
    "BUILTIN_KINDS",
    "ENTRY_POINT_GROUP",
    "ConnectorFactory",
    "ConnectorResources",
    "PluginLoadError",
    "build_connector",
    "load_registry",
]

ENTRY_POINT_GROUP = "channelhub.connectors"


@dataclass(frozen=True)
class ConnectorResources:
    """What every connector of a process shares: the HTTP client and a cache directory."""

    http: httpx.AsyncClient
    cache_dir: Path


ConnectorFactory = Callable[[Any, ConnectorResources], Connector]
"""``factory(config, resources) -> Connector``; ``config`` is the kind's validated model."""


class PluginLoadError(ConfigError):
    """A connector plugin could not be loaded: start-up stops with this message."""


def _rest(config: Any, resources: ConnectorResources) -> Connector:
    from connectors.rest.connector import RestConnector

    return RestConnector(config, resources.http)


def _soap(config: Any, resources: ConnectorResources) -> Connector:
    from connectors.soap.connector import SoapConnector

    return SoapConnector(config, cache_dir=resources.cache_dir / "wsdl")


BUILTIN_KINDS: dict[str, ConnectorFactory] = {"rest": _rest, "soap": _soap}


def _plugins() -> Iterable[importlib.metadata.EntryPoint]:
    return importlib.metadata.entry_points(group=ENTRY_POINT_GROUP)


def load_registry(
    entry_points: Iterable[importlib.metadata.EntryPoint] | None = None,
) -> dict[str, ConnectorFactory]:
    """The built-in kinds plus every installed plugin; raises ``PluginLoadError``."""
    registry = dict(BUILTIN_KINDS)
    for entry_point in _plugins() if entry_points is None else entry_points:
        label = f"connector plugin {entry_point.name!r} ({entry_point.value})"
        if entry_point.name in registry:
            raise PluginLoadError(f"{label}: the kind {entry_point.name!r} is already registered")
        try:
            factory = entry_point.load()
        except Exception as problem:
            raise PluginLoadError(
                f"{label} failed to load: {type(problem).__name__}: {problem}"
            ) from problem
        if not callable(factory):
            raise PluginLoadError(f"{label} is not a factory (not callable)")
        registry[entry_point.name] = factory
    return registry


def build_connector(
    registry: dict[str, ConnectorFactory], config: Any, resources: ConnectorResources
) -> Connector:
    """The connector for ``config`` (its ``kind`` picks the factory), checked for shape."""
    kind = getattr(config, "kind", None)
    factory = registry.get(kind) if isinstance(kind, str) else None
    if factory is None:
        known = ", ".join(sorted(registry))
        raise ConfigError(f"unknown connector kind {kind!r} (known: {known})")
    connector = factory(config, resources)
    if not isinstance(connector, Connector):
        raise ConfigError(
            f"the {kind!r} factory returned {type(connector).__name__}, not a Connector",
            connector=getattr(config, "name", None),
        )
    return connector

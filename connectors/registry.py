"""The registry of connector kinds: each kind's name, config model and factory.

A factory takes a validated config and the process's shared ``ConnectorResources`` (one
``httpx.AsyncClient``, a cache directory for parsed WSDLs and the like) and returns an
object implementing ``connectors.protocol.Connector``. The built-in kinds ``rest`` and
``soap`` import their connector modules inside the factory, so a kind whose optional
dependencies are missing breaks only its own connectors.

Third-party kinds register through the entry-point group ``channelhub.connectors``; the
entry point's name is the kind's name, and it names either

* a ``ConnectorKind(name, config_model, factory)`` (or any object with ``config_model``
  and ``factory`` attributes): the kind can then be configured, stored and applied like the
  built-ins. ``config_model`` is a pydantic model with the fields ``name: str``,
  ``kind: Literal["<name>"]``, ``streams`` (a list of models, each with ``name: str``,
  ``mapping: EntityMapping | None`` and ``live: LiveField | None``, for sync and live
  fields) and ``operations`` (a list of models, each with ``name: str`` and
  ``trigger: Trigger | None``, for the outbox). Secrets are ``SecretStr`` fields: sealed
  when stored, never shown. Any other field (a ``connection``, a stream's own settings)
  is the kind's own. Or
* a bare factory (``factory(config, resources)``): the kind builds connectors from a
  config object, but its configs cannot be validated, stored or applied.

``load_kinds`` loads the built-ins and every installed plugin; ``load_registry`` gives just
their factories (what the app and the workers build connectors with); ``installed_kinds``
is ``load_kinds`` cached for the process (``connectors.config`` validates with it). A plugin
that fails to load, or whose config model breaks the rules above, raises
``PluginLoadError`` at start-up, naming the plugin and what is wrong.
"""

from __future__ import annotations

import importlib.metadata
import types
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any, Literal, Union, get_args, get_origin

import httpx
from pydantic import BaseModel

from connectors.errors import ConfigError
from connectors.limits import RateLimiterFactory
from connectors.protocol import Connector

__all__ = [
    "BUILTIN_KINDS",
    "ENTRY_POINT_GROUP",
    "ConnectorFactory",
    "ConnectorKind",
    "ConnectorResources",
    "PluginLoadError",
    "build_connector",
    "builtin_kinds",
    "installed_kinds",
    "load_kinds",
    "load_registry",
]

ENTRY_POINT_GROUP = "channelhub.connectors"


@dataclass(frozen=True)
class ConnectorResources:
    """What every connector of a process shares: the HTTP client, a cache directory and the
    process's rate limits (``connectors.limits``; None: each connector limits itself)."""

    http: httpx.AsyncClient
    cache_dir: Path
    limits: RateLimiterFactory | None = None


ConnectorFactory = Callable[[Any, ConnectorResources], Connector]
"""``factory(config, resources) -> Connector``; ``config`` is the kind's validated model."""


class PluginLoadError(ConfigError):
    """A connector plugin could not be loaded: start-up stops with this message."""


def _rest(config: Any, resources: ConnectorResources) -> Connector:
    from connectors.rest.connector import RestConnector

    return RestConnector(config, resources.http, limits=resources.limits)


def _soap(config: Any, resources: ConnectorResources) -> Connector:
    from connectors.soap.connector import SoapConnector

    return SoapConnector(config, cache_dir=resources.cache_dir / "wsdl")


BUILTIN_KINDS: dict[str, ConnectorFactory] = {"rest": _rest, "soap": _soap}


@dataclass(frozen=True)
class ConnectorKind:
    """A connector kind: its name, the pydantic model of its configs and its factory.

    ``config_model`` is None for a plugin whose entry point names a bare factory: that kind
    builds connectors, but its configs cannot be validated, stored or applied.
    """

    name: str
    config_model: type[BaseModel] | None
    factory: ConnectorFactory


def builtin_kinds() -> dict[str, ConnectorKind]:
    """``rest`` and ``soap`` with their config models (imported on first use)."""
    from connectors.rest.config import RestConnectorConfig
    from connectors.soap.config import SoapConnectorConfig

    models: dict[str, type[BaseModel]] = {"rest": RestConnectorConfig, "soap": SoapConnectorConfig}
    return {name: ConnectorKind(name, models[name], make) for name, make in BUILTIN_KINDS.items()}


def _plugins() -> Iterable[importlib.metadata.EntryPoint]:
    return importlib.metadata.entry_points(group=ENTRY_POINT_GROUP)


def load_kinds(
    entry_points: Iterable[importlib.metadata.EntryPoint] | None = None,
) -> dict[str, ConnectorKind]:
    """The built-in kinds plus every installed plugin (or ``entry_points``), by name.

    Raises ``PluginLoadError`` naming the plugin: it does not import, its kind is already
    registered, it is not a factory, or its config model breaks the rules of this module.
    """
    kinds = builtin_kinds()
    for entry_point in _plugins() if entry_points is None else entry_points:
        label = f"connector plugin {entry_point.name!r} ({entry_point.value})"
        if entry_point.name in kinds:
            raise PluginLoadError(f"{label}: the kind {entry_point.name!r} is already registered")
        try:
            loaded = entry_point.load()
        except Exception as problem:
            raise PluginLoadError(
                f"{label} failed to load: {type(problem).__name__}: {problem}"
            ) from problem
        kinds[entry_point.name] = _plugin_kind(entry_point.name, loaded, label)
    return kinds


@lru_cache(maxsize=1)
def installed_kinds() -> Mapping[str, ConnectorKind]:
    """``load_kinds()`` once per process; ``installed_kinds.cache_clear()`` reads them again."""
    return types.MappingProxyType(load_kinds())


def load_registry(
    entry_points: Iterable[importlib.metadata.EntryPoint] | None = None,
) -> dict[str, ConnectorFactory]:
    """The factory of each kind: the built-ins plus every installed plugin.

    Raises ``PluginLoadError`` (see ``load_kinds``).
    """
    return {name: kind.factory for name, kind in load_kinds(entry_points).items()}


def _plugin_kind(name: str, loaded: Any, label: str) -> ConnectorKind:
    """The kind an entry point loaded: a ``ConnectorKind`` (or alike) or a bare factory."""
    if hasattr(loaded, "config_model") and hasattr(loaded, "factory"):
        declared = getattr(loaded, "name", name)
        if declared != name:
            raise PluginLoadError(f"{label} declares the kind {declared!r}, not {name!r}")
        factory, model = loaded.factory, loaded.config_model
        problem = _config_model_problem(name, model)
        if problem is not None:
            raise PluginLoadError(f"{label}: its config model {problem}")
        if not callable(factory):
            raise PluginLoadError(f"{label}: its factory is not callable")
        return ConnectorKind(name, model, factory)
    if not callable(loaded):
        raise PluginLoadError(f"{label} is not a factory (not callable)")
    return ConnectorKind(name, None, loaded)


_STREAM_FIELDS = ("name", "mapping", "live")
_OPERATION_FIELDS = ("name", "trigger")


def _config_model_problem(name: str, model: object) -> str | None:
    """What makes ``model`` unfit as the config model of the kind ``name``; None if fit."""
    if not (isinstance(model, type) and issubclass(model, BaseModel)):
        return "is not a pydantic model class"
    title = model.__name__
    fields = model.model_fields
    missing = [f for f in ("name", "kind", "streams", "operations") if f not in fields]
    if missing:
        return f"{title} lacks the field(s) {', '.join(missing)}"
    kind = fields["kind"].annotation
    if get_origin(kind) is not Literal or get_args(kind) != (name,):
        return f"{title}.kind must be Literal[{name!r}] (the entry point's name)"
    for field, needed in (("streams", _STREAM_FIELDS), ("operations", _OPERATION_FIELDS)):
        members = _list_members(fields[field].annotation)
        if members is None:
            return f"{title}.{field} must be a list of pydantic models"
        for member in members:
            lacking = [n for n in needed if n not in member.model_fields]
            if lacking:
                return f"{title}.{field}: {member.__name__} lacks the field(s) {', '.join(lacking)}"
    return None


def _list_members(annotation: Any) -> list[type[BaseModel]] | None:
    """The models ``list[M]`` (``Sequence``, ``tuple[M, ...]``; M a model or a union of
    models, maybe ``Annotated``) holds; None for any other annotation."""
    if get_origin(annotation) is Annotated:
        annotation = get_args(annotation)[0]
    if get_origin(annotation) not in (list, tuple, Sequence):
        return None
    args = get_args(annotation)
    if not args:
        return None
    item = args[0]
    if get_origin(item) is Annotated:
        item = get_args(item)[0]
    parts = get_args(item) if get_origin(item) in (Union, types.UnionType) else (item,)
    if all(isinstance(part, type) and issubclass(part, BaseModel) for part in parts):
        return list(parts)
    return None


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

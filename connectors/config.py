"""Connector configuration files (YAML or JSON), validated into typed models.

A config's ``kind`` picks its model among the built-in kinds (``rest``, ``soap``) and the
installed plugin kinds that give one (``connectors.registry.installed_kinds``). Every
validated config satisfies ``ConnectorConfig``: a pydantic model with ``name``, ``kind``,
``streams`` (each with ``name``, ``mapping`` and ``live``) and ``operations`` (each with
``name`` and ``trigger``) — what sync, live fields and the outbox read of any kind.

``load_config`` parses and validates a file (or its text); a bad file raises
``ConfigFileError`` listing every problem as ``path.in[2].file: what is wrong`` in plain
words, never quoting the values found (they may be secrets); an unknown kind is
``kind: must be one of 'rest', 'soap', ...`` (the known kinds). ``load_configs`` and
``parse_configs`` take a file holding one config or a list of them (``connectors apply``);
``config_from_data`` validates already-parsed data (a config rebuilt from the store).
``json_schema`` is what ``channelhub connectors schema`` prints and
``/schemas/connector.json`` serves: every kind that has a config model.
A plugin that fails to load raises ``connectors.registry.PluginLoadError`` from these.
"""

from __future__ import annotations

import json
import operator
import re
from collections.abc import Mapping, Sequence
from functools import lru_cache, reduce
from pathlib import Path
from typing import Annotated, Any, Protocol

import yaml
from pydantic import BaseModel, Field, TypeAdapter, ValidationError

from connectors.config_problems import problems
from connectors.errors import ConfigError
from connectors.live_config import LiveField
from connectors.mapping_config import EntityMapping
from connectors.registry import installed_kinds

__all__ = [
    "ConfigFileError",
    "ConnectorConfig",
    "OperationConfig",
    "StreamConfig",
    "config_from_data",
    "json_schema",
    "load_config",
    "load_configs",
    "parse_config",
    "parse_configs",
    "problems",
]


class StreamConfig(Protocol):
    """What the hub reads of a stream of any kind: sync needs ``mapping``, live fields
    ``live``; the rest of a stream's settings belong to its kind."""

    @property
    def name(self) -> str: ...

    @property
    def mapping(self) -> EntityMapping | None: ...

    @property
    def live(self) -> LiveField | None: ...


class OperationConfig(Protocol):
    """A write operation of any kind: ``trigger`` names the hub event whose outbox entries
    it sends (``connectors.outbound.Trigger``), None when it is only called explicitly."""

    @property
    def name(self) -> str: ...

    @property
    def trigger(self) -> str | None: ...


class ConnectorConfig(Protocol):
    """A validated connector config of any kind (a pydantic model, frozen by convention)."""

    @property
    def name(self) -> str: ...

    @property
    def kind(self) -> str: ...

    @property
    def streams(self) -> Sequence[StreamConfig]: ...

    @property
    def operations(self) -> Sequence[OperationConfig]: ...


Adapters = tuple[TypeAdapter[Any], TypeAdapter[list[Any]]]


# the union of the installed kinds' models is built at run time: subscripted as values
_ANNOTATED: Any = Annotated
_LIST: Any = list


@lru_cache(maxsize=8)
def _adapters_for(models: tuple[type[BaseModel], ...]) -> Adapters:
    """Validators of one config and of a list of them, discriminated on ``kind``."""
    member: Any = reduce(operator.or_, models)
    if len(models) > 1:
        member = _ANNOTATED[member, Field(discriminator="kind")]
    return TypeAdapter(member), TypeAdapter(_LIST[member])


def _adapters() -> Adapters:
    """The validators of every installed kind with a config model (built-ins first)."""
    kinds = installed_kinds()
    return _adapters_for(tuple(k.config_model for k in kinds.values() if k.config_model))


def _unconfigurable() -> list[str]:
    """Installed plugin kinds without a config model (their entry point names a factory)."""
    return sorted(name for name, kind in installed_kinds().items() if kind.config_model is None)


_KIND_PROBLEM = re.compile(r"(\[\d+\]\.)?kind: must be one of .*")


def _invalid(source: str, invalid: ValidationError, data: Any) -> ConfigFileError:
    """The ``ConfigFileError`` of ``invalid``; an unknown kind also names the installed
    kinds that cannot be configured, if any."""
    lines = problems(invalid, data)
    unconfigurable = _unconfigurable()
    if unconfigurable:
        note = (
            f" (installed without a config model, so not configurable: "
            f"{', '.join(repr(name) for name in unconfigurable)})"
        )
        lines = [line + note if _KIND_PROBLEM.fullmatch(line) else line for line in lines]
    return ConfigFileError(source, lines)


class ConfigFileError(ConfigError):
    """A configuration file that does not parse or validate; ``errors`` lists each problem."""

    def __init__(self, source: str, errors: Sequence[str]) -> None:
        lines = "\n".join(f"  {error}" for error in errors)
        super().__init__(f"invalid connector config {source}:\n{lines}")
        self.source = source
        self.errors = list(errors)


def json_schema() -> dict[str, Any]:
    """The JSON Schema of a connector config file (every kind with a config model)."""
    schema: dict[str, Any] = _adapters()[0].json_schema()
    schema["title"] = "ChannelHub connector"
    return schema


def load_config(source: str | Path) -> ConnectorConfig:
    """Read and validate a connector config from a file path, or from YAML/JSON text.

    A ``Path`` (or a one-line string naming an existing file) is read from disk; any other
    string is the config text itself.
    """
    if isinstance(source, Path) or ("\n" not in source and Path(source).is_file()):
        path = Path(source)
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as problem:
            raise ConfigFileError(str(path), [f"cannot be read ({problem})"]) from None
        return parse_config(text, source=str(path), json_text=path.suffix == ".json")
    return parse_config(source)


def parse_config(
    text: str, *, source: str = "<text>", json_text: bool | None = None
) -> ConnectorConfig:
    """Validate config ``text`` (JSON when ``json_text`` or when it starts with ``{``)."""
    if json_text is None:
        json_text = text.lstrip().startswith("{")
    try:
        data = json.loads(text) if json_text else yaml.safe_load(text)
    except json.JSONDecodeError as problem:
        where = f"line {problem.lineno} column {problem.colno}"
        raise ConfigFileError(source, [f"{where}: not valid JSON ({problem.msg})"]) from None
    except yaml.YAMLError as problem:
        raise ConfigFileError(source, [f"not valid YAML ({_yaml_problem(problem)})"]) from None
    if not isinstance(data, Mapping):
        raise ConfigFileError(source, ["the file must hold a mapping (key: value) at the top"])
    return config_from_data(data, source=source)


def config_from_data(data: Any, *, source: str = "<data>") -> ConnectorConfig:
    """Validate already-parsed config data; raises ``ConfigFileError``."""
    adapter = _adapters()[0]
    try:
        config: ConnectorConfig = adapter.validate_python(data)
    except ValidationError as invalid:
        raise _invalid(source, invalid, data) from None
    return config


def load_configs(path: Path) -> list[ConnectorConfig]:
    """Every config in the file ``path``: one mapping or a list of them."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as problem:
        raise ConfigFileError(str(path), [f"cannot be read ({problem})"]) from None
    return parse_configs(text, source=str(path), json_text=path.suffix == ".json")


def parse_configs(
    text: str, *, source: str = "<text>", json_text: bool | None = None
) -> list[ConnectorConfig]:
    """Validate ``text`` holding one config or a list of configs (names must be unique)."""
    if json_text is None:
        json_text = text.lstrip().startswith(("{", "["))
    if json_text:
        try:
            data = json.loads(text)
        except json.JSONDecodeError as problem:
            where = f"line {problem.lineno} column {problem.colno}"
            raise ConfigFileError(source, [f"{where}: not valid JSON ({problem.msg})"]) from None
    else:
        try:
            data = yaml.safe_load(text)
        except yaml.YAMLError as problem:
            raise ConfigFileError(source, [f"not valid YAML ({_yaml_problem(problem)})"]) from None
    if isinstance(data, Mapping):
        return [config_from_data(data, source=source)]
    if not isinstance(data, list) or not data:
        raise ConfigFileError(
            source, ["the file must hold a connector (key: value) or a non-empty list of them"]
        )
    adapter = _adapters()[1]
    try:
        configs: list[ConnectorConfig] = adapter.validate_python(data)
    except ValidationError as invalid:
        raise _invalid(source, invalid, data) from None
    names = [config.name for config in configs]
    duplicates = [
        f"[{position}].name: another connector in this file has the same name"
        for position, name in enumerate(names)
        if name in names[:position]
    ]
    if duplicates:
        raise ConfigFileError(source, duplicates)
    return configs


def _yaml_problem(problem: yaml.YAMLError) -> str:
    mark = getattr(problem, "problem_mark", None)
    what = getattr(problem, "problem", None) or "syntax error"
    if mark is None:
        return str(what)
    return f"line {mark.line + 1} column {mark.column + 1}: {what}"

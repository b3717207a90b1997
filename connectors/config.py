"""Connector configuration files (YAML or JSON), validated into typed models.

``ConnectorConfig`` is the union of every built-in kind, discriminated on ``kind``.
``load_config`` parses and validates a file (or its text); a bad file raises
``ConfigFileError`` listing every problem as ``path.in[2].file: what is wrong`` in plain
words, never quoting the values found (they may be secrets). ``load_configs`` and
``parse_configs`` take a file holding one config or a list of them (``connectors apply``);
``config_from_data`` validates already-parsed data (a config rebuilt from the store).
``json_schema`` is what ``channelhub connectors schema`` prints and
``/schemas/connector.json`` serves.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any

import yaml
from pydantic import Field, TypeAdapter, ValidationError
from pydantic_core import ErrorDetails

from connectors.errors import ConfigError
from connectors.rest.config import RestConnectorConfig
from connectors.soap.config import SoapConnectorConfig

__all__ = [
    "ConfigFileError",
    "ConnectorConfig",
    "config_from_data",
    "json_schema",
    "load_config",
    "load_configs",
    "parse_config",
    "parse_configs",
    "problems",
]

ConnectorConfig = Annotated[RestConnectorConfig | SoapConnectorConfig, Field(discriminator="kind")]


@lru_cache(maxsize=1)
def _adapter() -> TypeAdapter[RestConnectorConfig | SoapConnectorConfig]:
    return TypeAdapter(ConnectorConfig)


@lru_cache(maxsize=1)
def _list_adapter() -> TypeAdapter[list[RestConnectorConfig | SoapConnectorConfig]]:
    return TypeAdapter(list[ConnectorConfig])


class ConfigFileError(ConfigError):
    """A configuration file that does not parse or validate; ``errors`` lists each problem."""

    def __init__(self, source: str, errors: Sequence[str]) -> None:
        lines = "\n".join(f"  {error}" for error in errors)
        super().__init__(f"invalid connector config {source}:\n{lines}")
        self.source = source
        self.errors = list(errors)


def json_schema() -> dict[str, Any]:
    """The JSON Schema of a connector config file (every kind)."""
    schema = _adapter().json_schema()
    schema["title"] = "ChannelHub connector"
    return schema


def load_config(source: str | Path) -> RestConnectorConfig | SoapConnectorConfig:
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
) -> RestConnectorConfig | SoapConnectorConfig:
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
    try:
        return _adapter().validate_python(data)
    except ValidationError as invalid:
        raise ConfigFileError(source, problems(invalid, data)) from None


def config_from_data(
    data: Any, *, source: str = "<data>"
) -> RestConnectorConfig | SoapConnectorConfig:
    """Validate already-parsed config data; raises ``ConfigFileError``."""
    try:
        return _adapter().validate_python(data)
    except ValidationError as invalid:
        raise ConfigFileError(source, problems(invalid, data)) from None


def load_configs(path: Path) -> list[RestConnectorConfig | SoapConnectorConfig]:
    """Every config in the file ``path``: one mapping or a list of them."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as problem:
        raise ConfigFileError(str(path), [f"cannot be read ({problem})"]) from None
    return parse_configs(text, source=str(path), json_text=path.suffix == ".json")


def parse_configs(
    text: str, *, source: str = "<text>", json_text: bool | None = None
) -> list[RestConnectorConfig | SoapConnectorConfig]:
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
    try:
        configs = _list_adapter().validate_python(data)
    except ValidationError as invalid:
        raise ConfigFileError(source, problems(invalid, data)) from None
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


# -- errors in plain words -------------------------------------------------------------------


def _path(loc: Sequence[int | str], data: Any, error_type: str) -> str:
    """A pydantic location as a path in the file: union tags and member names dropped."""
    text = ""
    current = data
    for position, part in enumerate(loc):
        last = position == len(loc) - 1
        if isinstance(part, int) and isinstance(current, list) and 0 <= part < len(current):
            text += f"[{part}]"
            current = current[part]
        elif isinstance(part, str) and isinstance(current, Mapping) and part in current:
            text += f".{part}" if text else part
            current = current[part]
        elif last and error_type in ("missing", "extra_forbidden"):
            text += f".{part}" if text else str(part)
        # else: a union tag or member label that is not in the file
    return text


_BOUNDS = {
    "greater_than": (">", "gt"),
    "greater_than_equal": (">=", "ge"),
    "less_than": ("<", "lt"),
    "less_than_equal": ("<=", "le"),
}


def _message(error: ErrorDetails) -> str:
    kind = error["type"]
    ctx: dict[str, Any] = dict(error.get("ctx") or {})
    if kind in _BOUNDS:
        symbol, key = _BOUNDS[kind]
        limit = ctx.get(key)
        if isinstance(limit, float) and limit.is_integer():
            limit = int(limit)
        return f"must be {symbol} {limit}"
    plain = {
        "missing": "is required",
        "extra_forbidden": "is not a known setting here",
        "int_parsing": "must be an integer",
        "int_type": "must be an integer",
        "int_from_float": "must be an integer",
        "float_parsing": "must be a number",
        "float_type": "must be a number",
        "bool_parsing": "must be true or false",
        "bool_type": "must be true or false",
        "string_type": "must be text",
        "model_type": "must be a mapping (key: value)",
        "model_attributes_type": "must be a mapping (key: value)",
        "dict_type": "must be a mapping (key: value)",
        "list_type": "must be a list",
    }
    if kind in plain:
        return plain[kind]
    if kind == "string_too_short":
        minimum = ctx.get("min_length", 1)
        return "must not be empty" if minimum == 1 else f"must have at least {minimum} characters"
    if kind == "literal_error":
        return f"must be one of {ctx.get('expected', '')}"
    if kind == "union_tag_invalid":
        return f"must be one of {ctx.get('expected_tags', '')}"
    if kind == "union_tag_not_found":
        return "is required"
    message = error["msg"]
    for prefix in ("Value error, ", "Assertion failed, "):
        message = message.removeprefix(prefix)
    return message


def problems(invalid: ValidationError, data: Any) -> list[str]:
    """Every validation error as ``path: message``, with the noise of unions removed."""
    found: list[tuple[str, str, bool]] = []
    for error in invalid.errors(include_url=False, include_input=False):
        path = _path(error["loc"], data, error["type"])
        if error["type"] in ("union_tag_not_found", "union_tag_invalid"):
            discriminator = str((error.get("ctx") or {}).get("discriminator", "type")).strip("'")
            path = f"{path}.{discriminator}" if path else discriminator
        is_type_error = error["type"].endswith("_type")
        found.append((path, _message(error), is_type_error))
    kept: list[str] = []
    for path, message, is_type_error in found:
        if is_type_error and any(
            not other_type and _within(other_path, path) for other_path, _, other_type in found
        ):
            continue  # another member of a union failed at or below here: the real problem
        line = f"{path}: {message}" if path else message
        if line not in kept:
            kept.append(line)
    return kept


def _within(path: str, prefix: str) -> bool:
    return path == prefix or path.startswith((f"{prefix}.", f"{prefix}[")) or not prefix

"""A plugin kind's configs are real configs: validated by ``kind`` beside the built-ins, its
secrets split and joined like theirs, listed in the JSON Schema; an unknown kind names the
known ones; a plugin whose config model breaks the contract stops start-up, naming it."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, Literal

import pytest
import yaml
from pydantic import BaseModel, SecretStr

from connectors.config import ConfigFileError, config_from_data, json_schema, parse_configs
from connectors.registry import ConnectorKind, PluginLoadError, load_kinds, load_registry
from connectors.rest.config import RestConnectorConfig
from connectors.secrets import SECRET_PLACEHOLDER, join_secrets, split_secrets
from tests.connectors import memo_plugin
from tests.connectors.memo_plugin import (
    MemoConfig,
    MemoOperation,
    MemoStream,
    entry_point,
    memo_config,
)

PASSWORD = "memo-pass-Jq8wZ2"


@pytest.fixture(autouse=True)
def installed(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    memo_plugin.install(monkeypatch)
    yield
    memo_plugin.uninstall()


def test_a_plugin_config_validates_into_its_own_model_beside_the_builtins() -> None:
    rest = {"name": "r", "kind": "rest", "connection": {"base_url": "https://erp.example"}}
    configs = parse_configs(yaml.safe_dump([memo_config(), rest]), source="both.yaml")
    memo, builtin = configs
    assert isinstance(memo, MemoConfig) and isinstance(builtin, RestConnectorConfig)
    assert memo.kind == "memo"
    assert memo.connection.password == SecretStr(PASSWORD)
    assert PASSWORD not in repr(memo) and PASSWORD not in str(memo)
    assert [s.name for s in memo.streams] == ["partners"]
    assert [(o.name, o.trigger) for o in memo.operations] == [("create_order", "order.approved")]


def test_a_plugin_config_with_problems_lists_each_by_path() -> None:
    data = memo_config()
    del data["connection"]["password"]
    data["streams"][0]["page_size"] = 0
    data["streams"][0]["colour"] = "red"
    with pytest.raises(ConfigFileError) as caught:
        config_from_data(data, source="memo.yaml")
    assert caught.value.errors == [
        "connection.password: is required",
        "streams[0].page_size: must be >= 1",
        "streams[0].colour: is not a known setting here",
    ]
    assert "memo.yaml" in str(caught.value)


def test_its_secrets_are_split_out_and_joined_back_like_the_builtins() -> None:
    config = config_from_data(memo_config())
    public, secrets = split_secrets(config)
    assert secrets == {"/connection/password": PASSWORD}
    assert public["connection"] == {
        "remote": "memo-remote",
        "user": "hub",
        "password": SECRET_PLACEHOLDER,
    }
    assert PASSWORD not in repr(public)
    rebuilt = config_from_data(join_secrets(public, secrets))
    assert rebuilt == config
    assert isinstance(rebuilt, MemoConfig)
    assert rebuilt.connection.password.get_secret_value() == PASSWORD


def test_an_unknown_kind_names_the_known_kinds_and_where_it_is() -> None:
    with pytest.raises(ConfigFileError) as caught:
        config_from_data({"name": "x", "kind": "ftp"}, source="conf/ftp.yaml")
    [problem] = caught.value.errors
    assert problem.startswith("kind: must be one of 'rest', 'soap', 'memo'")
    # the plugin that names only a factory is installed but cannot be configured: said so
    assert problem.endswith("(installed without a config model, so not configurable: 'bare')")
    assert "conf/ftp.yaml" in str(caught.value)
    listed = yaml.safe_dump([memo_config(), {"name": "y", "kind": "bare"}])
    with pytest.raises(ConfigFileError) as caught:
        parse_configs(listed, source="two.yaml")
    [problem] = caught.value.errors
    assert problem.startswith("[1].kind: must be one of 'rest', 'soap', 'memo'")


def test_the_json_schema_lists_the_plugin_kind() -> None:
    schema = json_schema()
    mapping = schema["discriminator"]["mapping"]
    assert set(mapping) == {"rest", "soap", "memo"}
    memo = schema["$defs"][mapping["memo"].rsplit("/", 1)[-1]]
    assert memo["properties"]["kind"]["const"] == "memo"
    assert {"name", "kind", "connection"} <= set(memo["required"])
    password = schema["$defs"]["MemoConnection"]["properties"]["password"]
    assert password.get("writeOnly") is True


def test_a_kind_registered_under_another_name_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    memo_plugin.install(monkeypatch, entry_point("other", "MEMO"))
    with pytest.raises(PluginLoadError, match="declares the kind 'memo', not 'other'"):
        config_from_data(memo_config())


def test_without_the_plugin_its_kind_is_unknown(monkeypatch: pytest.MonkeyPatch) -> None:
    memo_plugin.install(monkeypatch, entry_point("bare", "memo_factory"))
    with pytest.raises(ConfigFileError) as caught:
        config_from_data(memo_config())
    assert caught.value.errors == [
        "kind: must be one of 'rest', 'soap' "
        "(installed without a config model, so not configurable: 'bare')"
    ]
    assert set(json_schema()["discriminator"]["mapping"]) == {"rest", "soap"}


def test_the_registry_gives_each_kind_its_model_and_factory() -> None:
    kinds = load_kinds()
    assert list(kinds) == ["rest", "soap", "memo", "bare"]
    assert kinds["memo"].config_model is MemoConfig
    assert kinds["memo"].factory is memo_plugin.memo_factory
    assert kinds["bare"].config_model is None
    assert kinds["rest"].config_model is RestConnectorConfig
    assert load_registry()["memo"] is memo_plugin.memo_factory


class AcmeKind:
    """Not a ``ConnectorKind``, but it gives a config model and a factory: accepted."""

    config_model = MemoConfig
    factory = staticmethod(memo_plugin.memo_factory)


def test_any_object_giving_a_config_model_and_a_factory_registers_a_kind(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(memo_plugin, "ACME", AcmeKind, raising=False)
    memo_plugin.install(monkeypatch, entry_point("memo", "ACME"))
    kind = load_kinds()["memo"]
    assert (kind.name, kind.config_model, kind.factory) == (
        "memo",
        MemoConfig,
        memo_plugin.memo_factory,
    )
    assert isinstance(config_from_data(memo_config()), MemoConfig)


class _NoStreams(BaseModel):
    name: str
    kind: Literal["odd"]
    operations: list[MemoStream] = []


class _WrongKind(BaseModel):
    name: str
    kind: str
    streams: list[MemoStream] = []
    operations: list[MemoStream] = []


class _Stream(BaseModel):
    name: str


class _BareStreams(BaseModel):
    name: str
    kind: Literal["odd"]
    streams: list[_Stream] = []
    operations: list[MemoStream] = []


class _Operation(BaseModel):
    name: str


class _BareOperations(BaseModel):
    name: str
    kind: Literal["odd"]
    streams: list[MemoStream] = []
    operations: list[_Operation] = []


class _DictStreams(BaseModel):
    name: str
    kind: Literal["odd"]
    streams: dict[str, MemoStream] = {}
    operations: list[MemoStream] = []


class _Odd(BaseModel):
    name: str
    kind: Literal["odd"]
    streams: list[MemoStream] = []
    operations: list[MemoOperation] = []


ODD_KINDS: dict[str, Any] = {
    "not_a_model": ConnectorKind("odd", dict, memo_plugin.memo_factory),  # type: ignore[arg-type]
    "no_streams": ConnectorKind("odd", _NoStreams, memo_plugin.memo_factory),
    "wrong_kind": ConnectorKind("odd", _WrongKind, memo_plugin.memo_factory),
    "bare_streams": ConnectorKind("odd", _BareStreams, memo_plugin.memo_factory),
    "bare_operations": ConnectorKind("odd", _BareOperations, memo_plugin.memo_factory),
    "dict_streams": ConnectorKind("odd", _DictStreams, memo_plugin.memo_factory),
    "not_callable": ConnectorKind("odd", _Odd, 42),  # type: ignore[arg-type]
}


@pytest.mark.parametrize(
    ("attribute", "words"),
    [
        ("not_a_model", "its config model is not a pydantic model class"),
        ("no_streams", "_NoStreams lacks the field(s) streams"),
        ("wrong_kind", "_WrongKind.kind must be Literal['odd']"),
        ("bare_streams", "_BareStreams.streams: _Stream lacks the field(s) mapping, live"),
        ("bare_operations", "_BareOperations.operations: _Operation lacks the field(s) trigger"),
        ("dict_streams", "_DictStreams.streams must be a list of pydantic models"),
        ("not_callable", "its factory is not callable"),
    ],
)
def test_a_config_model_that_breaks_the_contract_stops_start_up(
    monkeypatch: pytest.MonkeyPatch, attribute: str, words: str
) -> None:
    monkeypatch.setattr(memo_plugin, "ODD", ODD_KINDS[attribute], raising=False)
    with pytest.raises(PluginLoadError) as caught:
        load_registry([entry_point("odd", "ODD")])
    message = str(caught.value)
    assert message.startswith("connector plugin 'odd' (tests.connectors.memo_plugin:ODD)")
    assert words in message

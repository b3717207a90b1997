"""Connector config files: YAML or JSON, both kinds, every error named by its path in the
file in plain words (and never with the secret values it holds), and the JSON Schema."""

from __future__ import annotations

import json

import pytest

from connectors.config import ConfigFileError, json_schema, load_config, parse_config
from connectors.errors import ConfigError
from connectors.rest.config import RestConnectorConfig
from connectors.soap.config import SoapConnectorConfig

REST = """
name: erp-rest
kind: rest
connection:
  base_url: https://erp.example/api
  authenticator: {type: bearer, token: s3cr3t-token-value}
streams:
  - name: partners
    request: {path: /customers}
    record_selector: data
    paginator: {type: offset, page_size: 100}
    mapping:
      entity: partner
      external_id: id
      fields:
        name: {template: "{first} {last}"}
        credit_limit: {source: credit.limit, cast: decimal}
"""

SOAP = """
name: erp-soap
kind: soap
connection:
  wsdl: tests/fixtures/erp.wsdl
  authenticator: {type: basic, username: hub, password: hunter2-secret}
streams:
  - name: orders
    operation: ReadMultiple
    paginator: {type: bookmark, page_size: 50}
    mapping:
      entity: order
      external_id: Key
      fields:
        status: {source: Status, value_map: {"2": SHIPPED}}
"""


def errors_of(text: str) -> list[str]:
    with pytest.raises(ConfigFileError) as caught:
        parse_config(text)
    return caught.value.errors


def test_a_rest_config_loads_from_yaml_text():
    config = load_config(REST)
    assert isinstance(config, RestConnectorConfig)
    assert config.streams[0].paginator.type == "offset"
    assert config.streams[0].mapping is not None


def test_a_soap_config_loads_from_a_yaml_file(tmp_path):
    path = tmp_path / "erp.yaml"
    path.write_text(SOAP)
    config = load_config(path)
    assert isinstance(config, SoapConnectorConfig)
    assert load_config(str(path)) == config


def test_a_json_file_loads_the_same_config(tmp_path):
    import yaml

    path = tmp_path / "erp.json"
    path.write_text(json.dumps(yaml.safe_load(REST)))
    assert load_config(path) == load_config(REST)
    assert load_config(path.read_text()) == load_config(REST)


def test_every_error_names_its_path_in_the_file():
    text = REST.replace("page_size: 100", "page_size: 0").replace("cast: decimal", "cast: money")
    text += "  - name: orders\n    request: {path: /orders}\n    pagintor: {type: none}\n"
    text += "  - name: stock\n    request: {path: /stock}\n"
    text += "    paginator: {type: offset, page_size: -5}\n"
    assert errors_of(text) == [
        "streams[0].paginator.page_size: must be > 0",
        "streams[0].mapping.fields.credit_limit.cast: "
        "must be one of 'str', 'int', 'decimal', 'date', 'datetime' or 'bool'",
        "streams[1].pagintor: is not a known setting here",
        "streams[2].paginator.page_size: must be > 0",
    ]


def test_missing_and_unknown_kinds_and_tags_are_named():
    assert errors_of("name: x\n") == ["kind: is required"]
    assert errors_of("name: x\nkind: ftp\n") == ["kind: must be one of 'rest', 'soap'"]
    text = SOAP.replace("type: bookmark", "type: bogus")
    assert errors_of(text) == [
        "streams[0].paginator.type: "
        "must be one of 'none', 'bookmark', 'page_number', 'netsuite_search'"
    ]
    text = REST.replace("token: s3cr3t-token-value", "tokn: s3cr3t-token-value")
    assert sorted(errors_of(text)) == [
        "connection.authenticator.token: is required",
        "connection.authenticator.tokn: is not a known setting here",
    ]


def test_validator_messages_come_through_in_plain_words():
    text = REST.replace('name: {template: "{first} {last}"}', "name: {source: a, template: b}")
    assert errors_of(text) == [
        "streams[0].mapping.fields.name: give either `source` or `template`, not both"
    ]


def test_errors_never_quote_secret_values():
    text = SOAP.replace("username: hub", "username: [hub]").replace("wsdl:", "wsdll:")
    problem_text = "\n".join(errors_of(text))
    assert "hunter2-secret" not in problem_text
    assert "connection.authenticator.username: must be text" in problem_text
    assert "connection.wsdl: is required" in problem_text
    wrong_type = REST.replace("type: bearer, token: s3cr3t-token-value", "type: bearer, token: [1]")
    assert "s3cr3t" not in str(errors_of(wrong_type))


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("kind: [", "not valid YAML (line 1"),
        ('{"kind": "rest",', "not valid JSON"),
        ("- a\n- b\n", "must hold a mapping"),
        ("", "must hold a mapping"),
    ],
)
def test_unparsable_files_are_config_errors(text, words):
    with pytest.raises(ConfigError) as caught:
        parse_config(text)
    assert words in str(caught.value)


def test_an_unreadable_file_is_a_config_error(tmp_path):
    path = tmp_path / "latin1.yaml"
    path.write_bytes(b"name: \xe9\n")
    with pytest.raises(ConfigFileError, match="cannot be read"):
        load_config(path)


def test_the_json_schema_covers_both_kinds():
    schema = json_schema()
    assert schema["title"] == "ChannelHub connector"
    assert schema["discriminator"]["propertyName"] == "kind"
    assert set(schema["discriminator"]["mapping"]) == {"rest", "soap"}
    json.dumps(schema)

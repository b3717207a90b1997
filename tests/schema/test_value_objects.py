"""The one-step completion of value objects (``schema.execution``) answers exactly what normal
execution answers: same data, same errors, for every selection shape it sees or declines."""

from __future__ import annotations

from typing import Any

import pytest
from graphql.execution.executor import Executor

from schema.execution import ValueObjectsExecutionContext
from tests.security.encrypted_partners import SECRETS, create

QUERIES = [
    "{ partners { nodes { taxId { masked } contactPhone { masked } } } }",
    "{ partners { nodes { t: taxId { m: masked __typename again: masked } } } }",
    "{ partners { nodes { taxId { ...F } } } } fragment F on EncryptedField { masked }",
    "{ partners { nodes { taxId { ... on EncryptedField { masked } } } } }",
    "query($skip: Boolean!) { partners { nodes { taxId { masked @skip(if: $skip) keyId } } } }",
    "{ partners { nodes { taxId { masked state keyId } bankAccount { masked } } } }",
    '{ partners { nodes { taxId { masked reveal(reason: "check") { __typename } } } } }',
]


@pytest.mark.parametrize("query", QUERIES)
async def test_value_objects_answer_as_normal_execution_does(gql, monkeypatch, query):
    await create(gql, "P1", **SECRETS)
    await create(gql, "P2", taxId="91330100MA2B3C4D99")  # empty phone, e-mail, bank account
    variables = {"skip": True} if "$skip" in query else {}
    fast = await gql(query, **variables)
    monkeypatch.setattr(ValueObjectsExecutionContext, "value_types", frozenset())
    normal = await gql(query, **variables)
    assert fast == normal
    assert "errors" not in fast, fast


async def test_a_masked_read_executes_no_field_of_the_value_object(gql, monkeypatch):
    await create(gql, "P1", **SECRETS)
    executed: list[str] = []
    original = Executor.execute_field

    def counting(self: Executor[Any], parent_type: Any, *args: Any) -> Any:
        executed.append(parent_type.name)
        return original(self, parent_type, *args)

    monkeypatch.setattr(Executor, "execute_field", counting)
    await gql.data("{ partners { nodes { code taxId { masked __typename } } } }")
    assert "Partner" in executed and "EncryptedField" not in executed
    executed.clear()
    await gql.data("{ partners { nodes { taxId { masked state } } } }")  # a resolver: normal path
    assert executed.count("EncryptedField") == 2

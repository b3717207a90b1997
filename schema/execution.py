"""Execution: strawberry's execution context, plus one-step completion of small value objects.

GraphQL completes an object by executing each selected field in turn, roughly 10 µs of
Python per field. A value type such as ``EncryptedField`` hangs under a row's field, so
``taxId { masked }`` costs two field executions and an object completion where ``code``
costs one execution. For the types in ``VALUE_TYPES``, when a selection (memoized per query)
holds only plain attribute leaves — fields without a resolver, arguments or directives that
return a scalar or an enum, or ``__typename`` — the object is built in one step:
``{response key: serialize(getattr(source, attribute))}``.

Everything else takes the normal path, so results and errors are exactly those of normal
execution: a field with a resolver (``state``, ``reveal``), any directive, ``@defer``, field
middleware from an extension (a ``resolve`` hook), or a null in a non-null leaf.
"""

from __future__ import annotations

from collections.abc import Callable
from operator import attrgetter
from typing import Any, ClassVar

from graphql import (
    GraphQLObjectType,
    GraphQLResolveInfo,
    GraphQLString,
    get_nullable_type,
    is_leaf_type,
    is_non_null_type,
)
from graphql.execution.collect_fields import FieldDetailsList, GroupedFieldSet
from graphql.pyutils import AwaitableOrValue, Path
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext
from strawberry.schema.schema_converter import GraphQLCoreConverter

__all__ = ["VALUE_TYPES", "ValueObjectsExecutionContext"]

VALUE_TYPES = frozenset({"EncryptedField"})

# (response key, read the value from the source, serialize (None: as is), non-null)
Step = tuple[str, Callable[[Any], Any], Callable[[Any], Any] | None, bool]
Plan = tuple[Step, ...]


class ValueObjectsExecutionContext(StrawberryGraphQLCoreExecutionContext):
    """Strawberry's execution context; completes value objects of ``VALUE_TYPES`` in one step."""

    value_types: ClassVar[frozenset[str]] = VALUE_TYPES

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._plans: dict[int, tuple[FieldDetailsList, Plan | None]] = {}

    def complete_object_value(
        self,
        return_type: GraphQLObjectType,
        field_details_list: FieldDetailsList,
        info: GraphQLResolveInfo[Any],
        path: Path,
        result: Any,
        position_context: Any,
    ) -> AwaitableOrValue[dict[str, Any]]:
        """The object in one step when its selection has a plan, else as graphql-core does."""
        if return_type.name in self.value_types:  # the hot path: keep it to this one call
            cached = self._plans.get(id(field_details_list))
            plan = cached[1] if cached else self._plan(return_type, field_details_list)
            if plan is not None:
                completed: dict[str, Any] = {}
                for response_key, read, serialize, non_null in plan:
                    value = read(result)
                    if value is None:
                        if non_null:
                            break  # normal execution reports the error
                    elif serialize is not None:
                        value = serialize(value)
                    completed[response_key] = value
                else:
                    return completed
        return super().complete_object_value(
            return_type, field_details_list, info, path, result, position_context
        )

    def _plan(self, return_type: GraphQLObjectType, details: FieldDetailsList) -> Plan | None:
        """How to build the object for this selection, or None when it needs execution.

        Memoized by the identity of ``details`` (one list per field of the query, as
        graphql-core's own sub-field memo), kept alive alongside so its id is not reused.
        """
        cached = self._plans.get(id(details))
        if cached is not None:
            return cached[1]
        fields, defer_usages, _ = self.collect_subfields(return_type, details)
        plan = None if defer_usages else self._make_plan(return_type, fields)
        self._plans[id(details)] = (details, plan)
        return plan

    def _make_plan(self, parent_type: GraphQLObjectType, fields: GroupedFieldSet) -> Plan | None:
        middleware = self.middleware_manager
        if middleware is not None and middleware.middlewares:
            return None
        steps: list[Step] = []
        for response_key, details in fields.items():
            node = details[0].node
            if any(d.node.arguments or d.node.directives for d in details):
                return None
            name = node.name.value
            if name == "__typename":
                steps.append((response_key, _constant(parent_type.name), None, True))
                continue
            field = parent_type.fields.get(name)
            resolve = getattr(field, "resolve", None) if field is not None else None
            if field is None or not getattr(resolve, "_is_default", False):
                return None
            leaf = get_nullable_type(field.type)
            if not is_leaf_type(leaf):
                return None
            definition = field.extensions.get(GraphQLCoreConverter.DEFINITION_BACKREF)
            attribute = getattr(definition, "python_name", None)
            if not isinstance(attribute, str):
                return None
            # A str needs no serializing as a String (graphql-core's serialize returns it).
            serialize = None if leaf is GraphQLString else leaf.serialize
            steps.append(
                (response_key, attrgetter(attribute), serialize, is_non_null_type(field.type))
            )
        return tuple(steps)


def _constant(value: str) -> Callable[[Any], str]:
    return lambda _source: value

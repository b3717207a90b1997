"""How big a GraphQL document is — depth, aliases, estimated cost — measured without running it.

Pure functions of a parsed document (and, for the cost, the schema and the variables). Each
fragment is measured once, in dependency order, and its result reused wherever it is spread,
so measuring takes linear time even for a document whose fragments spread each other many
times. (Strawberry's ``QueryDepthLimiter`` and ``MaxAliasesLimiter`` walk every spread anew:
thirty fragments that each spread the next one twice keep them busy for hours.) Nothing here
recurses through fragment spreads; recursion follows field nesting only, which the parser
already bounds. Fragment cycles (refused by validation anyway) count as empty.

Estimated cost: an object field costs ``multiplier × (1 + cost of its selections)``, a leaf
field costs nothing. The multiplier of a paginated field (one taking ``first``/``last``) is
the page size asked for — the default page size when neither is given, at most the largest
page — and of a field taking ``ids`` the number of ids; any other field's is 1. So the cost
estimates how many rows a query may make the server read.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLField,
    GraphQLInterfaceType,
    GraphQLNamedType,
    GraphQLObjectType,
    GraphQLSchema,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
    get_named_type,
    value_from_ast_untyped,
)

PAGE_ARGUMENTS = ("first", "last")


def _spread_names(selection_set: SelectionSetNode) -> list[str]:
    """Names of the fragments spread anywhere inside ``selection_set`` (no recursion)."""
    names: list[str] = []
    pending = [selection_set]
    while pending:
        for selection in pending.pop().selections:
            if isinstance(selection, FragmentSpreadNode):
                names.append(selection.name.value)
            elif isinstance(selection, FieldNode | InlineFragmentNode) and selection.selection_set:
                pending.append(selection.selection_set)
    return names


def fragments_in_order(document: DocumentNode) -> list[FragmentDefinitionNode]:
    """The document's fragments, each after every fragment it spreads; cycles are cut."""
    fragments = {
        d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
    }
    spreads = {name: _spread_names(f.selection_set) for name, f in fragments.items()}
    ordered: list[FragmentDefinitionNode] = []
    seen: set[str] = set()
    for root in fragments:
        if root in seen:
            continue
        seen.add(root)
        stack = [(root, iter(spreads[root]))]
        while stack:
            name, children = stack[-1]
            child = next((c for c in children if c in fragments and c not in seen), None)
            if child is None:
                stack.pop()
                ordered.append(fragments[name])
            else:
                seen.add(child)
                stack.append((child, iter(spreads[child])))
    return ordered


def operations(document: DocumentNode) -> list[OperationDefinitionNode]:
    return [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]


# -- depth and aliases (no schema needed) ----------------------------------------------------


def _depth(selection_set: SelectionSetNode, fragment_depths: Mapping[str, int]) -> int:
    deepest = 0
    for selection in selection_set.selections:
        if isinstance(selection, FieldNode):
            if selection.selection_set and not selection.name.value.startswith("__"):
                deepest = max(deepest, 1 + _depth(selection.selection_set, fragment_depths))
        elif isinstance(selection, InlineFragmentNode):
            deepest = max(deepest, _depth(selection.selection_set, fragment_depths))
        elif isinstance(selection, FragmentSpreadNode):
            deepest = max(deepest, fragment_depths.get(selection.name.value, 0))
    return deepest


def query_depth(document: DocumentNode) -> int:
    """Levels of nested object fields in the deepest operation; ``{ a { b } }`` is 1.

    Introspection fields (``__schema``, ``__type``) do not count, as in Strawberry's limiter.
    """
    depths: dict[str, int] = {}
    for fragment in fragments_in_order(document):
        depths[fragment.name.value] = _depth(fragment.selection_set, depths)
    return max((_depth(op.selection_set, depths) for op in operations(document)), default=0)


def _aliases(selection_set: SelectionSetNode, fragment_aliases: Mapping[str, int]) -> int:
    count = 0
    for selection in selection_set.selections:
        if isinstance(selection, FieldNode):
            count += selection.alias is not None
            if selection.selection_set:
                count += _aliases(selection.selection_set, fragment_aliases)
        elif isinstance(selection, InlineFragmentNode):
            count += _aliases(selection.selection_set, fragment_aliases)
        elif isinstance(selection, FragmentSpreadNode):
            count += fragment_aliases.get(selection.name.value, 0)
    return count


def alias_count(document: DocumentNode) -> int:
    """Aliased fields over all operations, a fragment counted once per spread."""
    counts: dict[str, int] = {}
    for fragment in fragments_in_order(document):
        counts[fragment.name.value] = _aliases(fragment.selection_set, counts)
    return sum(_aliases(op.selection_set, counts) for op in operations(document))


# -- estimated cost --------------------------------------------------------------------------


@dataclass(frozen=True)
class PageSizes:
    default: int
    maximum: int


def _argument_value(field: FieldNode, name: str, variables: dict[str, Any]) -> Any:
    for argument in field.arguments or ():
        if argument.name.value == name:
            return value_from_ast_untyped(argument.value, variables)
    return None


def multiplier(
    field: FieldNode, definition: GraphQLField, variables: dict[str, Any], sizes: PageSizes
) -> int:
    """How many rows one ``field`` may stand for: its page size or its number of ids."""
    if any(name in definition.args for name in PAGE_ARGUMENTS):
        asked = [_argument_value(field, name, variables) for name in PAGE_ARGUMENTS]
        sizes_asked = [v for v in asked if isinstance(v, int) and not isinstance(v, bool)]
        size = max(sizes_asked) if sizes_asked else sizes.default
        return min(max(size, 0), sizes.maximum)
    if "ids" in definition.args:
        ids = _argument_value(field, "ids", variables)
        return len(ids) if isinstance(ids, list) else 1
    return 1


Multiplier = Callable[[FieldNode, GraphQLField], int]


def _cost(
    selection_set: SelectionSetNode,
    parent: GraphQLNamedType | None,
    schema: GraphQLSchema,
    fragment_costs: Mapping[str, int],
    rows: Multiplier,
) -> int:
    total = 0
    for selection in selection_set.selections:
        if isinstance(selection, FieldNode):
            name = selection.name.value
            if not selection.selection_set or name.startswith("__"):
                continue
            if not isinstance(parent, GraphQLObjectType | GraphQLInterfaceType):
                continue
            definition = parent.fields.get(name)
            if definition is None:
                continue
            inner = _cost(
                selection.selection_set,
                get_named_type(definition.type),
                schema,
                fragment_costs,
                rows,
            )
            total += rows(selection, definition) * (1 + inner)
        elif isinstance(selection, InlineFragmentNode):
            condition = selection.type_condition
            narrowed = schema.get_type(condition.name.value) if condition else parent
            total += _cost(selection.selection_set, narrowed, schema, fragment_costs, rows)
        elif isinstance(selection, FragmentSpreadNode):
            total += fragment_costs.get(selection.name.value, 0)
    return total


def estimated_cost(
    schema: GraphQLSchema,
    document: DocumentNode,
    operation: OperationDefinitionNode,
    variables: Mapping[str, Any] | None,
    sizes: PageSizes,
) -> int:
    """The estimated number of rows ``operation`` may read (see the module docstring)."""
    values = dict(variables or {})
    for definition in operation.variable_definitions or ():
        name = definition.variable.name.value
        if values.get(name) is None and definition.default_value is not None:
            values[name] = value_from_ast_untyped(definition.default_value)

    def rows(field: FieldNode, definition: GraphQLField) -> int:
        return multiplier(field, definition, values, sizes)

    costs: dict[str, int] = {}
    for fragment in fragments_in_order(document):
        condition = schema.get_type(fragment.type_condition.name.value)
        costs[fragment.name.value] = _cost(fragment.selection_set, condition, schema, costs, rows)
    root = schema.get_root_type(operation.operation)
    return _cost(operation.selection_set, root, schema, costs, rows)

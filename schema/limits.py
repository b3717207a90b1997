"""The schema extensions that bound what one operation may ask for, built from ``Settings``.

In the order they run on an operation:

1. ``PersistedQueries`` (``schema.persisted``): with an allow-list, only listed queries run.
2. ``MaskErrors``: unexpected errors reach clients as "Unexpected error." (``schema.errors``).
3. Strawberry's ``MaxTokensLimiter``: the parser stops after ``max_query_tokens`` tokens.
4. ``QueryLimits`` (here): a validation rule refusing documents deeper than
   ``max_query_depth`` or with more than ``max_aliases`` aliases, the introspection switch
   (graphql-core's ``NoSchemaIntrospectionCustomRule``) when ``introspection`` is off, and,
   just before execution, the cost limit: the estimated rows (``schema.query_shape``, which
   needs the variables) must not pass ``max_query_cost``. It also audits every refusal.

Depth and aliases are measured by ``schema.query_shape`` rather than Strawberry's
``QueryDepthLimiter``/``MaxAliasesLimiter``, which take exponential time on documents whose
fragments spread each other repeatedly. Every refusal is a request error with a ``code``
(``schema.refusals``); nothing is executed.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Callable, Iterator, Mapping
from dataclasses import dataclass

from graphql import (
    DocumentNode,
    GraphQLError,
    GraphQLSyntaxError,
    ValidationContext,
    ValidationRule,
    get_operation_ast,
)
from graphql.validation import NoSchemaIntrospectionCustomRule
from strawberry.extensions import MaskErrors, MaxTokensLimiter, SchemaExtension
from strawberry.types.execution import PreExecutionError

from schema.errors import should_mask_error
from schema.persisted import PersistedQueries, load_allow_list
from schema.query_shape import PageSizes, alias_count, estimated_cost, query_depth
from schema.refusals import audit_refusal, audited_code, refusal
from settings import Settings

TOKEN_LIMIT_MESSAGE = re.compile(r"Document contains more than (\d+) tokens")


@dataclass(frozen=True)
class GraphQLLimits:
    """The settings the graph's limits are built from (hashable, so schemas can be shared)."""

    max_depth: int
    max_tokens: int
    max_aliases: int
    max_cost: int
    introspection: bool
    page_sizes: PageSizes

    @classmethod
    def from_settings(cls, settings: Settings) -> GraphQLLimits:
        return cls(
            max_depth=settings.max_query_depth,
            max_tokens=settings.max_query_tokens,
            max_aliases=settings.max_aliases,
            max_cost=settings.max_query_cost,
            introspection=settings.introspection,
            page_sizes=PageSizes(settings.default_page_size, settings.max_page_size),
        )


class _Introspection(NoSchemaIntrospectionCustomRule):
    """graphql-core's rule, reporting only its first error (one refusal), with a code."""

    reported = False

    def report_error(self, error: GraphQLError) -> None:
        if not self.reported:
            self.reported = True
            super().report_error(
                refusal("INTROSPECTION_DISABLED", error.message, nodes=list(error.nodes or ()))
            )


def shape_rule(limits: GraphQLLimits) -> type[ValidationRule]:
    """A validation rule refusing documents over the depth or alias limit."""

    class ShapeLimits(ValidationRule):
        def __init__(self, context: ValidationContext) -> None:
            super().__init__(context)
            for error in shape_refusals(context.document, limits):
                context.report_error(error)

    return ShapeLimits


def shape_refusals(document: DocumentNode, limits: GraphQLLimits) -> Iterator[GraphQLError]:
    depth = query_depth(document)
    if depth > limits.max_depth:
        yield refusal(
            "QUERY_TOO_DEEP",
            f"The query is {depth} levels deep; the limit (max_query_depth) is {limits.max_depth}.",
            limit=limits.max_depth,
            value=depth,
        )
    aliases = alias_count(document)
    if aliases > limits.max_aliases:
        yield refusal(
            "TOO_MANY_ALIASES",
            f"The query uses {aliases} aliases; the limit (max_aliases) is {limits.max_aliases}.",
            limit=limits.max_aliases,
            value=aliases,
        )


class QueryLimits(SchemaExtension):
    """Depth, alias, introspection and cost limits for one operation; audits refusals."""

    def __init__(self, limits: GraphQLLimits, rules: tuple[type[ValidationRule], ...]) -> None:
        self.limits = limits
        self.rules = rules

    async def on_operation(self) -> AsyncIterator[None]:
        yield
        result = self.execution_context.result
        for error in getattr(result, "errors", None) or ():
            if audited_code(error):
                await audit_refusal(self.execution_context.context, error)

    def on_parse(self) -> Iterator[None]:
        yield
        for error in self.execution_context.pre_execution_errors or ():
            if isinstance(error, GraphQLSyntaxError) and TOKEN_LIMIT_MESSAGE.search(error.message):
                error.extensions = {"code": "TOO_MANY_TOKENS", "limit": self.limits.max_tokens}

    def on_validate(self) -> Iterator[None]:
        context = self.execution_context
        context.validation_rules = (*context.validation_rules, *self.rules)
        yield

    def on_execute(self) -> Iterator[None]:
        context = self.execution_context
        document = context.graphql_document
        operation = get_operation_ast(document, context.operation_name) if document else None
        if document is not None and operation is not None and context.result is None:
            cost = estimated_cost(
                context.schema._schema,  # the graphql-core schema, as Strawberry's own use it
                document,
                operation,
                context.variables,
                self.limits.page_sizes,
            )
            if cost > self.limits.max_cost:
                error = refusal(
                    "QUERY_TOO_COSTLY",
                    f"The query may read about {cost:,} rows; the limit (max_query_cost) is "
                    f"{self.limits.max_cost:,}. Ask for smaller pages (first/last) or fewer "
                    "nested connections.",
                    limit=self.limits.max_cost,
                    value=cost,
                )
                context.result = PreExecutionError(data=None, errors=[error])
        yield


ExtensionFactory = Callable[[], SchemaExtension]


def build_extensions(
    limits: GraphQLLimits, allow_list: Mapping[str, str] | None
) -> list[ExtensionFactory]:
    """The schema's extensions, as factories (one instance per operation), in order."""

    def persisted() -> SchemaExtension:
        return PersistedQueries(allow_list)

    def masked() -> SchemaExtension:
        return MaskErrors(should_mask_error=should_mask_error)

    def tokens() -> SchemaExtension:
        return MaxTokensLimiter(max_token_count=limits.max_tokens)

    rules: tuple[type[ValidationRule], ...] = (shape_rule(limits),)
    if not limits.introspection:
        rules += (_Introspection,)

    def bounds() -> SchemaExtension:
        return QueryLimits(limits, rules)

    return [persisted, masked, tokens, bounds]


def allow_list_from(settings: Settings) -> dict[str, str] | None:
    path = settings.persisted_queries_file
    return load_allow_list(path) if path is not None else None

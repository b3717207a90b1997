"""What every mutation resolver shares: turning input ids into references, and running a
service so that its expected failures come back as typed members of the result union.

Refusals that matter to security (``Forbidden``, and ``OutOfScope`` which the client sees as
``NotFoundError``) are written to the audit trail as ``authz.denied`` on the way out.
"""

from __future__ import annotations

import typing
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import strawberry

from resolvers.loaders import Loaders
from resolvers.mutations.common import Ref
from resolvers.mutations.errors import Forbidden, MutationFailure, OutOfScope
from schema.context import Info
from schema.errors import InvalidIdError
from schema.mutations.errors import UserError, user_error
from schema.node import decode_typed_id
from security.audit_events import authz_denied_event, record

T = TypeVar("T")


def ref(global_id: str, type_name: str) -> Ref:
    """A reference to a ``type_name`` row; a malformed or mistyped id carries its problem."""
    try:
        return Ref(decode_typed_id(global_id, type_name), global_id)
    except InvalidIdError as error:
        return Ref.invalid(global_id, str(error))


def optional_ref(global_id: str | None, type_name: str) -> Ref | None:
    return None if global_id is None else ref(global_id, type_name)


def given(**fields: strawberry.Some[Any] | None) -> dict[str, Any]:
    """The values of the ``Maybe`` fields the client gave (``None`` means "not given")."""
    return {name: value.value for name, value in fields.items() if value is not None}


def _members(result: object) -> tuple[type, ...]:
    union = typing.get_args(result)[0]
    return typing.get_args(union) or (union,)


async def audit_denial(info: Info, failure: MutationFailure) -> None:
    """Write an ``authz.denied`` entry for ``failure``: which mutation, and why."""
    detail: dict[str, Any] = {"mutation": info.field_name}
    table, row_id = None, None
    if isinstance(failure, OutOfScope):
        detail["field"] = failure.field
        table, row_id = failure.table, failure.pk
    if isinstance(failure, Forbidden) and failure.permission is not None:
        detail["permission"] = failure.permission
    event = authz_denied_event(info.context.viewer, failure.message, detail, table, row_id)
    await record(getattr(info.context.hub, "audit", None), event)


async def run(info: Info, result: object, action: Awaitable[T], wrap: Callable[[T], Any]) -> Any:
    """``wrap(await action)``, or the typed error for a ``MutationFailure`` it raised.

    ``result`` is the mutation's result union; a failure it has no member for is a bug and
    raises. After a write, the request's DataLoaders are replaced so that the payload and
    any later mutation of the same request read the new state, not a cached one.
    """
    try:
        row = await action
    except MutationFailure as failure:
        if failure.security_relevant:
            await audit_denial(info, failure)
        error: UserError = user_error(failure)
        if type(error) not in _members(result):
            raise TypeError(f"{type(error).__name__} is not a member of {result}") from failure
        return error
    info.context.loaders = Loaders(info.context.sessions, info.context.scope)
    return wrap(row)

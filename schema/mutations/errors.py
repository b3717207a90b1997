"""The typed errors of mutation results, and how a service's ``MutationFailure`` becomes one.

Every error type implements ``UserError``, so a client can ask for
``... on UserError { message }`` without knowing each member of a result union.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import strawberry

from resolvers.mutations import errors as failures
from schema.enums import OrderStatus, PartnerStatus, ProductLifecycle
from schema.permissions import Permission


@strawberry.interface(description="A mutation the rules or the data refused; nothing was changed.")
class UserError:
    message: str


@strawberry.type(description="One problem with one input field; `field` is a dotted path.")
class FieldError:
    field: str = strawberry.field(description='E.g. "code" or "lines.0.quantity".')
    message: str


@strawberry.type(description="The input breaks field-level rules; every problem is listed.")
class InvalidInputError(UserError):
    fields: list[FieldError]


@strawberry.type(description="A referenced object does not exist or is not visible to you.")
class NotFoundError(UserError):
    field: str = strawberry.field(description="The input field that referenced it.")
    id: str = strawberry.field(description="The id (or SKU) as given.")


@strawberry.type(description="A value that must be unique is already taken.")
class DuplicateError(UserError):
    field: str
    value: str


@strawberry.type(description="The partner may not place orders in its current status.")
class PartnerNotActiveError(UserError):
    status: PartnerStatus


@strawberry.type(description="The product cannot be ordered in its current lifecycle stage.")
class ProductNotOrderableError(UserError):
    sku: str
    lifecycle: ProductLifecycle


@strawberry.type(description="The order cannot move from its status to the one asked for.")
class TransitionNotAllowedError(UserError):
    from_: OrderStatus = strawberry.field(name="from")
    to: OrderStatus
    allowed: list[OrderStatus] = strawberry.field(description="Where it may go from here.")


@strawberry.type(description="Someone else changed the object first; read it again and retry.")
class ConflictError(UserError):
    pass


@strawberry.type(
    description="You may not do this: not signed in, or your role or key lacks `permission`."
)
class ForbiddenError(UserError):
    permission: Permission | None = strawberry.field(
        description="The permission it needs; null when you are not signed in."
    )


_MORE_ERRORS: list[tuple[type[failures.MutationFailure], Callable[[Any], UserError]]] = []


def register_user_error(
    kind: type[failures.MutationFailure], make: Callable[[Any], UserError]
) -> None:
    """Let an area's own ``MutationFailure`` subclass become its own GraphQL error type."""
    _MORE_ERRORS.append((kind, make))


def user_error(failure: failures.MutationFailure) -> UserError:
    """The GraphQL error type for a service failure."""
    message = failure.message
    match failure:
        case failures.InvalidInput(problems=problems):
            fields = [FieldError(field=f, message=m) for f, m in problems]
            return InvalidInputError(message=message, fields=fields)
        case failures.NotFound(field=field, key=key):
            return NotFoundError(message=message, field=field, id=key)
        case failures.Duplicate(field=field, value=value):
            return DuplicateError(message=message, field=field, value=value)
        case failures.PartnerNotActive(status=status):
            return PartnerNotActiveError(message=message, status=status)
        case failures.ProductNotOrderable(sku=sku, lifecycle=lifecycle):
            return ProductNotOrderableError(message=message, sku=sku, lifecycle=lifecycle)
        case failures.TransitionRefused():
            return TransitionNotAllowedError(
                message=message,
                from_=failure.from_status,
                to=failure.to_status,
                allowed=list(failure.allowed),
            )
        case failures.Conflict():
            return ConflictError(message=message)
        case failures.Forbidden(permission=permission):
            granted = None if permission is None else Permission(permission)
            return ForbiddenError(message=message, permission=granted)
    for kind, make in _MORE_ERRORS:
        if isinstance(failure, kind):
            return make(failure)
    raise TypeError(f"no GraphQL error type for {type(failure).__name__}")

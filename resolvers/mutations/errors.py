"""Expected failures of mutations, raised inside the unit of work so nothing is written.

Exception tree::

    MutationFailure             a mutation the rules or the data refuse; shown to the client
    ├── InvalidInput            field-level problems: (field path, message) pairs
    ├── NotFound                a referenced row that does not exist or is not visible
    │   └── OutOfScope          … because it is outside the caller's scope (audited; the
    │                           client sees exactly what a missing row shows)
    ├── Duplicate               a value that must be unique is taken
    ├── PartnerNotActive        the partner may not order in its status
    ├── ProductNotOrderable     the product may not be ordered in its lifecycle
    ├── TransitionRefused       an order status change outside the transition table
    ├── Conflict                a concurrent change won; retry with fresh data
    └── Forbidden               the caller may not do this at all (audited)

``security_relevant`` failures are written to the audit trail as ``authz.denied``.
"""

from __future__ import annotations

from collections.abc import Sequence

from domain.enums import OrderStatus, PartnerStatus, ProductLifecycle


class MutationFailure(Exception):
    """A refused mutation; ``str(self)`` is the message shown to the client."""

    security_relevant = False

    @property
    def message(self) -> str:
        return str(self)


class InvalidInput(MutationFailure):
    def __init__(self, problems: Sequence[tuple[str, str]]) -> None:
        self.problems = tuple(problems)
        super().__init__("; ".join(f"{field}: {message}" for field, message in self.problems))

    @classmethod
    def one(cls, field: str, message: str) -> InvalidInput:
        return cls([(field, message)])


class NotFound(MutationFailure):
    def __init__(self, field: str, key: str, what: str) -> None:
        self.field = field
        self.key = key
        super().__init__(f"no {what} {key!r}")


class OutOfScope(NotFound):
    """The row exists but the caller may not see it; shown as ``NotFound``, but audited."""

    security_relevant = True

    def __init__(self, field: str, key: str, what: str, table: str, pk: int) -> None:
        super().__init__(field, key, what)
        self.table = table
        self.pk = pk


class Duplicate(MutationFailure):
    def __init__(self, field: str, value: str) -> None:
        self.field = field
        self.value = value
        super().__init__(f"{field} {value!r} is already taken")


class PartnerNotActive(MutationFailure):
    def __init__(self, code: str, status: PartnerStatus) -> None:
        self.status = status
        super().__init__(f"partner {code} is {status} and may not place orders")


class ProductNotOrderable(MutationFailure):
    def __init__(self, sku: str, lifecycle: ProductLifecycle) -> None:
        self.sku = sku
        self.lifecycle = lifecycle
        super().__init__(f"product {sku} is {lifecycle} and cannot be ordered")


class TransitionRefused(MutationFailure):
    def __init__(
        self,
        message: str,
        from_status: OrderStatus,
        to_status: OrderStatus,
        allowed: Sequence[OrderStatus],
    ) -> None:
        self.from_status = from_status
        self.to_status = to_status
        self.allowed = tuple(allowed)
        super().__init__(message)


class Conflict(MutationFailure):
    pass


class Forbidden(MutationFailure):
    """The caller lacks ``permission`` (None: it is not authenticated, or out of scope)."""

    security_relevant = True

    def __init__(self, message: str, permission: str | None = None) -> None:
        self.permission = permission
        super().__init__(message)

"""Errors the graph reports to clients, and the masking rule for everything else.

Exception tree::

    ClientError                 a mistake in the request; its message is shown as is
    ├── InvalidIdError          a malformed global id, or one of the wrong type
    └── (store) PaginationError a bad first/last/after/before or cursor

Any other exception is a bug or an outage: ``MaskErrors`` replaces it with
"Unexpected error." so no stack trace, SQL or secret reaches a client. Expected failures
of mutations are not exceptions at all but typed members of the mutation's result union.
"""

from __future__ import annotations

from graphql import GraphQLError

from store.pagination import PaginationError


class ClientError(Exception):
    """A request the client must change; ``code`` goes to the error's extensions."""

    code = "BAD_USER_INPUT"


class InvalidIdError(ClientError):
    code = "INVALID_ID"


SHOWN_TO_CLIENTS: tuple[type[Exception], ...] = (ClientError, PaginationError)


def should_mask_error(error: GraphQLError) -> bool:
    """Mask an error unless it is a GraphQL validation error or one of ours meant for clients."""
    original = error.original_error
    if original is None or isinstance(original, GraphQLError):
        return False
    return not isinstance(original, SHOWN_TO_CLIENTS)

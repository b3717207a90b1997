"""Encrypted fields in the graph: ``EncryptedField { masked state keyId reveal(reason:) }``.

The parent object is the row's ``security.fields.EncryptedValue`` (ciphertext and mask), so
``masked`` is a plain attribute read (no key, no decryption) and ``state`` needs one batched
key-state lookup per request. ``reveal`` goes through ``resolvers.reveal``: policy, reason,
audit, then plaintext. An outage there (the audit log cannot be written) is an error on that
one ``reveal`` field, which is then null; the rest of the query is unaffected.
"""

from __future__ import annotations

from typing import Annotated

import strawberry

from resolvers import reveal as service
from schema.context import Info
from schema.mutations.errors import UserError
from security.fields import EncryptedValue, FieldState

strawberry.enum(
    FieldState,
    name="EncryptedFieldState",
    description=(
        "PRESENT: a value is stored; EMPTY: none; SHREDDED: its key was destroyed, the value "
        "is gone for good; UNREADABLE: the stored bytes cannot be decrypted (altered, moved "
        "to another row or column, or their key is missing)."
    ),
)


@strawberry.type(description="The plaintext of an encrypted field; this reveal was audited.")
class Revealed:
    value: str


@strawberry.type(description="The reveal was refused (role or reason); the refusal was audited.")
class RevealDenied(UserError):
    pass


@strawberry.type(description="There is no plaintext to reveal: see `state`.")
class RevealUnavailable(UserError):
    state: FieldState


RevealResult = Annotated[
    Revealed | RevealDenied | RevealUnavailable, strawberry.union("RevealResult")
]


def _result(outcome: service.RevealOutcome) -> Revealed | RevealDenied | RevealUnavailable:
    match outcome.kind:
        case service.RevealKind.REVEALED:
            assert outcome.value is not None
            return Revealed(value=outcome.value)
        case service.RevealKind.DENIED:
            return RevealDenied(message=outcome.message)
    return RevealUnavailable(message=outcome.message, state=outcome.state or FieldState.UNREADABLE)


@strawberry.type(
    description=(
        "A sensitive value stored encrypted. `masked` is computed when the value is written "
        "(e.g. ****1234); `reveal` returns the plaintext to roles allowed for this field, "
        "with a reason, and audits every attempt."
    )
)
class EncryptedField:
    masked: str | None = strawberry.field(
        description="The masked form; null when empty or shredded."
    )

    @strawberry.field(description="What is stored, told without decrypting it.")
    async def state(self, root: strawberry.Parent[EncryptedValue], info: Info) -> FieldState:
        key_id = service.key_id_of(root)
        if key_id is None:
            return service.state_of(root, None)
        key_state = await info.context.loaders.data_key_state.load(key_id)
        return service.state_of(root, key_state)

    @strawberry.field(description="Id of the data key that sealed the value; null when empty.")
    def key_id(self, root: strawberry.Parent[EncryptedValue]) -> int | None:
        return service.key_id_of(root)

    @strawberry.field(
        description=(
            "The plaintext, if your role may see this field and you give a reason (at least "
            f"{service.MIN_REASON} characters). Every attempt is audited before any plaintext "
            "is returned."
        )
    )
    async def reveal(
        self, root: strawberry.Parent[EncryptedValue], info: Info, reason: str
    ) -> RevealResult | None:
        hub = info.context.hub
        outcome = await service.reveal(
            root, reason, viewer=info.context.viewer, crypto=hub.fields, audit=hub.audit
        )
        return _result(outcome)

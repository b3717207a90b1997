"""Helpers for the field-encryption tests: write partners through the graph, read rows back."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from schema.node import decode_typed_id
from store.models import AuditEntry, Partner

Sessions = async_sessionmaker[AsyncSession]

FIELD = "masked state keyId"
REVEAL = """reveal(reason: $reason) { __typename ... on Revealed { value }
  ... on UserError { message } ... on RevealUnavailable { state } }"""
PARTNER = f"""id code taxId {{ {FIELD} }} bankAccount {{ {FIELD} }}
  contactPhone {{ {FIELD} }} contactEmail {{ {FIELD} }}"""
RESULT = f"""__typename ... on PartnerPayload {{ partner {{ {PARTNER} }} }}
  ... on UserError {{ message }} ... on InvalidInputError {{ fields {{ field message }} }}"""
CREATE = f"mutation($input: CreatePartnerInput!) {{ createPartner(input: $input) {{ {RESULT} }} }}"
UPDATE = f"mutation($input: UpdatePartnerInput!) {{ updatePartner(input: $input) {{ {RESULT} }} }}"
REVEAL_ALL = f"""query($id: ID!, $reason: String!) {{ partner(id: $id) {{ code
  taxId {{ {REVEAL} }} bankAccount {{ {REVEAL} }}
  contactPhone {{ {REVEAL} }} contactEmail {{ {REVEAL} }} }} }}"""

SECRETS = {
    "taxId": "91330100MA2B3C4D5E",
    "bankAccount": "6222 0212 3456 7890 123",
    "contactPhone": "+86 138 1234 5678",
    "contactEmail": "li.wei@hengtai.cn",
}


async def create(gql: Any, code: str, **fields: Any) -> dict[str, Any]:
    """Create a partner through the graph; the partner as returned (fails on any error)."""
    data = await gql.data(
        CREATE, input={"code": code, "name": f"Partner {code}", "type": "DEALER", **fields}
    )
    result = data["createPartner"]
    assert result["__typename"] == "PartnerPayload", result
    partner: dict[str, Any] = result["partner"]
    return partner


async def reveal_all(gql: Any, partner_id: str, reason: str = "KYC review") -> dict[str, Any]:
    """Every encrypted field's reveal result, by GraphQL field name."""
    body = await gql(REVEAL_ALL, id=partner_id, reason=reason)
    assert "errors" not in body, body
    partner: dict[str, Any] = body["data"]["partner"]
    return {name: partner[name]["reveal"] for name in SECRETS}


def pk(global_id: str) -> int:
    return decode_typed_id(global_id, "Partner")


async def row(sessions: Sessions, global_id: str) -> Partner:
    async with sessions() as s:
        found = await s.get(Partner, pk(global_id))
    assert found is not None
    return found


async def set_columns(sessions: Sessions, global_id: str, **values: Any) -> None:
    """Write raw column values, as an attacker with database access would."""
    async with sessions.begin() as s:
        await s.execute(update(Partner).where(Partner.id == pk(global_id)).values(**values))


async def audit_entries(sessions: Sessions, action: str | None = None) -> list[AuditEntry]:
    async with sessions() as s:
        stmt = select(AuditEntry).order_by(AuditEntry.id)
        if action is not None:
            stmt = stmt.where(AuditEntry.action == action)
        return list(await s.scalars(stmt))

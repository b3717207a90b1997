"""Partners with their documents, history and sub-partners."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import ColumnElement, false, or_, select

from domain.enums import PartnerStatus, PartnerType
from security.fields import EncryptedColumn
from store.models import CooperationEvent, Partner, PartnerDocument
from store.pagination import DATE, DECIMAL, SortKey
from store.repositories.base import ScopedRepository
from store.repositories.regions import subtree_of


@dataclass(frozen=True)
class PartnerFilter:
    types: tuple[PartnerType, ...] = ()
    statuses: tuple[PartnerStatus, ...] = ()
    tier_ids: tuple[int, ...] = ()
    region_id: int | None = None
    parent_id: int | None = None
    text: str | None = None
    blind_indexes: tuple[tuple[EncryptedColumn, bytes], ...] = ()
    """Blind-index equality on encrypted columns: candidates only (see resolvers.lookup)."""
    ids: tuple[int, ...] | None = None
    """Only these partners (the candidates that really matched after decryption)."""


class PartnerRepository(ScopedRepository[Partner, PartnerFilter]):
    model = Partner
    orderings = {
        "CODE_ASC": SortKey("CODE_ASC", Partner.code),
        "CODE_DESC": SortKey("CODE_DESC", Partner.code, descending=True),
        "NAME_ASC": SortKey("NAME_ASC", Partner.name),
        "NAME_DESC": SortKey("NAME_DESC", Partner.name, descending=True),
        "CREDIT_LIMIT_DESC": SortKey(
            "CREDIT_LIMIT_DESC", Partner.credit_limit, descending=True, parse=DECIMAL
        ),
    }

    def visible(self) -> ColumnElement[bool]:
        return self.scope.partners()

    def matching(self, filter_: PartnerFilter) -> list[ColumnElement[bool]]:
        clauses: list[ColumnElement[bool]] = []
        if filter_.types:
            clauses.append(Partner.type.in_(filter_.types))
        if filter_.statuses:
            clauses.append(Partner.status.in_(filter_.statuses))
        if filter_.tier_ids:
            clauses.append(Partner.tier_id.in_(filter_.tier_ids))
        if filter_.region_id is not None:
            clauses.append(Partner.region_id.in_(subtree_of(filter_.region_id)))
        if filter_.parent_id is not None:
            clauses.append(Partner.parent_id == filter_.parent_id)
        if filter_.text:
            clauses.append(
                or_(
                    Partner.code.icontains(filter_.text, autoescape=True),
                    Partner.name.icontains(filter_.text, autoescape=True),
                )
            )
        for column, digest in filter_.blind_indexes:
            clauses.append(getattr(Partner, column.bidx_attr) == digest)
        if filter_.ids is not None:
            clauses.append(Partner.id.in_(filter_.ids) if filter_.ids else false())
        return clauses

    async def encrypted_candidates(self, filter_: PartnerFilter) -> list[Partner]:
        """Visible partners matching ``filter_`` (blind indexes included), id order; for an
        equality lookup these are few: the matches plus the index's false positives."""
        stmt = self.select_matching(filter_).order_by(Partner.id)
        return list(await self.session.scalars(stmt))

    async def by_code(self, code: str) -> Partner | None:
        stmt = select(Partner).where(self.visible(), Partner.code == code)
        return (await self.session.scalars(stmt)).first()

    async def children_of(self, parent_ids: list[int]) -> dict[int, list[Partner]]:
        return await self.grouped_by(Partner.parent_id, parent_ids, Partner.code)


class PartnerDocumentRepository(ScopedRepository[PartnerDocument, None]):
    model = PartnerDocument
    orderings = {
        "VALID_UNTIL_ASC": SortKey("VALID_UNTIL_ASC", PartnerDocument.valid_until, parse=DATE)
    }

    def visible(self) -> ColumnElement[bool]:
        return self.scope.via_partner(PartnerDocument.partner_id)

    def matching(self, filter_: None) -> list[ColumnElement[bool]]:
        return []

    async def of_partners(self, partner_ids: list[int]) -> dict[int, list[PartnerDocument]]:
        return await self.grouped_by(PartnerDocument.partner_id, partner_ids, PartnerDocument.id)


class CooperationEventRepository(ScopedRepository[CooperationEvent, None]):
    model = CooperationEvent
    orderings = {}

    def visible(self) -> ColumnElement[bool]:
        return self.scope.via_partner(CooperationEvent.partner_id)

    def matching(self, filter_: None) -> list[ColumnElement[bool]]:
        return []

    async def of_partners(self, partner_ids: list[int]) -> dict[int, list[CooperationEvent]]:
        return await self.grouped_by(
            CooperationEvent.partner_id,
            partner_ids,
            CooperationEvent.occurred_at,
            CooperationEvent.id,
        )

"""What a viewer may see, as SQL predicates built in one place.

A ``Scope`` is resolved once per request from the viewer (``Scope.for_viewer``).
Repositories call its predicate builders for every read, so scoping can be applied inside
any larger statement and no read path skips it:

- brand-wide viewers see every partner;
- a dealer sees its own partner and its sub-partners (partners whose parent it is);
- a regional manager sees the partners anywhere in its regions' subtrees;
- rows owned by a partner (orders, stock, documents…) follow their partner;
- reference data (regions, tiers, products) is visible to anyone who may read the channel;
- a viewer without channel access (anonymous, erp_admin) sees nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, false, or_, select, true

from security.viewer import Permission, Viewer
from store.models import Partner, Region


@dataclass(frozen=True)
class Scope:
    """Partners visible to a viewer: all, or the subtrees of some partners and regions."""

    all_partners: bool = False
    partner_ids: frozenset[int] = frozenset()
    region_ids: frozenset[int] = frozenset()
    reference_data: bool = False

    @classmethod
    def everything(cls) -> Scope:
        return cls(all_partners=True, reference_data=True)

    @classmethod
    def nothing(cls) -> Scope:
        return cls()

    @classmethod
    def for_viewer(cls, viewer: Viewer | None) -> Scope:
        if viewer is None or not viewer.can(Permission.CHANNEL_READ):
            return cls.nothing()
        if viewer.brand_wide:
            return cls.everything()
        partners = frozenset({viewer.partner_id}) if viewer.partner_id is not None else frozenset()
        return cls(
            partner_ids=partners, region_ids=frozenset(viewer.region_ids), reference_data=True
        )

    def partners(self) -> ColumnElement[bool]:
        """Predicate on ``Partner`` rows the viewer may see."""
        if self.all_partners:
            return true()
        clauses: list[ColumnElement[bool]] = []
        if self.partner_ids:
            ids = sorted(self.partner_ids)
            clauses.append(Partner.id.in_(ids))
            clauses.append(Partner.parent_id.in_(ids))
        if self.region_ids:
            within = select(Region.id).where(
                or_(
                    *(
                        Region.path.startswith(
                            select(Region.path).where(Region.id == rid).scalar_subquery()
                        )
                        for rid in sorted(self.region_ids)
                    )
                )
            )
            clauses.append(Partner.region_id.in_(within))
        return or_(*clauses) if clauses else false()

    def via_partner(self, column: Any) -> ColumnElement[bool]:
        """Predicate for rows owned by a partner through ``column`` (e.g. ``Order.partner_id``)."""
        if self.all_partners:
            return true()
        return column.in_(select(Partner.id).where(self.partners()))  # type: ignore[no-any-return]

    def regions(self) -> ColumnElement[bool]:
        """Predicate on reference data (regions, tiers, products)."""
        return true() if self.reference_data else false()

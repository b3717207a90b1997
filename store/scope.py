"""What a viewer may see, as SQL predicates built in one place.

A ``Scope`` is resolved once per request from the viewer's identity. Repositories call its
predicate builders for every read, so scoping can be applied inside any larger statement.
``Scope.everything()`` is the brand-wide scope; narrower scopes are added by the security
layer (a dealer's own partner subtree, a regional manager's region subtrees).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import ColumnElement, false, or_, select, true
from sqlalchemy.orm import InstrumentedAttribute

from store.models import Partner, Region


@dataclass(frozen=True)
class Scope:
    """Partners visible to a viewer: all, or the subtrees of some partners and regions."""

    all_partners: bool = False
    partner_ids: frozenset[int] = frozenset()
    region_paths: tuple[str, ...] = ()

    @classmethod
    def everything(cls) -> Scope:
        return cls(all_partners=True)

    @classmethod
    def nothing(cls) -> Scope:
        return cls()

    def partners(self) -> ColumnElement[bool]:
        """Predicate on ``Partner`` rows the viewer may see."""
        if self.all_partners:
            return true()
        clauses: list[ColumnElement[bool]] = []
        if self.partner_ids:
            ids = sorted(self.partner_ids)
            clauses.append(Partner.id.in_(ids))
            clauses.append(Partner.parent_id.in_(ids))
        if self.region_paths:
            regions = select(Region.id).where(
                or_(*(Region.path.startswith(p, autoescape=True) for p in self.region_paths))
            )
            clauses.append(Partner.region_id.in_(regions))
        return or_(*clauses) if clauses else false()

    def via_partner(
        self, column: InstrumentedAttribute[int] | InstrumentedAttribute[int | None]
    ) -> ColumnElement[bool]:
        """Predicate for rows owned by a partner through ``column`` (e.g. ``Order.partner_id``)."""
        if self.all_partners:
            return true()
        return column.in_(select(Partner.id).where(self.partners()))

    def regions(self) -> ColumnElement[bool]:
        """Predicate on ``Region`` rows: the whole tree is reference data, visible to all."""
        return true()

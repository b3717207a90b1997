"""Who is asking: roles, permissions and the ``Viewer`` every request carries.

A viewer is established by authentication (a bearer JWT or an API key) and never changes
during a request. Roles map to permissions here, in one table; the store turns a viewer into
SQL scope predicates (``store.scope.Scope.for_viewer``) and resolvers check permissions with
``Viewer.can``. A request without credentials has no viewer and sees no channel data.

Writes: ``catalog:write`` (products, tiers, regions) is the brand admin's; ``channel:write``
(partners, locations) is the brand admin's and a region manager's within its regions;
``stock:write`` lets dealers too set stock at the locations of partners in their scope;
``orders:place`` places orders and submits or cancels them; ``orders:manage`` moves orders
through approval, shipping and delivery. ``connectors:manage`` and ``jobs:manage`` (job runs,
syncs, dead letters, quarantined records) are the ERP admin's and the brand admin's.
``rebates:manage`` (rebate agreements, promotions, settlements, accrual runs),
``approvals:manage`` (approval rules) and ``credit:override`` (order beyond a partner's
available credit, with a reason, audited) are the brand admin's. ``tracking:write``
(shipments and production/logistics updates of orders) is the brand admin's, the ERP
admin's (any order) and a region manager's (its regions' orders).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class Role(StrEnum):
    BRAND_ADMIN = "brand_admin"
    REGION_MANAGER = "region_manager"
    DEALER = "dealer"
    ERP_ADMIN = "erp_admin"
    SECURITY_AUDITOR = "security_auditor"
    SERVICE = "service"


class Permission(StrEnum):
    CHANNEL_READ = "channel:read"
    CHANNEL_WRITE = "channel:write"
    CATALOG_WRITE = "catalog:write"
    STOCK_WRITE = "stock:write"
    ORDERS_PLACE = "orders:place"
    ORDERS_MANAGE = "orders:manage"
    REVEAL_CONTACT = "reveal:contact"
    REVEAL_FINANCIAL = "reveal:financial"
    CONNECTORS_MANAGE = "connectors:manage"
    JOBS_MANAGE = "jobs:manage"
    AUDIT_READ = "audit:read"
    KEYS_MANAGE = "keys:manage"
    API_KEYS_MANAGE = "api_keys:manage"
    APPROVALS_MANAGE = "approvals:manage"
    REBATES_MANAGE = "rebates:manage"
    CREDIT_OVERRIDE = "credit:override"
    TRACKING_WRITE = "tracking:write"
    ENGAGEMENT_MANAGE = "engagement:manage"
    ENGAGEMENT_REPORT = "engagement:report"


_P = Permission
ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.BRAND_ADMIN: frozenset(
        {
            _P.CHANNEL_READ,
            _P.CHANNEL_WRITE,
            _P.CATALOG_WRITE,
            _P.STOCK_WRITE,
            _P.ORDERS_PLACE,
            _P.ORDERS_MANAGE,
            _P.REVEAL_CONTACT,
            _P.REVEAL_FINANCIAL,
            _P.API_KEYS_MANAGE,
            _P.AUDIT_READ,
            _P.CONNECTORS_MANAGE,
            _P.JOBS_MANAGE,
            _P.APPROVALS_MANAGE,
            _P.REBATES_MANAGE,
            _P.CREDIT_OVERRIDE,
            _P.TRACKING_WRITE,
            _P.ENGAGEMENT_MANAGE,
            _P.ENGAGEMENT_REPORT,
        }
    ),
    Role.REGION_MANAGER: frozenset(
        {
            _P.CHANNEL_READ,
            _P.CHANNEL_WRITE,
            _P.STOCK_WRITE,
            _P.ORDERS_PLACE,
            _P.ORDERS_MANAGE,
            _P.REVEAL_CONTACT,
            _P.TRACKING_WRITE,
            _P.ENGAGEMENT_MANAGE,
            _P.ENGAGEMENT_REPORT,
        }
    ),
    Role.DEALER: frozenset(
        {_P.CHANNEL_READ, _P.STOCK_WRITE, _P.ORDERS_PLACE, _P.REVEAL_CONTACT, _P.ENGAGEMENT_REPORT}
    ),
    Role.ERP_ADMIN: frozenset({_P.CONNECTORS_MANAGE, _P.JOBS_MANAGE, _P.TRACKING_WRITE}),
    Role.SECURITY_AUDITOR: frozenset({_P.CHANNEL_READ, _P.AUDIT_READ}),
    Role.SERVICE: frozenset(),
}

# Roles whose scope is the whole channel (subject to their permissions).
BRAND_WIDE: frozenset[Role] = frozenset({Role.BRAND_ADMIN, Role.SECURITY_AUDITOR})


@dataclass(frozen=True)
class Viewer:
    """An authenticated caller: identity, role, data scope and permissions."""

    subject: str
    role: Role
    partner_id: int | None = None
    region_ids: tuple[int, ...] = ()
    grants: frozenset[Permission] = field(default_factory=frozenset)
    api_key_id: int | None = None

    @property
    def permissions(self) -> frozenset[Permission]:
        """A role's permissions; a service has exactly what its API key grants."""
        if self.role is Role.SERVICE:
            return self.grants
        return ROLE_PERMISSIONS[self.role]

    def can(self, permission: Permission) -> bool:
        return permission in self.permissions

    @property
    def brand_wide(self) -> bool:
        """True when the viewer's data scope is the whole channel."""
        return self.role in BRAND_WIDE or (
            self.role is Role.SERVICE and self.partner_id is None and not self.region_ids
        )

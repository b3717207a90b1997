"""The channel vocabulary: enumerations shared by the store, the rules and the graph."""

from __future__ import annotations

from enum import StrEnum


class PartnerType(StrEnum):
    DISTRIBUTOR = "DISTRIBUTOR"
    DEALER = "DEALER"
    AGENT = "AGENT"
    STORE = "STORE"


class PartnerStatus(StrEnum):
    ACTIVE = "ACTIVE"
    SUSPENDED = "SUSPENDED"
    TERMINATED = "TERMINATED"
    PROSPECT = "PROSPECT"


class ProductLifecycle(StrEnum):
    DRAFT = "DRAFT"
    LAUNCHED = "LAUNCHED"
    ACTIVE = "ACTIVE"
    PHASE_OUT = "PHASE_OUT"
    DISCONTINUED = "DISCONTINUED"


class LocationKind(StrEnum):
    BRAND_WAREHOUSE = "BRAND_WAREHOUSE"
    PARTNER_SITE = "PARTNER_SITE"


class OrderStatus(StrEnum):
    DRAFT = "DRAFT"
    SUBMITTED = "SUBMITTED"
    APPROVED = "APPROVED"
    SHIPPED = "SHIPPED"
    DELIVERED = "DELIVERED"
    CLOSED = "CLOSED"
    CANCELLED = "CANCELLED"


class DocumentKind(StrEnum):
    BUSINESS_LICENCE = "BUSINESS_LICENCE"
    DISTRIBUTION_AGREEMENT = "DISTRIBUTION_AGREEMENT"
    TAX_REGISTRATION = "TAX_REGISTRATION"
    FOOD_PERMIT = "FOOD_PERMIT"
    OTHER = "OTHER"


class CooperationEventKind(StrEnum):
    SIGNED = "SIGNED"
    TIER_CHANGED = "TIER_CHANGED"
    STATUS_CHANGED = "STATUS_CHANGED"
    REVIEW = "REVIEW"
    VISIT = "VISIT"
    NOTE = "NOTE"

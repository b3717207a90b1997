"""Enumerations of the rebate area in the graph: period kinds and the statuses of
settlements, promotions and credit-limit changes (values as stored)."""

from __future__ import annotations

from enum import Enum

import strawberry

__all__ = ["CreditLimitChangeStatus", "PromotionStatus", "RebatePeriodKind", "SettlementStatus"]


@strawberry.enum(description="How often an agreement accrues and settles; a period's kind.")
class RebatePeriodKind(Enum):
    MONTH = "MONTH"
    QUARTER = "QUARTER"
    YEAR = "YEAR"


@strawberry.enum(description="DRAFT (awaiting approval) → APPROVED → PAID, or REJECTED.")
class SettlementStatus(Enum):
    DRAFT = "DRAFT"
    APPROVED = "APPROVED"
    PAID = "PAID"
    REJECTED = "REJECTED"


@strawberry.enum(description="PENDING_APPROVAL → ACTIVE (accrues) or REJECTED.")
class PromotionStatus(Enum):
    DRAFT = "DRAFT"
    PENDING_APPROVAL = "PENDING_APPROVAL"
    ACTIVE = "ACTIVE"
    REJECTED = "REJECTED"


@strawberry.enum(description="PENDING_APPROVAL → APPLIED, or REJECTED (nothing changed).")
class CreditLimitChangeStatus(Enum):
    PENDING_APPROVAL = "PENDING_APPROVAL"
    APPLIED = "APPLIED"
    REJECTED = "REJECTED"

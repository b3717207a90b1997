"""ORM models, one module per aggregate; importing this package registers every table."""

from store.models.allocation import AllocationRun, AllocationRunLine
from store.models.api_key import ApiKey
from store.models.approval import ApprovalDecision, ApprovalRequest, ApprovalRule, ApprovalStep
from store.models.audit import AuditEntry, AuditHead
from store.models.connector import ConnectorRow
from store.models.credit_limit import CreditLimitChange
from store.models.engagement import (
    Certificate,
    Course,
    CourseMaterial,
    EngagementTask,
    Exam,
    ExamAttempt,
    ExamQuestion,
    MarketFeedback,
    Reward,
    RewardRedemption,
    ScanReport,
    TaskAssignment,
    TaskReport,
)
from store.models.external import ExternalRef
from store.models.finance import Invoice, InvoiceStatus, Payment
from store.models.forecast import ForecastLine, ForecastRun, ForecastSeries
from store.models.health import HealthScoreRow
from store.models.jobs import DeadLetter, JobRun, Schedule, SyncState
from store.models.keys import DataKeyRow, KeyJobCheckpoint
from store.models.live import LiveValue
from store.models.order import Order, OrderLine, OrderStatusChange
from store.models.outbox import OutboxEntry
from store.models.partner import CooperationEvent, Partner, PartnerDocument
from store.models.product import Product
from store.models.quarantine import QuarantinedRecord
from store.models.rebate import Promotion, RebateAgreement, RebateTier
from store.models.region import Region
from store.models.settlement import Accrual, FundLedgerEntry, Settlement, SettlementLine
from store.models.shipment import Shipment, TrackingEvent
from store.models.stock import Location, StockLevel
from store.models.stock_rules import ReorderRule, StockAlert
from store.models.tier import Tier

__all__ = [
    "Accrual",
    "AllocationRun",
    "AllocationRunLine",
    "ApiKey",
    "ApprovalDecision",
    "ApprovalRequest",
    "ApprovalRule",
    "ApprovalStep",
    "AuditEntry",
    "AuditHead",
    "Certificate",
    "ConnectorRow",
    "CooperationEvent",
    "Course",
    "CourseMaterial",
    "CreditLimitChange",
    "DataKeyRow",
    "DeadLetter",
    "EngagementTask",
    "Exam",
    "ExamAttempt",
    "ExamQuestion",
    "ExternalRef",
    "ForecastLine",
    "ForecastRun",
    "ForecastSeries",
    "FundLedgerEntry",
    "HealthScoreRow",
    "Invoice",
    "InvoiceStatus",
    "JobRun",
    "KeyJobCheckpoint",
    "LiveValue",
    "Location",
    "MarketFeedback",
    "Order",
    "OrderLine",
    "OrderStatusChange",
    "OutboxEntry",
    "Partner",
    "PartnerDocument",
    "Payment",
    "Product",
    "Promotion",
    "QuarantinedRecord",
    "RebateAgreement",
    "RebateTier",
    "Region",
    "ReorderRule",
    "Reward",
    "RewardRedemption",
    "ScanReport",
    "Schedule",
    "Settlement",
    "SettlementLine",
    "Shipment",
    "StockAlert",
    "StockLevel",
    "SyncState",
    "TaskAssignment",
    "TaskReport",
    "Tier",
    "TrackingEvent",
]

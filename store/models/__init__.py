"""ORM models, one module per aggregate; importing this package registers every table."""

from store.models.audit import AuditEntry, AuditHead
from store.models.external import ExternalRef
from store.models.order import Order, OrderLine, OrderStatusChange
from store.models.partner import CooperationEvent, Partner, PartnerDocument
from store.models.product import Product
from store.models.region import Region
from store.models.stock import Location, StockLevel
from store.models.tier import Tier

__all__ = [
    "AuditEntry",
    "AuditHead",
    "CooperationEvent",
    "ExternalRef",
    "Location",
    "Order",
    "OrderLine",
    "OrderStatusChange",
    "Partner",
    "PartnerDocument",
    "Product",
    "Region",
    "StockLevel",
    "Tier",
]

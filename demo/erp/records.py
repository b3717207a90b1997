"""The demo ERP's records: customers, items, stock, sales orders, invoices and payments.

Plain mutable dataclasses with exact types: money is ``Decimal``, quantities are ``int``,
times are aware UTC. ``values()`` gives a SOAP record's fields by their WSDL names, in the
WSDL's order (``FIELDS`` lists the names; a test holds them to ``channel_erp.wsdl``);
``json()`` gives a finance document as the REST service sends it (money as strings).

A record's ``Key`` is a NAV-like bookmark, ``<table>;<base64 of the primary key>;<version>;``:
opaque to clients, and changing with every modification, so it is never an external id.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

TABLES = {"Customer": 18, "Item": 27, "Sales_Order": 36, "Stock": 50100}
FIELDS: dict[str, tuple[str, ...]] = {
    "Customer": (
        "Key",
        "No",
        "Name",
        "Customer_Posting_Group",
        "Blocked",
        "Territory_Code",
        "City",
        "Country_Region_Code",
        "Customer_Price_Group",
        "Bill_to_Customer_No",
        "Credit_Limit_LCY",
        "Currency_Code",
        "Last_Modified",
    ),
    "Item": (
        "Key",
        "No",
        "Description",
        "Item_Category_Code",
        "Base_Unit_of_Measure",
        "Unit_Price",
        "GTIN",
        "Lifecycle_Code",
        "Launch_Date",
        "Last_Modified",
    ),
    "Stock": (
        "Key",
        "Id",
        "Location_Code",
        "Item_No",
        "Inventory",
        "Reserved_Qty",
        "Qty_in_Transit",
        "Reorder_Point",
        "Last_Receipt_At",
        "Last_Sale_At",
        "Last_Modified",
    ),
    "Sales_Order": (
        "Key",
        "No",
        "External_Document_No",
        "Sell_to_Customer_No",
        "Sell_to_Customer_Name",
        "Order_Date",
        "Status",
        "Currency_Code",
        "Amount",
        "Last_Modified",
        "Sales_Lines",
    ),
    "Sales_Order_Line": (
        "Line_No",
        "Type",
        "No",
        "Description",
        "Quantity",
        "Unit_Price",
        "Line_Amount",
    ),
}
ORDER_STATUSES = ("Open", "Released", "Shipped", "Invoiced")


class BadBookmarkError(ValueError):
    """A bookmark key that this ERP did not hand out (or for another table)."""


def utc_text(moment: datetime) -> str:
    """An aware time as ISO 8601 in UTC with a ``Z``, whole seconds (``2026-03-15T09:30:00Z``)."""
    if moment.tzinfo is None:
        raise ValueError("times in the demo ERP are timezone-aware")
    return moment.astimezone(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def money_text(amount: Decimal) -> str:
    """A money amount in plain notation with two decimals (never an exponent)."""
    return f"{amount.quantize(Decimal('0.01')):f}"


def bookmark(table: str, primary_key: str, version: int) -> str:
    encoded = base64.urlsafe_b64encode(primary_key.encode()).decode()
    return f"{TABLES[table]};{encoded};{version};"


def bookmark_key(table: str, key: str) -> str:
    """The primary key a bookmark points at; ``BadBookmarkError`` if it is not ours."""
    parts = key.split(";")
    if len(parts) != 4 or parts[0] != str(TABLES[table]) or parts[3] != "":
        raise BadBookmarkError(f"the bookmark key is not a {table} bookmark")
    try:
        return base64.urlsafe_b64decode(parts[1].encode()).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise BadBookmarkError(f"the bookmark key is not a {table} bookmark") from None


@dataclass(slots=True)
class Customer:
    no: str
    name: str
    posting_group: str  # DISTRIB, DEALER, RETAIL, AGENT
    blocked: str  # _blank_, Ship, All
    territory_code: str
    city: str
    price_group: str  # PLATINUM, GOLD, SILVER, BRONZE
    bill_to: str | None
    credit_limit: Decimal
    last_modified: datetime
    version: int = 1
    only_in_erp: bool = False

    @property
    def sort_key(self) -> str:
        return self.no

    def values(self) -> dict[str, Any]:
        return {
            "Key": bookmark("Customer", self.no, self.version),
            "No": self.no,
            "Name": self.name,
            "Customer_Posting_Group": self.posting_group,
            "Blocked": self.blocked,
            "Territory_Code": self.territory_code,
            "City": self.city,
            "Country_Region_Code": "CN",
            "Customer_Price_Group": self.price_group,
            "Bill_to_Customer_No": self.bill_to,
            "Credit_Limit_LCY": self.credit_limit,
            "Currency_Code": "CNY",
            "Last_Modified": self.last_modified,
        }


@dataclass(slots=True)
class Item:
    no: str
    description: str
    category_code: str
    unit: str
    unit_price: Decimal
    gtin: str
    lifecycle_code: str  # PLANNED, NEW, ACTIVE, PHASE-OUT, BLOCKED
    launch_date: date | None
    last_modified: datetime
    version: int = 1
    only_in_erp: bool = False

    @property
    def sort_key(self) -> str:
        return self.no

    def values(self) -> dict[str, Any]:
        return {
            "Key": bookmark("Item", self.no, self.version),
            "No": self.no,
            "Description": self.description,
            "Item_Category_Code": self.category_code,
            "Base_Unit_of_Measure": self.unit,
            "Unit_Price": self.unit_price,
            "GTIN": self.gtin,
            "Lifecycle_Code": self.lifecycle_code,
            "Launch_Date": self.launch_date,
            "Last_Modified": self.last_modified,
        }


@dataclass(slots=True)
class StockEntry:
    location_code: str
    item_no: str
    inventory: int
    reserved: int
    in_transit: int
    reorder_point: int
    last_receipt_at: datetime | None
    last_sale_at: datetime | None
    last_modified: datetime
    version: int = 1

    @property
    def id(self) -> str:
        return f"{self.location_code}|{self.item_no}"

    @property
    def sort_key(self) -> str:
        return self.id

    def values(self) -> dict[str, Any]:
        return {
            "Key": bookmark("Stock", self.id, self.version),
            "Id": self.id,
            "Location_Code": self.location_code,
            "Item_No": self.item_no,
            "Inventory": self.inventory,
            "Reserved_Qty": self.reserved,
            "Qty_in_Transit": self.in_transit,
            "Reorder_Point": self.reorder_point,
            "Last_Receipt_At": self.last_receipt_at,
            "Last_Sale_At": self.last_sale_at,
            "Last_Modified": self.last_modified,
        }


@dataclass(slots=True)
class SalesLine:
    line_no: int
    item_no: str
    description: str
    quantity: int
    unit_price: Decimal

    @property
    def amount(self) -> Decimal:
        return self.quantity * self.unit_price

    def values(self) -> dict[str, Any]:
        return {
            "Line_No": self.line_no,
            "Type": "Item",
            "No": self.item_no,
            "Description": self.description,
            "Quantity": self.quantity,
            "Unit_Price": self.unit_price,
            "Line_Amount": self.amount,
        }


@dataclass(slots=True)
class SalesOrder:
    no: str
    external_document_no: str | None
    customer_no: str
    customer_name: str
    order_date: date
    status: str  # one of ORDER_STATUSES
    lines: list[SalesLine]
    last_modified: datetime
    currency: str = "CNY"
    version: int = 1
    created_by_api: bool = False

    @property
    def sort_key(self) -> str:
        return self.no

    @property
    def amount(self) -> Decimal:
        return sum((line.amount for line in self.lines), Decimal("0.00"))

    def values(self) -> dict[str, Any]:
        return {
            "Key": bookmark("Sales_Order", self.no, self.version),
            "No": self.no,
            "External_Document_No": self.external_document_no,
            "Sell_to_Customer_No": self.customer_no,
            "Sell_to_Customer_Name": self.customer_name,
            "Order_Date": self.order_date,
            "Status": self.status,
            "Currency_Code": self.currency,
            "Amount": self.amount,
            "Last_Modified": self.last_modified,
            "Sales_Lines": {"Sales_Order_Line": [line.values() for line in self.lines]},
        }


@dataclass(slots=True)
class Invoice:
    id: str
    customer_code: str
    order_no: str | None
    issued_on: date
    due_on: date
    amount: Decimal
    paid: Decimal
    updated_at: datetime
    currency: str = "CNY"

    @property
    def open_amount(self) -> Decimal:
        return self.amount - self.paid

    @property
    def status(self) -> str:
        if self.paid >= self.amount:
            return "paid"
        return "partially_paid" if self.paid else "open"

    def json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "customer_code": self.customer_code,
            "order_no": self.order_no,
            "issued_on": self.issued_on.isoformat(),
            "due_on": self.due_on.isoformat(),
            "currency": self.currency,
            "amount": money_text(self.amount),
            "open_amount": money_text(self.open_amount),
            "status": self.status,
            "updated_at": utc_text(self.updated_at),
        }


@dataclass(slots=True)
class Payment:
    id: str
    customer_code: str
    invoice_id: str
    received_on: date
    amount: Decimal
    method: str
    updated_at: datetime
    currency: str = "CNY"

    def json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "customer_code": self.customer_code,
            "invoice_id": self.invoice_id,
            "received_on": self.received_on.isoformat(),
            "currency": self.currency,
            "amount": money_text(self.amount),
            "method": self.method,
            "updated_at": utc_text(self.updated_at),
        }


@dataclass(slots=True)
class CreditBalance:
    customer_code: str
    credit_limit: Decimal
    open_balance: Decimal
    outstanding_orders: Decimal
    updated_at: datetime
    currency: str = "CNY"
    blocked: bool = field(default=False)

    @property
    def available(self) -> Decimal:
        return self.credit_limit - self.open_balance - self.outstanding_orders

    def json(self) -> dict[str, Any]:
        return {
            "customer_code": self.customer_code,
            "currency": self.currency,
            "credit_limit": money_text(self.credit_limit),
            "open_balance": money_text(self.open_balance),
            "outstanding_orders": money_text(self.outstanding_orders),
            "available": money_text(self.available),
            "blocked": self.blocked,
            "updated_at": utc_text(self.updated_at),
        }

"""The demo ERP's live dataset: the records it serves, looked up by key and changed at runtime.

``ErpDataset`` holds every table in its stable key order (what bookmark paging walks) and the
finance documents; it is built by ``demo.erp.data.build_dataset``. The mutations — ``touch_*``,
``set_inventory``, ``set_order_status``, ``record_payment`` and ``create_sales_order`` (what
the SOAP ``CreateSalesOrder`` calls) — each take the time ``at`` explicitly, bump the record's
version (so its bookmark key changes, as in NAV) and never move ``Last_Modified`` backwards:
a changed record is always newer than everything an incremental reader has seen.

Errors: ``ErpInputError`` (a ``ValueError``) names what is wrong with a request; the SOAP
service answers it with a Client fault.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from demo.erp.records import (
    ORDER_STATUSES,
    CreditBalance,
    Customer,
    Invoice,
    Item,
    Payment,
    SalesLine,
    SalesOrder,
    StockEntry,
)

ONE_SECOND = timedelta(seconds=1)
FIRST_ORDER_NUMBER = 100_001


class ErpInputError(ValueError):
    """A request the ERP refuses: unknown customer or item, bad quantity, unknown status."""


@dataclass(frozen=True, slots=True)
class NewLine:
    """One line of an order to create: item number, quantity and unit price."""

    item_no: str
    quantity: int
    unit_price: Decimal


class ErpDataset:
    """Every record the demo ERP serves, with lookups and runtime changes."""

    def __init__(
        self,
        customers: Iterable[Customer],
        items: Iterable[Item],
        stock: Iterable[StockEntry],
        orders: Iterable[SalesOrder],
        invoices: Iterable[Invoice],
        payments: Iterable[Payment],
    ) -> None:
        self.customers = sorted(customers, key=lambda r: r.sort_key)
        self.items = sorted(items, key=lambda r: r.sort_key)
        self.stock = sorted(stock, key=lambda r: r.sort_key)
        self.orders = sorted(orders, key=lambda r: r.sort_key)
        self.invoices = list(invoices)
        self.payments = list(payments)
        self._customers = {c.no: c for c in self.customers}
        self._items = {i.no: i for i in self.items}
        self._stock = {s.id: s for s in self.stock}
        self._orders = {o.no: o for o in self.orders}
        self._invoices = {i.id: i for i in self.invoices}
        numbers = [int(o.no.removeprefix("SO-")) for o in self.orders]
        self._next_order = max(numbers, default=FIRST_ORDER_NUMBER - 1) + 1
        self._version = max((r.version for r in self._versioned()), default=0)
        self._high = max(
            [r.last_modified for r in self._versioned()]
            + [i.updated_at for i in self.invoices]
            + [p.updated_at for p in self.payments],
            default=datetime.min.replace(tzinfo=UTC),
        )

    def _versioned(self) -> Iterable[Customer | Item | StockEntry | SalesOrder]:
        yield from self.customers
        yield from self.items
        yield from self.stock
        yield from self.orders

    # -- tables and lookups ------------------------------------------------------------------

    def table(self, name: str) -> Sequence[Customer | Item | StockEntry | SalesOrder]:
        """The records of ``Customer``, ``Item``, ``Stock`` or ``Sales_Order`` in key order."""
        tables: dict[str, Sequence[Any]] = {
            "Customer": self.customers,
            "Item": self.items,
            "Stock": self.stock,
            "Sales_Order": self.orders,
        }
        return tables[name]

    def customer(self, code: str) -> Customer | None:
        return self._customers.get(code)

    def item(self, sku: str) -> Item | None:
        return self._items.get(sku)

    def stock_entry(self, location_code: str, item_no: str) -> StockEntry | None:
        return self._stock.get(f"{location_code}|{item_no}")

    def order(self, no: str) -> SalesOrder | None:
        return self._orders.get(no)

    def orders_by_external_no(self, external_no: str) -> list[SalesOrder]:
        """Every order carrying ``external_no`` (more than one if a client sent it twice)."""
        return [o for o in self.orders if o.external_document_no == external_no]

    @property
    def created_orders(self) -> list[SalesOrder]:
        """The orders created through ``CreateSalesOrder``, oldest first."""
        return [o for o in self.orders if o.created_by_api]

    # -- finance -----------------------------------------------------------------------------

    def credit_balance(self, code: str) -> CreditBalance | None:
        customer = self._customers.get(code)
        if customer is None:
            return None
        invoices = [i for i in self.invoices if i.customer_code == code]
        outstanding = sum(
            (o.amount for o in self.orders if o.customer_no == code and o.status != "Invoiced"),
            Decimal("0.00"),
        )
        changed = [customer.last_modified] + [i.updated_at for i in invoices]
        changed += [o.last_modified for o in self.orders if o.customer_no == code]
        return CreditBalance(
            customer_code=code,
            credit_limit=customer.credit_limit,
            open_balance=sum((i.open_amount for i in invoices), Decimal("0.00")),
            outstanding_orders=outstanding,
            updated_at=max(changed),
            blocked=customer.blocked != "_blank_",
        )

    def credit_balances(self, codes: Iterable[str] | None = None) -> list[CreditBalance]:
        """Balances of ``codes`` (unknown codes left out), or of every customer; by code."""
        wanted = sorted(set(codes)) if codes is not None else [c.no for c in self.customers]
        found = (self.credit_balance(code) for code in wanted)
        return [balance for balance in found if balance is not None]

    # -- changes -----------------------------------------------------------------------------

    def _stamp(self, at: datetime) -> tuple[int, datetime]:
        if at.tzinfo is None:
            raise ValueError("at must be timezone-aware")
        self._version += 1
        self._high = max(at, self._high + ONE_SECOND)
        return self._version, self._high

    def _bump(self, record: Customer | Item | StockEntry | SalesOrder, at: datetime) -> None:
        record.version, record.last_modified = self._stamp(at)

    def touch_customer(
        self,
        code: str,
        *,
        at: datetime,
        name: str | None = None,
        credit_limit: Decimal | None = None,
        blocked: str | None = None,
    ) -> Customer:
        """Change a customer (or just mark it modified); its ``Last_Modified`` moves to ``at``."""
        customer = self._customers.get(code)
        if customer is None:
            raise ErpInputError(f"there is no customer {code!r}")
        if blocked is not None and blocked not in ("_blank_", "Ship", "Invoice", "All"):
            raise ErpInputError("Blocked must be _blank_, Ship, Invoice or All")
        customer.name = name if name is not None else customer.name
        customer.credit_limit = credit_limit if credit_limit is not None else customer.credit_limit
        customer.blocked = blocked if blocked is not None else customer.blocked
        self._bump(customer, at)
        return customer

    def touch_item(self, sku: str, *, at: datetime, unit_price: Decimal | None = None) -> Item:
        """Change an item's price (or just mark it modified)."""
        item = self._items.get(sku)
        if item is None:
            raise ErpInputError(f"there is no item {sku!r}")
        item.unit_price = unit_price if unit_price is not None else item.unit_price
        self._bump(item, at)
        return item

    def set_inventory(
        self, location_code: str, item_no: str, inventory: int, *, at: datetime
    ) -> StockEntry:
        """Set the quantity on hand of an item at a location."""
        entry = self.stock_entry(location_code, item_no)
        if entry is None:
            raise ErpInputError(f"no stock of {item_no!r} at {location_code!r}")
        if inventory < 0:
            raise ErpInputError("inventory cannot be negative")
        entry.inventory = inventory
        entry.reserved = min(entry.reserved, inventory)
        self._bump(entry, at)
        return entry

    def set_order_status(self, no: str, status: str, *, at: datetime) -> SalesOrder:
        """Move a sales order to ``Open``, ``Released``, ``Shipped`` or ``Invoiced``."""
        order = self._orders.get(no)
        if order is None:
            raise ErpInputError(f"there is no sales order {no!r}")
        if status not in ORDER_STATUSES:
            raise ErpInputError(f"Status must be one of {', '.join(ORDER_STATUSES)}")
        order.status = status
        self._bump(order, at)
        return order

    def record_payment(
        self, invoice_id: str, amount: Decimal, *, at: datetime, method: str = "bank_transfer"
    ) -> Payment:
        """Receive a payment against an invoice (its open amount and the balance drop)."""
        invoice = self._invoices.get(invoice_id)
        if invoice is None:
            raise ErpInputError(f"there is no invoice {invoice_id!r}")
        if amount <= 0 or amount > invoice.open_amount:
            raise ErpInputError("a payment must be positive and at most the open amount")
        _, stamp = self._stamp(at)
        payment = Payment(
            id=f"PAY-{len(self.payments) + 1:06d}",
            customer_code=invoice.customer_code,
            invoice_id=invoice.id,
            received_on=stamp.date(),
            amount=amount,
            method=method,
            updated_at=stamp,
        )
        self.payments.append(payment)
        invoice.paid += amount
        invoice.updated_at = stamp
        return payment

    def create_sales_order(
        self,
        *,
        external_no: str | None,
        customer_no: str,
        order_date: date,
        lines: Sequence[NewLine],
        at: datetime,
        currency: str = "CNY",
    ) -> SalesOrder:
        """A new ``Open`` order numbered ``SO-1xxxxx``; the same ``external_no`` twice makes two.

        Like NAV, nothing here deduplicates: a client that may resend looks the external
        document number up first (``orders_by_external_no``).
        """
        customer = self._customers.get(customer_no)
        if customer is None:
            raise ErpInputError(f"there is no customer {customer_no!r}")
        if customer.blocked == "All":
            raise ErpInputError(f"customer {customer_no!r} is blocked")
        if not lines:
            raise ErpInputError("a sales order needs at least one line")
        if currency != "CNY":
            raise ErpInputError("the demo ERP sells in CNY only")
        order_lines: list[SalesLine] = []
        for number, line in enumerate(lines, start=1):
            item = self._items.get(line.item_no)
            if item is None:
                raise ErpInputError(f"line {number}: there is no item {line.item_no!r}")
            if line.quantity <= 0:
                raise ErpInputError(f"line {number}: Quantity must be positive")
            if line.unit_price < 0:
                raise ErpInputError(f"line {number}: Unit_Price cannot be negative")
            price = line.unit_price.quantize(Decimal("0.01"))
            order_lines.append(
                SalesLine(number * 10_000, item.no, item.description, line.quantity, price)
            )
        version, stamp = self._stamp(at)
        order = SalesOrder(
            no=f"SO-{self._next_order}",
            external_document_no=external_no or None,
            customer_no=customer.no,
            customer_name=customer.name,
            order_date=order_date,
            status="Open",
            lines=order_lines,
            last_modified=stamp,
            version=version,
            created_by_api=True,
        )
        self._next_order += 1
        position = bisect.bisect([o.sort_key for o in self.orders], order.sort_key)
        self.orders.insert(position, order)
        self._orders[order.no] = order
        return order

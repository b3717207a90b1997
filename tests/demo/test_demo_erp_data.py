"""The demo ERP's dataset: deterministic, lined up with the hub's demo seed by natural key,
exact money, aware times, and runtime changes that an incremental reader always sees."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from demo.data import generate
from demo.erp.data import ERP_SCALES, build_dataset
from demo.erp.dataset import ErpDataset, ErpInputError, NewLine
from demo.erp.records import ORDER_STATUSES, bookmark_key
from domain.enums import PartnerStatus

NOW = datetime(2026, 3, 15, 9, 30, tzinfo=UTC)
TINY = ERP_SCALES["tiny"]


@pytest.fixture(scope="module")
def seed_rows() -> dict[str, list[dict[str, object]]]:
    return dict(generate(TINY.hub, NOW).reference)


@pytest.fixture
def dataset() -> ErpDataset:
    return build_dataset(TINY, now=NOW)


def _snapshot(dataset: ErpDataset) -> list[object]:
    tables = [dataset.table(name) for name in ("Customer", "Item", "Stock", "Sales_Order")]
    return [
        [record.values() for table in tables for record in table],
        [invoice.json() for invoice in dataset.invoices],
        [payment.json() for payment in dataset.payments],
    ]


def test_the_same_seed_scale_and_now_give_the_same_books() -> None:
    assert _snapshot(build_dataset("tiny", now=NOW)) == _snapshot(build_dataset("tiny", now=NOW))


def test_codes_and_skus_do_not_depend_on_now() -> None:
    later = build_dataset("tiny", now=NOW + timedelta(days=40))
    earlier = build_dataset("tiny", now=NOW)
    assert [c.no for c in later.customers] == [c.no for c in earlier.customers]
    assert [i.no for i in later.items] == [i.no for i in earlier.items]


def test_customers_are_the_seed_partners_plus_dealers_only_in_the_erp(dataset, seed_rows) -> None:
    partners = {row["code"]: row for row in seed_rows["partners"]}
    prospects = {c for c, row in partners.items() if row["status"] is PartnerStatus.PROSPECT}
    known = [c for c in dataset.customers if not c.only_in_erp]
    assert {c.no for c in known} == set(partners) - prospects
    new = [c for c in dataset.customers if c.only_in_erp]
    assert len(new) == TINY.new_dealers
    assert all(c.no.startswith("DLR-") and c.no not in partners for c in new)
    cities = {row["code"] for row in seed_rows["regions"] if row["level"] == 2}
    tiers = {str(row["name"]).upper() for row in seed_rows["tiers"]}
    assert all(c.territory_code in cities and c.price_group in tiers for c in new)


def test_seed_partners_keep_their_region_tier_and_credit_at_the_seeds_now(
    dataset, seed_rows
) -> None:
    regions = {row["id"]: row["code"] for row in seed_rows["regions"]}
    tiers = {row["id"]: str(row["name"]).upper() for row in seed_rows["tiers"]}
    for row in seed_rows["partners"]:
        customer = dataset.customer(str(row["code"]))
        if customer is None:
            continue
        assert customer.territory_code == regions[row["region_id"]]
        assert customer.price_group == tiers[row["tier_id"]]
        assert customer.credit_limit == row["credit_limit"]


def test_items_are_the_seed_products_plus_new_ones(dataset, seed_rows) -> None:
    skus = {row["sku"] for row in seed_rows["products"]}
    assert {i.no for i in dataset.items if not i.only_in_erp} == skus
    new = [i for i in dataset.items if i.only_in_erp]
    assert len(new) == TINY.new_items
    assert all(i.no not in skus and i.lifecycle_code == "NEW" for i in new)
    barcodes = {row["barcode"] for row in seed_rows["products"]}
    assert all(i.gtin not in barcodes for i in new)


def test_stock_is_at_seed_partner_sites_for_seed_skus(dataset, seed_rows) -> None:
    locations = {row["id"]: row["code"] for row in seed_rows["locations"]}
    skus = {row["id"]: row["sku"] for row in seed_rows["products"]}
    seeded = {
        (locations[row["location_id"]], skus[row["product_id"]])
        for row in seed_rows["stock_levels"]
    }
    entries = {(s.location_code, s.item_no) for s in dataset.stock}
    assert entries and entries <= seeded
    sites = {code for code, _ in entries}
    assert len(sites) == TINY.stock_sites
    assert all(code.startswith("LOC-") for code in sites)


def test_orders_have_nav_statuses_exact_money_and_known_parties(dataset) -> None:
    assert len(dataset.orders) == TINY.sales_orders
    assert {o.status for o in dataset.orders} <= set(ORDER_STATUSES)
    for order in dataset.orders:
        assert dataset.customer(order.customer_no) is not None
        assert order.lines and all(dataset.item(line.item_no) for line in order.lines)
        assert all(type(line.quantity) is int and line.quantity > 0 for line in order.lines)
        assert order.amount == sum(line.quantity * line.unit_price for line in order.lines)
        assert isinstance(order.amount, Decimal)
        assert order.last_modified.tzinfo is not None and order.last_modified <= NOW


def test_every_invoiced_order_has_an_invoice_and_payments_add_up(dataset) -> None:
    invoiced = {o.no for o in dataset.orders if o.status == "Invoiced"}
    assert invoiced == {i.order_no for i in dataset.invoices if i.order_no}
    paid: defaultdict[str, Decimal] = defaultdict(Decimal)
    for payment in dataset.payments:
        paid[payment.invoice_id] += payment.amount
    for invoice in dataset.invoices:
        assert invoice.paid == paid.get(invoice.id, Decimal(0))
        assert invoice.open_amount == invoice.amount - invoice.paid >= 0


def test_a_credit_balance_is_limit_minus_open_invoices_and_orders(dataset) -> None:
    code = dataset.orders[0].customer_no
    balance = dataset.credit_balance(code)
    assert balance is not None
    open_invoices = sum(i.open_amount for i in dataset.invoices if i.customer_code == code)
    assert balance.open_balance == open_invoices
    assert balance.available == (
        balance.credit_limit - balance.open_balance - balance.outstanding_orders
    )
    assert dataset.credit_balances([code, "NOPE"]) == [balance]


def test_the_small_scale_is_what_the_brief_promises() -> None:
    small = build_dataset("small", now=NOW)
    assert len(small.orders) == 300
    assert sum(c.only_in_erp for c in small.customers) == 10
    assert sum(i.only_in_erp for i in small.items) == 5
    assert len({s.location_code for s in small.stock}) == 40


def test_touching_a_customer_changes_its_key_and_makes_it_the_newest(dataset) -> None:
    customer = dataset.customers[0]
    before = customer.values()
    newest = max(r.last_modified for r in dataset.customers)
    dataset.touch_customer(customer.no, at=NOW - timedelta(days=400), credit_limit=Decimal(5))
    after = customer.values()
    assert after["Key"] != before["Key"]
    assert bookmark_key("Customer", after["Key"]) == customer.no
    assert after["Last_Modified"] > newest
    assert after["Credit_Limit_LCY"] == Decimal(5)
    with pytest.raises(ErpInputError, match="no customer"):
        dataset.touch_customer("NOPE", at=NOW)


def test_the_same_external_number_twice_creates_two_orders(dataset) -> None:
    customer = next(c for c in dataset.customers if c.blocked == "_blank_")
    line = NewLine(dataset.items[0].no, 3, Decimal("9.90"))
    first, second = (
        dataset.create_sales_order(
            external_no="HUB-1",
            customer_no=customer.no,
            order_date=NOW.date(),
            lines=[line],
            at=NOW,
        )
        for _ in range(2)
    )
    assert first.no != second.no and first.status == second.status == "Open"
    assert dataset.created_orders == [first, second]
    assert dataset.orders_by_external_no("HUB-1") == [first, second]
    assert dataset.orders[-1] is second and first.amount == Decimal("29.70")
    with pytest.raises(ErpInputError, match="no item"):
        dataset.create_sales_order(
            external_no=None,
            customer_no=customer.no,
            order_date=NOW.date(),
            lines=[NewLine("NOPE-1", 1, Decimal(1))],
            at=NOW,
        )


def test_a_payment_lowers_the_open_balance(dataset) -> None:
    invoice = next(i for i in dataset.invoices if i.open_amount > 0)
    before = dataset.credit_balance(invoice.customer_code)
    payment = dataset.record_payment(invoice.id, invoice.open_amount, at=NOW)
    after = dataset.credit_balance(invoice.customer_code)
    assert before is not None and after is not None
    assert after.open_balance == before.open_balance - payment.amount
    assert invoice.status == "paid" and invoice.updated_at == payment.updated_at

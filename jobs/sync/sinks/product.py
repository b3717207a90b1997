"""Products from a stream: matched by SKU, barcode kept unique."""

from __future__ import annotations

from domain.enums import ProductLifecycle
from jobs.sync.fields import Field
from jobs.sync.sinks.base import Sink
from store.models import Product


class ProductSink(Sink):
    entity = "product"
    label = "product"
    model = Product
    fields = {
        "sku": Field("str", nullable=False, max_length=64, nonempty=True),
        "name": Field("str", nullable=False, max_length=200, nonempty=True),
        "category": Field("str", nullable=False, max_length=100, nonempty=True),
        "unit": Field("str", nullable=False, max_length=16, nonempty=True),
        "list_price": Field("money", nullable=False),
        "lifecycle": Field("enum", nullable=False, enum=ProductLifecycle),
        "launch_date": Field("date"),
        "barcode": Field("str", max_length=64),
    }
    required = ("sku", "name", "category", "list_price")
    natural_key = "sku"
    insert_key = ("sku",)
    unique = ("sku", "barcode")

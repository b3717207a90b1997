"""The demo ERP that ``channelhub demo`` serves in-process, so data arrives with no setup.

A NAV-flavoured SOAP sales service (customers, items, stock, sales orders; bookmark paging;
``CreateSalesOrder`` for write-back) and a REST/JSON finance service (OAuth2 client
credentials; invoices, payments, credit balances with cursor pages), both over one
deterministic dataset that lines up with the hub's demo seed by natural key.

    erp = DemoErp.build("small", now=seed_report.now)
    routes = erp_routes(erp)                                  # mount in the hub app
    configs = demo_connector_configs("http://127.0.0.1:8000", erp)  # then apply_configs
"""

from demo.erp.configs import FINANCE_CONNECTOR, SALES_CONNECTOR, demo_connector_configs
from demo.erp.data import ERP_SCALES, ErpScale, build_dataset
from demo.erp.dataset import ErpDataset, ErpInputError
from demo.erp.erp import DemoErp
from demo.erp.routes import erp_app, erp_routes

__all__ = [
    "ERP_SCALES",
    "FINANCE_CONNECTOR",
    "SALES_CONNECTOR",
    "DemoErp",
    "ErpDataset",
    "ErpInputError",
    "ErpScale",
    "build_dataset",
    "demo_connector_configs",
    "erp_app",
    "erp_routes",
]

"""Where the demo ERP is reached: its routes, to mount in the hub app or serve on their own.

``erp_routes(erp)`` is one ``Mount`` at ``/demo-erp`` (``prefix``) holding the SOAP sales
service at ``/demo-erp/soap`` (WSDL: ``/demo-erp/soap?wsdl``) and the finance service under
``/demo-erp/finance/`` (token: ``/demo-erp/finance/oauth/token``). ``erp_app(erp)`` is a
Starlette app with only those routes (``demo.erp.server.serve_erp`` runs it on a port).
"""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.routing import BaseRoute, Mount, Route

from demo.erp.erp import DemoErp
from demo.erp.finance import FinanceService
from demo.erp.soap import SoapService

PREFIX = "/demo-erp"


def erp_routes(erp: DemoErp, prefix: str = PREFIX) -> list[BaseRoute]:
    """The demo ERP's routes under ``prefix``: ``/soap`` and ``/finance/…``."""
    soap = SoapService(erp)
    return [
        Mount(
            prefix,
            routes=[
                Route("/soap", soap.handle, methods=["GET", "POST"]),
                Mount("/finance", routes=FinanceService(erp).routes()),
            ],
        )
    ]


def erp_app(erp: DemoErp, prefix: str = PREFIX) -> Starlette:
    """A Starlette app serving only the demo ERP (under ``prefix``)."""
    return Starlette(routes=erp_routes(erp, prefix))

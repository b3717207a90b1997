"""NetSuite 2017.1 WSDL (unmodified, from a file): discover, and the parsed-WSDL caches."""

from __future__ import annotations

from pathlib import Path

import pytest
import zeep
from zeep.transports import Transport

from connectors.soap import SoapConnector, SoapConnectorConfig, wsdl_cache

pytestmark = pytest.mark.anyio


def transport() -> Transport:
    return Transport()  # type: ignore[no-untyped-call]


async def test_netsuite_discover_lists_operations_and_record_types(erp_fixtures: Path) -> None:
    wsdl = str(erp_fixtures / "netsuite-2017_1" / "netsuite.wsdl")
    config = SoapConnectorConfig(name="netsuite", kind="soap", connection={"wsdl": wsdl})  # type: ignore[arg-type]
    found = await SoapConnector(config).discover()
    operations = {e.name for e in found if e.kind == "operation"}
    assert {"search", "searchMoreWithId", "add", "get", "update"} <= operations
    customer = next(e for e in found if e.kind == "record_type" and e.name == "Customer")
    assert {"entityId", "companyName", "email"} <= {f.name for f in customer.fields}


def test_netsuite_disk_cache_is_used_by_a_fresh_process(erp_fixtures: Path, tmp_path: Path) -> None:
    wsdl = str(erp_fixtures / "netsuite-2017_1" / "netsuite.wsdl")
    wsdl_cache.clear_memory_cache()
    before = wsdl_cache.stats.copy()
    wsdl_cache.load_document(wsdl, transport(), zeep.Settings(), cache_dir=tmp_path)
    wsdl_cache.clear_memory_cache()  # as if a new worker started
    document = wsdl_cache.load_document(wsdl, transport(), zeep.Settings(), cache_dir=tmp_path)
    again = wsdl_cache.load_document(wsdl, transport(), zeep.Settings(), cache_dir=tmp_path)
    assert again is document
    delta = wsdl_cache.stats - before
    assert delta == {"parsed": 1, "disk": 1, "memory": 1}
    client = zeep.Client(wsdl=document)  # type: ignore[no-untyped-call]
    search = client.get_element("{urn:messages_2017_1.platform.webservices.netsuite.com}search")  # type: ignore[no-untyped-call]
    assert search is not None

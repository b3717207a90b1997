"""Connector read bench: records/s read and mapped from local REST and SOAP stubs, vs bare parsing.

Two paths, each over N records (default 10,000) in pages of 500 served on 127.0.0.1 by
``bench/connector_stubs.py`` (pages rendered up front, so the stub costs little):

- **rest**: ``RestConnector`` (shared ``httpx.AsyncClient``, cursor pagination, JMESPath
  record selector, incremental on ``updated_at`` as a synced stream reads: a first read, so no
  cursor is sent, but the largest cursor is tracked record by record) reads products;
  ``map_page`` maps them to the hub's product (decimal and date casts, a category value map).
  Floor: ``json.loads`` on the same page bodies (bytes already in memory, no HTTP) and taking
  the record list out.
- **soap**: ``SoapConnector`` (zeep loads the WSDL and checks each reply; records are read
  from the envelope by ``connectors.soap.fast_records``) reads NAV customers through the
  unmodified ``Customer.wsdl`` (``ReadMultiple``, bookmark paging); ``map_page`` maps them to
  the hub's partner. Floor: ``lxml.etree.fromstring`` on the same response envelopes and one
  XPath to the ``Customer`` elements.

Printed per path: records/s end to end (read + map), records/s read only, the floor's
records/s and the ratio floor / end to end, all measured in the same run (median of
``--rounds`` interleaved rounds after ``--warmup`` unmeasured ones). Every pass is checked:
the stub served N records, N records came back (N mapped, none rejected) and every external
id exactly once; any miss fails the run (exit status 1).

Run: ``.venv/bin/python bench/connector_read.py [--records N] [--rounds N] [--json]`` (or
``make bench``).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import httpx
from lxml import etree  # type: ignore[import-untyped]

from bench.connector_stubs import (
    BLOCKED_CODES,
    CATEGORY_CODES,
    NAV_CUSTOMER_NS,
    SOAP_ENV,
    NavStub,
    RestStub,
    customer_rows,
    product_rows,
)
from connectors.mapper import map_page, read_path
from connectors.mapping_config import EntityMapping
from connectors.protocol import Connector
from connectors.rest import RestConnector, RestConnectorConfig
from connectors.soap import SoapConnector, SoapConnectorConfig

DEFAULT_RECORDS = 10_000
PAGE_SIZE = 500

Log = Callable[[str], None]


def log_to_stderr(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


class ReadCheckError(AssertionError):
    """A read missed, repeated or failed to map records: its timing means nothing."""


# -- the connectors, by config ----------------------------------------------------------------

PRODUCT_MAPPING = EntityMapping.model_validate(
    {
        "entity": "product",
        "external_id": "id",
        "fields": {
            "sku": {"source": "sku", "required": True},
            "name": {"source": "name", "required": True},
            "category": {"source": "category_code", "value_map": CATEGORY_CODES},
            "list_price": {"source": "price", "cast": "decimal", "required": True},
            "launch_date": {"source": "launched_on", "cast": "date"},
            "unit": {"source": "unit", "default": "EA"},
            "barcode": "barcode",
        },
    }
)

PARTNER_MAPPING = EntityMapping.model_validate(
    {
        "entity": "partner",
        "external_id": "No",
        "fields": {
            "code": {"source": "No", "required": True},
            "name": {"source": "Name", "required": True},
            "status": {"source": "Blocked", "value_map": BLOCKED_CODES, "default": "ACTIVE"},
            "credit_limit": {"source": "Credit_Limit_LCY", "cast": "decimal", "default": "0"},
            "balance": {"source": "Balance_LCY", "cast": "decimal"},
            "city": "City",
            "country": "Country_Region_Code",
            "last_modified": {"source": "Last_Date_Modified", "cast": "date"},
        },
    }
)


def rest_config(base_url: str, page_size: int) -> RestConnectorConfig:
    return RestConnectorConfig.model_validate(
        {
            "name": "bench-rest-erp",
            "kind": "rest",
            "connection": {
                "base_url": f"{base_url}/api",
                # The default client-side limit (10 requests/s) would time the token bucket.
                "rate_limit": {"requests_per_second": 1_000_000, "burst": 1_000},
            },
            "streams": [
                {
                    "name": "products",
                    "request": {"path": "products", "params": {"limit": page_size}},
                    "record_selector": "data",
                    "incremental": {"cursor_field": "updated_at", "request_param": "since"},
                    "paginator": {
                        "type": "cursor",
                        "cursor_path": "meta.next_cursor",
                        "cursor_param": "cursor",
                    },
                    "mapping": PRODUCT_MAPPING.model_dump(exclude_unset=True),
                }
            ],
        }
    )


def soap_config(wsdl_url: str, page_size: int) -> SoapConnectorConfig:
    return SoapConnectorConfig.model_validate(
        {
            "name": "bench-nav",
            "kind": "soap",
            "connection": {"wsdl": wsdl_url},
            "streams": [
                {
                    "name": "customers",
                    "operation": "ReadMultiple",
                    "args": {
                        "filter": [{"Field": "No", "Criteria": "*"}],
                        "bookmarkKey": "{bookmark}",
                    },
                    "paginator": {"type": "bookmark", "page_size": page_size},
                    "mapping": PARTNER_MAPPING.model_dump(exclude_unset=True),
                }
            ],
        }
    )


def _no_refs(entity: str, external_id: str) -> int | None:
    return None  # neither mapping has a `ref` rule


# -- one pass ---------------------------------------------------------------------------------


@dataclass
class Pass:
    seconds: float
    pages: int
    ids: list[str]


async def read_pass(
    connector: Connector, stream: str, mapping: EntityMapping, *, map_records: bool
) -> Pass:
    """Read every page of ``stream``, mapping each page when ``map_records``; ids after."""
    kept: list[Any] = []
    pages = 0
    started = time.perf_counter()
    if map_records:
        async for page in connector.read(stream):
            pages += 1
            kept.append(map_page(mapping, page.records, _no_refs))
    else:
        async for page in connector.read(stream):
            pages += 1
            kept.append(page.records)
    seconds = time.perf_counter() - started
    ids: list[str] = []
    for item in kept:
        if not map_records:
            ids += [str(read_path(record, mapping.external_id)) for record in item]
            continue
        mapped, rejected = item
        if rejected:
            first = rejected[0]
            raise ReadCheckError(
                f"{stream}: {len(rejected)} record(s) rejected by the mapping, "
                f"e.g. {first.external_id}: {first.reason}"
            )
        ids += [record.external_id for record in mapped]
    return Pass(seconds, pages, ids)


def check_exactly_once(label: str, ids: Sequence[str], expected: Sequence[str]) -> None:
    """Fail loudly unless ``ids`` holds every expected id exactly once (and nothing else)."""
    counts = Counter(ids)
    repeated = sorted(i for i, n in counts.items() if n > 1)
    missing = sorted(set(expected) - counts.keys())
    unexpected = sorted(counts.keys() - set(expected))
    if len(ids) != len(expected) or repeated or missing or unexpected:
        raise ReadCheckError(
            f"{label}: {len(ids):,} records for {len(expected):,} expected; "
            f"{len(repeated)} repeated (e.g. {repeated[:3]}), {len(missing)} missing "
            f"(e.g. {missing[:3]}), {len(unexpected)} unexpected (e.g. {unexpected[:3]})"
        )


# -- the floors -------------------------------------------------------------------------------


def json_floor(bodies: Sequence[bytes]) -> int:
    """Records in the REST page bodies, by ``json.loads`` alone."""
    return sum(len(json.loads(body)["data"]) for body in bodies)


_CUSTOMERS = etree.XPath(
    "/s:Envelope/s:Body/n:ReadMultiple_Result/n:ReadMultiple_Result/n:Customer",
    namespaces={"s": SOAP_ENV, "n": NAV_CUSTOMER_NS},
)


def lxml_floor(bodies: Sequence[bytes]) -> int:
    """Customer elements in the SOAP envelopes, by ``lxml.etree.fromstring`` and one XPath."""
    return sum(len(_CUSTOMERS(etree.fromstring(body))) for body in bodies)


Floor = Callable[[Sequence[bytes]], int]


def timed_floor(floor: Floor, bodies: Sequence[bytes]) -> tuple[float, int]:
    """Seconds and records of one floor pass over ``bodies``."""
    started = time.perf_counter()
    count = floor(bodies)
    return time.perf_counter() - started, count


# -- a path -----------------------------------------------------------------------------------


@dataclass
class PathResult:
    name: str
    description: str
    floor_name: str
    records: int
    pages: int
    payload_bytes: int
    end_to_end: list[float] = field(default_factory=list)
    read_only: list[float] = field(default_factory=list)
    floor: list[float] = field(default_factory=list)

    def rate(self, seconds: list[float]) -> float:
        return self.records / statistics.median(seconds)

    @property
    def end_to_end_rate(self) -> float:
        return self.rate(self.end_to_end)

    @property
    def read_only_rate(self) -> float:
        return self.rate(self.read_only)

    @property
    def floor_rate(self) -> float:
        return self.rate(self.floor)

    @property
    def ratio(self) -> float:
        """How many times faster the bare parse is than reading and mapping."""
        return self.floor_rate / self.end_to_end_rate

    def as_json(self) -> dict[str, Any]:
        return {
            "records": self.records,
            "pages": self.pages,
            "payload_bytes": self.payload_bytes,
            "end_to_end_records_per_s": round(self.end_to_end_rate),
            "read_only_records_per_s": round(self.read_only_rate),
            "floor_records_per_s": round(self.floor_rate),
            "floor": self.floor_name,
            "ratio_floor_to_end_to_end": round(self.ratio, 2),
            "mapping_share_of_end_to_end": round(1 - self.end_to_end_rate / self.read_only_rate, 3),
        }


async def measure_path(
    result: PathResult,
    connector: Connector,
    stream: str,
    mapping: EntityMapping,
    stub: RestStub | NavStub,
    floor: Floor,
    expected: list[str],
    *,
    rounds: int,
    warmup: int,
) -> None:
    """Interleave end-to-end, read-only and floor passes; check every pass."""

    async def checked(label: str, with_mapping: bool) -> Pass:
        stub.reset_counts()
        done = await read_pass(connector, stream, mapping, map_records=with_mapping)
        if stub.served_records != len(expected) or stub.served_pages != done.pages:
            raise ReadCheckError(
                f"{label}: the stub served {stub.served_records:,} records in "
                f"{stub.served_pages} pages for {len(expected):,} in the stream, "
                f"read in {done.pages} pages"
            )
        check_exactly_once(label, done.ids, expected)
        return done

    for number in range(warmup + rounds):
        measured = number >= warmup
        tag = f"{result.name} round {number + 1 - warmup}" if measured else f"{result.name} warm-up"
        both = await checked(f"{tag} (read + map)", True)
        read = await checked(f"{tag} (read only)", False)
        floor_seconds, floor_records = timed_floor(floor, stub.bodies)
        if floor_records != len(expected):
            raise ReadCheckError(f"{tag} (floor): {floor_records:,} records for {len(expected):,}")
        if measured:
            result.end_to_end.append(both.seconds)
            result.read_only.append(read.seconds)
            result.floor.append(floor_seconds)
            result.pages = both.pages


async def run_rest(records: int, page_size: int, *, rounds: int, warmup: int) -> PathResult:
    rows = product_rows(records)
    with RestStub(rows, page_size) as stub:
        result = PathResult(
            "rest",
            "products, JSON pages over HTTP, cursor pagination",
            "json.loads",
            records,
            0,
            sum(map(len, stub.bodies)),
        )
        timeout = httpx.Timeout(30.0, connect=5.0)
        async with httpx.AsyncClient(timeout=timeout) as client:
            connector = RestConnector(rest_config(stub.base_url, page_size), client)
            try:
                await measure_path(
                    result,
                    connector,
                    "products",
                    PRODUCT_MAPPING,
                    stub,
                    json_floor,
                    [row["id"] for row in rows],
                    rounds=rounds,
                    warmup=warmup,
                )
            finally:
                await connector.aclose()
    return result


async def run_soap(records: int, page_size: int, *, rounds: int, warmup: int) -> PathResult:
    rows = customer_rows(records)
    with NavStub(rows, page_size) as stub, tempfile.TemporaryDirectory() as cache:
        result = PathResult(
            "soap",
            "NAV customers, Customer.wsdl ReadMultiple, bookmark paging",
            "lxml.etree.fromstring + XPath",
            records,
            0,
            sum(map(len, stub.bodies)),
        )
        connector = SoapConnector(soap_config(stub.wsdl_url, page_size), cache_dir=Path(cache))
        try:
            await connector.discover()  # builds the zeep client (WSDL load): not measured
            await measure_path(
                result,
                connector,
                "customers",
                PARTNER_MAPPING,
                stub,
                lxml_floor,
                [row["No"] for row in rows],
                rounds=rounds,
                warmup=warmup,
            )
        finally:
            await connector.aclose()
    return result


# -- the command ------------------------------------------------------------------------------


@dataclass
class Report:
    records: int
    page_size: int
    rounds: int
    warmup: int
    paths: list[PathResult]

    def as_json(self) -> dict[str, Any]:
        return {
            "bench": "connector_read",
            "records": self.records,
            "page_size": self.page_size,
            "rounds": self.rounds,
            "warmup": self.warmup,
            **{path.name: path.as_json() for path in self.paths},
            "exactly_once": True,
        }

    def as_text(self) -> str:
        lines = [
            f"connector_read: {self.records:,} records per path in pages of {self.page_size}; "
            f"median of {self.rounds} round(s) after {self.warmup} warm-up",
        ]
        for p in self.paths:
            lines += [
                f"  {p.name}: {p.description} ({p.pages} requests, {p.payload_bytes / 1e6:.1f} MB)",
                f"    end to end (read + map) {p.end_to_end_rate:12,.0f} records/s",
                f"    read only               {p.read_only_rate:12,.0f} records/s",
                f"    floor                   {p.floor_rate:12,.0f} records/s  ({p.floor_name})",
                f"    floor/end to end        {p.ratio:12.1f}x",
            ]
        lines.append("  every pass: N served, N read, N mapped, each external id exactly once")
        return "\n".join(lines)


async def run(
    records: int = DEFAULT_RECORDS,
    *,
    page_size: int = PAGE_SIZE,
    rounds: int = 3,
    warmup: int = 1,
    paths: Sequence[str] = ("rest", "soap"),
    log: Log = log_to_stderr,
) -> Report:
    if records < 1 or rounds < 1 or warmup < 0 or page_size < 1:
        raise ValueError("records, rounds and page size must be at least 1, warm-up at least 0")
    results: list[PathResult] = []
    for name in paths:
        log(f"{name}: {records:,} records, {warmup} warm-up + {rounds} measured round(s) …")
        runner = run_rest if name == "rest" else run_soap
        results.append(await runner(records, page_size, rounds=rounds, warmup=warmup))
    return Report(records, page_size, rounds, warmup, results)


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--records", type=int, default=DEFAULT_RECORDS, help="records per path")
    parser.add_argument("--page-size", type=int, default=PAGE_SIZE, help="records per page")
    parser.add_argument("--rounds", type=int, default=3, help="measured rounds (median)")
    parser.add_argument("--warmup", type=int, default=1, help="unmeasured rounds first")
    parser.add_argument(
        "--path", choices=("rest", "soap"), action="append", help="only this path (repeatable)"
    )
    parser.add_argument("--json", action="store_true", help="print one JSON line instead")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        report = asyncio.run(
            run(
                args.records,
                page_size=args.page_size,
                rounds=args.rounds,
                warmup=args.warmup,
                paths=args.path or ("rest", "soap"),
            )
        )
    except (ReadCheckError, ValueError) as exc:
        print(f"connector_read: {exc}", file=sys.stderr)
        return 1
    print(json.dumps(report.as_json()) if args.json else report.as_text())
    return 0


if __name__ == "__main__":
    sys.exit(main())

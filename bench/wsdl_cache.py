"""First load vs cached loads of the NetSuite 2017.1 WSDL: fresh parse, disk (pickle), memory.

Run: .venv/bin/python -m bench.wsdl_cache
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

import zeep
from zeep.transports import Transport

from connectors.soap import wsdl_cache

WSDL = (
    Path(__file__).resolve().parents[1].parent / "shared/fixtures/erp/netsuite-2017_1/netsuite.wsdl"
)


def timed(cache_dir: Path | None) -> float:
    start = time.perf_counter()
    wsdl_cache.load_document(str(WSDL), Transport(), zeep.Settings(), cache_dir=cache_dir)  # type: ignore[no-untyped-call]
    return time.perf_counter() - start


def main() -> None:
    wsdl_cache.clear_memory_cache()
    parse_only = timed(None)
    with tempfile.TemporaryDirectory() as folder:
        cache = Path(folder)
        wsdl_cache.clear_memory_cache()
        first = timed(cache)
        wsdl_cache.clear_memory_cache()
        disk = timed(cache)
        memory = timed(cache)
    print(f"parse only (no disk cache):        {parse_only * 1000:8.1f} ms")
    print(f"first load (parse + write pickle): {first * 1000:8.1f} ms")
    print(
        f"new process, disk cache:           {disk * 1000:8.1f} ms"
        f"  ({first / disk:5.1f}x; vs parse only {parse_only / disk:4.1f}x)"
    )
    print(f"same process, memory cache:        {memory * 1000:8.3f} ms  ({first / memory:5.0f}x)")


if __name__ == "__main__":
    main()

"""First load vs cached loads of the NetSuite 2017.1 WSDL (its 40-odd XSD imports included),
each load in a process of its own, as a worker start sees it.

Two sources: the fixture files on disk, and the same files served over HTTP on 127.0.0.1
(as NetSuite serves them: every import is a request). For each, in fresh processes:

- **parse only**: no disk cache (zeep parses everything);
- **first load**: an empty disk cache (parse, then write the pickle);
- **second load**: the disk cache written by the first (read the WSDL's own bytes for the
  cache key, unpickle; no import is fetched or parsed);

and, in one process, a load from the memory cache after the first. Only the load is timed
(``connectors.soap.wsdl_cache.load_document``), never the interpreter start or the imports.
Each figure is the median of ``--rounds`` processes. Printed: each time and the ratios
first / second and parse only / second.

Run: .venv/bin/python -m bench.wsdl_cache [--rounds N]
"""

from __future__ import annotations

import argparse
import functools
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FIXTURE = ROOT.parent / "shared/fixtures/erp/netsuite-2017_1"
WSDL_NAME = "netsuite.wsdl"

CHILD = """
import sys, time
from pathlib import Path
import zeep
from zeep.transports import Transport
from connectors.soap import wsdl_cache
location, cache = sys.argv[1], (None if sys.argv[2] == "-" else Path(sys.argv[2]))
start = time.perf_counter()
wsdl_cache.load_document(location, Transport(), zeep.Settings(), cache_dir=cache)
first = time.perf_counter() - start
start = time.perf_counter()
wsdl_cache.load_document(location, Transport(), zeep.Settings(), cache_dir=cache)
print(first * 1000, (time.perf_counter() - start) * 1000)
"""


def _child(location: str, cache: Path | None) -> tuple[float, float]:
    """(ms of the load, ms of a second load from memory) in a new process."""
    out = subprocess.run(
        [sys.executable, "-c", CHILD, location, str(cache) if cache else "-"],
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    ).stdout.split()
    return float(out[0]), float(out[1])


@contextmanager
def _served(folder: Path) -> Iterator[str]:
    handler = functools.partial(_QuietHandler, directory=str(folder))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        return


def measure(location: str, rounds: int) -> dict[str, float]:
    parse, first, second, memory = [], [], [], []
    for _ in range(rounds):
        parse.append(_child(location, None)[0])
        with tempfile.TemporaryDirectory() as folder:
            cache = Path(folder)
            load, from_memory = _child(location, cache)
            first.append(load)
            memory.append(from_memory)
            second.append(_child(location, cache)[0])
    return {
        "parse": statistics.median(parse),
        "first": statistics.median(first),
        "second": statistics.median(second),
        "memory": statistics.median(memory),
    }


def report(label: str, times: dict[str, float]) -> None:
    second = times["second"]
    print(f"{label}")
    print(f"  parse only (no disk cache):          {times['parse']:8.1f} ms")
    print(f"  first load (parse + write pickle):   {times['first']:8.1f} ms")
    print(
        f"  second load, new process, disk:      {second:8.1f} ms"
        f"  (first/second {times['first'] / second:5.1f}x;"
        f" parse only/second {times['parse'] / second:4.1f}x)"
    )
    print(f"  same process, memory cache:          {times['memory']:8.3f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3, help="processes per figure")
    args = parser.parse_args()
    started = time.perf_counter()
    report("NetSuite 2017.1 WSDL from files", measure(str(FIXTURE / WSDL_NAME), args.rounds))
    with _served(FIXTURE) as url:
        report(
            "NetSuite 2017.1 WSDL over HTTP (127.0.0.1)",
            measure(f"{url}/{WSDL_NAME}", args.rounds),
        )
    print(f"({time.perf_counter() - started:.0f} s; median of {args.rounds} processes each)")


if __name__ == "__main__":
    main()

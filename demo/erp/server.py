"""Serve a demo ERP on its own port (127.0.0.1) in a background thread, e.g. for tests.

``serve_erp(erp)`` is a context manager giving ``http://127.0.0.1:PORT``; the ERP is at
``<that>/demo-erp``. uvicorn runs with HTTP/1.1 (h11) only, no lifespan, no WebSockets, and
stops when the block ends.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import uvicorn

from demo.erp.erp import DemoErp
from demo.erp.routes import erp_app

START_TIMEOUT = 10.0


@contextmanager
def serve_erp(erp: DemoErp, host: str = "127.0.0.1") -> Iterator[str]:
    """``http://HOST:PORT`` while ``erp`` is served there on a free port."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind((host, 0))
    port = listener.getsockname()[1]
    config = uvicorn.Config(
        erp_app(erp),
        log_level="warning",
        access_log=False,
        http="h11",
        ws="none",
        lifespan="off",
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [listener]}, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the demo ERP server did not start")
            time.sleep(0.01)
        yield f"http://{host}:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=5)
        listener.close()

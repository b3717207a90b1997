"""``channelhub worker``: job worker processes on the configured Redis or RabbitMQ broker,
and the embedded worker ``serve``/``demo`` run on the in-process broker.

``run_worker(settings, threads)`` runs one worker in this process until SIGTERM or SIGINT,
then stops cleanly: no new message is taken, running jobs get ``worker_shutdown_seconds``
to finish (a job still running then is abandoned — its message returns to the queue and
resumes from its last checkpoint — and the process exits with code 3), resources and broker
connections are closed. ``run_workers(settings, threads, processes)`` starts that many
worker processes (the same command, one process each), passes SIGTERM/SIGINT on to them,
restarts one that dies unexpectedly, and returns once all have stopped.

The in-process broker cannot be shared between processes, so ``channelhub worker`` refuses
it (``WorkerConfigError``): the jobs of an in-process hub run inside ``channelhub serve``.

``EmbeddedWorker`` is the worker of ``serve``/``demo``: the app builds its broker (sharing the
server's run events, so subscriptions see the jobs' progress) and its lifespan starts a
dramatiq worker on it in this process when ``settings.should_embed_worker``.
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import subprocess
import sys
import threading
import time
from types import FrameType
from typing import TYPE_CHECKING, TypeAlias

import dramatiq

from jobs.broker import build_broker, close_broker
from settings import Settings

if TYPE_CHECKING:
    Subparsers: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"

__all__ = [
    "EmbeddedWorker",
    "WorkerConfigError",
    "add_worker_command",
    "boot_worker",
    "run_worker",
    "run_workers",
]

log = logging.getLogger("channelhub.worker")

#: how often the consumers poll an idle queue (ms): how fast a new message is picked up
WORKER_TIMEOUT_MS = 250
ABANDONED_EXIT = 3
RESTART_DELAY_SECONDS = 1.0


class WorkerConfigError(Exception):
    """The settings do not allow separate worker processes (an in-process broker)."""


def check_worker_settings(settings: Settings) -> None:
    if settings.broker_kind == "inprocess":
        raise WorkerConfigError(
            "the job broker is in-process (CHANNELHUB_BROKER_URL is empty): its jobs run "
            "inside `channelhub serve`. Set CHANNELHUB_BROKER_URL=redis://… or amqp://… to "
            "run separate workers"
        )


def _stop_on_signals() -> threading.Event:
    stop = threading.Event()

    def handle(_signum: int, _frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, handle)
    signal.signal(signal.SIGINT, handle)
    return stop


def boot_worker(broker: dramatiq.Broker, threads: int) -> dramatiq.Worker:
    """Start a dramatiq worker on ``broker`` in this process.

    Emits ``process_boot`` first (once per broker), as dramatiq's own CLI does: the
    ``TimeLimit`` middleware starts the thread that enforces time limits on it.
    """
    if not getattr(broker, "_channelhub_booted", False):
        broker.emit_after("process_boot")
        broker._channelhub_booted = True  # type: ignore[attr-defined]
    worker = dramatiq.Worker(broker, worker_threads=threads, worker_timeout=WORKER_TIMEOUT_MS)
    worker.start()
    return worker


def run_worker(settings: Settings, threads: int, *, stop: threading.Event | None = None) -> int:
    """One worker in this process until ``stop`` (default: SIGTERM/SIGINT); the exit code."""
    check_worker_settings(settings)
    stop = stop or _stop_on_signals()
    broker = build_broker(settings)
    try:
        worker = boot_worker(broker, threads)
        log.info(
            "worker %s: %s threads on %s (queues %s)",
            os.getpid(),
            threads,
            settings.broker_kind,
            ", ".join(sorted(broker.get_declared_queues())),
        )
        while not stop.wait(1.0):
            pass
        log.info("worker %s: stopping", os.getpid())
        worker.stop(timeout=int(settings.worker_shutdown_seconds * 1000))
        if any(thread.is_alive() for thread in worker.workers):
            log.warning(
                "worker %s: jobs still running after %.0f s; exiting (they resume elsewhere)",
                os.getpid(),
                settings.worker_shutdown_seconds,
            )
            sys.stdout.flush()
            os._exit(ABANDONED_EXIT)  # threads stuck in a job: do not wait for them
    finally:
        close_broker(broker)
    return 0


def _spawn(threads: int) -> subprocess.Popen[bytes]:
    """One more worker process: this interpreter running ``channelhub worker`` (same env)."""
    code = "import sys, cli; sys.exit(cli.main(sys.argv[1:]))"
    command = [sys.executable, "-c", code, "worker", "--threads", str(threads), "--processes", "1"]
    return subprocess.Popen(command)  # noqa: S603 (our interpreter, fixed arguments)


def run_workers(settings: Settings, threads: int, processes: int) -> int:
    """``processes`` worker processes of ``threads`` threads each, supervised; the exit code."""
    check_worker_settings(settings)
    if processes == 1:
        return run_worker(settings, threads)
    stop = _stop_on_signals()
    children = [_spawn(threads) for _ in range(processes)]
    while not stop.wait(0.5):
        for index, child in enumerate(children):
            if child.poll() is not None:
                log.warning("worker %s exited with %s; restarting", child.pid, child.returncode)
                time.sleep(RESTART_DELAY_SECONDS)
                children[index] = _spawn(threads)
    for child in children:
        if child.poll() is None:
            child.send_signal(signal.SIGTERM)
    codes = [child.wait() for child in children]
    return max(codes, default=0)


class EmbeddedWorker:
    """A dramatiq worker inside the server process, on the server's broker."""

    def __init__(self, broker: dramatiq.Broker, settings: Settings) -> None:
        self.settings = settings
        self.broker = broker
        self.worker: dramatiq.Worker | None = None

    def start(self) -> None:
        self.worker = boot_worker(self.broker, self.settings.worker_threads)

    def stop(self) -> None:
        """Stop taking messages and let running jobs finish (at most
        ``worker_shutdown_seconds``); the broker stays open for its owner to close."""
        worker, self.worker = self.worker, None
        if worker is not None:
            worker.stop(timeout=int(self.settings.worker_shutdown_seconds * 1000))


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def _run_command(args: argparse.Namespace, settings: Settings) -> int:
    logging.basicConfig(
        level=logging.INFO,
        format="%(asctime)s %(levelname)s %(process)d %(name)s: %(message)s",
        stream=sys.stderr,
    )
    # httpx logs each request's full URL at INFO: a connector's query may carry a key
    for noisy in ("httpx", "httpcore"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    threads = args.threads or settings.worker_threads
    processes = args.processes or settings.worker_processes
    try:
        return run_workers(settings, threads, processes)
    except WorkerConfigError as error:
        print(f"channelhub worker: {error}", file=sys.stderr)
        return 1


def add_worker_command(subparsers: Subparsers) -> None:
    """``channelhub worker [--threads N] [--processes N]``."""
    parser = subparsers.add_parser(
        "worker", help="run job workers on the configured Redis or RabbitMQ broker"
    )
    parser.add_argument(
        "--threads", type=_positive, help="job threads per process (default: worker_threads)"
    )
    parser.add_argument(
        "--processes", type=_positive, help="worker processes (default: worker_processes)"
    )
    parser.set_defaults(handler=_run_command)

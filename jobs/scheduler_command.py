"""``channelhub scheduler``: the cron scheduler in a process of its own.

Runs ``jobs.scheduler.run_scheduler`` against the configured database and broker (Redis or
RabbitMQ; with the in-process broker the scheduler runs inside ``channelhub serve`` instead,
so it is refused here) until SIGTERM or SIGINT, which stop it after the current pass (exit
0). Any number may run at once, on any machines: each due run is claimed by compare-and-set
in the database and enqueued once. ``--once`` makes one pass and prints what it did (exit 1
when a schedule has a cron expression that does not parse: each is named on stderr).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import sys
from typing import TYPE_CHECKING, Any

from settings import Settings

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

__all__ = ["add_scheduler_command"]

PROG = "channelhub scheduler"


def add_scheduler_command(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "scheduler",
        help="start due cron schedules (stream syncs, outbox sweep); safe to run several",
    )
    parser.add_argument(
        "--interval",
        type=float,
        help="seconds between passes (default: settings.scheduler_interval_seconds)",
    )
    parser.add_argument("--once", action="store_true", help="make one pass, then exit")
    parser.set_defaults(handler=_run)


def _run(args: argparse.Namespace, settings: Settings) -> int:
    if settings.broker_kind == "inprocess":
        print(
            f"{PROG}: the broker is in-process (CHANNELHUB_BROKER_URL is empty), so runs can "
            "only start inside `channelhub serve`, which embeds the scheduler; set "
            "CHANNELHUB_BROKER_URL to a redis:// or amqp:// URL to run schedulers of their own",
            file=sys.stderr,
        )
        return 1
    if args.interval is not None:
        if args.interval <= 0:
            print(f"{PROG}: --interval must be more than 0 seconds", file=sys.stderr)
            return 2
        settings = settings.model_copy(update={"scheduler_interval_seconds": args.interval})
    if not logging.getLogger().handlers:
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    return asyncio.run(_main(settings, once=args.once))


async def _main(settings: Settings, *, once: bool) -> int:
    from jobs.broker import build_broker, close_broker
    from store.engine import create_engine, create_sessionmaker
    from store.migrate import upgrade

    engine = create_engine(settings)
    try:
        if settings.should_auto_migrate:
            await upgrade(engine)
        sessions = create_sessionmaker(engine)
        broker = build_broker(settings)  # installed: the runs are sent on it; no worker here
        try:
            if once:
                return await _one_pass(sessions, settings)
            await _loop(sessions, settings)
            return 0
        finally:
            close_broker(broker)
    finally:
        await engine.dispose()


async def _one_pass(sessions: async_sessionmaker[AsyncSession], settings: Settings) -> int:
    from jobs.scheduler import tick
    from jobs.schedules import sync_schedules

    report = await sync_schedules(sessions, settings)
    started = await tick(sessions)
    changes = f"{len(report.created)} new, {len(report.updated)} changed, "
    changes += f"{len(report.removed)} removed"
    print(f"Schedules: {changes}. Runs enqueued: {', '.join(map(str, started)) or 'none'}.")
    for invalid in report.invalid:
        print(f"{PROG}: {invalid}", file=sys.stderr)
    return 1 if report.invalid else 0


async def _loop(sessions: async_sessionmaker[AsyncSession], settings: Settings) -> None:
    from jobs.scheduler import run_scheduler

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    try:
        await run_scheduler(sessions, settings, stop)
    finally:
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.remove_signal_handler(signum)

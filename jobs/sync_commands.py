"""``channelhub sync``: run a stream's sync in this process, retry quarantined records, and
show each stream's last run (arguments and output).

``sync run CONNECTOR [STREAM] [--full-refresh]`` creates one job run per stream (every
stream of the connector with a mapping, in the order the config lists them, when STREAM is
not given) and runs it right here with ``jobs.runtime.open_resources`` — no broker or worker
needed — drawing its progress on stderr; the runs are recorded like the workers' (the graph
and ``sync status`` show them). ``sync retry CONNECTOR [STREAM]`` re-maps quarantined
records with the current mapping. ``sync status [CONNECTOR]`` prints a table: each stream's
last run, its status and counts, how old its saved cursor is, and its unresolved quarantined
records.

Exit codes: 0 done; 1 a failure explained on stderr (``run``: any run not SUCCEEDED);
2 bad usage. Messages never carry a connector's secrets (run errors are scrubbed).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any, Protocol, TextIO, TypeAlias, TypeVar

from sqlalchemy import func, select

from connectors.errors import ConnectorError
from jobs.errors import JobError
from jobs.runs import RUNNING, SUCCEEDED, SYNC_KIND, create_run, get_run, latest_runs, publish
from jobs.runtime import Resources, close_resources, open_resources
from jobs.sync import FULL_REFRESH, retry_quarantined, run_sync
from security.errors import SecurityError
from settings import Settings
from store.base import utcnow
from store.migrate import upgrade
from store.models import JobRun, QuarantinedRecord, SyncState
from store.repositories.connectors import ConnectorRepository

__all__ = ["SyncProgress", "add_sync_command"]

T = TypeVar("T")
Subparsers: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"
PREFIX = "channelhub sync"
FAILURES = (ConnectorError, JobError, SecurityError)


class Bar(Protocol):
    def __call__(self, done: int, total: int) -> None: ...

    def close(self) -> None: ...


BarFactory = Callable[[str], Bar]


class SyncProgress:
    """A run's progress on ``stream``: a bar when the total is known, else a counting line
    (redrawn in place on a terminal; elsewhere a line every ``every`` pages and at the end)."""

    def __init__(
        self, label: str, bars: BarFactory, stream: TextIO | None = None, every: int = 10
    ) -> None:
        self.label = label
        self.bars = bars
        self.stream = stream if stream is not None else sys.stderr
        self.every = every
        self.interactive = self.stream.isatty()
        self.started = time.perf_counter()
        self.bar: Bar | None = None
        self.open = False

    def __call__(self, run: JobRun) -> None:
        if run.progress_total:
            self.bar = self.bar or self.bars(self.label)
            self.bar(run.progress_done, run.progress_total)
            return
        ended = run.status != RUNNING
        if not self.interactive and not ended and (run.pages == 0 or run.pages % self.every):
            return
        elapsed = time.perf_counter() - self.started
        text = (
            f"{self.label}: page {run.pages:,}, {run.records_read:,} records "
            f"({run.records_inserted:,} new, {run.records_updated:,} updated, "
            f"{run.records_unchanged:,} unchanged, {run.records_quarantined:,} quarantined) "
            f"{elapsed:5.1f}s"
        )
        if self.interactive:
            self.stream.write("\r" + text)
            self.open = True
        else:
            self.stream.write(text + "\n")
        self.stream.flush()

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
        if self.open:
            self.stream.write("\n")
            self.stream.flush()
            self.open = False


def _on_resources(settings: Settings, work: Callable[[Resources], Awaitable[T]]) -> T:
    """``work`` with this process's job resources (migrating the embedded default first)."""

    async def run() -> T:
        resources = await open_resources(settings)
        try:
            if settings.should_auto_migrate:
                await upgrade(resources.engine)
            return await work(resources)
        finally:
            await close_resources(resources)

    return asyncio.run(run())


def summary(run: JobRun) -> str:
    """One line: the run's outcome and counts."""
    took = ""
    if run.started_at and run.ended_at:
        took = f" in {(run.ended_at - run.started_at).total_seconds():.1f} s"
    return (
        f"{run.connector}/{run.stream}: {run.status} (run {run.id}) — read {run.records_read:,}, "
        f"inserted {run.records_inserted:,}, updated {run.records_updated:,}, unchanged "
        f"{run.records_unchanged:,}, quarantined {run.records_quarantined:,}, deleted "
        f"{run.records_deleted:,} in {run.pages:,} pages{took}"
    )


async def _sync_streams(
    resources: Resources, args: argparse.Namespace, bars: BarFactory
) -> list[JobRun]:
    _, config = await resources.connectors.get(args.connector)
    names = [args.stream] if args.stream else [s.name for s in config.streams if s.mapping]
    if not names:
        raise LookupError(f"connector {args.connector!r} has no stream with a mapping to sync")
    finished = []
    for name in names:
        async with resources.sessions.begin() as session:
            run = await create_run(
                session,
                kind=SYNC_KIND,
                connector=args.connector,
                stream=name,
                mode=FULL_REFRESH if args.full_refresh else None,
                trigger="cli",
                requested_by="cli",
            )
        await publish(resources.events, run)
        display = SyncProgress(f"{args.connector}/{name}", bars)
        try:
            await run_sync(resources, run.id, will_retry=False, progress=display)
        except Exception:  # noqa: S110 (recorded on the run, printed below)
            pass
        finally:
            display.close()
        async with resources.sessions() as session:
            final = await get_run(session, run.id)
        assert final is not None
        finished.append(final)
    return finished


def _run(args: argparse.Namespace, settings: Settings, bars: BarFactory) -> int:
    try:
        finished = _on_resources(settings, lambda r: _sync_streams(r, args, bars))
    except (*FAILURES, LookupError) as error:
        print(f"{PREFIX} run: {error}", file=sys.stderr)
        return 1
    code = 0
    for run in finished:
        print(summary(run))
        if run.status != SUCCEEDED:
            print(f"{PREFIX} run: {run.error_class}: {run.error_message}", file=sys.stderr)
            code = 1
    return code


def _retry(args: argparse.Namespace, settings: Settings) -> int:
    async def work(resources: Resources) -> Any:
        return await retry_quarantined(resources, connector=args.connector, stream=args.stream)

    try:
        outcome = _on_resources(settings, work)
    except FAILURES as error:
        print(f"{PREFIX} retry: {error}", file=sys.stderr)
        return 1
    print(
        f"retried {outcome.retried:,}: resolved {outcome.resolved:,} (inserted "
        f"{outcome.inserted:,}, updated {outcome.updated:,}, unchanged {outcome.unchanged:,}), "
        f"still failing {outcome.still_failing:,}, unreadable {outcome.unreadable:,}"
    )
    return 0


def _age(since: datetime | None, now: datetime) -> str:
    if since is None:
        return "-"
    seconds = int((now - since).total_seconds())
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


async def status_rows(resources: Resources, connector: str | None) -> list[list[str]]:
    """The rows of ``sync status``: one per stream of each stored connector."""
    async with resources.sessions() as session:
        stored = await ConnectorRepository(session, resources.crypto).list_all()
        runs = await latest_runs(session, connector=connector)
        states = {
            (row.connector, row.stream): row.updated_at
            for row in await session.scalars(select(SyncState))
        }
        counts = await session.execute(
            select(QuarantinedRecord.connector, QuarantinedRecord.stream, func.count())
            .where(QuarantinedRecord.resolved_at.is_(None))
            .group_by(QuarantinedRecord.connector, QuarantinedRecord.stream)
        )
        quarantined = {(c, s): int(n) for c, s, n in counts}
    now = utcnow()
    rows = []
    for row in stored:
        if connector is not None and row.name != connector:
            continue
        for stream in ConnectorRepository.public_config(row).get("streams") or []:
            name = str(stream.get("name"))
            key = (row.name, name)
            run = runs.get(key)
            status = run.status if run else ("never run" if stream.get("mapping") else "no mapping")
            counts_text = (
                [
                    f"{run.records_read:,}",
                    f"{run.records_inserted:,}",
                    f"{run.records_updated:,}",
                    f"{run.records_unchanged:,}",
                    f"{run.records_quarantined:,}",
                    f"{run.records_deleted:,}",
                ]
                if run
                else ["-"] * 6
            )
            rows.append(
                [
                    row.name,
                    name,
                    str(run.id) if run else "-",
                    status,
                    _age(run.ended_at or run.started_at or run.queued_at, now) if run else "-",
                    *counts_text,
                    _age(states.get(key), now),
                    f"{quarantined.get(key, 0):,}",
                ]
            )
    return rows


HEADER = [
    "connector",
    "stream",
    "run",
    "status",
    "age",
    "read",
    "inserted",
    "updated",
    "unchanged",
    "quarantined",
    "deleted",
    "cursor age",
    "open quarantine",
]


def table(rows: list[list[str]]) -> str:
    widths = [max(len(r[i]) for r in [HEADER, *rows]) for i in range(len(HEADER))]
    left = {0, 1, 3}
    lines = []
    for row in [HEADER, *rows]:
        cells = [
            cell.ljust(widths[i]) if i in left else cell.rjust(widths[i])
            for i, cell in enumerate(row)
        ]
        lines.append("  ".join(cells).rstrip())
    return "\n".join(lines)


def _status(args: argparse.Namespace, settings: Settings) -> int:
    try:
        rows = _on_resources(settings, lambda r: status_rows(r, args.connector))
    except FAILURES as error:
        print(f"{PREFIX} status: {error}", file=sys.stderr)
        return 1
    if not rows:
        if args.connector:
            print(f"{PREFIX} status: no connector named {args.connector!r}", file=sys.stderr)
            return 1
        print("No connectors. Add one with `channelhub connectors apply -f FILE`.")
        return 0
    print(table(rows))
    return 0


def add_sync_command(subparsers: Subparsers, bars: BarFactory) -> None:
    """Register ``channelhub sync`` (``bars`` draws a progress bar for a known total)."""
    parser = subparsers.add_parser(
        "sync", help="sync connector streams in this process, retry quarantine, show status"
    )
    actions = parser.add_subparsers(dest="sync_action", metavar="ACTION", required=True)
    run = actions.add_parser("run", help="sync a connector's streams now, with progress")
    run.add_argument("connector", help="a stored connector's name")
    run.add_argument("stream", nargs="?", help="one stream (default: every mapped stream)")
    run.add_argument(
        "--full-refresh",
        action="store_true",
        help="read everything; mark records the remote no longer has as deleted remotely",
    )
    run.set_defaults(handler=lambda args, settings: _run(args, settings, bars))
    retry = actions.add_parser(
        "retry", help="re-map quarantined records with the current mapping; store those that pass"
    )
    retry.add_argument("connector")
    retry.add_argument("stream", nargs="?")
    retry.set_defaults(handler=_retry)
    status = actions.add_parser("status", help="each stream's last run, cursor age, quarantine")
    status.add_argument("connector", nargs="?")
    status.set_defaults(handler=_status)

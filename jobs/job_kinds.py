"""Jobs ``run_job`` runs by kind (besides syncs and deliveries): re-encryption, outbox sweep.

``reencrypt_job(resources, run_id)`` runs ``jobs.reencrypt.reencrypt`` as the job run: it
starts the run, writes its progress (rows scanned of rows in all) as the batches commit,
stops at the next batch when the run's cancellation is requested (the re-encryption's own
checkpoint lets the next run resume there), audits ``keys.reencrypt`` like ``channelhub keys
reencrypt`` does, and finishes the run. ``params``: ``{"batch": 500}``. Run it twice: the
second finds nothing left to move.

``outbox_sweep_job(resources, run_id)`` (kind ``outbox_sweep``, scheduled by
``jobs.schedules``) delivers the outbox entries whose time came (``jobs.outbox.relay_due``):
the run counts the entries sent as records read.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging

from jobs.errors import JobCancelled
from jobs.reencrypt import reencrypt
from jobs.runs import RunCounts, finish_run, publish, record_progress, start_run
from jobs.runtime import Resources
from security.audit import AuditEvent

__all__ = ["outbox_sweep_job", "reencrypt_job"]

log = logging.getLogger("channelhub.jobs")
PROGRESS_SECONDS = 0.5


class _Progress:
    """Writes the latest (done, total) to the run at most every ``PROGRESS_SECONDS``."""

    def __init__(self, resources: Resources, run_id: int, written: int) -> None:
        self.resources = resources
        self.run_id = run_id
        self.latest = (written, 0)
        self.written = written  # what an earlier attempt of the run already counted
        self.cancel_requested = False
        self.changed = asyncio.Event()

    def __call__(self, done: int, total: int) -> None:
        if self.cancel_requested:
            raise JobCancelled(f"job run {self.run_id} cancelled")
        self.latest = (done, total)
        self.changed.set()

    async def write(self) -> None:
        done, total = self.latest
        async with self.resources.sessions.begin() as session:
            run = await record_progress(
                session, self.run_id, RunCounts(read=max(0, done - self.written)), total=total
            )
        self.written = max(done, self.written)
        if run is not None:
            self.cancel_requested = run.cancel_requested
            await publish(self.resources.events, run)

    async def keep_writing(self) -> None:
        while True:
            await self.changed.wait()
            self.changed.clear()
            await self.write()
            await asyncio.sleep(PROGRESS_SECONDS)


async def reencrypt_job(resources: Resources, run_id: int) -> None:
    """Re-encrypt every value under a non-ACTIVE key, as job run ``run_id``."""
    async with resources.sessions.begin() as session:
        run = await start_run(session, run_id)
    if run is None:
        return  # final already (a redelivered message): nothing to do
    await publish(resources.events, run)
    batch = int(json.loads(run.params_json or "{}").get("batch", 500))
    progress = _Progress(resources, run_id, run.progress_done)
    writer = asyncio.create_task(progress.keep_writing())
    try:
        report = await reencrypt(resources.crypto, batch=batch, progress=progress)
    finally:
        writer.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await writer
    if progress.latest[0] > progress.written:
        await progress.write()
    await resources.audit.record(
        AuditEvent(
            actor=f"job:{run.requested_by or run.trigger}",
            role="operator",
            action="keys.reencrypt",
            outcome="done",
            detail={
                "job_run": run_id,
                "scanned": report.scanned,
                "moved": report.moved,
                "lost_to_concurrent_writes": report.lost_to_concurrent_writes,
                "unreadable": report.unreadable,
                "remaining": report.remaining,
                "retired": len(report.retired),
            },
        )
    )
    async with resources.sessions.begin() as session:
        run = await finish_run(session, run_id)
    await publish(resources.events, run)
    log.info("job run %s: re-encrypted %s of %s values", run_id, report.moved, report.scanned)


async def outbox_sweep_job(resources: Resources, run_id: int) -> None:
    """Deliver the overdue outbox entries, as job run ``run_id``."""
    from jobs.outbox import relay_due

    async with resources.sessions.begin() as session:
        run = await start_run(session, run_id)
    if run is None:
        return
    await publish(resources.events, run)
    sent = await relay_due(resources)
    async with resources.sessions.begin() as session:
        await record_progress(session, run_id, RunCounts(read=sent), total=sent)
        run = await finish_run(session, run_id)
    await publish(resources.events, run)

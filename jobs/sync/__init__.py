"""Inbound sync: connector streams into the hub, page by page, resumable at any instant.

``run_sync(resources, run_id)`` runs one sync run (``jobs.sync.engine``);
``retry_quarantined(resources, connector=…)`` re-maps quarantined records with the current
mapping (``jobs.sync.retry``). See those modules for the guarantees; ``jobs.sync.pages`` for
what happens to each record and ``jobs.sync.references`` for how references resolve.
"""

from __future__ import annotations

from jobs.sync.engine import FULL_REFRESH, INCREMENTAL, StreamBusy, StreamNotSyncable, run_sync
from jobs.sync.resources import SyncResources
from jobs.sync.retry import RetryOutcome, retry_quarantined

__all__ = [
    "FULL_REFRESH",
    "INCREMENTAL",
    "RetryOutcome",
    "StreamBusy",
    "StreamNotSyncable",
    "SyncResources",
    "retry_quarantined",
    "run_sync",
]

"""Inbound sync: connector streams into the hub, page by page, resumable at any instant.

``run_sync(resources, run_id)`` runs one sync run (``jobs.sync.engine``);
``retry_quarantined(resources, connector=…)`` re-maps quarantined records with the current
mapping (``jobs.sync.retry``). See those modules for the guarantees.
"""

from __future__ import annotations

from jobs.sync.engine import FULL_REFRESH, INCREMENTAL, StreamBusy, StreamNotSyncable, run_sync
from jobs.sync.resources import SyncResources

__all__ = [
    "FULL_REFRESH",
    "INCREMENTAL",
    "StreamBusy",
    "StreamNotSyncable",
    "SyncResources",
    "run_sync",
]

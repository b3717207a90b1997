"""One outbox relay in a process of its own, for the crash tests to kill.

``python -m tests.jobs.outbox_relay_child ENTRY_ID LEASE_SECONDS`` opens the job resources
from ``CHANNELHUB_*`` settings (data dir, database URL) and relays that entry with a claim
lease of that many seconds: exactly what the ``relay_outbox`` actor does in a worker.
"""

from __future__ import annotations

import asyncio
import sys

from jobs.outbox import RelayPolicy, relay
from jobs.runtime import close_resources, open_resources
from settings import Settings


async def main(entry_id: int, lease: float) -> None:
    resources = await open_resources(Settings())
    try:
        await relay(resources, entry_id, policy=RelayPolicy(lease=lease))
    finally:
        await close_resources(resources)


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]), float(sys.argv[2])))

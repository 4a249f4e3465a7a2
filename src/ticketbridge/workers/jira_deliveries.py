"""The delivery loop: applies the Jira deliveries intake stored (`wake()` after each one) and,
when idle, every `idle_sleep` — which picks up deliveries another process stored, or that were
stored but not applied when this process stopped (a kill between the 200 and the apply loses
nothing: the delivery is in the database).

`serve` runs one in-process; any number may share a database (services.jira_deliveries:
each delivery is claimed by one round and applied once).
"""

from __future__ import annotations

import asyncio

import structlog

from ticketbridge.services.jira_deliveries import DeliveryApplier
from ticketbridge.services.settings import WorkerSettings
from ticketbridge.workers.idle import idle

log = structlog.get_logger(__name__)

ROUND_SIZE = 100


class DeliveryLoop:
    def __init__(self, applier: DeliveryApplier, settings: WorkerSettings) -> None:
        self._applier = applier
        self._settings = settings
        self._wake = asyncio.Event()

    def wake(self) -> None:
        """A delivery was stored: stop idling now."""
        self._wake.set()

    async def run_until_idle(self) -> int:
        """Apply until nothing is pending (tests); how many were applied."""
        return await self._applier.apply_all(ROUND_SIZE)

    async def run_forever(self, stop: asyncio.Event) -> None:
        """Run until `stop` is set; an unexpected error is logged and the loop goes on."""
        pause = self._settings.idle_sleep.total_seconds()
        while not stop.is_set():
            self._wake.clear()
            try:
                applied = len(await self._applier.apply_pending(ROUND_SIZE))
            except Exception:  # the worker loop: log, pause, keep going
                log.exception("delivery round failed")
                applied = 0
            if applied:
                await asyncio.sleep(0)  # let requests in between rounds
                continue
            await idle(stop, self._wake, pause)

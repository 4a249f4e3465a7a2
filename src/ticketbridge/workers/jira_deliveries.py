"""The delivery loop: applies the Jira deliveries intake stored (`wake()` after each one) and,
when idle, every `idle_sleep` — which picks up deliveries another process stored, or that were
stored but not applied when this process stopped (a kill between the 200 and the apply loses
nothing: the delivery is in the database).

`serve` runs one in-process; any number may share a database (services.jira_deliveries:
each delivery is claimed by one round and applied once).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

from ticketbridge.clock import Monotonic, Sleep
from ticketbridge.services.jira_deliveries import DeliveryApplier
from ticketbridge.services.settings import WorkerSettings
from ticketbridge.workers.decisions import ACTIVE_GAP
from ticketbridge.workers.rounds import IntakeFirst, always_idle, run_rounds

# Deliveries per transaction: small, because on SQLite a round holds the one write lock and
# intake (whose 200 waits for its commit) queues behind it: a round of 5 holds it a few ms.
ROUND_SIZE = 5


class DeliveryLoop:
    """Intake first (workers.rounds): while deliveries keep arriving (`intake_idle_for` under
    ACTIVE_GAP), applying takes at most BUSY_SHARE of the event loop. A burst is stored at full
    speed and applied right after it."""

    def __init__(
        self,
        applier: DeliveryApplier,
        settings: WorkerSettings,
        intake_idle_for: Callable[[], float] = always_idle,
        *,
        clock: Monotonic = time.monotonic,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self._applier = applier
        self._settings = settings
        self._pacing = IntakeFirst(intake_idle_for, ACTIVE_GAP, clock, sleep)
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
        await run_rounds(stop, self._wake, self._pacing, self._round, pause=pause, what="delivery")

    async def _round(self) -> int:
        return len(await self._applier.apply_pending(ROUND_SIZE))

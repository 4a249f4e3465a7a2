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

import structlog

from ticketbridge.clock import Monotonic, Sleep
from ticketbridge.services.jira_deliveries import DeliveryApplier
from ticketbridge.services.settings import WorkerSettings
from ticketbridge.workers.decisions import ACTIVE_GAP, BUSY_SHARE
from ticketbridge.workers.idle import idle

log = structlog.get_logger(__name__)

# Deliveries per transaction: small, because on SQLite a round holds the one write lock and
# intake (whose 200 waits for its commit) queues behind it: a round of 5 holds it a few ms.
ROUND_SIZE = 5
_POLL = 0.001


def _always_idle() -> float:
    return float("inf")


class DeliveryLoop:
    """Intake first, as the decision loop does it (workers.decisions): while deliveries keep
    arriving (`intake_idle_for` under ACTIVE_GAP), applying takes at most BUSY_SHARE of the
    event loop — after a round that took t the next waits t × (1/share − 1), unless intake
    pauses first. A burst is stored at full speed and applied right after it."""

    def __init__(
        self,
        applier: DeliveryApplier,
        settings: WorkerSettings,
        intake_idle_for: Callable[[], float] = _always_idle,
        *,
        clock: Monotonic = time.monotonic,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self._applier = applier
        self._settings = settings
        self._intake_idle_for = intake_idle_for
        self._clock = clock
        self._sleep = sleep
        self._wake = asyncio.Event()
        self._next_busy_round = 0.0  # monotonic: when a round may run while intake is busy

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
            await self._let_intake_go_first(stop)
            self._wake.clear()
            started = self._clock()
            try:
                applied = len(await self._applier.apply_pending(ROUND_SIZE))
            except Exception:  # the worker loop: log, pause, keep going
                log.exception("delivery round failed")
                applied = 0
            ended = self._clock()
            self._next_busy_round = ended + (ended - started) * (1 / BUSY_SHARE - 1)
            if applied:
                await asyncio.sleep(0)  # let requests in between rounds
                continue
            await idle(stop, self._wake, pause)

    async def _let_intake_go_first(self, stop: asyncio.Event) -> None:
        while self._intake_idle_for() < ACTIVE_GAP:
            if stop.is_set() or self._clock() >= self._next_busy_round:
                return
            await self._sleep(_POLL)

"""The decision loop: decides accepted alerts as they arrive (`wake()` after an ingest) and,
when idle, every `idle_sleep` — which picks up alerts another process accepted, or that were
pending when this process started (a crash between accept and decide loses nothing).

`serve` runs one in-process and `ticketbridge worker` runs one; any number may share a
database: one decider at a time holds the pending alerts (services.Decider).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

from ticketbridge.clock import Monotonic, Sleep
from ticketbridge.services import Decider
from ticketbridge.services.settings import WorkerSettings
from ticketbridge.workers.rounds import IntakeFirst, always_idle, run_rounds

# Alerts per transaction once intake has been idle a while: large enough to amortise a round's
# statements. A round runs on the loop's thread (~0.05–0.1 ms per alert).
ROUND_SIZE = 100
# While intake is active: short rounds, so a request arriving meanwhile waits ~2 ms at most.
BUSY_ROUND_SIZE = 20

# Intake first, measured by how long intake has been idle (`intake_idle_for`):
# - under BUSY_GAP (an accept under way, or a client's next request surely on its way): the
#   decider takes at most BUSY_SHARE of the event loop (workers.rounds): after a round that
#   took t, the next waits t × (1/share − 1) unless intake pauses first. A storm is committed
#   at ~full speed and decided right after it; under sustained load decisions still go on.
# - under ACTIVE_GAP, or while the outbox is writing to Jira (`outbox_busy`): short rounds
#   back to back, so requests and the Jira writes' next steps wait ~1–2 ms, not a full round
#   (a storm's creates then drain at Jira's rate limit while its repeats are decided);
# - beyond: full rounds back to back.
BUSY_GAP = 0.002
ACTIVE_GAP = 0.05


def _never_busy() -> bool:
    return False


class DecisionLoop:
    def __init__(
        self,
        decider: Decider,
        settings: WorkerSettings,
        intake_idle_for: Callable[[], float] = always_idle,
        outbox_busy: Callable[[], bool] = _never_busy,
        *,
        clock: Monotonic = time.monotonic,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self._decider = decider
        self._settings = settings
        self._intake_idle_for = intake_idle_for
        self._outbox_busy = outbox_busy
        self._pacing = IntakeFirst(intake_idle_for, BUSY_GAP, clock, sleep)
        self._wake = asyncio.Event()

    def wake(self) -> None:
        """Alerts were accepted: stop idling now."""
        self._wake.set()

    async def run_until_idle(self) -> int:
        """Decide until nothing is pending (tests); returns how many alerts were decided."""
        return await self._decider.decide_all(ROUND_SIZE)

    async def run_forever(self, stop: asyncio.Event) -> None:
        """Run until `stop` is set; an unexpected error is logged and the loop goes on."""
        pause = self._settings.idle_sleep.total_seconds()
        await run_rounds(stop, self._wake, self._pacing, self._round, pause=pause, what="decision")

    async def _round(self) -> int:
        alone = self._intake_idle_for() >= ACTIVE_GAP and not self._outbox_busy()
        round_size = ROUND_SIZE if alone else BUSY_ROUND_SIZE
        return len((await self._decider.decide_pending(round_size)).decided)

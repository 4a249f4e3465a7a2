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

import structlog

from ticketbridge.services import Decider
from ticketbridge.services.settings import WorkerSettings
from ticketbridge.workers.idle import idle

__all__ = ["DecisionLoop"]

log = structlog.get_logger(__name__)

# Alerts per transaction: large enough to amortise a round's statements, small enough that a
# round (~0.05–0.1 ms per alert, run on the loop's thread) gives the event loop back soon.
ROUND_SIZE = 100
# While intake is busy: short rounds, so a request arriving meanwhile waits ~2 ms at most.
BUSY_ROUND_SIZE = 20

# Intake first. While alerts are coming in (`intake_busy`), the decider takes at most this
# share of the event loop: after a round that took t, the next waits t × (1/share − 1) unless
# intake goes quiet first. A storm is committed at ~full speed and decided right after it;
# under sustained load decisions still go on (~1,000 alerts/s at 10%); a quiet loop decides
# at once, round after round.
BUSY_SHARE = 0.1
_POLL = 0.001


class DecisionLoop:
    def __init__(
        self,
        decider: Decider,
        settings: WorkerSettings,
        intake_busy: Callable[[], bool] = lambda: False,
    ) -> None:
        self._decider = decider
        self._settings = settings
        self._intake_busy = intake_busy
        self._wake = asyncio.Event()
        self._next_busy_round = 0.0  # monotonic: when a round may run while intake is busy

    def wake(self) -> None:
        """Alerts were accepted: stop idling now."""
        self._wake.set()

    async def run_until_idle(self) -> int:
        """Decide until nothing is pending (tests); returns how many alerts were decided."""
        return await self._decider.decide_all(ROUND_SIZE)

    async def run_forever(self, stop: asyncio.Event) -> None:
        """Run until `stop` is set; an unexpected error is logged and the loop goes on."""
        pause = self._settings.idle_sleep.total_seconds()
        while not stop.is_set():
            quiet = await self._let_intake_go_first(stop)
            self._wake.clear()
            started = time.monotonic()
            try:
                round_size = ROUND_SIZE if quiet else BUSY_ROUND_SIZE
                decided = len((await self._decider.decide_pending(round_size)).decided)
            except Exception:  # the worker loop: log, pause, keep going
                log.exception("decision round failed")
                decided = 0
            took = time.monotonic() - started
            self._next_busy_round = time.monotonic() + took * (1 / BUSY_SHARE - 1)
            if decided:
                continue
            await idle(stop, self._wake, pause)

    async def _let_intake_go_first(self, stop: asyncio.Event) -> bool:
        """Wait while intake is busy: True when it went quiet, False when the decider's share
        of a busy loop is due."""
        # Polled: intake's state is a counter and a timestamp; an Event set and cleared on
        # every accept would cost the hot path more than this costs a waiting decider.
        while self._intake_busy():
            if stop.is_set() or time.monotonic() >= self._next_busy_round:
                return False
            await asyncio.sleep(_POLL)
        return True

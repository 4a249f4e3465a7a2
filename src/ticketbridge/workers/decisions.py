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
# round (~0.1 ms per alert) leaves the event loop to the API between rounds.
ROUND_SIZE = 100


# Intake first: while alerts are being accepted in this process, a round waits (up to this
# long since the last round), so a storm is committed at full speed and decided right after;
# under endless load a round still runs at least this often.
MAX_DEFER = 1.0
_DEFER_STEP = 0.002


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
            await self._let_intake_go_first(stop)
            self._wake.clear()
            try:
                decided = len((await self._decider.decide_pending(ROUND_SIZE)).decided)
            except Exception:  # the worker loop: log, pause, keep going
                log.exception("decision round failed")
                decided = 0
            if decided:
                await asyncio.sleep(0)  # let requests in between rounds
                continue
            await idle(stop, self._wake, pause)

    async def _let_intake_go_first(self, stop: asyncio.Event) -> None:
        deadline = time.monotonic() + MAX_DEFER
        # Polling: the intake's in-flight count is a plain counter; an Event set and cleared on
        # every accept would cost the hot path more than this costs an idle loop.
        while self._intake_busy() and time.monotonic() < deadline and not stop.is_set():  # noqa: ASYNC110
            await asyncio.sleep(_DEFER_STEP)

"""Rounds with intake first, shared by the decision loop and the delivery loop.

Intake (an HTTP request waiting for its commit) goes before the rounds that work off what it
stored. While intake has been idle for less than the loop's `gap`, a round waits until intake
pauses or the loop's share of the event loop is due: after a round that took t, the next may
start t × (1/BUSY_SHARE − 1) later. A burst is stored at full speed and worked off right after
it; under sustained load the rounds still go on, at BUSY_SHARE of the loop.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import structlog

from ticketbridge.clock import Monotonic, Sleep
from ticketbridge.workers.idle import idle

log = structlog.get_logger(__name__)

BUSY_SHARE = 0.1
_POLL = 0.001


def always_idle() -> float:
    """`intake_idle_for` where nothing takes intake in this process."""
    return float("inf")


class IntakeFirst:
    """When the next round may start: polled, because intake's state is a counter and a
    timestamp; an Event set and cleared on every accept would cost the hot path more than the
    polling costs a waiting loop."""

    def __init__(
        self, intake_idle_for: Callable[[], float], gap: float, clock: Monotonic, sleep: Sleep
    ) -> None:
        self._intake_idle_for = intake_idle_for
        self._gap = gap
        self._clock = clock
        self._sleep = sleep
        self._next_busy_round = 0.0  # monotonic: when a round may run while intake is busy

    async def wait_turn(self, stop: asyncio.Event) -> None:
        while self._intake_idle_for() < self._gap:
            if stop.is_set() or self._clock() >= self._next_busy_round:
                return
            await self._sleep(_POLL)

    async def timed(self, one_round: Callable[[], Awaitable[int]]) -> int:
        """Run a round and note its time for the share."""
        started = self._clock()
        try:
            return await one_round()
        finally:
            ended = self._clock()
            self._next_busy_round = ended + (ended - started) * (1 / BUSY_SHARE - 1)


async def run_rounds(
    stop: asyncio.Event,
    wake: asyncio.Event,
    pacing: IntakeFirst,
    one_round: Callable[[], Awaitable[int]],
    *,
    pause: float,
    what: str,
) -> None:
    """Rounds until `stop`: back to back while they find work, else idle for `pause` or until
    woken. An unexpected error is logged and the loop goes on."""
    while not stop.is_set():
        await pacing.wait_turn(stop)
        wake.clear()
        try:
            done = await pacing.timed(one_round)
        except Exception:  # the worker loop: log, pause, keep going
            log.exception(f"{what} round failed")
            done = 0
        if done:
            # Rounds may run inline (SQLite on this thread) and need not suspend at all: yield,
            # so requests that arrived meanwhile are read and reach intake between rounds.
            await asyncio.sleep(0)
            continue
        await idle(stop, wake, pause)

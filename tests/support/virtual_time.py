"""Virtual time for tests: a monotonic clock the test owns and a sleep that moves it instead of
waiting, so a test about timing states the times it means and never waits on the wall clock."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field


@dataclass
class VirtualTime:
    """`clock()` reads it; `await clock.sleep(s)` moves it by `s` (and yields to the event loop
    once, as a real sleep does); `advance(s)` moves it from the test or a fake; `await
    clock.reached(t)` waits until whoever moves it has moved it to `t`."""

    now: float = 1000.0
    _waiters: list[tuple[float, asyncio.Future[None]]] = field(default_factory=list, repr=False)

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds
        due = [future for moment, future in self._waiters if moment <= self.now]
        self._waiters = [(m, f) for m, f in self._waiters if m > self.now]
        for future in due:
            if not future.done():
                future.set_result(None)

    async def sleep(self, seconds: float) -> None:
        self.advance(max(seconds, 0.0))
        await asyncio.sleep(0)

    async def reached(self, moment: float) -> None:
        if self.now >= moment:
            return
        future = asyncio.get_running_loop().create_future()
        self._waiters.append((moment, future))
        await future

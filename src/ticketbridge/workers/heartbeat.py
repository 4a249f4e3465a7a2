"""The heartbeat: each `serve` and `worker` process keeps a row in `processes` (name, role,
host, pid, since when) and moves its `heartbeat_at` on every `every`, so any process can say
which members of the fleet are alive (`ticketbridge status`, /readyz, /metrics).

It runs on the same event loop as the process's other loops (decision, outbox, scheduler): a
loop stuck on a blocking call stops the heartbeat too, which is what a watcher wants to see. A
clean stop deletes the row; a killed process's row stays, its heartbeat ageing, until any
live process forgets rows silent for `forget_after`.
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import replace
from datetime import timedelta

import structlog

from ticketbridge.clock import Clock
from ticketbridge.domain.records import ProcessRecord
from ticketbridge.services.ports import UnitOfWorkFactory
from ticketbridge.workers.idle import idle

log = structlog.get_logger(__name__)


class Heartbeat:
    def __init__(
        self,
        uow_factory: UnitOfWorkFactory,
        clock: Clock,
        process: ProcessRecord,
        *,
        every: timedelta = timedelta(seconds=5),
        forget_after: timedelta = timedelta(minutes=10),
    ) -> None:
        self._uow = uow_factory
        self._clock = clock
        self.process = process
        self._every = every
        self._forget_after = forget_after

    async def beat(self) -> None:
        now = self._clock()
        async with self._uow() as uow:
            await uow.processes.beat(replace(self.process, heartbeat_at=now))
            await uow.processes.forget(now - self._forget_after)
            await uow.commit()

    async def run_forever(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                await self.beat()
            except Exception:  # the worker loop: log, pause, keep going
                log.exception("heartbeat failed", process=self.process.name)
            await idle(stop, asyncio.Event(), self._every.total_seconds())
        await self._leave()

    async def _leave(self) -> None:
        with contextlib.suppress(Exception):  # stopping anyway: the row will age out
            async with self._uow() as uow:
                await uow.processes.leave(self.process.name)
                await uow.commit()

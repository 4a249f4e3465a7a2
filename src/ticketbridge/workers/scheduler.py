"""The scheduler: runs periodic jobs (services/periodic.py), each in exactly one process at a
time, across restarts.

Each job has a row in `schedules` (storage/schedules.py): a process runs the job only after
taking the row's lease with one guarded UPDATE (due, and no unexpired lease), and frees it
when the run ends, recording when it ran, whether it succeeded, what it did and when it is due
next. So any number of `serve`/`worker` processes on one database (SQLite or PostgreSQL) run
each job once per period between them; a process killed mid-run leaves the lease to expire
(`lease`, longer than any run should take) and the job runs again elsewhere; a restart finds
the job's next due time in the row, not in memory. `ticketbridge status` and /metrics read
the rows.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import timedelta

import structlog

from ticketbridge.clock import Clock
from ticketbridge.services.periodic import Periodic
from ticketbridge.services.ports import UnitOfWorkFactory
from ticketbridge.workers.idle import idle

log = structlog.get_logger(__name__)
_OUTCOME_CHARS = 500


class Scheduler:
    def __init__(
        self,
        uow_factory: UnitOfWorkFactory,
        jobs: Sequence[Periodic],
        clock: Clock,
        owner: str,
        *,
        lease: timedelta = timedelta(minutes=15),
        tick: timedelta = timedelta(seconds=5),
    ) -> None:
        self._uow = uow_factory
        self._jobs = tuple(jobs)
        self._clock = clock
        self.owner = owner
        self._lease = lease
        self._tick = tick
        self._known: set[str] = set()

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(job.name for job in self._jobs)

    async def run_due(self) -> list[str]:
        """Run each job that is due and not running elsewhere, one after the other; the
        names of those this process ran."""
        ran: list[str] = []
        for job in self._jobs:
            if await self._take(job):
                await self._run(job)
                ran.append(job.name)
        return ran

    async def run_forever(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                await self.run_due()
            except Exception:  # the worker loop: log, pause, keep going
                log.exception("scheduler round failed", owner=self.owner)
            await idle(stop, asyncio.Event(), self._tick.total_seconds())

    async def _take(self, job: Periodic) -> bool:
        now = self._clock()
        async with self._uow() as uow:
            if job.name not in self._known:  # a new job is due at once
                await uow.schedules.ensure(job.name, now)
            taken = await uow.schedules.acquire(job.name, self.owner, now, now + self._lease)
            await uow.commit()
        self._known.add(job.name)
        return taken

    async def _run(self, job: Periodic) -> None:
        try:
            outcome, ok = await job.run(), True
        except Exception as error:
            log.error("periodic job failed", job=job.name, owner=self.owner, exc_info=error)
            outcome, ok = f"{type(error).__name__}: {error}", False
        now = self._clock()
        async with self._uow() as uow:
            kept = await uow.schedules.finish(
                job.name,
                self.owner,
                now=now,
                ok=ok,
                outcome=outcome[:_OUTCOME_CHARS],
                next_due=now + job.every,
            )
            await uow.commit()
        if not kept:  # it outlived its lease: another process has taken the job over
            log.warning("periodic job outlived its lease", job=job.name, owner=self.owner)
        else:
            log.info("periodic job ran", job=job.name, ok=ok, outcome=outcome[:_OUTCOME_CHARS])

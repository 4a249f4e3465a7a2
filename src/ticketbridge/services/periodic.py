"""The periodic jobs the scheduler runs (workers/scheduler.py), each a name, a period and a
coroutine that does one run and says in one line what it did (`ticketbridge status`, /metrics).
Reconcile (two-way sync), stale escalation and the SLA scan register theirs the same way."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from ticketbridge.clock import Clock
from ticketbridge.domain.records import ProcessRecord, ScheduleRecord
from ticketbridge.services.ports import UnitOfWorkFactory

PURGE_DONE_JOBS = "purge_done_jobs"
PURGE_BATCH = 5_000  # done jobs deleted per transaction


@dataclass(frozen=True)
class Periodic:
    name: str  # the lease row's key: one process at a time runs the job of this name
    every: timedelta
    run: Callable[[], Awaitable[str]]  # one run; returns what it did, one line


def done_job_purge(
    uow_factory: UnitOfWorkFactory, clock: Clock, *, retention: timedelta, every: timedelta
) -> Periodic:
    """Delete done outbox jobs older than `retention` (the outbox is a queue; the alerts keep
    the history), once per `every`."""

    async def purge() -> str:
        before, purged = clock() - retention, 0
        while True:  # batches, each its own short transaction, until one comes back short
            async with uow_factory() as uow:
                deleted = await uow.outbox.purge_done(before, PURGE_BATCH)
                await uow.commit()
            purged += deleted
            if deleted < PURGE_BATCH:
                return f"{purged} done jobs older than {retention} deleted"

    return Periodic(PURGE_DONE_JOBS, every, purge)


class ScheduleStatus:
    """What the periodic jobs did: their rows, for `ticketbridge status` and /metrics."""

    def __init__(self, uow_factory: UnitOfWorkFactory) -> None:
        self._uow = uow_factory

    async def rows(self) -> list[ScheduleRecord]:
        async with self._uow() as uow:
            return await uow.schedules.list()

    async def processes(self) -> list[ProcessRecord]:
        """Every `serve`/`worker` process's heartbeat row (workers/heartbeat.py)."""
        async with self._uow() as uow:
            return await uow.processes.list()

    async def oldest_pending(self) -> datetime | None:
        """When the oldest outbox job not done yet was queued (None: the backlog is empty)."""
        async with self._uow() as uow:
            return await uow.outbox.oldest_pending()

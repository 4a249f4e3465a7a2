"""Periodic jobs run in exactly one process at a time, across restarts (issue 15 item 5): two
schedulers on one database (two `Database` objects, as two processes have) run a due job once
between them; a process that died holding the lease holds it only until the lease expires; a
restarted process finds the next due time in the row; a failed run is recorded. On SQLite and
PostgreSQL, on a virtual clock."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import timedelta

from pipeline_harness import START, FakeClock

from ticketbridge.services.periodic import Periodic, ScheduleStatus
from ticketbridge.storage import Database
from ticketbridge.workers import Scheduler

EVERY = timedelta(minutes=10)


@dataclass
class Counted:
    """A job that counts its runs (its effect), yielding inside so runs could overlap."""

    runs: list[str] = field(default_factory=list)
    fail: bool = False

    def job(self, owner: str) -> Periodic:
        async def run() -> str:
            await asyncio.sleep(0)
            if self.fail:
                raise RuntimeError("Jira search refused the JQL")
            self.runs.append(owner)
            return f"run {len(self.runs)}"

        return Periodic("reconcile", EVERY, run)


async def test_two_processes_run_a_due_job_once_between_them(database: Database) -> None:
    other = Database(database.url)
    clock, counted = FakeClock(), Counted()
    one = Scheduler(database.unit_of_work, [counted.job("one")], clock, "one")
    two = Scheduler(other.unit_of_work, [counted.job("two")], clock, "two")
    try:
        for _ in range(3):  # three rounds each, at the same moment
            await asyncio.gather(one.run_due(), two.run_due())
        assert len(counted.runs) == 1
        clock.now += EVERY
        await asyncio.gather(one.run_due(), two.run_due())
        assert len(counted.runs) == 2
    finally:
        await other.aclose()
    [row] = await ScheduleStatus(database.unit_of_work).rows()
    assert (row.name, row.runs, row.last_ok, row.last_outcome) == ("reconcile", 2, True, "run 2")
    assert row.owner is None
    assert row.next_due_at == START + 2 * EVERY


async def test_a_dead_holder_keeps_the_job_only_until_its_lease_expires(database: Database) -> None:
    clock, counted = FakeClock(), Counted()
    async with database.unit_of_work() as uow:  # a process took the job, then was killed
        await uow.schedules.ensure("reconcile", START)
        assert await uow.schedules.acquire("reconcile", "killed", START, START + EVERY)
        await uow.commit()
    survivor = Scheduler(database.unit_of_work, [counted.job("survivor")], clock, "survivor")
    clock.now = START + EVERY - timedelta(seconds=1)
    assert await survivor.run_due() == []
    clock.now = START + EVERY + timedelta(seconds=1)
    assert await survivor.run_due() == ["reconcile"]
    assert counted.runs == ["survivor"]
    async with database.unit_of_work() as uow:  # the killed run's late finish records nothing
        assert not await uow.schedules.finish(
            "reconcile", "killed", now=clock.now, ok=True, outcome="late", next_due=clock.now
        )


async def test_a_restarted_process_waits_for_the_due_time_in_the_row(database: Database) -> None:
    clock, counted = FakeClock(), Counted()
    await Scheduler(database.unit_of_work, [counted.job("before")], clock, "p1").run_due()
    restarted = Scheduler(database.unit_of_work, [counted.job("after")], clock, "p1-restarted")
    clock.now += EVERY / 2
    assert await restarted.run_due() == []
    clock.now += EVERY / 2
    assert await restarted.run_due() == ["reconcile"]
    assert counted.runs == ["before", "after"]


async def test_a_failed_run_is_recorded_and_the_job_runs_again_next_period(
    database: Database,
) -> None:
    clock, counted = FakeClock(), Counted(fail=True)
    scheduler = Scheduler(database.unit_of_work, [counted.job("p")], clock, "p")
    assert await scheduler.run_due() == ["reconcile"]
    [row] = await ScheduleStatus(database.unit_of_work).rows()
    assert row.last_ok is False
    assert row.last_outcome == "RuntimeError: Jira search refused the JQL"
    counted.fail = False
    clock.now += EVERY
    await scheduler.run_due()
    [row] = await ScheduleStatus(database.unit_of_work).rows()
    assert (row.last_ok, row.runs, counted.runs) == (True, 2, ["p"])

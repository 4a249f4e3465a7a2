"""The fleet's status, on SQLite and PostgreSQL: each process's heartbeat row (written by its
heartbeat loop, gone when it stops cleanly, forgotten when silent too long), the outbox's oldest
pending job, and done jobs purged in bounded batches. Asserts rows, as any process reads them."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from ticketbridge.domain import JobKind, Ticket, TicketStatus
from ticketbridge.domain.records import NewJob, ProcessRecord
from ticketbridge.services.periodic import ScheduleStatus, done_job_purge
from ticketbridge.storage import Database
from ticketbridge.workers import Heartbeat

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        return self.now


def _process(name: str, role: str) -> ProcessRecord:
    return ProcessRecord(name, role, "host-a", 4242, T0, T0)


async def test_each_process_beats_its_own_row_and_a_clean_stop_removes_it(
    database: Database,
) -> None:
    clock = Clock()
    serve = Heartbeat(database.unit_of_work, clock, _process("a:1", "serve"))
    worker = Heartbeat(database.unit_of_work, clock, _process("a:2", "worker"))
    await serve.beat()
    await worker.beat()
    clock.now = T0 + timedelta(seconds=7)
    await worker.beat()
    seen = {
        p.name: (p.role, p.heartbeat_at)
        for p in await ScheduleStatus(database.unit_of_work).processes()
    }
    assert seen == {"a:1": ("serve", T0), "a:2": ("worker", T0 + timedelta(seconds=7))}

    stop = asyncio.Event()
    stop.set()  # already stopping: run_forever leaves at once
    await worker.run_forever(stop)
    assert [p.name for p in await ScheduleStatus(database.unit_of_work).processes()] == ["a:1"]


async def test_a_killed_processs_row_is_forgotten_by_the_live_ones(database: Database) -> None:
    clock = Clock()
    killed = Heartbeat(database.unit_of_work, clock, _process("a:1", "worker"))
    alive = Heartbeat(
        database.unit_of_work, clock, _process("a:2", "worker"), forget_after=timedelta(minutes=1)
    )
    await killed.beat()
    clock.now = T0 + timedelta(seconds=59)
    await alive.beat()
    assert len(await ScheduleStatus(database.unit_of_work).processes()) == 2
    clock.now = T0 + timedelta(seconds=61)
    await alive.beat()
    assert [p.name for p in await ScheduleStatus(database.unit_of_work).processes()] == ["a:2"]


async def _queue(database: Database, count: int) -> list[int]:
    async with database.unit_of_work() as uow:
        (ticket,) = await uow.tickets.insert_many(
            [Ticket("fp", 1, "OPS", TicketStatus.PENDING, T0, T0)]
        )
        jobs = [NewJob(JobKind.COMMENT, "fp", ticket.id or 0, {"n": n}) for n in range(count)]
        await uow.outbox.enqueue(jobs, T0 + timedelta(seconds=1))
        await uow.commit()
        return [job.id for job in await uow.outbox.list(state=None, limit=count)]


async def test_oldest_pending_is_the_first_job_not_done(database: Database) -> None:
    status = ScheduleStatus(database.unit_of_work)
    assert await status.oldest_pending() is None
    ids = await _queue(database, 3)
    async with database.unit_of_work() as uow:
        (first,) = await uow.outbox.claim(
            "w", T0 + timedelta(seconds=2), T0 + timedelta(hours=1), 1
        )
        assert first.id == ids[0]
        assert await uow.outbox.complete([first.id], "w", T0 + timedelta(seconds=3))
        await uow.commit()
    assert await status.oldest_pending() == T0 + timedelta(seconds=1)  # the two left


async def test_the_purge_deletes_done_jobs_in_batches_until_none_is_left(
    database: Database,
) -> None:
    ids = await _queue(database, 12)
    done_at = T0 + timedelta(seconds=2)
    for job_id in ids[:11]:  # one job at a time: the per-key order lets one run
        async with database.unit_of_work() as uow:
            (job,) = await uow.outbox.claim("w", done_at, done_at + timedelta(hours=1), 1)
            assert job.id == job_id
            await uow.outbox.complete([job.id], "w", done_at)
            await uow.commit()
    async with database.unit_of_work() as uow:
        assert await uow.outbox.purge_done(T0 + timedelta(days=1), 5) == 5
        await uow.rollback()
    clock = Clock()
    clock.now = T0 + timedelta(days=8)
    purge = done_job_purge(
        database.unit_of_work, clock, retention=timedelta(days=7), every=timedelta(hours=1)
    )
    assert (await purge.run()).startswith("11 done jobs")
    async with database.unit_of_work() as uow:
        left = await uow.outbox.list(state=None, limit=20)
    assert [job.id for job in left] == ids[11:]

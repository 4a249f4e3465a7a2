"""The log on SQLite and PostgreSQL: events appended in the unit of work's commit, gap-free
positions and a chain that verifies, nothing written when the unit of work rolls back, and
many writers at once on one sequence."""

from __future__ import annotations

import asyncio
import itertools
from pathlib import Path

from audit_harness import append, event, trail_for

from ticketbridge.domain.audit import GENESIS
from ticketbridge.services.audit_service import EventFilter
from ticketbridge.storage import Database


async def test_appended_events_form_one_verified_chain(database: Database, tmp_path: Path) -> None:
    await append(database, 25, per_batch=7)
    trail = trail_for(database, tmp_path)
    await trail.checkpointer.checkpoint(force=True)
    report = await trail.verifier.verify()
    assert report.ok, report.findings
    assert report.events == 25
    assert report.checkpoints_checked == 1
    events = await trail.events(EventFilter(), limit=100)
    assert [e.position for e in events] == list(range(25))
    first = events[0].document()
    assert first["prev_hash"] == GENESIS
    assert first["id"].startswith("evt_")
    assert set(first) == {
        "position",
        "id",
        "type",
        "source",
        "timestamp",
        "payload",
        "links",
        "prev_hash",
        "hash",
    }
    assert all(b.document()["prev_hash"] == a.hash for a, b in itertools.pairwise(events))


async def test_a_unit_of_work_rolled_back_appends_nothing(database: Database) -> None:
    async with database.unit_of_work() as uow:
        uow.audit.record([event(1)])  # and no commit
    async with database.unit_of_work() as uow:
        assert (await uow.audit.head()).size == 0
        uow.audit.record([event(2)])
        await uow.commit()
    async with database.unit_of_work() as uow:
        head = await uow.audit.head()
        assert head.size == 1
        rows = [row async for row in uow.audit.stream()]
    assert [r[0] for r in rows] == [0]


async def test_concurrent_writers_share_one_gap_free_sequence(
    database: Database, tmp_path: Path
) -> None:
    writers = 4
    await asyncio.gather(
        *(append(database, 60, per_batch=5, start=w * 1000) for w in range(writers))
    )
    trail = trail_for(database, tmp_path)
    report = await trail.verifier.verify()
    assert report.ok, report.findings
    assert report.events == writers * 60


async def test_events_recorded_later_are_sealed_before_what_follows_them(
    database: Database, tmp_path: Path
) -> None:
    """The decider's events commit unsealed with its decisions (no lock, no hashing); the next
    sealed append seals them first, in order; a reader seals what is still pending."""
    async with database.unit_of_work() as uow:
        uow.audit.record([event(1), event(2)], later=True)
        await uow.commit()
    async with database.unit_of_work() as uow:
        assert ((await uow.audit.head()).size, await uow.audit.pending_count()) == (0, 1)
        uow.audit.record([event(3)])
        await uow.commit()
    async with database.unit_of_work() as uow:
        uow.audit.record([event(4)], later=True)
        await uow.commit()
    trail = trail_for(database, tmp_path)
    events = await trail.events(EventFilter(), limit=10)  # seals event 4 first
    assert [e.document()["payload"]["n"] for e in events] == [1, 2, 3, 4]
    assert [e.position for e in events] == [0, 1, 2, 3]
    async with database.unit_of_work() as uow:
        assert await uow.audit.pending_count() == 0
    assert (await trail.verifier.verify()).ok

"""The dispatcher loop deletes done jobs older than `done_retention`, at most once per
`purge_every`; dead and younger jobs stay (issue 4 follow-up). "Not purged" is judged after the
dispatcher has run enough rounds, counted on its clock, not after some wall-clock time."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

import pytest
from pipeline_harness import FAST, FakeClock, Pipeline, alert

from ticketbridge.errors import FieldErrors
from ticketbridge.providers.fake import FakeProvider
from ticketbridge.storage import Database


@dataclass
class CountingClock(FakeClock):
    """The pipeline's clock, counting its reads: every dispatcher round reads it (to claim, and
    when idle to see whether a purge is due), so the reads say how many rounds have run."""

    reads: int = 0

    def __call__(self) -> datetime:
        self.reads += 1
        return self.now


_ROUNDS = 20  # reads: at least ten idle rounds, where one purges whatever is due


async def _loop(pipe: Pipeline, expected: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """The dispatcher's real loop (its idle rounds do the housekeeping) until the jobs left
    are `expected`, or it has run enough rounds to have purged them; returns the jobs left."""
    clock = pipe.clock
    assert isinstance(clock, CountingClock)
    stop = asyncio.Event()
    running = asyncio.create_task(pipe.dispatchers[0].run_forever(stop))
    start = clock.reads
    while True:
        left = await _remaining(pipe)
        if left == expected or clock.reads - start >= _ROUNDS:
            break
        await asyncio.sleep(0.02)  # the rounds run on the dispatcher's idle timer; look between
    stop.set()
    await running
    return left


async def _remaining(pipe: Pipeline) -> list[tuple[str, str]]:
    jobs = await pipe.admin.jobs(state=None, limit=100)
    return sorted((j.ordering_key, j.state.value) for j in jobs)


@pytest.mark.parametrize(
    ("purge_every", "after_a_week_more"),
    [
        (timedelta(minutes=10), [("generic:fp-dead", "dead")]),
        (
            timedelta(days=30),
            [("generic:fp-dead", "dead"), ("generic:fp-new", "done")],
        ),  # not due again yet
    ],
)
async def test_dispatcher_purges_old_done_jobs(
    database: Database, purge_every: timedelta, after_a_week_more: list[tuple[str, str]]
) -> None:
    jira = FakeProvider()
    worker = replace(FAST, idle_sleep=timedelta(milliseconds=10), purge_every=purge_every)
    pipe = Pipeline(database, jira, worker=worker, clock=CountingClock())
    jira.fail_next("create_issue", FieldErrors("Jira refused the issue", fields={"x": "bad"}))
    await pipe.send(alert(id="dead", fingerprint="fp-dead"))
    await pipe.drain()
    await pipe.send(alert(id="old", fingerprint="fp-old"))
    await pipe.drain()
    pipe.clock.advance(days=8)
    await pipe.send(alert(id="new", fingerprint="fp-new"))
    await pipe.drain()
    assert [s for _, s in await _remaining(pipe)] == ["dead", "done", "done"]

    purged = [("generic:fp-dead", "dead"), ("generic:fp-new", "done")]
    assert await _loop(pipe, purged) == purged

    pipe.clock.advance(days=8)  # fp-new is 8 days old now
    assert await _loop(pipe, [("generic:fp-dead", "dead")]) == after_a_week_more

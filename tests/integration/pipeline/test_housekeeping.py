"""The scheduler's `purge_done_jobs` deletes done jobs older than `done_retention`, at most once
per `purge_every` (across processes: its lease row); dead and younger jobs stay (issue 4
follow-up, issue 15 item 5). Each run is the scheduler's own, on the pipeline's virtual clock."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest
from pipeline_harness import FAST, Pipeline, alert

from ticketbridge.errors import FieldErrors
from ticketbridge.providers.fake import FakeProvider
from ticketbridge.services.periodic import PURGE_DONE_JOBS, done_job_purge
from ticketbridge.storage import Database
from ticketbridge.workers import Scheduler


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
async def test_scheduler_purges_old_done_jobs(
    database: Database, purge_every: timedelta, after_a_week_more: list[tuple[str, str]]
) -> None:
    jira = FakeProvider()
    worker = replace(FAST, purge_every=purge_every)
    pipe = Pipeline(database, jira, worker=worker)
    purge = done_job_purge(
        database.unit_of_work, pipe.clock, retention=worker.done_retention, every=purge_every
    )
    scheduler = Scheduler(database.unit_of_work, [purge], pipe.clock, "proc-1")
    jira.fail_next("create_issue", FieldErrors("Jira refused the issue", fields={"x": "bad"}))
    await pipe.send(alert(id="dead", fingerprint="fp-dead"))
    await pipe.drain()
    await pipe.send(alert(id="old", fingerprint="fp-old"))
    await pipe.drain()
    pipe.clock.advance(days=8)
    await pipe.send(alert(id="new", fingerprint="fp-new"))
    await pipe.drain()
    assert [s for _, s in await _remaining(pipe)] == ["dead", "done", "done"]

    assert await scheduler.run_due() == [PURGE_DONE_JOBS]
    assert await _remaining(pipe) == [("generic:fp-dead", "dead"), ("generic:fp-new", "done")]

    pipe.clock.advance(days=8)  # fp-new is 8 days old now
    await scheduler.run_due()
    assert await _remaining(pipe) == after_a_week_more

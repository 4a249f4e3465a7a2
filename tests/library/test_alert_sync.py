"""`services.AlertSync`, the library's wait for an alert's issue, on both stores with a fake Jira
and virtual time: a create that fails for a while is retried once its backoff ends, and one
still failing when the wait is over is left queued, not lost and not repeated."""

from __future__ import annotations

from datetime import timedelta

import pytest
from pipeline_harness import START, Pipeline, alert

from support.postgres import database, postgres_server
from ticketbridge.domain import JobState
from ticketbridge.errors import Unavailable
from ticketbridge.providers.fake import FakeProvider
from ticketbridge.services import parse_alerts
from ticketbridge.services.alert_sync import AlertSync
from ticketbridge.storage import Database

__all__ = ["database", "postgres_server"]  # the fixtures: SQLite, then PostgreSQL

WAIT = timedelta(seconds=60)


def alert_sync(pipe: Pipeline) -> AlertSync:
    async def sleep(seconds: float) -> None:  # virtual: the pipeline's clock moves instead
        pipe.clock.advance(seconds=seconds)

    assert pipe.router is not None
    return AlertSync(
        pipe.db.unit_of_work,
        pipe.ingest_service.ingest,
        pipe.dispatchers[0].run_until_idle,
        pipe.provider,
        (pipe.router, pipe.composer),
        pipe.clock,
        wait=WAIT,
        sleep=sleep,
    )


async def test_a_create_failing_for_a_while_is_retried_until_the_issue_exists(
    database: Database,
) -> None:
    jira = FakeProvider()
    pipe = Pipeline(database, jira)
    jira.fail_next("create_issue", Unavailable("Jira is down"), times=3)
    [one] = parse_alerts([alert(id="a-1")], now=START)

    issue = await alert_sync(pipe).sync(one, update=True)

    assert issue is not None
    assert [i.key for i in jira.issues.values()] == [issue.key]
    assert timedelta(0) < pipe.clock() - START < WAIT  # waited out the backoffs, virtually


async def test_a_create_still_failing_after_the_wait_stays_queued(database: Database) -> None:
    jira = FakeProvider()
    pipe = Pipeline(database, jira)
    jira.fail_next("create_issue", Unavailable("Jira is down"), times=1_000)
    [one] = parse_alerts([alert(id="a-1")], now=START)

    with pytest.raises(Unavailable, match=r"Jira is down.*stays queued"):
        await alert_sync(pipe).sync(one, update=True)

    assert jira.issues == {}
    counts = await pipe.admin.counts()
    assert (counts[JobState.PENDING], counts[JobState.DEAD]) == (1, 0)
    assert pipe.clock() - START <= WAIT  # gave up at the deadline, not after it

"""No job loops forever (issue 4 follow-up): a job that cannot be drafted dies alone, with a hint
naming its route and template; a job that keeps crashing on a bug is dead-lettered after
`crash_limit` failures in a row; a dead worker's job runs again after the configured lease; done
jobs are purged by the dispatcher loop. Each ends with the jobs' rows and the fake Jira's issues.
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass

import pytest
from pipeline_harness import FAST, Pipeline, alert
from sqlalchemy import text

from ticketbridge.bootstrap import load_settings, worker_settings_from
from ticketbridge.domain import Alert, AlertState, JobKind, JobState, Ticket
from ticketbridge.domain.records import NewJob
from ticketbridge.errors import ConfigError, InputError, PermanentError, Problem
from ticketbridge.providers.base import IssueDraft, IssueRef
from ticketbridge.providers.fake import FakeProvider
from ticketbridge.services import DefaultComposer, Route
from ticketbridge.storage import Database

BROKEN = "Broken alert"


@dataclass
class FailingComposer:
    """The default drafts, but alerts titled `BROKEN` raise `error` (`times` times; None:
    always) — a template that does not render, or a bug in a composer."""

    error: Exception
    times: int | None = None

    def draft(self, alert: Alert, route: Route, ticket: Ticket) -> IssueDraft:
        if alert.title == BROKEN and (self.times is None or self.times > 0):
            self.times = None if self.times is None else self.times - 1
            raise self.error
        return DefaultComposer().draft(alert, route, ticket)


def named_route(dedup: str = "{}") -> str:
    """Every alert on route 'ai-alerts' with template 'hallucination'."""
    return f"""
defaults: {{dedup: {dedup}}}
templates:
  hallucination: {{summary: "{{{{ alert.title }}}}"}}
routes:
  - name: ai-alerts
    template: hallucination
"""


class ExplodingProvider(FakeProvider):
    """A provider with a bug: the next `explosions` creates raise a non-Jira exception."""

    def __init__(self, explosions: int) -> None:
        super().__init__()
        self.explosions = explosions

    async def create_issue(self, draft: IssueDraft) -> IssueRef:
        if self.explosions > 0:
            self.explosions -= 1
            raise RuntimeError("bug in the provider\n  with a second line")
        return await super().create_issue(draft)


def _pipeline(database: Database, jira: FakeProvider, composer: FailingComposer) -> Pipeline:
    return Pipeline(database, jira, named_route(), composer=composer)


async def _send_bulk(pipe: Pipeline) -> None:
    """Three creates for one project: one bulk group, the middle one broken."""
    await pipe.send(
        alert(id="ok-1", fingerprint="fp-1", title="First"),
        alert(id="bad", fingerprint="fp-2", title=BROKEN),
        alert(id="ok-2", fingerprint="fp-3", title="Second"),
    )


@pytest.mark.parametrize(
    "error",
    [
        PermanentError("template 'hallucination' failed to render: 'model' is undefined"),
        ConfigError("template is invalid", [Problem("templates.hallucination", "bad filter")]),
        InputError("alert is refused", [Problem("attributes.model", "missing")]),
    ],
    ids=["render-error", "config-error", "input-error"],
)
async def test_undraftable_alert_in_a_bulk_dies_alone_with_a_route_hint(
    database: Database, error: Exception
) -> None:
    jira = FakeProvider()
    pipe = _pipeline(database, jira, FailingComposer(error))
    await _send_bulk(pipe)
    await pipe.drain()
    assert sorted(i.summary for i in jira.issues.values()) == ["[high] First", "[high] Second"]
    assert jira.calls["create_issues"] == 1  # the rest of the group went as one bulk
    [dead] = await pipe.admin.jobs()
    assert (dead.state, dead.ordering_key, dead.last_error) == (
        JobState.DEAD,
        "generic:fp-2",
        str(error),
    )
    assert dead.hint is not None
    assert "template 'hallucination'" in dead.hint
    assert "route 'ai-alerts'" in dead.hint
    assert (await pipe.alert("bad")).state is AlertState.DEAD


@pytest.mark.parametrize(
    ("times", "dead_error", "issues"),
    [
        (None, "unexpected error (5 of 5): KeyError: 'model'", ["First", "Second"]),
        (4, None, [BROKEN, "First", "Second"]),  # four in a row, then it works: not dead
    ],
    ids=["bug-every-time", "bug-four-times"],
)
async def test_a_job_crashing_on_a_bug_is_dead_lettered_after_the_crash_limit(
    database: Database, times: int | None, dead_error: str | None, issues: list[str]
) -> None:
    jira = FakeProvider()
    pipe = _pipeline(database, jira, FailingComposer(KeyError("model"), times))
    await _send_bulk(pipe)
    await pipe.drain()  # before the fix: the broken job stayed running, retried forever
    assert sorted(i.summary for i in jira.issues.values()) == [f"[high] {t}" for t in issues]
    dead = await pipe.admin.jobs()
    assert [j.last_error for j in dead] == ([dead_error] if dead_error else [])
    if dead_error:
        assert dead[0].attempts == FAST.crash_limit
        assert dead[0].hint is not None
        assert "outbox retry" in dead[0].hint
        assert "Traceback" not in (dead[0].last_error or "")
        assert (await pipe.alert("bad")).state is AlertState.DEAD


async def test_a_job_whose_ticket_cannot_be_read_dies_alone(database: Database) -> None:
    """The batch's rows are read together; one that does not parse (a row from a newer
    version) must not hold back the jobs claimed with it."""
    jira = FakeProvider()
    pipe = Pipeline(database, jira)
    await pipe.send(alert(id="a", fingerprint="fp-a"), alert(id="b", fingerprint="fp-b"))
    async with database.engine.begin() as conn:
        await conn.execute(
            text("UPDATE tickets SET status = 'v99-state' WHERE fingerprint LIKE '%fp-b'")
        )
    await pipe.drain()
    assert [i.summary for i in jira.issues.values()] == ["[high] Model invented a citation"]
    [dead] = await pipe.admin.jobs()
    assert dead.last_error is not None
    assert "ValueError" in dead.last_error
    assert dead.attempts == FAST.crash_limit


async def test_crash_outside_the_draft_dies_after_the_limit_and_a_retry_starts_afresh(
    database: Database,
) -> None:
    jira = ExplodingProvider(explosions=FAST.crash_limit + 1)
    pipe = Pipeline(database, jira)
    await pipe.send(alert(id="a", fingerprint="fp-a"))
    await pipe.drain()
    [dead] = await pipe.admin.jobs()
    assert dead.last_error == (
        "unexpected error (5 of 5): RuntimeError: bug in the provider with a second line"
    )
    assert jira.issues == {}
    # The operator retries: the one more explosion is the first of a new count, not the 6th.
    assert await pipe.admin.retry(dead.id) is not None
    await pipe.drain()
    assert [i.summary for i in jira.issues.values()] == ["[high] Model invented a citation"]
    assert await pipe.admin.jobs() == []
    assert (await pipe.alert("a")).state is AlertState.TICKETED


async def test_an_update_that_cannot_be_drafted_dies_with_a_route_hint(
    database: Database,
) -> None:
    jira = FakeProvider()
    error = PermanentError("template 'hallucination' failed to render: 'model' is undefined")
    pipe = Pipeline(
        database, jira, named_route("{repeat: update}"), composer=FailingComposer(error)
    )
    await pipe.send(alert(id="a", fingerprint="fp-a", title="Fine"))
    await pipe.drain()
    await pipe.send(alert(id="b", fingerprint="fp-a", title=BROKEN))  # the repeat's update
    await pipe.drain()
    assert [i.summary for i in jira.issues.values()] == ["[high] Fine"]
    [dead] = await pipe.admin.jobs()
    assert (dead.kind, dead.last_error) == (JobKind.UPDATE_ISSUE, str(error))
    assert dead.hint is not None
    assert "template 'hallucination' of route 'ai-alerts'" in dead.hint


async def test_a_job_that_cannot_be_loaded_is_dead_lettered_and_blocks_no_other(
    database: Database,
) -> None:
    jira = FakeProvider()
    pipe = Pipeline(database, jira)
    await pipe.send(alert(id="a", fingerprint="fp-a"))
    await pipe.drain()
    async with database.unit_of_work() as uow:  # a payload this version cannot read
        ticket = (await uow.tickets.current(["generic:fp-a"]))["generic:fp-a"]
        assert ticket.id is not None
        await uow.outbox.enqueue(
            [NewJob(JobKind.COMMENT, "generic:fp-a", ticket.id, {})], pipe.clock()
        )
        await uow.commit()
    await pipe.send(alert(id="b", fingerprint="fp-b"))
    await pipe.drain()  # before the fix: the KeyError failed every round, forever
    assert len(jira.issues) == 2
    [dead] = await pipe.admin.jobs()
    assert (dead.kind, dead.last_error) == (
        JobKind.COMMENT,
        "unexpected error (5 of 5): KeyError: 'source'",
    )


class HangingProvider(FakeProvider):
    """The first create never answers: its worker is killed while waiting."""

    async def create_issue(self, draft: IssueDraft) -> IssueRef:
        if self.calls.get("create_issue") is None:
            self.calls["create_issue"] = 1
            await asyncio.Event().wait()
        return await super().create_issue(draft)


async def test_a_dead_workers_job_runs_again_after_the_lease_the_environment_sets(
    database: Database,
) -> None:
    worker = worker_settings_from(load_settings({"TICKETBRIDGE_JOB_LEASE_SECONDS": "10"}))
    jira = HangingProvider()
    pipe = Pipeline(database, jira, worker=worker)
    await pipe.send(alert(id="a", fingerprint="fp-a"))
    dying = asyncio.create_task(pipe.dispatchers[0].run_until_idle())
    while not jira.calls.get("create_issue"):  # noqa: ASYNC110 - the create is in flight
        await asyncio.sleep(0.01)
    dying.cancel()  # the worker dies holding the job's lease
    with contextlib.suppress(asyncio.CancelledError):
        await dying
    pipe.clock.advance(seconds=9)
    assert await pipe.dispatchers[1].run_until_idle() == 0  # still leased
    pipe.clock.advance(seconds=2)
    assert await pipe.dispatchers[1].run_until_idle() == 1  # taken over: its create may be
    assert jira.issues == {}  # under way until the lease's end, so a settle delay after it
    pipe.clock.advance(seconds=worker.settle_delay.total_seconds())
    assert await pipe.dispatchers[1].run_until_idle() == 1
    assert [i.summary for i in jira.issues.values()] == ["[high] Model invented a citation"]
    assert (await pipe.admin.counts())[JobState.DONE] == 1

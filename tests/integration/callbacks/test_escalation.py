"""Stale escalation with Slack (issue 15 item 2), on a virtual clock: an open issue nobody but
ticketbridge touched for `stale_after` gets, once per stale period, its priority raised, the
labels added, a comment saying why and a Slack message with its link and summary — all through
the outbox; our own escalation writes (and digests) never count as an update; a done issue is
not escalated. Each ends with the fake Jira's issue, what Slack received and the ticket."""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta

import asyncpg
import pytest
from callback_harness import CallbackPipeline, Receiver
from pipeline_harness import START, Pipeline, alert

from ticketbridge.api.views import alert_body
from ticketbridge.domain import JobKind, JobState
from ticketbridge.providers.fake import FakeProvider
from ticketbridge.render import to_text
from ticketbridge.services.escalation import ESCALATE_STALE, escalation_scan
from ticketbridge.services.periodic import ScheduleStatus
from ticketbridge.services.sla import SlaPolicies
from ticketbridge.services.sla_scan import SlaClocks
from ticketbridge.storage import Database
from ticketbridge.storage.repositories import lock_ids
from ticketbridge.workers import Scheduler

SLACK_URL = "https://hooks.slack.com/services/T000/B000/secretpart"
YAML = f"""
defaults: {{priority: {{high: High}}}}
sync:
  escalate: {{stale_after: 24h, priority: Highest, labels: [escalated, urgent]}}
  notify: {{slack_webhook: "{SLACK_URL}"}}
"""


def _pipeline(database: Database, yaml: str = YAML) -> tuple[CallbackPipeline, FakeProvider]:
    jira = FakeProvider()
    pipe = Pipeline(database, jira, yaml=yaml)
    cb = CallbackPipeline(pipe, Receiver())
    return cb, jira


def _scheduler(cb: CallbackPipeline) -> Scheduler:
    p = cb.pipeline
    assert p.settings.escalation is not None
    scan = escalation_scan(p.db.unit_of_work, p.clock, p.settings.escalation)
    return Scheduler(p.db.unit_of_work, [scan], p.clock, "proc-1")


async def _at_hours(cb: CallbackPipeline, scheduler: Scheduler, hours: float) -> None:
    """Move the clock to `hours` after the start, run the scan when due, drain the outbox."""
    cb.pipeline.clock.now = START + timedelta(hours=hours)
    await scheduler.run_due()
    await cb.drain(step_seconds=1)


async def test_escalates_once_per_stale_period_never_on_its_own_writes(
    database: Database,
) -> None:
    cb, jira = _pipeline(database)
    scheduler = _scheduler(cb)
    await cb.pipeline.send(alert(id="a-1", fingerprint="fp-1", title="Model <@here> & co"))
    await cb.drain()
    [issue] = jira.issues.values()
    assert issue.priority == "High"

    await _at_hours(cb, scheduler, 23.9)
    assert (issue.priority, issue.comments, cb.receiver.requests) == ("High", [], [])

    await _at_hours(cb, scheduler, 24)
    assert issue.priority == "Highest"
    assert {"escalated", "urgent"} <= set(issue.labels)
    [comment] = issue.comments
    assert "nobody has updated this issue for 1d while it is not done" in to_text(comment.body)
    [slack] = cb.receiver.requests
    assert slack.headers["Host"] == "hooks.slack.com"
    message = json.loads(slack.content)
    link = f"<{issue_url(jira, issue.key)}|{issue.key}>"
    assert message["text"] == (
        f":rotating_light: Escalated {link}: Model &lt;@here&gt; &amp; co — not updated for 1d"
    )
    assert message["blocks"][0]["text"]["type"] == "mrkdwn"
    assert message["blocks"][0]["text"]["text"].startswith(message["text"])

    # Our own writes (the escalation's comment, a repeat's digest) are no update: nothing more
    # until a whole stale period after the escalation.
    await cb.pipeline.send(alert(id="a-2", fingerprint="fp-1", title="Model <@here> & co"))
    for hours in (25, 36, 47.9):
        await _at_hours(cb, scheduler, hours)
    assert len([c for c in issue.comments if "escalated" in to_text(c.body)]) == 1
    assert len(cb.receiver.requests) == 1

    await _at_hours(cb, scheduler, 48)
    assert len([c for c in issue.comments if "escalation 2" in to_text(c.body)]) == 1
    assert len(cb.receiver.requests) == 2
    async with cb.pipeline.db.unit_of_work() as uow:
        [ticket] = await uow.tickets.list(limit=10)
        jobs = await uow.outbox.list(state=None, limit=100)
    assert ticket.escalations == 2
    assert ticket.escalated_at == cb.pipeline.clock.now
    kinds = [j.kind for j in jobs if j.kind in (JobKind.ESCALATE, JobKind.NOTIFY)]
    assert sorted(kinds) == [JobKind.ESCALATE] * 2 + [JobKind.NOTIFY] * 2
    assert {j.state for j in jobs} == {JobState.DONE}
    shown = alert_body(await cb.pipeline.alert("a-1"))  # GET /v1/alerts/{id}, `explain`
    assert (shown.escalations, shown.escalated_at) == (2, cb.pipeline.clock.now)
    async with cb.pipeline.db.unit_of_work() as uow:  # the trail: each escalation, each message
        escalated = await uow.audit.query(limit=10, types=["ESCALATED"])
        sent = await uow.audit.query(limit=10, types=["CALLBACK_SENT"])
    payloads = [e.document()["payload"] for e in escalated]
    assert [(p["escalation"], p["priority"], p["staleAfter"]) for p in payloads] == [
        (1, "Highest", "1d"),
        (2, "Highest", "1d"),
    ]
    assert {e.subject.ticket_key for e in escalated + sent} == {issue.key}
    assert [e.document()["payload"]["job"] for e in sent] == ["notify", "notify"]
    assert all("secretpart" not in e.body.decode() for e in sent)  # Slack's path is a secret


def issue_url(jira: FakeProvider, key: str) -> str:
    return f"{jira.base_url}/browse/{key}"


async def test_a_done_issue_is_never_escalated(database: Database) -> None:
    cb, jira = _pipeline(database)
    scheduler = _scheduler(cb)
    await cb.pipeline.send(alert(id="a-1", fingerprint="fp-1"))
    await cb.drain()
    await cb.pipeline.send(alert(id="a-1-r", fingerprint="fp-1", status="resolved"))
    await cb.drain()
    await _at_hours(cb, scheduler, 72)
    [issue] = jira.issues.values()
    assert issue.priority == "High"
    assert not any("escalated" in to_text(c.body) for c in issue.comments)
    assert cb.receiver.requests == []
    rows = await ScheduleStatus(cb.pipeline.db.unit_of_work).rows()
    assert [(r.name, r.last_outcome) for r in rows] == [
        (ESCALATE_STALE, "0 stale issues escalated (stale after 1d)")
    ]


async def test_without_slack_only_jira_is_written(database: Database) -> None:
    yaml = "sync: {escalate: {stale_after: 2h, labels: [stale], priority: null}}"
    cb, jira = _pipeline(database, yaml)
    scheduler = _scheduler(cb)
    await cb.pipeline.send(alert(id="a-1", fingerprint="fp-1"))
    await cb.drain()
    await _at_hours(cb, scheduler, 2)
    [issue] = jira.issues.values()
    assert "stale" in issue.labels
    assert issue.priority == "High"  # not configured: left as it was
    assert len(issue.comments) == 1
    assert cb.receiver.requests == []


async def test_an_sla_breach_escalates_and_notifies_once(database: Database) -> None:
    """`sla.on_breach` (issue 15 item 3): the SLA scan that finds the first response breached
    (none within the hour) has the issue escalated with a comment naming the breach and Slack
    told so; later scans of the same breach do nothing more."""
    sla = "sla: {first_response: {high: 1h}, on_breach: {escalate: true, notify: true}}"
    yaml = YAML.replace("defaults: {", f"defaults: {{{sla}, ")
    cb, jira = _pipeline(database, yaml)
    p = cb.pipeline
    clocks = SlaClocks(p.db.unit_of_work, p.clock, SlaPolicies(p.config))
    await p.send(alert(id="a-1", fingerprint="fp-1", title="Model drift"))
    await cb.drain()
    [issue] = jira.issues.values()
    for hours in (0.9, 2, 3):
        p.clock.now = START + timedelta(hours=hours)
        await clocks.scan()
        await cb.drain(step_seconds=1)
    assert issue.priority == "Highest"
    [comment] = issue.comments
    breached = (START + timedelta(hours=1)).isoformat()
    assert f"its SLA was breached at {breached}" in to_text(comment.body)
    [slack] = cb.receiver.requests
    assert json.loads(slack.content)["text"].endswith(f"— SLA breached at {breached}")
    async with p.db.unit_of_work() as uow:  # the trail: the breach once, its escalation once
        found = await uow.audit.query(limit=10, types=["SLA_BREACHED"])
        escalated = await uow.audit.query(limit=10, types=["ESCALATED"])
    assert [e.document()["payload"]["breachedAt"] for e in found] == [
        (START + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%S.000Z")
    ]
    assert [(e.document()["payload"]["reason"], e.subject.ticket_key) for e in escalated] == [
        ("sla_breached", issue.key)
    ]
    assert found[0].subject.ticket_key == issue.key


@pytest.mark.parametrize("database", ["postgres"], indirect=True)  # SQLite: one writer at a time
async def test_a_breach_is_marked_on_the_ticket_as_another_writer_left_it(
    database: Database,
) -> None:
    """The SLA scan locks a ticket before writing it, as every writer does: a writer holding
    the lock when the scan comes (an observation being applied) is waited for, its change kept
    (not written over with what the scan read before), and the breach marked on top of it."""
    sla = "sla: {first_response: {high: 1h}, on_breach: {escalate: true, notify: false}}"
    cb, _ = _pipeline(database, YAML.replace("defaults: {", f"defaults: {{{sla}, "))
    p = cb.pipeline
    await p.send(alert(id="a-1", fingerprint="fp-1", title="Model drift"))
    await cb.drain()
    p.clock.now = START + timedelta(hours=2)
    clocks = SlaClocks(p.db.unit_of_work, p.clock, SlaPolicies(p.config))
    other = await asyncpg.connect(database.url.replace("postgresql+asyncpg", "postgresql"))
    try:
        fingerprint = await other.fetchval("SELECT fingerprint FROM tickets")
        writing = other.transaction()
        await writing.start()
        await other.execute("SELECT pg_advisory_xact_lock($1)", lock_ids([fingerprint])[0])
        scan = asyncio.create_task(clocks.scan())
        await _until_waiting_for_a_lock(other)
        await other.execute("UPDATE tickets SET assignee_name = 'Dana'")
        await writing.commit()
        assert (await scan).newly_breached == 1
        row = await other.fetchrow("SELECT assignee_name, sla_state, escalations FROM tickets")
    finally:
        await other.close()
    assert dict(row) == {"assignee_name": "Dana", "sla_state": "breached", "escalations": 1}


async def _until_waiting_for_a_lock(conn: asyncpg.Connection) -> None:
    """Until another session waits for an advisory lock (an event; the bound only stops a
    broken scan from hanging the suite)."""
    query = "SELECT count(*) FROM pg_stat_activity WHERE wait_event = 'advisory'"
    for _ in range(5_000):
        if await conn.fetchval(query):
            return
        await asyncio.sleep(0.002)
    raise AssertionError("the scan never waited for the ticket's lock")

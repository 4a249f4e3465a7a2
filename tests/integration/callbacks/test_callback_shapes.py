"""Callbacks to sources (issue 15 item 1), scenario by scenario: the alert's ticket changes
state (created, dead, resolved by the source, moved in Jira as two-way sync will tell it), and
the source receives the request its callback describes — each built-in body, a custom template,
the signature checked with the documented recipe, the Bearer token, and the same
Idempotency-Key on every retry. Each ends with what the receiver got and the outbox's rows."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from callback_harness import CallbackPipeline, Receiver, verify_signature
from pipeline_harness import Pipeline, alert

from ticketbridge.domain import JobKind, JobState
from ticketbridge.domain.life import IssueMoved, after_write
from ticketbridge.errors import FieldErrors
from ticketbridge.providers.fake import FakeProvider
from ticketbridge.services.deciding import new_jobs
from ticketbridge.storage import Database

SECRET = "cb-secret-0123456789"


async def jira_moved(cb: CallbackPipeline, resolution: str, source: str, alert_id: str) -> None:
    """What two-way sync does when Jira says the (only) issue is done: the ticket's transition
    (`domain.life.after_write` with `IssueMoved`) and the jobs it asks for, in one transaction."""
    p = cb.pipeline
    async with p.db.unit_of_work() as uow:
        [ticket] = await uow.tickets.list(limit=10)
        category = "done"
        step = after_write(ticket, IssueMoved(category, resolution, p.clock()), p.settings.policy)
        assert step.ticket is not None
        await uow.tickets.save_many([step.ticket])
        payload = {"source": source, "alert_id": alert_id}
        await uow.outbox.enqueue(new_jobs(step.jobs, step.ticket, payload), p.clock())
        await uow.commit()


@dataclass(frozen=True)
class Case:
    name: str
    callback: str  # the YAML of one `callbacks:` entry
    source: str
    # created | resolved_in_jira | false_positive_in_jira | source_resolved | dead
    then: str
    method: str
    url: str
    body: dict[str, Any]


CASES = [
    Case(
        "keeptrusts-resolve",
        """
  - source: keeptrusts
    on: [resolved, false_positive]
    url: "https://api.keeptrusts.example/v1/escalations/{{ alert.id }}/resolve"
    body: keeptrusts_resolve""",
        "keeptrusts",
        "resolved_in_jira",
        "POST",
        "https://api.keeptrusts.example/v1/escalations/esc-1/resolve",
        {"resolution": "Done", "notes": "Resolved via Jira OPS-1"},
    ),
    Case(
        "keeptrusts-false-positive",
        """
  - source: keeptrusts
    on: [resolved, false_positive]
    url: "https://api.keeptrusts.example/v1/escalations/{{ alert.id }}/resolve"
    body: keeptrusts_resolve""",
        "keeptrusts",
        "false_positive_in_jira",
        "POST",
        "https://api.keeptrusts.example/v1/escalations/esc-1/resolve",
        {"resolution": "False Positive", "notes": "Resolved via Jira OPS-1"},
    ),
    Case(
        "truthvouch-acknowledge-created",
        """
  - source: truthvouch
    on: [ticketed, in_progress, resolved]
    url: "https://api.truthvouch.example/v1/alerts/{{ alert.id }}/acknowledge"
    body: truthvouch_acknowledge""",
        "truthvouch",
        "created",
        "POST",
        "https://api.truthvouch.example/v1/alerts/esc-1/acknowledge",
        {
            "alert_id": "esc-1",
            "status": "acknowledged",
            "action": "jira_issue_created",
            "reference": "OPS-1",
        },
    ),
    Case(
        "compliance-recheck",
        """
  - source: compliance
    on: [resolved]
    url: "https://kushim.example/api/controls/{{ alert.attributes.control_id }}/recheck"
    body: compliance_recheck""",
        "compliance",
        "resolved_in_jira",
        "POST",
        "https://kushim.example/api/controls/AWS_S3_1/recheck",
        {"control_id": "AWS_S3_1", "reference": "OPS-1", "state": "resolved"},
    ),
    Case(
        "custom-template-escaped-url",
        """
  - name: custom
    source: generic
    on: [resolved]
    method: PUT
    url: "https://hooks.example/alerts/{{ alert.attributes.path }}?state={{ state }}"
    body: {id: "{{ alert.id }}", key: "{{ issue.key }}", note: 'say "{{ alert.title }}"', n: 3}""",
        "generic",
        "source_resolved",
        "PUT",
        "https://hooks.example/alerts/..%2Fadmin%3Fx%3D1?state=resolved",
        {"id": "esc-1", "key": "OPS-1", "note": 'say "Model "invented" a citation"', "n": 3},
    ),
    Case(
        "default-body-on-dead",
        """
  - source: generic
    on: [dead]
    url: "https://hooks.example/dead" """,
        "generic",
        "dead",
        "POST",
        "https://hooks.example/dead",
        {
            "alert_id": "esc-1",
            "source": "generic",
            "state": "dead",
            "issue_key": None,
            "issue_url": None,
            "resolution": None,
        },
    ),
]


def _yaml(case: Case) -> str:
    return f"""
sync: {{resolutions: {{"False Positive": false_positive}}}}
callbacks:{case.callback}
    secret: {SECRET}
    token: the-token
"""


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
async def test_callback_scenarios(database: Database, case: Case) -> None:
    provider = FakeProvider()
    cb = CallbackPipeline(Pipeline(database, provider, yaml=_yaml(case)), Receiver())
    if case.then == "dead":
        provider.fail_next("create_issue", FieldErrors("summary: refused"), times=1)
    opening = alert(
        source=case.source,
        id="esc-1",
        fingerprint="fp-1",
        title='Model "invented" a citation',
        attributes={"control_id": "AWS_S3_1", "path": "../admin?x=1"},
    )
    await cb.pipeline.send(opening)
    await cb.drain()
    if case.then == "resolved_in_jira":
        await jira_moved(cb, "Done", case.source, "esc-1")
    elif case.then == "false_positive_in_jira":
        await jira_moved(cb, "False Positive", case.source, "esc-1")
    elif case.then == "source_resolved":
        await cb.pipeline.send({**opening, "id": "esc-1-r", "status": "resolved"})
    await cb.drain()

    assert len(cb.receiver.requests) == 1
    sent = cb.receiver.requests[0]
    assert sent.method == case.method
    # The guard connected to the checked address; the name stays in the Host header.
    assert sent.url.host == "93.184.216.34"
    assert f"https://{sent.headers['Host']}{sent.url.raw_path.decode()}" == case.url
    expected = dict(case.body)
    if case.name == "custom-template-escaped-url":
        expected["id"] = "esc-1-r"  # the source's resolving alert is the one told about
    assert json.loads(sent.content) == expected
    assert verify_signature(SECRET, sent.headers["X-TicketBridge-Signature"], sent.content)
    assert sent.headers["Authorization"] == "Bearer the-token"
    jobs = await cb.callback_jobs()
    assert [j.state for j in jobs] == [JobState.DONE]
    assert sent.headers["Idempotency-Key"] == f"tb-callback-{jobs[0].id}"


async def test_retries_carry_the_same_idempotency_key_and_a_fresh_signature(
    database: Database,
) -> None:
    yaml = f"""
callbacks:
  - source: generic
    on: [ticketed]
    url: "https://hooks.example/cb"
    secret: {SECRET}
"""
    answers = [httpx.Response(503), httpx.Response(429, headers={"Retry-After": "7"})]
    cb = CallbackPipeline(Pipeline(database, FakeProvider(), yaml=yaml), Receiver(answers))
    await cb.pipeline.send(alert(id="a-1", fingerprint="fp-1"))
    await cb.drain(step_seconds=3)

    requests = cb.receiver.requests
    assert len(requests) == 3
    assert len({r.headers["Idempotency-Key"] for r in requests}) == 1
    assert len({r.content for r in requests}) == 1  # the same body every time
    assert all(
        verify_signature(SECRET, r.headers["X-TicketBridge-Signature"], r.content) for r in requests
    )
    jobs = await cb.callback_jobs()
    assert [(j.state, j.attempts) for j in jobs] == [(JobState.DONE, 3)]


@pytest.mark.parametrize(
    ("answer", "shown"),
    [
        (httpx.Response(404, text="no such escalation"), "answered 404: no such escalation"),
        (
            httpx.Response(302, headers={"Location": "http://169.254.169.254/"}),
            "answered 302",
        ),
    ],
    ids=["refused", "redirect-not-followed"],
)
async def test_a_refusing_source_dead_letters_the_job_with_its_answer(
    database: Database, answer: httpx.Response, shown: str
) -> None:
    yaml = """
callbacks:
  - source: generic
    on: [ticketed]
    url: "https://hooks.example/cb?token=hidden-in-query"
"""
    cb = CallbackPipeline(Pipeline(database, FakeProvider(), yaml=yaml), Receiver([answer]))
    await cb.pipeline.send(alert(id="a-1", fingerprint="fp-1"))
    await cb.drain()

    [job] = await cb.callback_jobs()
    assert job.state is JobState.DEAD
    assert job.kind is JobKind.CALLBACK
    assert job.last_error is not None
    assert shown in job.last_error
    assert "hidden-in-query" not in job.last_error
    assert len(cb.receiver.requests) == 1  # the redirect was not followed
    listed = await cb.pipeline.admin.jobs(state=JobState.DEAD)
    assert [j.id for j in listed] == [job.id]  # with the Jira jobs, on the dead-letter list

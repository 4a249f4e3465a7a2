"""The ticket's life (domain.life): what each decision and each job's outcome does to a ticket
and which Jira writes it asks for. Pure: tickets in, tickets and planned jobs out."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from test_decide import ALERT, DEAD, DEFAULT, NOW, OPEN, policy

from ticketbridge.domain import AlertState, DecisionKind, EpicGroup, IssueLink, JobKind
from ticketbridge.domain import TicketStatus as Status
from ticketbridge.domain.decision import Decision
from ticketbridge.domain.life import (
    DigestWritten,
    IssueCreated,
    IssueMoved,
    JobDied,
    Opening,
    advance,
    after_write,
    epic_for,
    revive,
)

OPS = Opening("OPS")


def _decision(kind: DecisionKind) -> Decision:
    return Decision(kind, ("why",))


def test_create_opens_the_next_generation_with_its_create_and_links() -> None:
    links = (IssueLink("Blocks", issue="OPS-9"),)
    step = advance(
        DEAD, _decision(DecisionKind.CREATE), ALERT, NOW, DEFAULT, Opening("SEC", None, links)
    )
    assert step.opened
    assert step.ticket is not None
    assert (step.ticket.generation, step.ticket.project, step.ticket.status) == (
        2,
        "SEC",
        Status.PENDING,
    )
    assert step.ticket.links == links
    assert [j.kind for j in step.jobs] == [JobKind.CREATE_ISSUE, JobKind.LINK_ISSUES]


def test_new_linked_relates_to_the_done_issue() -> None:
    done = replace(OPEN, status_category="done", done_at=NOW - timedelta(days=20))
    step = advance(done, _decision(DecisionKind.NEW_LINKED), ALERT, NOW, DEFAULT, OPS)
    assert step.ticket is not None
    assert step.ticket.previous_issue_key == "OPS-1"
    assert [j.kind for j in step.jobs] == [JobKind.CREATE_ISSUE, JobKind.LINK_PREVIOUS]


def test_digest_is_written_at_most_once_per_interval() -> None:
    first = advance(OPEN, _decision(DecisionKind.REPEAT), ALERT, NOW, DEFAULT, OPS)
    assert first.ticket is not None
    [job] = first.jobs
    assert (job.kind, job.not_before) == (JobKind.DIGEST, OPEN.first_seen + timedelta(minutes=5))
    second = advance(first.ticket, _decision(DecisionKind.REPEAT), ALERT, NOW, DEFAULT, OPS)
    assert second.jobs == ()  # the pending digest will tell this occurrence too
    assert second.ticket is not None
    assert second.ticket.occurrences == 3
    written = after_write(second.ticket, DigestWritten("c-1", NOW, 2), DEFAULT)
    assert written.ticket is not None
    assert written.ticket.digest_pending  # one occurrence came while it was written
    assert [(j.kind, j.not_before) for j in written.jobs] == [
        (JobKind.DIGEST, NOW + timedelta(minutes=5))
    ]
    caught_up = after_write(second.ticket, DigestWritten("c-1", NOW, 3), DEFAULT)
    assert caught_up.ticket is not None
    assert (caught_up.ticket.digest_pending, caught_up.jobs) == (False, ())


def test_what_jira_says_maps_to_the_outcome_and_keeps_the_first_done_time() -> None:
    resolved = advance(OPEN, _decision(DecisionKind.RESOLVE), ALERT, NOW, DEFAULT, OPS).ticket
    assert resolved is not None
    assert (resolved.status_category, resolved.outcome, resolved.done_at) == (
        "done",
        AlertState.RESOLVED,
        NOW,
    )
    later = NOW + timedelta(hours=1)
    verdict = after_write(resolved, IssueMoved("done", "False Positive", later), DEFAULT).ticket
    assert verdict is not None
    assert (verdict.outcome, verdict.resolution, verdict.done_at) == (
        AlertState.FALSE_POSITIVE,
        "False Positive",
        NOW,
    )
    reopened = after_write(verdict, IssueMoved("indeterminate", None, later), DEFAULT).ticket
    assert reopened is not None
    assert (reopened.alert_state(), reopened.outcome, reopened.done_at) == (
        AlertState.IN_PROGRESS,
        None,
        None,
    )


def test_resolve_without_transition_leaves_the_ticket_open() -> None:
    keep = policy(resolve_transition=False)
    step = advance(OPEN, _decision(DecisionKind.RESOLVE), ALERT, NOW, keep, OPS)
    assert step.ticket == OPEN
    assert [j.kind for j in step.jobs] == [JobKind.RESOLVE]


def test_job_outcomes_and_an_operators_retry() -> None:
    pending = replace(OPEN, issue_key=None, status=Status.PENDING)
    dead = after_write(pending, JobDied(JobKind.CREATE_ISSUE), DEFAULT).ticket
    assert dead is not None
    assert dead.alert_state() is AlertState.DEAD
    assert revive(dead).status is Status.PENDING
    created = after_write(revive(dead), IssueCreated("1", "OPS-7", "u"), DEFAULT).ticket
    assert created is not None
    assert (created.status, created.issue_key, created.status_category) == (
        Status.LINKED,
        "OPS-7",
        "new",
    )
    again = after_write(created, IssueCreated("2", "OPS-8", "v"), DEFAULT).ticket
    assert again is not None
    assert again.issue_key == "OPS-7"  # linked once: a second answer changes nothing


def test_an_epic_is_opened_once_and_again_when_its_create_is_dead() -> None:
    group = EpicGroup("OPS", "pii", "Policy pii")
    first = epic_for(None, group, ALERT)
    assert first.opened
    assert first.ticket is not None
    assert (first.ticket.fingerprint, first.ticket.group_key) == ("epic:OPS:pii", "pii")
    assert epic_for(first.ticket, group, ALERT) == type(first)(first.ticket)  # kept, no job
    dead = replace(first.ticket, status=Status.DEAD)
    fresh = epic_for(dead, group, ALERT)
    assert fresh.ticket is not None
    assert (fresh.opened, fresh.ticket.generation) == (True, 2)

"""Alerts arriving: what a decision does to the fingerprint's ticket and the Jira writes it
asks for (`advance`), and the epic's ticket a grouped issue goes under (`epic_for`)."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from ticketbridge.domain.alert import Alert
from ticketbridge.domain.decision import Decision, DecisionKind, TicketPolicy
from ticketbridge.domain.grouping import EpicGroup, IssueLink
from ticketbridge.domain.life.callbacks import with_callbacks
from ticketbridge.domain.life.parts import _digest_due, _moved
from ticketbridge.domain.life.step import Opening, PlannedJob, Step
from ticketbridge.domain.states import JobKind, TicketStatus
from ticketbridge.domain.ticket import Ticket

_OPENING = (DecisionKind.CREATE, DecisionKind.NEW_LINKED)


def advance(
    current: Ticket | None,
    decision: Decision,
    alert: Alert,
    now: datetime,
    policy: TicketPolicy,
    opening: Opening,
) -> Step:
    """What `decision` on `alert` does to the fingerprint's `current` ticket. Optimistic: the
    ticket is left as the jobs will leave it, so the next alert decides on what will be."""
    step = _advanced(current, decision, alert, now, policy, opening)
    return with_callbacks(None if step.opened else current, step, policy)


def _advanced(
    current: Ticket | None,
    decision: Decision,
    alert: Alert,
    now: datetime,
    policy: TicketPolicy,
    opening: Opening,
) -> Step:
    kind = decision.kind
    if kind in _OPENING:
        parent = opening.parent
        ticket = _opened(
            alert.fingerprint,
            current,
            alert.occurred_at,
            opening.project,
            parent_id=parent.id if parent is not None else None,
            links=opening.links,
            connection=opening.connection,
        )
        jobs = [PlannedJob(JobKind.CREATE_ISSUE)]
        if kind is DecisionKind.NEW_LINKED and ticket.previous_issue_key:
            jobs.append(PlannedJob(JobKind.LINK_PREVIOUS))
        if ticket.links:
            jobs.append(PlannedJob(JobKind.LINK_ISSUES))
        return Step(ticket, tuple(jobs), opened=True)
    if current is None or kind is DecisionKind.IGNORE:
        return Step(current)
    if kind is DecisionKind.REPEAT:
        return _repeat(_seen(current, alert.occurred_at), policy)
    if kind is DecisionKind.REOPEN:
        # The next alert of this fingerprint is a repeat, not a second reopen.
        reopened = _moved(_seen(current, alert.occurred_at), "new", None, now, policy)
        return Step(reopened, (PlannedJob(JobKind.REOPEN),))
    if kind is DecisionKind.RESOLVE:
        # With `on_source_resolved.transition` the job moves the issue to done, with the
        # Jira resolution the source's own maps to (a false positive stays one).
        resolution = policy.jira_resolution(alert)
        resolved = (
            _moved(current, "done", resolution, now, policy)
            if policy.resolve_transition
            else current
        )
        return Step(resolved, (PlannedJob(JobKind.RESOLVE),))
    return Step(_seen(current, alert.occurred_at))  # SUPPRESS: counted, nothing written


def epic_for(current: Ticket | None, group: EpicGroup, alert: Alert, connection: str = "") -> Step:
    """The epic's ticket a grouped issue goes under: the current one, or a new one (with its
    create) on the issue's site (`connection`) when there is none or its create is dead — a
    dead epic never holds its group."""
    if current is not None and current.status is not TicketStatus.DEAD:
        return Step(current)
    opened_at = alert.occurred_at
    epic = _opened(group.fingerprint, current, opened_at, group.project, connection=connection)
    epic = replace(epic, group_key=group.key)
    return Step(epic, (PlannedJob(JobKind.CREATE_ISSUE),), opened=True)


def attached(ticket: Ticket, parent: Ticket) -> Ticket:
    """`ticket` under the epic's ticket `parent`, once that has its row id (both are inserted
    in one transaction: the epic first)."""
    return replace(ticket, parent_id=parent.id)


def _opened(
    fingerprint: str,
    previous: Ticket | None,
    at: datetime,
    project: str,
    *,
    parent_id: int | None = None,
    links: tuple[IssueLink, ...] = (),
    connection: str = "",
) -> Ticket:
    return Ticket(
        fingerprint=fingerprint,
        generation=previous.generation + 1 if previous else 1,
        project=project,
        status=TicketStatus.PENDING,
        first_seen=at,
        last_seen=at,
        previous_issue_key=previous.issue_key if previous else None,
        digested_occurrences=1,  # the issue itself tells of the first occurrence
        parent_id=parent_id,
        links=links,
        connection=connection,
    )


def _seen(ticket: Ticket, at: datetime) -> Ticket:
    """One more occurrence at `at`."""
    return replace(ticket, occurrences=ticket.occurrences + 1, last_seen=max(ticket.last_seen, at))


def _repeat(ticket: Ticket, policy: TicketPolicy) -> Step:
    if policy.repeat == "comment":
        return Step(ticket, (PlannedJob(JobKind.COMMENT),))
    if policy.repeat == "update":
        return Step(ticket, (PlannedJob(JobKind.UPDATE_ISSUE),))
    if policy.repeat == "none" or ticket.digest_pending:
        return Step(ticket)  # a pending digest will report this occurrence too
    pending = replace(ticket, digest_pending=True)
    return Step(pending, (PlannedJob(JobKind.DIGEST, _digest_due(pending, policy)),))

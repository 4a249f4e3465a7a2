"""Stale escalation and the SLA: a quiet open issue escalated once per stale period
(`escalate`), the SLA scan's marks (`sla_marked`) and what a breach asks for (`sla_breached`)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from ticketbridge.domain.life.step import PlannedJob, Step
from ticketbridge.domain.sla import BreachActions
from ticketbridge.domain.states import JobKind, TicketStatus
from ticketbridge.domain.ticket import Ticket


@dataclass(frozen=True)
class Escalation:
    """`sync.escalate` as the ticket's life needs it; `notify`: a Slack message as well."""

    stale_after: timedelta
    notify: bool = False


def stale_since(ticket: Ticket) -> datetime:
    """Since when nobody but ticketbridge has touched the issue: its first alert, our last
    escalation (our own writes never count as an update) or the last update of Jira's issue
    by another account (two-way sync's applied, non-echo observations), the latest of them."""
    return max(
        ticket.first_seen,
        ticket.escalated_at or ticket.first_seen,
        ticket.touched_at or ticket.first_seen,
    )


def escalate(ticket: Ticket, now: datetime, escalation: Escalation) -> Step:
    """A stale ticket (open issue, quiet for `stale_after`) escalated once more: the Jira
    write (priority, labels, a comment saying why) and the Slack message. Anything else, or
    a ticket already escalated this stale period, is left as it is."""
    open_issue = ticket.status is TicketStatus.LINKED and not ticket.is_done
    if not open_issue or ticket.is_epic or now - stale_since(ticket) < escalation.stale_after:
        return Step(ticket)
    quiet = (("stale_since", stale_since(ticket).isoformat()),)
    jobs = [PlannedJob(JobKind.ESCALATE, detail=quiet)]
    if escalation.notify:
        jobs.append(PlannedJob(JobKind.NOTIFY, detail=quiet))
    escalated = replace(ticket, escalated_at=now, escalations=ticket.escalations + 1)
    return Step(escalated, tuple(jobs))


def sla_breached(before: Ticket, marked: Ticket, now: datetime, actions: BreachActions) -> Step:
    """A ticket the SLA scan found breached (`marked`: as `sla_marked` left it; `before`: as
    it was): once per breach, for an open issue, what `sla.on_breach` asks for — the stale
    escalation's Jira write (which counts as an escalation: the stale clock restarts) and its
    Slack message. A breach already recorded, or a done issue, asks for nothing."""
    breached_at = marked.sla_breached_at
    open_issue = marked.status is TicketStatus.LINKED and not (marked.is_done or marked.is_epic)
    if breached_at is None or before.sla_breached_at is not None or not open_issue:
        return Step(marked)
    why = (("reason", "sla_breached"), ("breached_at", breached_at.isoformat()))
    wanted = ((JobKind.ESCALATE, actions.escalate), (JobKind.NOTIFY, actions.notify))
    jobs = tuple(PlannedJob(kind, detail=why) for kind, asked in wanted if asked)
    if not actions.escalate:
        return Step(marked, jobs)
    escalated = replace(marked, escalated_at=now, escalations=marked.escalations + 1)
    return Step(escalated, jobs)


def sla_marked(
    ticket: Ticket, state: str | None, at_risk_at: datetime | None, breached_at: datetime | None
) -> Ticket:
    """The ticket's SLA as the scan (or `sla recompute`) computed it from the issue's events:
    the worst clock's state and when it got at risk / breached (None: not)."""
    return replace(ticket, sla_state=state, sla_at_risk_at=at_risk_at, sla_breached_at=breached_at)

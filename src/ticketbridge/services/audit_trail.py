"""The audit events of the pipeline's decisions and Jira writes (SPEC §8), built for the unit of
work that commits them: the outbox's TICKET_CREATED/UPDATED/REOPENED and LINK_ADDED with the job
that wrote them, two-way sync's, callbacks' and escalations'. (The decider's ALERT_RECEIVED and
ROUTED/SUPPRESSED are made from its compact records, `domain.audit_decisions`.) Recording is one
call, `uow.audit.record(events)`; any service may make it.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from ticketbridge.domain import JobKind, Ticket
from ticketbridge.domain.audit import EventType, NewEvent, Subject, alert_ref, timestamp_text
from ticketbridge.domain.audit_decisions import SELF, ticket_summary
from ticketbridge.domain.observed import IssueObservation

_JOB_EVENTS = {
    JobKind.REOPEN: EventType.TICKET_REOPENED,
    JobKind.LINK_PREVIOUS: EventType.LINK_ADDED,
    JobKind.LINK_ISSUES: EventType.LINK_ADDED,
}


def issue_link(key: str, url: str | None = None) -> dict[str, Any]:
    link: dict[str, Any] = {"type": "JIRA_TICKET", "externalId": key}
    if url:
        link["url"] = url
    return link


def job_events(
    kind: JobKind,
    job_payload: Mapping[str, Any],
    ticket: Ticket,
    now: datetime,
    *,
    created: bool = False,
) -> list[NewEvent]:
    """What a completed Jira write did to the ticket's issue (`created`: the create linked)."""
    if ticket.issue_key is None:
        return []  # nothing was written to an issue
    if created:
        kind_of_event = EventType.TICKET_CREATED
    else:
        kind_of_event = _JOB_EVENTS.get(kind, EventType.TICKET_UPDATED)
    payload: dict[str, Any] = {"job": kind.value, "ticket": ticket_summary(ticket)}
    alert = _job_alert(job_payload, payload)
    if kind is JobKind.LINK_ISSUES or kind is JobKind.LINK_PREVIOUS:
        payload["links"] = [link.as_data() for link in ticket.links]
        if ticket.previous_issue_key:
            payload["previous_issue_key"] = ticket.previous_issue_key
    links = [issue_link(ticket.issue_key, ticket.issue_url)]
    subject = Subject(alert=alert, ticket_key=ticket.issue_key)
    return [NewEvent(kind_of_event, SELF, now, payload, links, subject=subject)]


def status_synced_event(before: Ticket, after: Ticket, observation: IssueObservation) -> NewEvent:
    """What Jira's issue did to the alerts' state (two-way sync applied it): from, to, and
    the issue's status, resolution and deletion as observed."""
    key = observation.issue_key or after.issue_key
    payload: dict[str, Any] = {
        "ticket": ticket_summary(after),
        "from": before.alert_state().value,
        "to": after.alert_state().value,
        "via": observation.via.value,
        "observedAt": timestamp_text(observation.updated),
        "by": observation.author_account_id,
    }
    if observation.deleted:
        payload["deleted"] = True
    else:
        payload["status"] = {
            "id": observation.status_id,
            "name": observation.status_name,
            "category": observation.status_category,
        }
        payload["resolution"] = observation.resolution
    if observation.changelog_id is not None:
        payload["changelogId"] = observation.changelog_id
    links = [issue_link(key, after.issue_url)] if key else []
    subject = Subject(ticket_key=key or None)
    return NewEvent(
        EventType.STATUS_SYNCED, "JIRA", observation.updated, payload, links, subject=subject
    )


def callback_sent_event(
    kind: JobKind,
    job_payload: Mapping[str, Any],
    ticket: Ticket,
    target: str,
    status_code: int,
    now: datetime,
) -> NewEvent:
    """A callback (or escalation's Slack message) the target accepted (its 2xx)."""
    payload: dict[str, Any] = {
        "job": kind.value,
        "target": target,  # its name and where, never a secret path or query
        "status_code": status_code,
        "ticket": ticket_summary(ticket),
    }
    if "state" in job_payload:
        payload["state"] = job_payload["state"]
    alert = _job_alert(job_payload, payload)
    links = [issue_link(ticket.issue_key, ticket.issue_url)] if ticket.issue_key else []
    subject = Subject(alert=alert, ticket_key=ticket.issue_key)
    return NewEvent(EventType.CALLBACK_SENT, SELF, now, payload, links, subject=subject)


def escalated_event(
    ticket: Ticket, job_payload: Mapping[str, Any], what: Mapping[str, Any], now: datetime
) -> NewEvent:
    """A stale issue escalated (`sync.escalate`): the how many-th time, and what is changed."""
    payload: dict[str, Any] = {
        "ticket": ticket_summary(ticket),
        "escalation": ticket.escalations,
        **what,
    }
    alert = _job_alert(job_payload, payload)
    links = [issue_link(ticket.issue_key, ticket.issue_url)] if ticket.issue_key else []
    subject = Subject(alert=alert, ticket_key=ticket.issue_key)
    return NewEvent(EventType.ESCALATED, SELF, now, payload, links, subject=subject)


def sla_breached_event(ticket: Ticket, now: datetime) -> NewEvent:
    """The SLA scan found the issue's SLA breached (the first time for this breach): when,
    and the worst clock's state, as `sla_marked` left the ticket."""
    breached_at = ticket.sla_breached_at
    payload: dict[str, Any] = {
        "ticket": ticket_summary(ticket),
        "breachedAt": timestamp_text(breached_at) if breached_at else None,
        "atRiskAt": timestamp_text(ticket.sla_at_risk_at) if ticket.sla_at_risk_at else None,
    }
    links = [issue_link(ticket.issue_key, ticket.issue_url)] if ticket.issue_key else []
    subject = Subject(ticket_key=ticket.issue_key)
    return NewEvent(EventType.SLA_BREACHED, SELF, now, payload, links, subject=subject)


def _job_alert(job_payload: Mapping[str, Any], payload: dict[str, Any]) -> str | None:
    """The alert a job is about (named in the event's `payload` too), if it names one."""
    source, alert_id = job_payload.get("source"), job_payload.get("alert_id")
    if isinstance(source, str) and isinstance(alert_id, str):
        payload["alert"] = {"source": source, "id": alert_id}
        return alert_ref(source, alert_id)
    return None


def _key(ticket: Ticket | None) -> str | None:
    return ticket.issue_key if ticket is not None else None

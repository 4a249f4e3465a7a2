"""Stale escalation (`sync.escalate`, `sync.notify.slack_webhook`; issue 15 item 2).

A periodic scan (the scheduler's `escalate_stale`) finds open issues nobody but ticketbridge
has touched for `stale_after` (`domain.life.stale_since`) and escalates each once per stale
period through the ticket's transition (`domain.life.escalate`): the ticket records when and how
often (the API and `explain` show it), and the outbox gets

- an `escalate` job: the Jira write — priority raised, the labels added, a comment saying why;
- a `notify` job when a Slack incoming webhook is configured: Slack's JSON (`text` and one
  mrkdwn section) with the issue's link and summary, sent by the callback sender (durable,
  retried, dead-lettered like a callback; the webhook URL is a secret and passes the SSRF
  guard).

Our own escalation writes never count as an update: the next escalation comes `stale_after`
after this one unless someone else touches the issue.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import structlog

from ticketbridge.clock import Clock
from ticketbridge.config.durations import format_duration
from ticketbridge.domain import Alert, Ticket
from ticketbridge.domain.life import Step, escalate
from ticketbridge.providers.base import IssueUpdate, Provider
from ticketbridge.render.document import Document, Paragraph, Text
from ticketbridge.services.audit_trail import escalated_event
from ticketbridge.services.deciding import new_jobs
from ticketbridge.services.periodic import Periodic
from ticketbridge.services.ports import UnitOfWork, UnitOfWorkFactory
from ticketbridge.services.settings import EscalationSettings

log = structlog.get_logger(__name__)
ESCALATE_STALE = "escalate_stale"
_BATCH = 200
_SLACK_SUMMARY = 300  # characters of the summary in the Slack message


def escalation_scan(
    uow_factory: UnitOfWorkFactory, clock: Clock, settings: EscalationSettings
) -> Periodic:
    """The scheduler's job: escalate every stale ticket, at most every five minutes (or every
    `stale_after` when that is shorter)."""

    async def scan() -> str:
        escalated = 0
        while True:
            found = await _escalate_batch(uow_factory, clock(), settings)
            escalated += found
            if found < _BATCH:
                break
        quiet = format_duration(settings.stale_after)
        return f"{escalated} stale issues escalated (stale after {quiet})"

    every = min(settings.stale_after, timedelta(minutes=5))
    return Periodic(ESCALATE_STALE, every, scan)


async def _escalate_batch(
    uow_factory: UnitOfWorkFactory, now: datetime, settings: EscalationSettings
) -> int:
    """One batch, in one transaction: each stale ticket's transition and the jobs it asks for
    about its newest alert (the comment and the message tell of the issue, not one alert)."""
    async with uow_factory() as uow:
        stale = await uow.tickets.stale(now - settings.stale_after, _BATCH)
        await uow.tickets.lock_fingerprints([t.fingerprint for t in stale])
        escalated = []
        for ticket in stale:
            step = escalate(ticket, now, settings.life)
            changed = step.ticket is not None and step.ticket != ticket
            about = await enqueue_about_latest(uow, step, now) if changed else None
            if step.ticket is not None and about is not None:
                escalated.append(step.ticket)
                uow.audit.record([escalated_event(step.ticket, about, _changes(settings), now)])
        await uow.tickets.save_many(escalated)
        await uow.commit()
    if escalated:
        log.info("stale issues escalated", count=len(escalated))
    # A ticket left as it was (no alert to name) would come back in the next batch: a short
    # batch ends the run; the rest wait for the next one.
    return len(escalated)


def _changes(settings: EscalationSettings) -> dict[str, Any]:
    return {
        "staleAfter": format_duration(settings.stale_after),
        "priority": settings.priority,
        "labels": list(settings.labels),
        "comment": settings.comment,
        "slack": settings.slack,
    }


async def enqueue_about_latest(uow: UnitOfWork, step: Step, now: datetime) -> dict[str, str] | None:
    """The step's jobs, about the ticket's newest alert (an escalation tells of the issue, not
    one alert): that alert's reference, None when the ticket has no alert to name."""
    ticket = step.ticket
    assert ticket is not None
    assert ticket.id is not None
    latest = await uow.alerts.latest_for_ticket(ticket.id)
    if latest is None:
        return None
    payload = {"source": latest.alert.source, "alert_id": latest.alert.id}
    await uow.outbox.enqueue(new_jobs(step.jobs, ticket, payload), now)
    return payload


def escalation_comment(
    ticket: Ticket, settings: EscalationSettings, breached_at: str | None = None
) -> Document:
    """Why the issue was escalated (stale, or `breached_at`: its SLA breached, with
    `sla.on_breach.escalate`), and what was changed."""
    quiet = format_duration(settings.stale_after)
    changed = []
    if settings.priority:
        changed.append(f"priority raised to {settings.priority}")
    if settings.labels:
        changed.append(f"labels {', '.join(settings.labels)} added")
    done = f" ({'; '.join(changed)})" if changed else ""
    why = (
        f"its SLA was breached at {breached_at} (escalation {ticket.escalations}; "
        "sla.on_breach.escalate)"
        if breached_at
        else f"nobody has updated this issue for {quiet} while it is not done (escalation "
        f"{ticket.escalations}; sync.escalate.stale_after is {quiet})"
    )
    text = f"ticketbridge: escalated{done}: {why}."
    return Document((Paragraph((Text(text),)),))


async def write_escalation(
    provider: Provider,
    key: str,
    ticket: Ticket,
    settings: EscalationSettings | None,
    breached_at: str | None = None,
) -> None:
    """The Jira write of an `escalate` job: priority and labels in one edit, then the comment.
    Without `sync.escalate` (removed since the job was queued, or never there for an SLA
    breach's), nothing is written."""
    if settings is None:
        return
    if settings.priority or settings.labels:
        update = IssueUpdate(priority=settings.priority, add_labels=settings.labels)
        await provider.update_issue(key, update)
    if settings.comment:
        await provider.add_comment(key, escalation_comment(ticket, settings, breached_at))


def slack_message(
    ticket: Ticket, alert: Alert, settings: EscalationSettings, breached_at: str | None = None
) -> dict[str, Any]:
    """Slack's incoming-webhook JSON: the issue's link and summary, and why (stale, or
    `breached_at`: its SLA breached then)."""
    link = f"<{_slack_escape(ticket.issue_url or '')}|{_slack_escape(ticket.issue_key or '')}>"
    summary = _slack_escape(" ".join(alert.title.split())[:_SLACK_SUMMARY])
    quiet = format_duration(settings.stale_after)
    why = f"SLA breached at {breached_at}" if breached_at else f"not updated for {quiet}"
    text = f":rotating_light: Escalated {link}: {summary} — {why}"
    detail = f"{text}\nEscalation {ticket.escalations} · project {_slack_escape(ticket.project)}"
    if settings.priority:
        detail += f" · priority {_slack_escape(settings.priority)}"
    return {
        "text": text,
        "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": detail}}],
    }


def _slack_escape(text: str) -> str:
    """Slack's three control characters: `&`, `<` and `>` (an alert title cannot make a link
    or a mention)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")

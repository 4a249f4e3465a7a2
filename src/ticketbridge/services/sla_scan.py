"""The SLA scan and `ticketbridge sla recompute` (issue 15 item 3).

Both compute every clock from the issue's stored events (`ticket_events`, `domain.sla`), never
count up in place: the scan (the scheduler's `sla_scan`, every minute) looks at the issues whose
clocks may still change and records the worst state, when the ticket got at risk and when it
breached (`domain.life.sla_marked`); a recompute looks at every issue again, so a new or changed
SLA gives its answer for the whole history (which Jira Service Management cannot do). Newly
breached tickets are logged by the scheduled scan (a warning with their count); with
`sla.on_breach`, each new breach of an open issue is escalated and/or notified once, through
the same `escalate` / `notify` outbox jobs as a stale issue (`domain.life.sla_breached`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import structlog

from ticketbridge.clock import Clock
from ticketbridge.domain import Ticket
from ticketbridge.domain.audit import timestamp_text
from ticketbridge.domain.life import Step, sla_breached, sla_marked
from ticketbridge.domain.sla import (
    IssueEvent,
    SlaPolicy,
    SlaStatus,
    SlaSubject,
    sla_status,
)
from ticketbridge.services.audit_trail import escalated_event, sla_breached_event
from ticketbridge.services.escalation import enqueue_about_latest
from ticketbridge.services.periodic import Periodic
from ticketbridge.services.ports import UnitOfWork, UnitOfWorkFactory
from ticketbridge.services.sla import SlaPolicies

log = structlog.get_logger(__name__)
SLA_SCAN = "sla_scan"
_BATCH = 1000


@dataclass
class SlaRun:
    """What one scan or recompute did."""

    looked: int = 0
    at_risk: int = 0  # at risk now
    breached: int = 0  # breached now
    newly_breached: int = 0

    def line(self) -> str:
        return (
            f"{self.looked} issues' SLA clocks computed: {self.at_risk} at risk, "
            f"{self.breached} breached ({self.newly_breached} new)"
        )


class SlaClocks:
    def __init__(self, uow_factory: UnitOfWorkFactory, clock: Clock, policies: SlaPolicies):
        self._uow = uow_factory
        self._clock = clock
        self._policies = policies

    async def scan(self) -> SlaRun:
        """The issues whose clocks may still change (not breached, not met and done)."""
        return await self._run(every=False)

    async def recompute(self) -> SlaRun:
        """Every issue, breached and met ones too (after an SLA config change)."""
        return await self._run(every=True)

    def periodic(self, every: timedelta = timedelta(minutes=1)) -> Periodic:
        async def run() -> str:
            found = await self.scan()
            if found.newly_breached:
                log.warning("SLA breached", count=found.newly_breached)
            return found.line()

        return Periodic(SLA_SCAN, every, run)

    async def _run(self, *, every: bool) -> SlaRun:
        run, after, now = SlaRun(), 0, self._clock()
        while True:
            async with self._uow() as uow:
                subjects = await uow.ticket_events.subjects(after, _BATCH, every=every)
                await self._batch(uow, subjects, now, run)
                await uow.commit()
            if len(subjects) < _BATCH:
                break
            after = subjects[-1].ticket.id or after
        return run

    async def _batch(
        self, uow: UnitOfWork, subjects: Sequence[SlaSubject], now: datetime, run: SlaRun
    ) -> None:
        """Mark the batch's clocks and act on new breaches. The tickets whose clocks move are
        locked as every writer of a ticket locks them, then read and marked as they are now:
        an observation applied meanwhile is neither written over (its fields) nor writes over
        this (the marks), and a ticket resolved meanwhile is not escalated."""
        events = await uow.ticket_events.of_tickets([s.ticket.id or 0 for s in subjects])
        policies = [self._policies.policy(s.route, s.severity) for s in subjects]
        moving = [
            s.ticket
            for s, policy in zip(subjects, policies, strict=True)
            if _marked(s.ticket, policy, events.get(s.ticket.id or 0, []), now) != s.ticket
        ]
        await uow.tickets.lock_fingerprints([t.fingerprint for t in moving])
        fresh = await uow.tickets.get_many([t.id or 0 for t in moving])
        marked: list[Ticket] = []
        newly_breached: list[Ticket] = []
        breaches: list[Step] = []
        for subject, policy in zip(subjects, policies, strict=True):
            ticket = fresh.get(subject.ticket.id or 0, subject.ticket)
            after = _marked(ticket, policy, events.get(ticket.id or 0, []), now)
            run.looked += 1
            run.at_risk += after.sla_state == "at_risk"
            run.breached += after.sla_state == "breached"
            run.newly_breached += after.sla_state == "breached" != ticket.sla_state
            if after != ticket:
                marked.append(after)
            if after.sla_breached_at is not None and ticket.sla_breached_at is None:
                newly_breached.append(after)
            if policy is not None:
                step = sla_breached(ticket, after, now, policy.on_breach)
                breaches += [step] if step.jobs else []
        await uow.ticket_events.save_sla(marked)
        uow.audit.record([sla_breached_event(ticket, now) for ticket in newly_breached])
        await _act_on_breaches(uow, breaches, now)


async def _act_on_breaches(uow: UnitOfWork, breaches: Sequence[Step], now: datetime) -> None:
    """`sla.on_breach`: the escalation and Slack jobs of each new breach, in the scan's
    transaction (so once per breach), and the escalation recorded on the ticket (locked) and
    in the audit trail."""
    for step in breaches:
        about = await enqueue_about_latest(uow, step, now)
        ticket = step.ticket
        if about is not None and ticket is not None and ticket.escalated_at == now:
            breached = ticket.sla_breached_at
            why = {"reason": "sla_breached", "breachedAt": breached and timestamp_text(breached)}
            uow.audit.record([escalated_event(ticket, about, why, now)])
    await uow.tickets.save_many([step.ticket for step in breaches if step.ticket is not None])


def _marked(
    ticket: Ticket, policy: SlaPolicy | None, events: Sequence[IssueEvent], now: datetime
) -> Ticket:
    """The ticket with its clocks at `now` (no policy: no SLA applies)."""
    if policy is None:
        return sla_marked(ticket, None, None, None)
    status = sla_status(ticket.first_seen, events, now, policy)
    worst = status.worst
    return sla_marked(ticket, worst.value if worst else None, *_moments(status))


def _moments(status: SlaStatus) -> tuple[datetime | None, datetime | None]:
    """The first moment a clock got at risk, the first it breached."""
    clocks = [c for c in (status.first_response, status.resolution) if c is not None]
    at_risk = [c.at_risk_at for c in clocks if c.at_risk_at is not None]
    breached = [c.breached_at for c in clocks if c.breached_at is not None]
    return min(at_risk, default=None), min(breached, default=None)

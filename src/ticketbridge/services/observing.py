"""The `ObservationSink`: what Jira said about our issues, applied to their tickets (SPEC §6).

Webhook deliveries (`services.jira_deliveries`) and reconcile feed it alike. Per observation,
in one transaction with whatever else the caller records (a delivery marked applied):
the ticket of the issue is looked up (by issue id, else key; none: `unknown_issue`), locked,
read again, and handed to `domain.life.observed`, which compares watermarks (older: `stale`,
recorded and skipped) and records the watermark on every accepted one, even when nothing
else changes. What our own account caused (`echo`) moves no alert state. A person's change of
the alerts' state asks for the callbacks of that state (`domain.life.observed_step`), about the
ticket's opening alert (Keeptrusts' escalation, TruthVouch's alert), in the same transaction;
the issue's events the SLA clocks need (`ticket_events`) are recorded there too.

The audit trail is written in the same unit of work (SPEC §8): `STATUS_SYNCED` when an
applied observation moves the alerts' state (a deletion among them), `HUMAN_REVIEW` for each
approval it shows (`sync.approvals`; `services.audit_reviews`), never for our own account's.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Collection, Sequence
from dataclasses import dataclass

from ticketbridge.clock import Clock, system_clock
from ticketbridge.domain.audit import NewEvent
from ticketbridge.domain.decision import TicketPolicy
from ticketbridge.domain.life import PlannedJob, observed_step
from ticketbridge.domain.observed import IssueObservation, ObservedVia
from ticketbridge.domain.sla import TicketEvent
from ticketbridge.domain.ticket import Ticket
from ticketbridge.services.audit_reviews import (
    ApprovalRules,
    Reviewer,
    record_reviews,
    review_events,
)
from ticketbridge.services.audit_trail import status_synced_event
from ticketbridge.services.deciding import new_jobs
from ticketbridge.services.ports import ObservedOutcome, UnitOfWork, UnitOfWorkFactory
from ticketbridge.services.sla_events import issue_events

OurAccount = Callable[[], Awaitable[str | None]]
"""Who we are on Jira (`accountId`, or the Data Center user name); None when unknown."""


async def _nobody() -> str | None:
    return None


@dataclass(frozen=True)
class Applied:
    """What one observation did, and to which ticket (the delivery log)."""

    outcome: ObservedOutcome
    ticket: Ticket | None = None


class ObservationApplier:
    """`services.ports.ObservationSink`."""

    def __init__(
        self,
        uow_factory: UnitOfWorkFactory,
        policy: TicketPolicy,
        our_account: OurAccount = _nobody,
        clock: Clock = system_clock,
        approvals: ApprovalRules | None = None,
        connections: Collection[str] | None = None,
    ) -> None:
        """`connections`: the configured sites (`Ticket.connection`) whose tickets the
        observations are of — an issue id or key names an issue on one site only."""
        self.connections = connections
        self._uow_factory = uow_factory
        self._policy = policy
        self._our_account = our_account
        self._approvals = approvals  # None: approvals are not reviews here
        self._clock = clock

    def use_policy(self, policy: TicketPolicy) -> None:
        """The mappings saved in the admin UI (`sync.status_ids`, `sync.resolutions`), from
        the next observation on: one assignment, no observation sees half of each."""
        self._policy = policy

    async def observe(self, observations: Sequence[IssueObservation]) -> list[ObservedOutcome]:
        """Apply in one transaction of its own (reconcile's way in)."""
        ours = await self._our_account()
        async with self._uow_factory() as uow:
            applied = await self.apply_in(uow, observations, ours)
            await uow.commit()
        return [a.outcome for a in applied]

    async def our_account(self) -> str | None:
        return await self._our_account()

    async def apply_in(
        self, uow: UnitOfWork, observations: Sequence[IssueObservation], ours: str | None
    ) -> list[Applied]:
        """Apply in order inside the caller's transaction: each ticket read (and locked) once,
        taken through its observations in memory, written once."""
        tickets = _Tickets(uow, self.connections)
        reviews: list[NewEvent] = []  # recorded in this batch (the trail has them at commit)
        outcomes: list[tuple[ObservedOutcome, int | None]] = []
        events: list[TicketEvent] = []
        for observation in observations:
            ticket = await tickets.of(observation)
            if ticket is None:
                outcomes.append(("unknown_issue", None))
                continue
            echo = _is_echo(observation, ours)
            by_us = ours is not None and observation.author_account_id == ours
            step, outcome = observed_step(ticket, observation, self._policy, ours=echo, by_us=by_us)
            after = step.ticket or ticket
            events.extend(issue_events(ticket, observation, ours))
            tickets.changed(after)
            await self._call_back(uow, after, step.jobs)
            outcomes.append((outcome, after.id))
            if outcome == "applied" and after.alert_state() != ticket.alert_state():
                uow.audit.record([status_synced_event(ticket, after, observation)])
            if not echo:
                reviews += await self._reviews(uow, observation, reviews)
        await tickets.save()
        await uow.ticket_events.record(events)
        return [
            Applied(outcome, tickets.by_id.get(tid) if tid else None) for outcome, tid in outcomes
        ]

    async def _reviews(
        self, uow: UnitOfWork, observation: IssueObservation, earlier: Sequence[NewEvent]
    ) -> list[NewEvent]:
        """The approvals it shows, recorded once each (the trail is read only when it shows
        one: most observations approve nothing)."""
        rules = self._approvals
        if rules is None:
            return []
        names = {
            c.to_status_id: c.to_status_name for c in observation.transitions if c.to_status_name
        }
        if not review_events(observation, rules, status_names=names):
            return []
        people = {
            p.account_id: Reviewer(p.account_id, p.display_name, p.email)
            for p in observation.people
        }
        return await record_reviews(
            uow, observation, rules, people=people, status_names=names, earlier=earlier
        )

    async def _call_back(self, uow: UnitOfWork, ticket: Ticket, jobs: Sequence[PlannedJob]) -> None:
        """The callbacks a person's change asks for, about the ticket's opening alert (the
        one the source knows: Keeptrusts' escalation id, TruthVouch's alert_id)."""
        if not jobs or ticket.id is None:
            return
        opening = await uow.fingerprints.first_alert(ticket.id)
        if opening is None:
            return
        payload = {"source": opening.alert.source, "alert_id": opening.alert.id}
        await uow.outbox.enqueue(new_jobs(jobs, ticket, payload), self._clock())


class _Tickets:
    """The tickets one batch of observations touches, as they are now in this transaction."""

    def __init__(self, uow: UnitOfWork, connections: Collection[str] | None) -> None:
        self._uow = uow
        self._connections = connections
        self._issues: dict[tuple[str, str], int | None] = {}
        self.by_id: dict[int, Ticket] = {}
        self._changed: set[int] = set()

    async def of(self, observation: IssueObservation) -> Ticket | None:
        key = (observation.issue_id, observation.issue_key)
        if key not in self._issues:
            # Locked as the decider locks its fingerprint, and read after the lock.
            found = await self._uow.tickets.by_issue(*key, self._connections)
            self._issues[key] = found.id if found is not None else None
            if found is not None and found.id is not None:
                self.by_id.setdefault(found.id, found)
        ticket_id = self._issues[key]
        return self.by_id.get(ticket_id) if ticket_id is not None else None

    def changed(self, ticket: Ticket) -> None:
        assert ticket.id is not None
        if ticket != self.by_id[ticket.id]:
            self.by_id[ticket.id] = ticket
            self._changed.add(ticket.id)

    async def save(self) -> None:
        await self._uow.tickets.save_many([self.by_id[i] for i in sorted(self._changed)])


def _is_echo(observation: IssueObservation, ours: str | None) -> bool:
    """A webhook caused by our own account (our outbox writes as it). Reconcile's snapshots
    are never echoes: they are Jira's state now, and repair what an echo left alone."""
    return (
        ours is not None
        and observation.via is ObservedVia.WEBHOOK
        and observation.author_account_id == ours
    )

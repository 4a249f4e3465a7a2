"""Deciding: route the accepted, undecided alerts and decide each by fingerprint — the ticket
rows, the Jira jobs and the alerts' decisions written in ONE transaction.

Ingest (`ingest.py`) commits alerts undecided, so a request costs one insert; the decider takes
the oldest pending alerts in ingest order (one decider at a time per database: SQLite's write
lock, a PostgreSQL advisory lock) and decides them in batches. A crash between the two loses
nothing: undecided alerts stay pending until a decider commits their decisions.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

import structlog

from ticketbridge.clock import Clock
from ticketbridge.domain import Alert, AlertState, DecisionKind, JobKind, Ticket, decide
from ticketbridge.domain.audit_decisions import decision_record
from ticketbridge.domain.decision import Decision
from ticketbridge.domain.life import Opening, PlannedJob, Step, advance, attached, epic_for
from ticketbridge.domain.records import NewJob, StoredAlert
from ticketbridge.domain.route import Route
from ticketbridge.domain.states import OUTWARD_KINDS
from ticketbridge.services.ports import RouteSeam, UnitOfWork, UnitOfWorkFactory
from ticketbridge.services.settings import PipelineSettings

log = structlog.get_logger(__name__)

TicketKey = tuple[str, int]  # (fingerprint, generation)
_OPENING = (DecisionKind.CREATE, DecisionKind.NEW_LINKED)


@dataclass(frozen=True)
class DecideRound:
    """What one round decided: the alerts (with their decisions) and the jobs it enqueued."""

    decided: tuple[StoredAlert, ...]
    jobs: int

    def counts(self) -> Counter[DecisionKind]:
        return Counter(s.decision for s in self.decided if s.decision is not None)


@dataclass
class _Plan:
    """What one batch will write, built in memory, then flushed in a few statements."""

    tickets: dict[str, Ticket]  # the current ticket of each fingerprint, as it will be
    new: dict[TicketKey, Ticket] = field(default_factory=dict)
    changed: dict[TicketKey, Ticket] = field(default_factory=dict)
    parents: dict[TicketKey, TicketKey] = field(default_factory=dict)  # new child → new epic
    decided: list[tuple[StoredAlert, Decision, str | None, TicketKey | None]] = field(
        default_factory=list
    )
    jobs: list[tuple[PlannedJob, TicketKey, Alert]] = field(default_factory=list)

    def apply(self, step: Step, alert: Alert) -> TicketKey | None:
        """Keep the step's ticket as its fingerprint's current one and queue its jobs."""
        ticket = step.ticket
        if ticket is None:
            return None
        key = (ticket.fingerprint, ticket.generation)
        unchanged = self.tickets.get(ticket.fingerprint) is ticket
        self.tickets[ticket.fingerprint] = ticket
        if step.opened or key in self.new:
            self.new[key] = ticket
        elif not unchanged:
            self.changed[key] = ticket
        self.jobs.extend((job, key, alert) for job in step.jobs)
        return key


class Decider:
    def __init__(
        self,
        uow_factory: UnitOfWorkFactory,
        router: RouteSeam,
        settings: PipelineSettings,
        clock: Clock,
        on_round: Callable[[DecideRound], None] | None = None,
    ) -> None:
        self._uow_factory = uow_factory
        self._router = router
        self._settings = settings
        self._clock = clock
        self._on_round = on_round  # after each commit: metrics, waking the outbox workers

    async def decide_pending(self, limit: int) -> DecideRound:
        """Decide up to `limit` of the oldest undecided alerts; committed when it returns."""
        now = self._clock()
        async with self._uow_factory() as uow:
            pending = await uow.alerts.pending(limit)
            if not pending:
                return DecideRound((), 0)
            routes, failed = self._route_all(pending)
            epics = {r.group.fingerprint for r in routes.values() if r.group is not None}
            fingerprints = {s.alert.fingerprint for s in pending}
            await uow.tickets.lock_fingerprints(sorted(fingerprints | epics))
            current = await uow.tickets.current(sorted(fingerprints) + sorted(epics))
            plan = _Plan(current)
            for stored in pending:
                if stored.pk in routes:
                    self._decide_one(stored, routes[stored.pk], plan, now)
            decided = await self._flush(uow, plan, now) + failed
            await uow.alerts.record(failed)
            for dead in failed:  # the trail holds these too: routing failed, kept as dead
                why = Decision(DecisionKind.IGNORE, dead.reasons)
                uow.audit.record_decisions([decision_record(dead.alert, why, None, None, now)])
            await uow.commit()
        decided_round = DecideRound(tuple(decided), len(plan.jobs))
        if self._on_round is not None:
            self._on_round(decided_round)
        return decided_round

    async def decide_all(self, round_size: int) -> int:
        """Decide in rounds of `round_size` until nothing is pending; how many were decided."""
        total = 0
        while decided := len((await self.decide_pending(round_size)).decided):
            total += decided
            await asyncio.sleep(0)  # a round may not suspend (SQLite runs inline): let others in
        return total

    def _route_all(
        self, pending: Sequence[StoredAlert]
    ) -> tuple[dict[int, Route], list[StoredAlert]]:
        """Each alert's route; an alert the router fails on is kept as dead with the error as
        its reason, so it never holds up the alerts behind it."""
        routes: dict[int, Route] = {}
        failed: list[StoredAlert] = []
        for stored in pending:
            try:
                routes[stored.pk] = self._router.route(stored.alert)
            except Exception as error:  # noqa: BLE001 - the decider's per-alert boundary
                log.error("routing_failed", source=stored.alert.source, alert_id=stored.alert.id)
                failed.append(
                    replace(
                        stored,
                        decision=DecisionKind.IGNORE,
                        reasons=(f"routing failed: {type(error).__name__}: {error}",),
                        own_state=AlertState.DEAD,
                    )
                )
        return routes, failed

    def _decide_one(self, stored: StoredAlert, route: Route, plan: _Plan, now: datetime) -> None:
        alert = stored.alert
        policy = self._settings.policy
        ignore = route.reasons if route.action == "ignore" else None
        current = plan.tickets.get(alert.fingerprint)
        decision = decide(alert, current, policy, now, route_ignore=ignore)
        if decision.kind in _OPENING and route.assignee_reason is not None:
            # who a team stood for is part of why the issue looks as it does (`explain`)
            decision = replace(decision, reasons=(*decision.reasons, route.assignee_reason))
        parent: Ticket | None = None
        parent_key: TicketKey | None = None
        if decision.kind in _OPENING and route.group is not None:  # the epic first, once
            current_epic = plan.tickets.get(route.group.fingerprint)
            epic = epic_for(current_epic, route.group, alert, route.connection)
            parent_key = plan.apply(epic, alert)
            parent = epic.ticket
        opening = Opening.of(route, parent)
        key = plan.apply(advance(current, decision, alert, now, policy, opening), alert)
        if key is not None and parent_key is not None and parent_key in plan.new:
            plan.parents[key] = parent_key  # its row id is known once inserted
        plan.decided.append((stored, decision, route.name, key))

    async def _flush(self, uow: UnitOfWork, plan: _Plan, now: datetime) -> list[StoredAlert]:
        by_key = await self._insert(uow, plan)
        changed = list(plan.changed.values())
        await uow.tickets.save_many(changed)
        by_key.update({(t.fingerprint, t.generation): t for t in changed})
        decided: list[StoredAlert] = []
        records: list[list[Any]] = []  # the trail's, compact (expanded when sealed)
        for stored, decision, route_name, key in plan.decided:
            ticket = by_key.get(key) if key else None
            if ticket is None and key is not None:
                ticket = plan.tickets.get(key[0])
            records.append(decision_record(stored.alert, decision, route_name, ticket, now))
            decided.append(  # built, not `replace`d: this runs for every alert
                StoredAlert(
                    pk=stored.pk,
                    alert=stored.alert,
                    decision=decision.kind,
                    reasons=decision.reasons,
                    route=route_name,
                    own_state=decision.initial_state,
                    ticket_id=ticket.id if ticket else None,
                )
            )
        await uow.alerts.record(decided)
        uow.audit.record_decisions(records)  # committed with the decisions, sealed after
        wanted = [j for j in plan.jobs if concerns(j[0], j[2].source)]
        await uow.outbox.enqueue([self._job(j, by_key, plan) for j in wanted], now)
        return decided

    @staticmethod
    async def _insert(uow: UnitOfWork, plan: _Plan) -> dict[TicketKey, Ticket]:
        """Insert the new tickets, epics first: a grouped ticket's row names its epic's row."""
        epics = [t for t in plan.new.values() if t.is_epic]
        inserted = await uow.tickets.insert_many(epics) if epics else []
        by_key = {(t.fingerprint, t.generation): t for t in inserted}
        others = [
            attached(ticket, by_key[plan.parents[key]]) if key in plan.parents else ticket
            for key, ticket in plan.new.items()
            if not ticket.is_epic
        ]
        by_key.update(
            {(t.fingerprint, t.generation): t for t in await uow.tickets.insert_many(others)}
        )
        return by_key

    @staticmethod
    def _job(
        job: tuple[PlannedJob, TicketKey, Alert],
        by_key: dict[TicketKey, Ticket],
        plan: _Plan,
    ) -> NewJob:
        planned, key, alert = job
        ticket = by_key.get(key) or plan.tickets[key[0]]
        assert ticket.id is not None, "tickets are inserted before their jobs"
        return new_job(planned, ticket, {"source": alert.source, "alert_id": alert.id})


def alert_payload(payload: Mapping[str, Any]) -> dict[str, Any]:
    """The part of a job's payload that names its alert (a follow-up job's payload starts
    from it; a callback's name and state are its own)."""
    return {"source": payload.get("source"), "alert_id": payload.get("alert_id")}


def concerns(planned: PlannedJob, source: str | None) -> bool:
    """Whether a planned job applies to an alert of `source` (a callback names its source)."""
    return planned.only_source is None or planned.only_source == source


def new_jobs(
    planned: Sequence[PlannedJob], ticket: Ticket, payload: Mapping[str, Any]
) -> list[NewJob]:
    """The outbox rows of the jobs a transition asked for about the alert `payload` names."""
    source = payload.get("source")
    return [new_job(job, ticket, payload) for job in planned if concerns(job, source)]


def new_job(planned: PlannedJob, ticket: Ticket, payload: Mapping[str, Any]) -> NewJob:
    """The outbox row of a job a transition asked for. Jobs of one ticket (one generation of
    a fingerprint) run one at a time in order: a dead create holds only its own generation.
    Jobs to others than Jira (callbacks, Slack) keep their own order per ticket, apart: a
    source that is down holds neither the ticket's Jira writes nor the other way round."""
    assert ticket.id is not None, "a job names its ticket's row"
    create = planned.kind is JobKind.CREATE_ISSUE
    lane = f"{planned.kind.value}:" if planned.kind in OUTWARD_KINDS else ""
    return NewJob(
        kind=planned.kind,
        ordering_key=lane + ticket.marker_key,
        ticket_id=ticket.id,
        payload={**payload, **dict(planned.detail)},  # the alert the job is about
        project=ticket.project if create else None,  # creates are batched per project
        not_before=planned.not_before,
        connection=ticket.connection,
    )

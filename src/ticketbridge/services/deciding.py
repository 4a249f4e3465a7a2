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
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime

import structlog

from ticketbridge.domain import (
    Alert,
    AlertState,
    Decision,
    DecisionKind,
    JobKind,
    Ticket,
    TicketStatus,
    decide,
)
from ticketbridge.services.grouping import epic_fingerprints, epic_project, is_epic
from ticketbridge.services.ports import (
    Clock,
    NewJob,
    Route,
    RouteSeam,
    StoredAlert,
    UnitOfWork,
    UnitOfWorkFactory,
)
from ticketbridge.services.settings import PipelineSettings

__all__ = ["DecideRound", "Decider"]

log = structlog.get_logger(__name__)

TicketKey = tuple[str, int]  # (fingerprint, generation)


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
    new: dict[TicketKey, Ticket]
    changed: dict[TicketKey, Ticket]
    decided: list[tuple[StoredAlert, Decision, str | None, TicketKey | None]]
    jobs: list[tuple[JobKind, TicketKey, Alert, datetime | None]]


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
            epics = epic_fingerprints(routes.values())  # grouped issues' epics (grouping.py)
            fingerprints = {s.alert.fingerprint for s in pending}
            await uow.tickets.lock_fingerprints(sorted(fingerprints | epics))
            current = await uow.tickets.current(sorted(fingerprints) + sorted(epics))
            plan = _Plan(current, {}, {}, [], [])
            for stored in pending:
                if stored.pk in routes:
                    self._decide_one(stored, routes[stored.pk], plan, now)
            decided = await self._flush(uow, plan, now) + failed
            await uow.alerts.record(failed)
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
        ignore = route.reasons if route.action == "ignore" else None
        current = plan.tickets.get(alert.fingerprint)
        decision = decide(alert, current, self._settings.dedup, now, route_ignore=ignore)
        kind = decision.kind
        key: TicketKey | None = (
            (current.fingerprint, current.generation) if current is not None else None
        )
        if kind in (DecisionKind.CREATE, DecisionKind.NEW_LINKED):
            if is_epic(route.parent) and route.parent not in plan.tickets:
                epic = self._new_ticket(alert, None, epic_project(route.parent), plan, route.parent)
                plan.jobs.append((JobKind.CREATE_ISSUE, epic, alert, None))  # the epic, once
            key = self._new_ticket(alert, current, route.project, plan)
            plan.jobs.append((JobKind.CREATE_ISSUE, key, alert, None))
            if kind is DecisionKind.NEW_LINKED:
                plan.jobs.append((JobKind.LINK_PREVIOUS, key, alert, None))
        elif current is not None and key is not None:
            self._follow_up(kind, alert, current, key, plan, now)
        plan.decided.append((stored, decision, route.name, key))

    def _new_ticket(
        self,
        alert: Alert,
        previous: Ticket | None,
        project: str,
        plan: _Plan,
        fingerprint: str | None = None,
    ) -> TicketKey:
        ticket = Ticket(
            fingerprint=fingerprint or alert.fingerprint,
            generation=previous.generation + 1 if previous else 1,
            project=project,
            status=TicketStatus.PENDING,
            first_seen=alert.occurred_at,
            last_seen=alert.occurred_at,
            previous_issue_key=previous.issue_key if previous else None,
            digested_occurrences=1,  # the issue itself tells of the first occurrence
        )
        key = (ticket.fingerprint, ticket.generation)
        plan.tickets[ticket.fingerprint] = ticket
        plan.new[key] = ticket
        return key

    def _follow_up(
        self,
        kind: DecisionKind,
        alert: Alert,
        ticket: Ticket,
        key: TicketKey,
        plan: _Plan,
        now: datetime,
    ) -> None:
        job: JobKind | None = None
        not_before: datetime | None = None
        if kind is DecisionKind.REPEAT:
            ticket = ticket.seen(alert.occurred_at)
            job, not_before, ticket = self._repeat_job(ticket)
        elif kind is DecisionKind.REOPEN:
            # Optimistic: the next alert of this fingerprint is a repeat, not a second reopen.
            ticket = replace(ticket.seen(alert.occurred_at), status_category="new", outcome=None)
            job = JobKind.REOPEN
        elif kind is DecisionKind.RESOLVE:
            job = JobKind.RESOLVE
            if self._settings.resolve_transition:
                ticket = replace(
                    ticket, status_category="done", done_at=now, outcome=AlertState.RESOLVED
                )
        elif kind is DecisionKind.SUPPRESS:
            ticket = ticket.seen(alert.occurred_at)
        if job is not None:
            plan.jobs.append((job, key, alert, not_before))
        plan.tickets[ticket.fingerprint] = ticket
        if key in plan.new:
            plan.new[key] = ticket
        else:
            plan.changed[key] = ticket

    def _repeat_job(self, ticket: Ticket) -> tuple[JobKind | None, datetime | None, Ticket]:
        mode = self._settings.dedup.repeat
        if mode == "comment":
            return JobKind.COMMENT, None, ticket
        if mode == "update":
            return JobKind.UPDATE_ISSUE, None, ticket
        if mode == "none" or ticket.digest_pending:
            return None, None, ticket  # a pending digest will report this occurrence too
        # At most one digest write per interval per issue, the first one an interval after the
        # first occurrence: a storm costs one create and one digest edit per interval.
        due = (ticket.last_digest_at or ticket.first_seen) + self._settings.digest_interval
        return JobKind.DIGEST, due, replace(ticket, digest_pending=True)

    async def _flush(self, uow: UnitOfWork, plan: _Plan, now: datetime) -> list[StoredAlert]:
        inserted = await uow.tickets.insert_many(list(plan.new.values()))
        by_key = {(t.fingerprint, t.generation): t for t in inserted}
        changed = list(plan.changed.values())
        await uow.tickets.save_many(changed)
        by_key.update({(t.fingerprint, t.generation): t for t in changed})
        decided: list[StoredAlert] = []
        for stored, decision, route_name, key in plan.decided:
            ticket = by_key.get(key) if key else None
            if ticket is None and key is not None:
                ticket = plan.tickets.get(key[0])
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
        await uow.outbox.enqueue([self._job(j, by_key, plan) for j in plan.jobs], now)
        return decided

    @staticmethod
    def _job(
        job: tuple[JobKind, TicketKey, Alert, datetime | None],
        by_key: dict[TicketKey, Ticket],
        plan: _Plan,
    ) -> NewJob:
        kind, key, alert, not_before = job
        ticket = by_key.get(key) or plan.tickets[key[0]]
        assert ticket.id is not None, "tickets are inserted before their jobs"
        return NewJob(
            kind=kind,
            ordering_key=ticket.fingerprint,
            ticket_id=ticket.id,
            payload={"source": alert.source, "alert_id": alert.id},
            project=ticket.project if kind is JobKind.CREATE_ISSUE else None,
            not_before=not_before,
        )

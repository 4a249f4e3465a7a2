"""Ingest: validate, persist durably, decide and enqueue the Jira writes — in ONE transaction.

Idempotent on (source, id): an alert seen before gets the answer it got then and changes
nothing. Several ingesters on one database are safe: the fingerprints of a batch are locked
for the transaction (PostgreSQL advisory locks; SQLite serializes writers) and uniqueness is
held by the database's constraints, never by this process's memory.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime

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

__all__ = ["IngestResult", "IngestService"]


@dataclass(frozen=True)
class IngestResult:
    """The answer for one alert: what was decided, why, and where its ticket is (if known)."""

    source: str
    alert_id: str
    fingerprint: str
    decision: DecisionKind
    reasons: tuple[str, ...]
    state: AlertState
    ticket_key: str | None
    ticket_url: str | None
    duplicate: bool  # True: seen before, nothing was changed


TicketKey = tuple[str, int]  # (fingerprint, generation)


@dataclass
class _Plan:
    """What one batch will write, built in memory, then flushed in a few statements."""

    tickets: dict[str, Ticket]  # the current ticket of each fingerprint, as it will be
    new: dict[TicketKey, Ticket]
    changed: dict[TicketKey, Ticket]
    decided: list[tuple[Alert, Decision, str | None, TicketKey | None]]
    jobs: list[tuple[JobKind, TicketKey, Alert, datetime | None]]


class IngestService:
    def __init__(
        self,
        uow_factory: UnitOfWorkFactory,
        router: RouteSeam,
        settings: PipelineSettings,
        clock: Clock,
    ) -> None:
        self._uow_factory = uow_factory
        self._router = router
        self._settings = settings
        self._clock = clock

    async def ingest(self, alerts: Sequence[Alert]) -> list[IngestResult]:
        """Persist and decide `alerts`; returns one result per alert, in order, after commit."""
        now = self._clock()
        async with self._uow_factory() as uow:
            keys = [(a.source, a.id) for a in alerts]
            routes: dict[tuple[str, str], Route] = {}
            for key, alert in zip(keys, alerts, strict=True):  # the first of each, as ingested
                if key not in routes:
                    routes[key] = self._router.route(alert)
            epics = epic_fingerprints(routes.values())  # grouped issues' epics (grouping.py)
            await uow.tickets.lock_fingerprints(
                sorted({a.fingerprint for a in alerts} | {f"{s}\x00{i}" for s, i in keys} | epics)
            )
            seen = await uow.alerts.find(keys)
            fresh = _first_of_each(alerts, seen)
            current = await uow.tickets.current([a.fingerprint for a in fresh] + sorted(epics))
            plan = _Plan(current, {}, {}, [], [])
            for alert in fresh:
                self._decide_one(alert, routes[(alert.source, alert.id)], plan, now)
            results = await self._flush(uow, plan, now)
            await uow.commit()
        return await self._answer(alerts, seen, results)

    def _decide_one(self, alert: Alert, route: Route, plan: _Plan, now: datetime) -> None:
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
        plan.decided.append((alert, decision, route.name, key))

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

    async def _flush(
        self, uow: UnitOfWork, plan: _Plan, now: datetime
    ) -> list[tuple[StoredAlert, Ticket | None]]:
        inserted = await uow.tickets.insert_many(list(plan.new.values()))
        by_key = {(t.fingerprint, t.generation): t for t in inserted}
        changed = list(plan.changed.values())
        await uow.tickets.save_many(changed)
        by_key.update({(t.fingerprint, t.generation): t for t in changed})
        rows: list[tuple[StoredAlert, Ticket | None]] = []
        for alert, decision, route_name, key in plan.decided:
            ticket = by_key.get(key) if key else None
            if ticket is None and key is not None:
                ticket = plan.tickets.get(key[0])
            stored = StoredAlert(
                pk=0,
                alert=alert,
                decision=decision.kind,
                reasons=decision.reasons,
                route=route_name,
                own_state=decision.initial_state,
                ticket_id=ticket.id if ticket else None,
            )
            rows.append((stored, ticket))
        await uow.alerts.add([stored for stored, _ in rows])
        await uow.outbox.enqueue([self._job(j, by_key, plan) for j in plan.jobs], now)
        return rows

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

    async def _answer(
        self,
        alerts: Sequence[Alert],
        seen: dict[tuple[str, str], StoredAlert],
        fresh: list[tuple[StoredAlert, Ticket | None]],
    ) -> list[IngestResult]:
        made = {(s.alert.source, s.alert.id): (s, t) for s, t in fresh}
        old_tickets: dict[int, Ticket | None] = {}
        if seen:
            async with self._uow_factory() as uow:
                for stored in seen.values():
                    if stored.ticket_id is not None:
                        old_tickets[stored.ticket_id] = await uow.tickets.get(stored.ticket_id)
        results: list[IngestResult] = []
        answered: set[tuple[str, str]] = set()
        for alert in alerts:
            key = (alert.source, alert.id)
            if key in seen:
                stored = seen[key]
                ticket = old_tickets.get(stored.ticket_id) if stored.ticket_id else None
                results.append(result_for(stored, ticket, duplicate=True))
            else:
                stored, ticket = made[key]
                results.append(result_for(stored, ticket, duplicate=key in answered))
            answered.add(key)
        return results


def _first_of_each(
    alerts: Sequence[Alert], seen: dict[tuple[str, str], StoredAlert]
) -> list[Alert]:
    fresh: dict[tuple[str, str], Alert] = {}
    for alert in alerts:
        key = (alert.source, alert.id)
        if key not in seen and key not in fresh:
            fresh[key] = alert
    return list(fresh.values())


def result_for(stored: StoredAlert, ticket: Ticket | None, *, duplicate: bool) -> IngestResult:
    """The answer for a stored alert, its state taken from its ticket unless it has its own."""
    state = stored.own_state or (ticket.alert_state() if ticket else AlertState.IGNORED)
    return IngestResult(
        source=stored.alert.source,
        alert_id=stored.alert.id,
        fingerprint=stored.alert.fingerprint,
        decision=stored.decision,
        reasons=stored.reasons,
        state=state,
        ticket_key=ticket.issue_key if ticket else None,
        ticket_url=ticket.issue_url if ticket else None,
        duplicate=duplicate,
    )

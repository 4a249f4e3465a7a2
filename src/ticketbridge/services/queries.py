"""Read side for the outside (API, CLI, UI): alerts with their decision and ticket, tickets,
and the outbox's dead-letter list with retry and drop.

Every list pages the same way (keyset): a page carries `next_cursor`, an opaque token for the
position of its last item, which the next request passes back as `cursor`; None on the last
page. Items arriving while a client pages never shift or repeat items.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Final, Generic, Literal, TypeVar

from ticketbridge.clock import Clock
from ticketbridge.domain import AlertState, DecisionKind, JobKind, JobState, Ticket, TicketStatus
from ticketbridge.domain.life import revive
from ticketbridge.domain.records import Job, StoredAlert
from ticketbridge.errors import InputError, Problem
from ticketbridge.services.ports import UnitOfWork, UnitOfWorkFactory

T = TypeVar("T")
MAX_POSITION = 2**63 - 1  # ids are 64-bit on every database: a cursor never points past one


@dataclass(frozen=True)
class JiraView:
    """What Jira last told about a ticket's issue (two-way sync): the status by id (its name
    for display), resolution, assignee, priority; when (the watermark) and whether deleted."""

    status_id: str | None
    status: str | None
    status_category: str | None
    resolution: str | None
    assignee_id: str | None
    assignee: str | None
    priority: str | None
    updated: datetime | None
    deleted_at: datetime | None


@dataclass(frozen=True)
class SlaView:
    """The ticket's SLA clocks as the last scan (or `sla recompute`) found them: the worst
    clock's state (running | at_risk | breached | met) and when it got at risk / breached."""

    state: str
    at_risk_at: datetime | None
    breached_at: datetime | None


def sla_view(ticket: Ticket | None) -> SlaView | None:
    """None while no SLA applies (or the scan has not looked at the ticket yet)."""
    if ticket is None or ticket.sla_state is None:
        return None
    return SlaView(ticket.sla_state, ticket.sla_at_risk_at, ticket.sla_breached_at)


def jira_view(ticket: Ticket | None) -> JiraView | None:
    """None until Jira told anything about the issue."""
    if ticket is None or (ticket.watermark_at is None and ticket.status_id is None):
        return None
    return JiraView(
        status_id=ticket.status_id,
        status=ticket.status_name,
        status_category=ticket.status_category,
        resolution=ticket.resolution,
        assignee_id=ticket.assignee_id,
        assignee=ticket.assignee_name,
        priority=ticket.priority,
        updated=ticket.watermark_at,
        deleted_at=ticket.deleted_at,
    )


@dataclass(frozen=True)
class AlertView:
    source: str
    id: str
    kind: str
    title: str
    severity: str
    fingerprint: str
    status: str
    received_at: datetime
    state: AlertState
    decision: DecisionKind | None  # None: accepted, not decided yet
    reasons: tuple[str, ...]
    route: str | None
    ticket_key: str | None
    ticket_url: str | None
    jira: JiraView | None = None
    escalations: int = 0  # its ticket's stale escalations (`sync.escalate`)
    escalated_at: datetime | None = None
    sla: SlaView | None = None


PENDING: Final = "pending"  # `decision=pending`: accepted, not decided yet


@dataclass(frozen=True)
class AlertFilter:
    """What `AlertQueries.page` keeps (all given filters at once); None: any."""

    source: str | None = None
    fingerprint: str | None = None
    state: AlertState | None = None
    decision: DecisionKind | Literal["pending"] | None = None


NO_FILTER = AlertFilter()


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of a list; pass `next_cursor` back as `cursor` for the next one."""

    items: list[T]
    next_cursor: str | None  # None: this is the last page


AlertPage = Page[AlertView]


@dataclass(frozen=True)
class TicketView:
    id: int
    fingerprint: str
    generation: int
    project: str
    issue_key: str | None
    issue_url: str | None
    state: AlertState
    status_category: str | None
    resolution: str | None
    occurrences: int
    first_seen: datetime
    last_seen: datetime
    previous_issue_key: str | None
    jira: JiraView | None = None
    escalations: int = 0
    escalated_at: datetime | None = None
    sla: SlaView | None = None


@dataclass(frozen=True)
class JobView:
    id: int
    kind: JobKind
    state: JobState
    ordering_key: str
    attempts: int
    next_attempt_at: datetime
    created_at: datetime
    last_error: str | None
    hint: str | None


def _alert_view(stored: StoredAlert, ticket: Ticket | None) -> AlertView:
    alert = stored.alert
    return AlertView(
        source=alert.source,
        id=alert.id,
        kind=alert.kind,
        title=alert.title,
        severity=alert.severity.value,
        fingerprint=alert.fingerprint,
        status=alert.status.value,
        received_at=alert.received_at,
        state=stored.state(ticket),
        decision=stored.decision,
        reasons=stored.reasons,
        route=stored.route,
        ticket_key=ticket.issue_key if ticket else None,
        ticket_url=ticket.issue_url if ticket else None,
        jira=jira_view(ticket),
        escalations=ticket.escalations if ticket else 0,
        escalated_at=ticket.escalated_at if ticket else None,
        sla=sla_view(ticket),
    )


def ticket_view(ticket: Ticket) -> TicketView:
    assert ticket.id is not None
    return TicketView(
        id=ticket.id,
        fingerprint=ticket.fingerprint,
        generation=ticket.generation,
        project=ticket.project,
        issue_key=ticket.issue_key,
        issue_url=ticket.issue_url,
        state=ticket.alert_state(),
        status_category=ticket.status_category,
        resolution=ticket.resolution,
        occurrences=ticket.occurrences,
        first_seen=ticket.first_seen,
        last_seen=ticket.last_seen,
        previous_issue_key=ticket.previous_issue_key,
        jira=jira_view(ticket),
        escalations=ticket.escalations,
        escalated_at=ticket.escalated_at,
        sla=sla_view(ticket),
    )


def job_view(job: Job) -> JobView:
    return JobView(
        id=job.id,
        kind=job.kind,
        state=job.state,
        ordering_key=job.ordering_key,
        attempts=job.attempts,
        next_attempt_at=job.next_attempt_at,
        created_at=job.created_at,
        last_error=job.last_error,
        hint=job.hint,
    )


class AlertQueries:
    """`GET /v1/alerts[/{id}]`, `GET /v1/tickets`, `ticketbridge explain`."""

    def __init__(self, uow_factory: UnitOfWorkFactory) -> None:
        self._uow_factory = uow_factory

    async def get(self, alert_id: str, source: str | None = None) -> AlertView | None:
        """One alert by id (and source, when ids collide across sources)."""
        async with self._uow_factory() as uow:
            stored = await uow.alerts.get(source, alert_id)
            if stored is None:
                return None
            ticket = await uow.tickets.get(stored.ticket_id) if stored.ticket_id else None
            return _alert_view(stored, ticket)

    async def page(
        self, *, limit: int = 100, cursor: str | None = None, where: AlertFilter = NO_FILTER
    ) -> AlertPage:
        """One page of alerts, newest first, filtered in the database. InputError (path
        "cursor") for a cursor we did not issue."""
        before = decode_cursor(cursor)
        async with self._uow_factory() as uow:
            rows = await uow.alerts.list(
                limit=limit + 1,  # one more: is there a next page at all?
                before_pk=before,
                source=where.source,
                fingerprint=where.fingerprint,
                state=where.state,
                decision=where.decision,
            )
            page = page_of(rows, limit, lambda row: row.pk)
            views = await _views(uow, page.items)
        return Page(views, page.next_cursor)

    async def tickets(self, *, limit: int = 100) -> list[TicketView]:
        """The newest `limit` tickets."""
        return (await self.ticket_page(limit=limit)).items

    async def ticket_page(
        self, *, limit: int = 100, cursor: str | None = None, sla: str | None = None
    ) -> Page[TicketView]:
        """One page of tickets, newest first; `sla`: only those the SLA scan found so."""
        before = decode_cursor(cursor)
        async with self._uow_factory() as uow:
            rows = await uow.tickets.list(limit=limit + 1, before_id=before, sla=sla)
        views = [ticket_view(t) for t in rows]
        return page_of(views, limit, lambda view: view.id)


async def _views(uow: UnitOfWork, rows: Sequence[StoredAlert]) -> list[AlertView]:
    """The alerts' views, their tickets read in one query."""
    ids = sorted({r.ticket_id for r in rows if r.ticket_id is not None})
    tickets = await uow.tickets.get_many(ids) if ids else {}
    return [_alert_view(r, tickets.get(r.ticket_id) if r.ticket_id else None) for r in rows]


def page_of(rows: Sequence[T], limit: int, position: Callable[[T], int]) -> Page[T]:
    """The page of `rows` (fetched with `limit + 1`: the extra one says whether another page
    follows), its cursor at the position of its last item."""
    if len(rows) <= limit:
        return Page(list(rows), None)
    return Page(list(rows[:limit]), encode_cursor(position(rows[limit - 1])))


def encode_cursor(position: int) -> str:
    """Opaque to clients: the page continues past the item at `position` (its id)."""
    raw = json.dumps({"v": 1, "after": position}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> int | None:
    """The position a cursor continues past (None: from the start); InputError naming "cursor"
    for anything we did not issue, a position beyond 64 bits included."""
    if cursor is None:
        return None
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        data = json.loads(raw)
    except (ValueError, TypeError):  # binascii.Error and JSONDecodeError are ValueErrors
        data = None
    position = data.get("after") if isinstance(data, dict) and data.get("v") == 1 else None
    if type(position) is not int or not 1 <= position <= MAX_POSITION:
        problem = Problem("cursor", "not a cursor from this API: pass `next_cursor` as it is")
        raise InputError("invalid query", [problem])
    return position


class OutboxAdmin:
    """`GET /v1/outbox`, `POST /v1/outbox/{id}/retry`, `ticketbridge outbox list|retry|drop`."""

    def __init__(self, uow_factory: UnitOfWorkFactory, clock: Clock) -> None:
        self._uow_factory = uow_factory
        self._clock = clock

    async def jobs(self, state: JobState | None = JobState.DEAD, limit: int = 100) -> list[JobView]:
        """The oldest `limit` jobs (in `state`; None: any)."""
        return (await self.page(state=state, limit=limit)).items

    async def page(
        self, *, state: JobState | None = JobState.DEAD, limit: int = 100, cursor: str | None = None
    ) -> Page[JobView]:
        """One page of jobs, oldest first (the order they run in)."""
        after = decode_cursor(cursor)
        async with self._uow_factory() as uow:
            rows = await uow.outbox.list(state=state, limit=limit + 1, after_id=after)
        return page_of([job_view(j) for j in rows], limit, lambda view: view.id)

    async def counts(self) -> dict[JobState, int]:
        async with self._uow_factory() as uow:
            return await uow.outbox.counts()

    async def backlog_by_site(self) -> dict[str, int]:
        """Jobs not done yet per Jira site's name ("": the default site, by any name)."""
        async with self._uow_factory() as uow:
            return await uow.outbox.backlog_by_site()

    async def retry(self, job_id: int) -> JobView | None:
        """A dead job runs again now (after the operator fixed Jira or the config).
        None when there is no dead job with that id."""
        async with self._uow_factory() as uow:
            job = await uow.outbox.retry(job_id, self._clock())
            if job is None:
                return None
            ticket = await uow.tickets.get(job.ticket_id)
            if ticket is not None and ticket.status is TicketStatus.DEAD:
                await uow.tickets.save_many([revive(ticket)])
            await uow.commit()
            return job_view(job)

    async def drop(self, job_id: int) -> JobView | None:
        """Forget a dead or pending job for good. None when there is none with that id."""
        async with self._uow_factory() as uow:
            job = await uow.outbox.drop(job_id)
            await uow.commit()
            return job_view(job) if job else None

"""The ports the services need, as Protocols. `ticketbridge.storage` satisfies them structurally
(it never imports this module); `bootstrap` wires the concrete objects in.

Every repository works inside one `UnitOfWork` (one database transaction): what a service does
between entering it and `commit()` happens whole or not at all.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Collection, Mapping, Sequence
from contextlib import AbstractAsyncContextManager
from datetime import datetime, timedelta
from types import TracebackType
from typing import Any, Literal, Protocol

from ticketbridge.domain import (
    Alert,
    AlertState,
    DecisionKind,
    JobKind,
    JobState,
    Route,
    Ticket,
)
from ticketbridge.domain.audit import Head, NewEvent, SealedEvent, StoredCheckpoint
from ticketbridge.domain.deliveries import DeliveryResult, JiraDelivery
from ticketbridge.domain.observed import IssueObservation
from ticketbridge.domain.pushes import RecordedPush
from ticketbridge.domain.records import (
    ApiKey,
    Job,
    NewJob,
    ProcessRecord,
    ScheduleRecord,
    StoredAlert,
)
from ticketbridge.domain.reports import (
    DayCount,
    DedupRow,
    Dimension,
    Drill,
    DurationRow,
    Period,
    PeriodName,
    ReportFilter,
    ReportRow,
    RouteCounts,
    TotalRow,
)
from ticketbridge.domain.sla import IssueEvent, SlaSubject, TicketEvent
from ticketbridge.providers.base import IssueDraft
from ticketbridge.services.account_ports import AccountRepository


class RouteSeam(Protocol):
    """Routes an alert (first matching rule, else defaults). The rules engine plugs in here."""

    def route(self, alert: Alert) -> Route: ...


class IssueComposer(Protocol):
    """Renders the issue for an alert on a route (templates plug in here)."""

    def draft(self, alert: Alert, route: Route, ticket: Ticket) -> IssueDraft: ...


class AlertRepository(Protocol):
    async def find(self, keys: Sequence[tuple[str, str]]) -> dict[tuple[str, str], StoredAlert]:
        """Already stored alerts among (source, id) `keys`."""
        ...

    async def append(self, new: Sequence[Alert]) -> set[tuple[str, str]]:
        """Insert undecided alerts, skipping (source, id) already stored; the keys inserted."""
        ...

    async def pending(self, limit: int) -> list[StoredAlert]:
        """The oldest undecided alerts in ingest order; one decider at a time holds them until
        the transaction ends."""
        ...

    async def record(self, decided: Sequence[StoredAlert]) -> None:
        """Write the decision, reasons, route, own state and ticket of stored alerts (by pk)."""
        ...

    async def get(self, source: str | None, alert_id: str) -> StoredAlert | None:
        """By (source, id); with `source=None` the most recent alert with that id."""
        ...

    async def latest_for_ticket(self, ticket_id: int) -> StoredAlert | None: ...

    async def list(
        self,
        *,
        limit: int,
        before_pk: int | None = None,
        source: str | None = None,
        fingerprint: str | None = None,
        state: AlertState | None = None,
        decision: DecisionKind | Literal["pending"] | None = None,
    ) -> list[StoredAlert]:
        """Newest first (pk < `before_pk`), every filter applied in the database; `state` is
        `StoredAlert.state`, `decision="pending"` the alerts not decided yet."""
        ...


class TicketRepository(Protocol):
    async def lock_fingerprints(self, fingerprints: Sequence[str]) -> None:
        """Serialize writers of these fingerprints until the transaction ends."""
        ...

    async def current(self, fingerprints: Sequence[str]) -> dict[str, Ticket]:
        """The latest generation's ticket of each fingerprint that has one."""
        ...

    async def insert_many(self, tickets: Sequence[Ticket]) -> list[Ticket]:
        """Insert; returns them, in order, with `id`. (fingerprint, generation) is unique."""
        ...

    async def save_many(self, tickets: Sequence[Ticket]) -> None:
        """Write every mutable column of inserted tickets."""
        ...

    async def get(self, ticket_id: int) -> Ticket | None: ...

    async def get_many(self, ticket_ids: Sequence[int]) -> dict[int, Ticket]:
        """The tickets among `ticket_ids` that exist, by id."""
        ...

    async def by_issue_key(self, issue_key: str) -> Ticket | None: ...

    async def by_issue(self, issue_id: str, issue_key: str) -> Ticket | None:
        """The ticket of a Jira issue by its id, else its key (either may be ""); its
        fingerprint locked (as `lock_fingerprints`) until the transaction ends, and the ticket
        read after the lock."""

    async def stale(self, cutoff: datetime, limit: int) -> list[Ticket]:
        """Open issues with no activity since `cutoff` (stale escalation), oldest id first."""
        ...

    async def list(
        self, *, limit: int, before_id: int | None = None, sla: str | None = None
    ) -> list[Ticket]: ...

    async def acquire_lease(
        self, fingerprint: str, owner: str, now: datetime, until: datetime
    ) -> bool:
        """Take (or renew) the fingerprint's creator lease unless another owner holds it."""
        ...

    async def release_lease(self, fingerprint: str, owner: str) -> None: ...

    # The Jira site each ticket's issue is on (services.site)
    async def sites(self) -> dict[str | None, int]:
        """Tickets with an issue per site (None: not bound yet), those kept apart left out."""
        ...

    async def adopt_unbound(self, site: str) -> int: ...
    async def rebind_to(self, site: str) -> int: ...
    async def detach_all_but(self, site: str) -> int:
        """Other sites' tickets kept apart: status detached, their issue keys let go."""
        ...


class OutboxRepository(Protocol):
    async def enqueue(self, jobs: Sequence[NewJob], now: datetime) -> None: ...

    async def claim(
        self,
        owner: str,
        now: datetime,
        lease_until: datetime,
        limit: int,
        kinds: Collection[JobKind] | None = None,
    ) -> list[Job]:
        """Lease up to `limit` runnable jobs: due and pending, or running with an expired lease,
        and first of their ordering key (an earlier pending/running job, or a dead create,
        holds the key), of `kinds` only when given. Safe with any number of concurrent
        claimers."""
        ...

    async def get(self, job_id: int) -> Job | None: ...

    async def mark_sent(
        self, job_ids: Sequence[int], owner: str, now: datetime, until: datetime
    ) -> bool:
        """The jobs' creates are about to be sent and will be over by `until` (their sender
        cancels them then): `sent_until` and the jobs' leases say so, durably before the
        commit returns. False: one is not held by `owner` (roll back)."""
        ...

    async def complete(self, job_id: int, owner: str, now: datetime) -> bool:
        """Done, if `owner` still holds the lease (False: lost it, roll back)."""
        ...

    async def reschedule(
        self,
        job_id: int,
        owner: str,
        *,
        next_attempt_at: datetime,
        error: str | None,
        keep_sent: bool,
        count_attempt: bool = True,
        sent_ended: datetime | None = None,
    ) -> bool:
        """Pending again at `next_attempt_at`, if `owner` holds it. `keep_sent`: `sent_until`
        stays (a create may have reached Jira), lowered to `sent_ended` when given (the
        sender's request is over: nothing of it is in flight after that); else cleared."""
        ...

    async def kill(
        self,
        job_id: int,
        owner: str,
        *,
        error: str,
        hint: str | None,
        now: datetime,
        keep_sent: bool = True,
    ) -> bool:
        """Dead, if `owner` holds it. Without `keep_sent`, `sent_until` is cleared: Jira
        answered that nothing was created, so a retry creates without a lookup first."""
        ...

    async def list(
        self, *, state: JobState | None, limit: int, after_id: int | None = None
    ) -> list[Job]:
        """Oldest first; `after_id` pages."""
        ...

    async def retry(self, job_id: int, now: datetime) -> Job | None:
        """A dead job back to pending, due now, attempts reset."""
        ...

    async def drop(self, job_id: int) -> Job | None:
        """Delete a dead or pending job for good."""
        ...

    async def counts(self) -> dict[JobState, int]: ...

    async def oldest_pending(self) -> datetime | None:
        """When the oldest job not done yet (pending or running) was queued; None: none."""
        ...

    async def purge_done(self, before: datetime, limit: int) -> int:
        """Delete at most `limit` done jobs last updated before `before`; returns how many."""
        ...


class ApiKeyRepository(Protocol):
    async def add(
        self,
        name: str,
        token_hash: str,
        scopes: Sequence[str],
        now: datetime,
        *,
        sources: Sequence[str] = ("generic",),
    ) -> ApiKey: ...

    async def by_hash(self, token_hash: str) -> ApiKey | None: ...

    async def touch(self, key_id: int, now: datetime) -> None: ...

    async def list(self) -> list[ApiKey]: ...

    async def revoke(self, key_id: int) -> bool: ...


class PushEventRepository(Protocol):
    """GitHub pushes kept for the audit trail; one row per `X-GitHub-Delivery` and per push
    (`RecordedPush.content_key`)."""

    async def add(self, push: RecordedPush) -> RecordedPush | None:
        """Store (`id` ignored) and return it with its id; None if the delivery or the same
        push is stored."""
        ...

    async def same_as(self, push: RecordedPush) -> RecordedPush | None:
        """The stored push with `push`'s delivery id or content."""
        ...

    async def list(
        self,
        *,
        limit: int,
        before_id: int | None = None,
        repository: str | None = None,
        jira_key: str | None = None,
    ) -> list[RecordedPush]:
        """Newest first."""
        ...


class JiraDeliveryRepository(Protocol):
    """Jira webhook deliveries (two-way sync): kept raw, applied once, listed."""

    async def add(self, delivery: JiraDelivery) -> bool:
        """Store unless its identifier is stored; True when this call stored it."""
        ...

    async def pending(self, limit: int, *, max_attempts: int) -> list[JiraDelivery]:
        """Oldest first, not applied yet (nor given up after `max_attempts`)."""
        ...

    async def claim(self, ids: Sequence[int]) -> set[int]:
        """Those not applied yet, held by this transaction."""
        ...

    async def finish(self, results: Sequence[tuple[int, DeliveryResult]], now: datetime) -> None:
        """Record what applying each claimed delivery did."""
        ...

    async def failed(self, delivery_id: int, reason: str) -> None: ...

    async def list(
        self, *, limit: int, before_id: int | None = None, outcome: str | None = None
    ) -> list[JiraDelivery]:
        """Newest first; with `outcome`, only those."""
        ...

    async def count(self) -> int: ...


class ReportRepository(Protocol):
    """The report figures, aggregated in the database (`storage.reports`, docs/metrics.md)."""

    async def route_counts(
        self, period: Period, where: ReportFilter, sla: Mapping[str, timedelta]
    ) -> list[RouteCounts]: ...

    async def backlog(
        self, period: Period, where: ReportFilter
    ) -> dict[PeriodName, dict[str, int]]: ...

    async def per_day(self, period: Period, where: ReportFilter) -> list[DayCount]: ...

    async def durations(
        self, period: Period, where: ReportFilter, dimensions: Sequence[Dimension]
    ) -> list[DurationRow]: ...

    async def totals(
        self, period: Period, where: ReportFilter, dimensions: Sequence[Dimension]
    ) -> list[TotalRow]: ...

    async def dedup(self, period: Period, where: ReportFilter) -> list[DedupRow]: ...

    async def dead_letters(self, period: Period, where: ReportFilter) -> dict[PeriodName, int]: ...

    async def rows(
        self,
        drill: Drill,
        period: Period,
        where: ReportFilter,
        sla: Mapping[str, timedelta],
        *,
        limit: int,
        before: int | None = None,
    ) -> list[ReportRow]:
        """The rows behind one figure, newest first (position < `before`)."""


class FingerprintRepository(Protocol):
    """The fingerprint fields each source's open tickets were made with (`sources.<name>.
    fingerprint`), and the moves of open tickets to new keys (`tickets refingerprint`)."""

    async def recorded(self) -> dict[str, tuple[str, ...]]: ...

    async def record(self, source: str, fields: Sequence[str], at: datetime) -> None: ...

    async def open_count(self, source: str) -> int: ...

    async def open_tickets(self, source: str) -> list[Ticket]:
        """Open tickets of `source` (pending or linked, not done), oldest first."""
        ...

    async def first_alert(self, ticket_id: int) -> StoredAlert | None: ...

    async def taken(self, fingerprint: str) -> bool:
        """Some ticket (any generation) has this fingerprint."""
        ...

    async def move(self, ticket: Ticket) -> None:
        """The ticket's row and its alerts under `ticket.fingerprint`."""
        ...


class TicketEventRepository(Protocol):
    """The issues' events the SLA clocks need (`domain.sla.TicketEvent`)."""

    async def record(self, events: Sequence[TicketEvent]) -> None: ...

    async def of_tickets(self, ticket_ids: Sequence[int]) -> dict[int, list[IssueEvent]]: ...

    async def subjects(self, after_id: int, limit: int, *, every: bool) -> list[SlaSubject]: ...

    async def save_sla(self, marked: Sequence[Ticket]) -> None: ...


class ScheduleRepository(Protocol):
    """Periodic jobs' lease rows (workers/scheduler.py)."""

    async def ensure(self, name: str, first_due: datetime) -> None: ...

    async def acquire(self, name: str, owner: str, now: datetime, lease_until: datetime) -> bool:
        """Take the job's lease when it is due and nobody holds an unexpired one."""
        ...

    async def finish(
        self, name: str, owner: str, *, now: datetime, ok: bool, outcome: str, next_due: datetime
    ) -> bool: ...

    async def list(self) -> list[ScheduleRecord]: ...


class AuditLog(Protocol):
    """The audit trail (SPEC §8), append-only. `record` is the one call a service makes: the
    events are sequenced and written when its unit of work commits, with its change."""

    def record(self, events: Sequence[NewEvent], *, later: bool = False) -> None:
        """`later`: written unsealed with the change, sealed after it (the decider's)."""
        ...

    def record_decisions(self, records: Sequence[Sequence[Any]]) -> None:
        """The decider's compact `domain.audit_decisions.decision_record`s, recorded `later`."""
        ...

    def seal_on_commit(self) -> None:
        """Seal every pending event when the unit of work commits."""
        ...

    async def pending_count(self) -> int: ...

    async def head(self) -> Head: ...

    def stream(self, first: int = 0, end: int | None = None) -> AsyncIterator[Any]:
        """(position, body, hash) rows in position order, `first` ≤ position < `end`."""
        ...

    async def event(self, event_id: str) -> SealedEvent | None: ...

    async def query(
        self,
        *,
        limit: int,
        after: int | None = None,
        types: Sequence[str] = (),
        alert: str | None = None,
        ticket_key: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
    ) -> list[SealedEvent]:
        """In position order, keyset-paged by `after`."""
        ...

    async def add_checkpoint(self, size: int, note: str, now: datetime) -> int: ...

    async def latest_checkpoint(self) -> StoredCheckpoint | None:
        """The checkpoint of the largest size."""
        ...

    async def checkpoints(self, *, unsunk: bool = False) -> list[StoredCheckpoint]: ...

    async def mark_sunk(self, checkpoint_id: int, now: datetime, error: str | None) -> None: ...

    async def signing_key(self) -> tuple[str, str, str] | None:
        """(install id, base64 public key, encrypted private key), once made."""
        ...

    async def add_signing_key(
        self, install_id: str, public_key: str, private_key: str, now: datetime
    ) -> tuple[str, str, str]:
        """Stores the key unless one is stored; returns the stored one."""
        ...

    async def pending_pushes(self, limit: int) -> list[RecordedPush]:
        """The oldest pushes not yet turned into CONFIG_CHANGE events."""
        ...

    async def mark_push_done(self, push_id: int, now: datetime) -> bool:
        """False when another process did it first."""
        ...


class ProcessRepository(Protocol):
    """Running processes' heartbeat rows (workers/heartbeat.py)."""

    async def beat(self, process: ProcessRecord) -> None: ...

    async def leave(self, name: str) -> None: ...

    async def forget(self, silent_since: datetime) -> int: ...

    async def list(self) -> list[ProcessRecord]: ...


class UnitOfWork(Protocol):
    """One transaction. `async with factory() as uow: ...; await uow.commit()`; leaving the
    block without commit rolls back."""

    # Read-only properties, so a plain attribute holding a concrete repository satisfies them.
    @property
    def alerts(self) -> AlertRepository: ...

    @property
    def tickets(self) -> TicketRepository: ...

    @property
    def outbox(self) -> OutboxRepository: ...

    @property
    def api_keys(self) -> ApiKeyRepository: ...

    @property
    def push_events(self) -> PushEventRepository: ...

    @property
    def jira_deliveries(self) -> JiraDeliveryRepository: ...

    @property
    def fingerprints(self) -> FingerprintRepository: ...

    @property
    def schedules(self) -> ScheduleRepository: ...

    @property
    def audit(self) -> AuditLog: ...

    @property
    def accounts(self) -> AccountRepository: ...

    @property
    def ticket_events(self) -> TicketEventRepository: ...

    @property
    def processes(self) -> ProcessRepository: ...

    async def __aenter__(self) -> UnitOfWork: ...

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...

    async def commit(self) -> None: ...

    async def rollback(self) -> None: ...


UnitOfWorkFactory = Callable[[], UnitOfWork]
ReportReader = Callable[[], AbstractAsyncContextManager[ReportRepository]]
"""Reports on one read snapshot, outside the writers' queue (storage.reports.report_reader)."""


class ObservationSink(Protocol):
    """Applies what Jira said about our issues (two-way sync): the one entry point for webhook
    deliveries and reconcile alike. Implemented in `services` (issue 14); each observation is
    applied in order of its watermark, stale ones are recorded and skipped, and the result
    says per observation what happened."""

    async def observe(self, observations: Sequence[IssueObservation]) -> list[ObservedOutcome]: ...


ObservedOutcome = Literal["applied", "stale", "echo", "unknown_issue", "unchanged"]
# (`domain.deliveries.DeliveryOutcome` adds what only a delivery can be: ignored, rejected)
"""What applying one observation did (the delivery log shows it)."""

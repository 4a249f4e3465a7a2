"""The storage the alert pipeline works over, as Protocols (re-exported by `services.ports`):
the alerts, their tickets, the outbox of Jira writes, the fingerprints open tickets were made
with, and the issues' events the SLA clocks read. Each is used inside one `UnitOfWork`."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Literal, Protocol

from ticketbridge.domain import (
    Alert,
    AlertState,
    DecisionKind,
    JobKind,
    JobState,
    Ticket,
)
from ticketbridge.domain.records import Job, NewJob, StoredAlert
from ticketbridge.domain.sla import IssueEvent, SlaSubject, TicketEvent


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

    async def by_issue(
        self, issue_id: str, issue_key: str, connections: Collection[str] | None = None
    ) -> Ticket | None:
        """The ticket of a Jira issue by its id, else its key (either may be ""), among the
        tickets of the sites `connections` names (None: all); its
        fingerprint locked (as `lock_fingerprints`) until the transaction ends, and the ticket
        read after the lock."""

    async def stale(self, cutoff: datetime, limit: int) -> list[Ticket]:
        """Open issues with no activity since `cutoff` (stale escalation), oldest id first."""
        ...

    async def list(
        self, *, limit: int, before_id: int | None = None, sla: str | None = None
    ) -> list[Ticket]: ...

    async def acquire_leases(
        self, fingerprints: Sequence[str], owner: str, now: datetime, until: datetime
    ) -> bool:
        """Take (or renew) the fingerprints' creator leases; False when another owner holds
        any of them (roll back: the others may have been taken)."""
        ...

    async def release_leases(self, fingerprints: Sequence[str], owner: str) -> None:
        """Let go of those of the fingerprints' creator leases that `owner` holds."""
        ...

    # The Jira site each ticket's issue is on (services.site). Each reads and changes only
    # the tickets of the configured sites `connections` names (`Ticket.connection`; None: all).
    async def sites(self, connections: Collection[str] | None = None) -> dict[str | None, int]:
        """Tickets with an issue per site (None: not bound yet), those kept apart left out."""
        ...

    async def adopt_unbound(self, site: str, connections: Collection[str] | None = None) -> int: ...
    async def rebind_to(self, site: str, connections: Collection[str] | None = None) -> int: ...
    async def detach_all_but(self, site: str, connections: Collection[str] | None = None) -> int:
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
        connections: Collection[str] | None = None,
    ) -> list[Job]:
        """Lease up to `limit` runnable jobs: due and pending, or running with an expired lease,
        and first of their ordering key (an earlier pending/running job, or a dead create,
        holds the key); of `kinds` and of tickets on the configured sites `connections`
        names (`Ticket.connection`) only when given. Safe with any number of concurrent
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

    async def complete(self, job_ids: Sequence[int], owner: str, now: datetime) -> set[int]:
        """Done, those of the jobs whose lease `owner` still holds: their ids (a job left out
        was lost to another owner, who finds its work done or does it)."""
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

    async def backlog_by_site(self) -> dict[str, int]:
        """Jobs not done yet (pending or running) per ticket's site (`Ticket.connection`)."""
        ...

    async def oldest_pending(self) -> datetime | None:
        """When the oldest job not done yet (pending or running) was queued; None: none."""
        ...

    async def purge_done(self, before: datetime, limit: int) -> int:
        """Delete at most `limit` done jobs last updated before `before`; returns how many."""
        ...


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

"""Records that cross the storage port: an alert as stored with its decision, outbox jobs,
API keys. Pure data, shared by `services.ports` and `storage` (which never import each other)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ticketbridge.domain.alert import Alert
from ticketbridge.domain.decision import DecisionKind
from ticketbridge.domain.states import AlertState, JobKind, JobState
from ticketbridge.domain.ticket import Ticket


@dataclass(frozen=True)
class StoredAlert:
    """An alert as persisted, with the decision taken on it (`None`: accepted, not decided yet;
    ingest commits alerts first and the decider routes and decides them after)."""

    pk: int
    alert: Alert
    decision: DecisionKind | None
    reasons: tuple[str, ...]
    route: str | None
    own_state: AlertState | None  # suppressed/ignored; None: the alert follows its ticket
    ticket_id: int | None

    def state(self, ticket: Ticket | None) -> AlertState:
        """Where the alert is: its own state, else its ticket's (`ticket` = its ticket_id's)."""
        if self.decision is None:
            return AlertState.OPEN
        return self.own_state or (ticket.alert_state() if ticket else AlertState.IGNORED)


@dataclass(frozen=True)
class NewJob:
    kind: JobKind
    ordering_key: str  # jobs with one key run one at a time, in id order (the fingerprint)
    ticket_id: int
    payload: Mapping[str, Any]
    project: str | None = None  # lets the dispatcher batch creates per project into /issue/bulk
    not_before: datetime | None = None
    connection: str = ""  # the ticket's Jira site: only that site's dispatchers claim it


@dataclass(frozen=True)
class Job:
    id: int
    kind: JobKind
    ordering_key: str
    ticket_id: int
    payload: Mapping[str, Any]
    project: str | None
    state: JobState
    attempts: int
    next_attempt_at: datetime
    created_at: datetime
    # None: no create was sent. Else one may have reached Jira, and none is in flight after this
    # moment: committed before the request as the sender's deadline (it cancels the request
    # then), lowered to the request's end when the sender saw it end. An heir looks the marker
    # up only a settle delay after it.
    sent_until: datetime | None = None
    lease_owner: str | None = None
    lease_expires_at: datetime | None = None
    last_error: str | None = None
    hint: str | None = None


@dataclass(frozen=True)
class ApiKey:
    id: int
    name: str
    token_hash: str
    scopes: tuple[str, ...]
    created_at: datetime
    last_used_at: datetime | None = None
    revoked: bool = False
    sources: tuple[str, ...] = ()  # the alert sources it may speak for (SPEC §2)


@dataclass(frozen=True)
class ProcessRecord:
    """A running process's heartbeat row (`ticketbridge status`, /readyz, /metrics): who it is,
    what it runs, when its loops last showed they were alive."""

    name: str
    role: str
    host: str
    pid: int
    started_at: datetime
    heartbeat_at: datetime


@dataclass(frozen=True)
class ScheduleRecord:
    """A periodic job's row: who runs it now (if anyone), when it is next due, what its last
    run did."""

    name: str
    next_due_at: datetime
    runs: int
    owner: str | None = None
    lease_expires_at: datetime | None = None
    last_started_at: datetime | None = None
    last_finished_at: datetime | None = None
    last_ok: bool | None = None
    last_outcome: str | None = None

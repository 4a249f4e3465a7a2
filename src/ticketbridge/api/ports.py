"""What the HTTP API needs from the rest of ticketbridge, as narrow Protocols.

The pipeline's services (`IngestService`, `AlertQueries`, `OutboxAdmin`) satisfy the first three
as they are; the rest (API keys, native sources, readiness) are small adapters built in
`ticketbridge.bootstrap`. Handlers therefore never touch the database or Jira, and tests hand
`create_app` the real stack on a temp database.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from ticketbridge.api.metrics import Metrics
from ticketbridge.api.schemas import (
    JiraConnectionIn,
    JiraConnectionView,
    JiraTestReport,
    ReadinessCheck,
)
from ticketbridge.domain import Alert, JobState
from ticketbridge.services import AlertView, IngestResult, JobView, TicketView
from ticketbridge.services.queries import NO_FILTER, AlertFilter, AlertPage, Page

__all__ = [
    "AlertQueries",
    "ApiContainer",
    "ApiKeyRecord",
    "ApiKeyStore",
    "Health",
    "Ingest",
    "JiraIntegration",
    "NativeRequest",
    "Outbox",
    "SourceIngest",
]


@dataclass(frozen=True)
class ApiKeyRecord:
    """A stored API key, without its secret: only the sha256 of the token is ever stored."""

    id: str
    name: str
    scopes: frozenset[str]
    revoked: bool = False


class ApiKeyStore(Protocol):
    async def find_by_hash(self, token_hash: str) -> ApiKeyRecord | None: ...

    async def create(
        self, *, name: str, scopes: frozenset[str], token_hash: str
    ) -> ApiKeyRecord: ...

    async def touch(self, key_id: str, at: datetime) -> None:
        """Record that the key was used at `at` (`last_used_at` never moves back)."""
        ...


class Ingest(Protocol):
    """Persists and commits the alerts; one result per alert, in order. The decider decides
    them after; with `wait`, the answer carries the decisions."""

    async def ingest(
        self, alerts: Sequence[Alert], *, wait: bool = False
    ) -> Sequence[IngestResult]: ...


@dataclass(frozen=True)
class NativeRequest:
    """A native source delivery exactly as it arrived: signatures cover the raw bytes."""

    source: str
    body: bytes
    headers: Mapping[str, str]
    query: Mapping[str, str]


class SourceIngest(Protocol):
    async def ingest_native(self, request: NativeRequest) -> Sequence[IngestResult]:
        """Authenticate, parse and ingest. Raises `SourceAuthError` (nothing stored),
        `InputError`, or `LookupError` for a source nobody knows."""
        ...


class AlertQueries(Protocol):
    """`services.AlertQueries`."""

    async def get(self, alert_id: str, source: str | None = None) -> AlertView | None: ...

    async def page(
        self, *, limit: int = 100, cursor: str | None = None, where: AlertFilter = NO_FILTER
    ) -> AlertPage: ...

    async def ticket_page(
        self, *, limit: int = 100, cursor: str | None = None
    ) -> Page[TicketView]: ...


class Outbox(Protocol):
    """`services.OutboxAdmin`."""

    async def jobs(
        self, state: JobState | None = JobState.DEAD, limit: int = 100
    ) -> Sequence[JobView]: ...

    async def page(
        self, *, state: JobState | None = JobState.DEAD, limit: int = 100, cursor: str | None = None
    ) -> Page[JobView]: ...

    async def counts(self) -> Mapping[JobState, int]: ...

    async def retry(self, job_id: int) -> JobView | None: ...

    async def drop(self, job_id: int) -> JobView | None: ...


class JiraIntegration(Protocol):
    def current(self) -> JiraConnectionView: ...

    def save(self, connection: JiraConnectionIn) -> JiraConnectionView:
        """Validate and store (secrets encrypted); ConfigError names the bad fields."""
        ...

    async def test(self) -> JiraTestReport:
        """Who we are on Jira; JiraError when it is unreachable or refuses us."""
        ...


class Health(Protocol):
    async def readiness(self) -> Sequence[ReadinessCheck]: ...


class ApiContainer(Protocol):
    """Everything `create_app` needs; `ticketbridge.bootstrap.Container` satisfies it."""

    @property
    def api_keys(self) -> ApiKeyStore: ...
    @property
    def ingest(self) -> Ingest: ...
    @property
    def sources(self) -> SourceIngest: ...
    @property
    def alerts(self) -> AlertQueries: ...
    @property
    def outbox(self) -> Outbox: ...
    @property
    def health(self) -> Health: ...
    @property
    def metrics(self) -> Metrics: ...
    @property
    def jira(self) -> JiraIntegration: ...
    @property
    def fingerprint_fields(self) -> Mapping[str, Sequence[str]]: ...
    def now(self) -> datetime: ...

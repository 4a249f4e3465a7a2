"""What the HTTP API needs from the rest of ticketbridge, as narrow Protocols.

The API owns these ports (the caller owns the interface); `ticketbridge.bootstrap` wires them to
the real services and storage. Handlers therefore never touch the database or Jira, and tests can
hand `create_app` the real stack on a temp database. Values cross as the response models of
`ticketbridge.api.schemas`, so what a port returns is exactly what the API documents.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from ticketbridge.api.metrics import Metrics
from ticketbridge.api.schemas import (
    AlertView,
    IngestResult,
    OutboxJobView,
    ReadinessCheck,
    TicketView,
)

__all__ = [
    "AlertQueries",
    "ApiContainer",
    "ApiKeyRecord",
    "ApiKeyStore",
    "Health",
    "Ingest",
    "NativeRequest",
    "Outbox",
    "SourceIngest",
    "TicketQueries",
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


class Ingest(Protocol):
    async def ingest(self, payloads: Sequence[Mapping[str, Any]]) -> Sequence[IngestResult]:
        """Validate, persist and commit; return one result per payload, in order.

        Raises `InputError` whose problem paths are relative to one payload and prefixed with its
        position (`[3].severity`) when several were sent. Nothing is stored when it raises.
        """
        ...


@dataclass(frozen=True)
class NativeRequest:
    """A native source delivery exactly as it arrived: signatures cover the raw bytes."""

    source: str
    body: bytes
    headers: Mapping[str, str]
    query: Mapping[str, str]


class SourceIngest(Protocol):
    async def ingest_native(self, request: NativeRequest) -> Sequence[IngestResult]:
        """Authenticate, parse and ingest. Raises `SourceAuthError` (nothing stored), `InputError`
        or `LookupError` for a source nobody configured or knows."""
        ...


class AlertQueries(Protocol):
    async def list_alerts(
        self, *, state: str | None, limit: int, after: str | None
    ) -> Sequence[AlertView]: ...

    async def get_alert(self, alert_id: str) -> AlertView | None: ...


class TicketQueries(Protocol):
    async def list_tickets(self, *, limit: int, after: str | None) -> Sequence[TicketView]: ...


class Outbox(Protocol):
    async def list_jobs(
        self, *, state: str | None, limit: int, after: str | None
    ) -> Sequence[OutboxJobView]: ...

    async def retry(self, job_id: str) -> OutboxJobView | None:
        """Make a dead job due again; None when there is no such job."""
        ...

    async def drop(self, job_id: str) -> OutboxJobView | None:
        """Delete a dead or pending job for good; None when there is no such job."""
        ...

    async def counts_by_state(self) -> Mapping[str, int]: ...


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
    def tickets(self) -> TicketQueries: ...
    @property
    def outbox(self) -> Outbox: ...
    @property
    def health(self) -> Health: ...
    @property
    def metrics(self) -> Metrics: ...

"""The ports the services need, as Protocols. `ticketbridge.storage` satisfies them structurally
(it never imports these modules); `bootstrap` wires the concrete objects in.

Every repository works inside one `UnitOfWork` (one database transaction): what a service does
between entering it and `commit()` happens whole or not at all.

This module holds the seams (routing, the issue's draft) and the unit of work, and re-exports
the repositories, defined by concern beside it, so `from ticketbridge.services.ports import X`
names every port:
- `pipeline_ports`: alerts, tickets, the outbox, fingerprints, the tickets' SLA events;
- `audit_ports`: the audit log and the GitHub pushes kept for it;
- `sync_ports`: Jira's webhook deliveries and the `ObservationSink` (two-way sync);
- `operation_ports`: API keys, schedules, processes, the reports (`ReportReader`);
- `account_ports`: the admin UI's users and sessions.
"""

from __future__ import annotations

from collections.abc import Callable
from types import TracebackType
from typing import Protocol

from ticketbridge.domain import Alert, Route, Ticket
from ticketbridge.providers.base import IssueDraft
from ticketbridge.services.account_ports import AccountRepository
from ticketbridge.services.audit_ports import AuditLog, PushEventRepository
from ticketbridge.services.operation_ports import (
    ApiKeyRepository,
    ProcessRepository,
    ReportReader,
    ReportRepository,
    ScheduleRepository,
)
from ticketbridge.services.pipeline_ports import (
    AlertRepository,
    FingerprintRepository,
    OutboxRepository,
    TicketEventRepository,
    TicketRepository,
)
from ticketbridge.services.sync_ports import (
    JiraDeliveryRepository,
    ObservationSink,
    ObservedOutcome,
)

__all__ = [
    "AccountRepository",
    "AlertRepository",
    "ApiKeyRepository",
    "AuditLog",
    "FingerprintRepository",
    "IssueComposer",
    "JiraDeliveryRepository",
    "ObservationSink",
    "ObservedOutcome",
    "OutboxRepository",
    "ProcessRepository",
    "PushEventRepository",
    "ReportReader",
    "ReportRepository",
    "RouteSeam",
    "ScheduleRepository",
    "TicketEventRepository",
    "TicketRepository",
    "UnitOfWork",
    "UnitOfWorkFactory",
]


class RouteSeam(Protocol):
    """Routes an alert (first matching rule, else defaults). The rules engine plugs in here."""

    def route(self, alert: Alert) -> Route: ...


class IssueComposer(Protocol):
    """Renders the issue for an alert on a route (templates plug in here)."""

    def draft(self, alert: Alert, route: Route, ticket: Ticket) -> IssueDraft: ...


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

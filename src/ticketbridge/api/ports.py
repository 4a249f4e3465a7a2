"""What the HTTP API needs from the rest of ticketbridge, as narrow Protocols.

The services satisfy them as they are (`ApiKeys`, the intakes, `AlertQueries`, `OutboxAdmin`);
readiness and the Jira connection are small adapters built in `ticketbridge.bootstrap`.
Handlers therefore never touch the database or Jira, and tests hand `create_app` the real
stack on a temp database.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from datetime import datetime
from typing import Protocol

from ticketbridge.api.metrics import Metrics
from ticketbridge.api.schemas import (
    JiraConnectionIn,
    JiraConnectionView,
    JiraTestReport,
    ReadinessCheck,
)
from ticketbridge.domain import JobState
from ticketbridge.domain.records import ApiKey, ProcessRecord, ScheduleRecord
from ticketbridge.domain.reports import Drill, ReportFilter
from ticketbridge.services import AlertView, JobView, TicketView
from ticketbridge.services.audit_intake import GitHubDelivery
from ticketbridge.services.native_intake import Delivery
from ticketbridge.services.queries import NO_FILTER, AlertFilter, AlertPage, Page
from ticketbridge.services.reports import Summary
from ticketbridge.services.ticket_wait import Answer, Wait


class ApiKeyAuth(Protocol):
    """`services.api_keys.ApiKeys`."""

    async def authenticate(self, token: str) -> ApiKey | None:
        """The live key whose token this is; None for an unknown or revoked one."""
        ...


class AlertIntake(Protocol):
    """`services.intake.AlertIntake`: `POST /v1/alerts`."""

    async def post(
        self, body: bytes, *, granted: Collection[str], wait: Wait = Wait.COMMIT
    ) -> Answer:
        """Parse, check the caller speaks for each alert's source, accept. Raises
        `InputError` or `SourceNotGranted`; nothing is stored then."""
        ...


class NativeIntake(Protocol):
    """`services.native_intake.NativeIntake`: `POST /v1/sources/{source}`."""

    def open(self, source: str, headers: Mapping[str, str], query: Mapping[str, str]) -> Delivery:
        """Before the body: `LookupError` (unknown source) or `SourceAuthError`."""
        ...

    async def ingest(self, delivery: Delivery, body: bytes, wait: Wait = Wait.COMMIT) -> Answer:
        """Verify, parse, ingest. Raises `SourceAuthError` (nothing stored), `InputError` or
        `SourceNotGranted`."""
        ...


class GitHubIntake(Protocol):
    """`services.audit_intake.AuditIntake`: `POST /v1/sources/github`."""

    def open(self, headers: Mapping[str, str], query: Mapping[str, str]) -> Delivery:
        """Before the body: `SourceAuthError`, or `InputError` naming the header."""
        ...

    async def receive(self, delivery: Delivery, body: bytes) -> GitHubDelivery:
        """Verify, parse and keep (once per delivery id and per push)."""
        ...


class AlertQueries(Protocol):
    """`services.AlertQueries`."""

    async def get(self, alert_id: str, source: str | None = None) -> AlertView | None: ...

    async def page(
        self, *, limit: int = 100, cursor: str | None = None, where: AlertFilter = NO_FILTER
    ) -> AlertPage: ...

    async def ticket_page(
        self, *, limit: int = 100, cursor: str | None = None, sla: str | None = None
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


class Reports(Protocol):
    """`services.reports.ReportService`."""

    async def summary(
        self,
        days: int = 7,
        where: ReportFilter = ReportFilter(),  # noqa: B008 (frozen)
    ) -> Summary: ...

    async def rows(
        self,
        drill: Drill,
        days: int = 7,
        where: ReportFilter = ReportFilter(),  # noqa: B008 (frozen)
        *,
        limit: int = 100,
        cursor: str | None = None,
    ) -> Page[dict[str, object]]: ...

    async def csv(
        self,
        drill: Drill,
        days: int = 7,
        where: ReportFilter = ReportFilter(),  # noqa: B008 (frozen)
    ) -> str: ...


class JiraIntegration(Protocol):
    def current(self) -> JiraConnectionView: ...

    async def save(self, connection: JiraConnectionIn) -> JiraConnectionView:
        """Validate and store (secrets encrypted); ConfigError names the bad fields, InputError
        an OAuth 2.0 connection with no tokens stored."""
        ...

    async def test(self) -> JiraTestReport:
        """Who we are on Jira; JiraError when it is unreachable or refuses us."""
        ...

    async def complete_oauth(self, state: str, code: str | None, error: str | None) -> str:
        """Finish an OAuth 2.0 authorization `ticketbridge config jira --oauth` started: the
        site now connected; InputError naming the parameter when the callback is refused."""
        ...


class Health(Protocol):
    async def readiness(self) -> Sequence[ReadinessCheck]: ...


class Schedules(Protocol):
    """`services.periodic.ScheduleStatus`."""

    async def rows(self) -> Sequence[ScheduleRecord]: ...

    async def processes(self) -> Sequence[ProcessRecord]: ...

    async def oldest_pending(self) -> datetime | None: ...


class ApiContainer(Protocol):
    """Everything `create_app` needs; `ticketbridge.bootstrap.Container` satisfies it."""

    @property
    def api_keys(self) -> ApiKeyAuth: ...
    @property
    def intake(self) -> AlertIntake: ...
    @property
    def sources(self) -> NativeIntake: ...
    @property
    def github(self) -> GitHubIntake: ...
    @property
    def alerts(self) -> AlertQueries: ...
    @property
    def outbox(self) -> Outbox: ...
    @property
    def reports(self) -> Reports: ...
    @property
    def health(self) -> Health: ...
    @property
    def metrics(self) -> Metrics: ...
    @property
    def schedules(self) -> Schedules | None: ...
    @property
    def jira(self) -> JiraIntegration: ...
    def now(self) -> datetime: ...

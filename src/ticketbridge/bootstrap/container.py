"""The wired object graph of one process (`Container`, what the API, the UI and the commands
use), and `Core`, what every part of it is built over (`wiring.open_container` builds both)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import cast

from ticketbridge.api.metrics import Metrics
from ticketbridge.bootstrap.database import DatabaseHealth
from ticketbridge.bootstrap.jira import JiraIntegrationService
from ticketbridge.bootstrap.jira_live import LiveConnection
from ticketbridge.bootstrap.jira_oauth import OAuthTokens
from ticketbridge.bootstrap.jira_reads import LiveJira
from ticketbridge.bootstrap.live_settings import SwitchableRouting
from ticketbridge.bootstrap.reconcile import ReconcileRuns
from ticketbridge.bootstrap.sync import Sync
from ticketbridge.bootstrap.ui_jira import UiJira
from ticketbridge.clock import system_clock
from ticketbridge.config.integrations import JiraConfig
from ticketbridge.config.schema import Config
from ticketbridge.config.settings import Settings
from ticketbridge.providers.base import Provider
from ticketbridge.providers.jira import JiraProvider
from ticketbridge.services import (
    AlertQueries,
    Clock,
    OutboxAdmin,
    PipelineSettings,
    UnitOfWorkFactory,
)
from ticketbridge.services.accepting import AcceptingIngest
from ticketbridge.services.accounts import Accounts
from ticketbridge.services.api_keys import ApiKeys
from ticketbridge.services.audit_intake import AuditIntake
from ticketbridge.services.audit_service import AuditTrail
from ticketbridge.services.intake import AlertIntake
from ticketbridge.services.native_intake import NativeIntake
from ticketbridge.services.periodic import ScheduleStatus
from ticketbridge.services.previews import Previews
from ticketbridge.services.reports import ReportService
from ticketbridge.services.stored_settings import StoredDefaults
from ticketbridge.storage import Database
from ticketbridge.workers import DecisionLoop, Dispatcher, Scheduler
from ticketbridge.workers.audit_loop import AuditLoop


@dataclass
class Container:
    """The wired object graph of one process; satisfies `ticketbridge.api.ApiContainer`."""

    settings: Settings
    config: Config
    database: Database
    metrics: Metrics
    api_keys: ApiKeys
    ingest: AcceptingIngest
    intake: AlertIntake
    sources: NativeIntake
    alerts: AlertQueries
    outbox: OutboxAdmin
    reports: ReportService
    health: DatabaseHealth
    jira: JiraIntegrationService
    audit: AuditIntake
    sync: Sync  # two-way sync: webhook intake, delivery log, the observation sink
    trail: AuditTrail
    accounts: Accounts
    previews: Previews
    ui_jira: UiJira
    defaults: StoredDefaults
    provider: Provider | None = None
    dispatchers: list[Dispatcher] = field(default_factory=list)
    decisions: DecisionLoop | None = None  # built with workers: decides accepted alerts
    scheduler: Scheduler | None = None  # built with workers: the periodic jobs
    schedules: ScheduleStatus | None = None  # what the periodic jobs did (any process)
    audit_loop: AuditLoop | None = None  # built with workers: checkpoints, CONFIG_CHANGE
    search: LiveJira | None = None  # POST /v1/search, over the connection in effect
    reconcile: ReconcileRuns | None = None  # `ticketbridge reconcile`, the periodic job's use case
    clock: Clock = system_clock

    @property
    def github(self) -> AuditIntake:
        """`POST /v1/sources/github` is the audit intake's way in."""
        return self.audit

    def now(self) -> datetime:
        return self.clock()


def uow_factory(database: Database) -> UnitOfWorkFactory:
    # SqlUnitOfWork satisfies services.ports.UnitOfWork structurally, but the Protocol declares
    # its repositories as plain (mutable, hence invariant) attributes, which mypy cannot match
    # with the concrete repository types; the cast states the structural fit in one place.
    return cast(UnitOfWorkFactory, database.unit_of_work)


@dataclass(frozen=True)
class Core:
    """What every part of one process's graph is built over: the settings and configuration,
    the clock, the database, the services' settings, the routing and the Jira connection."""

    settings: Settings
    config: Config
    clock: Clock
    metrics: Metrics
    database: Database
    pipeline: PipelineSettings
    uow: UnitOfWorkFactory
    routing: SwitchableRouting  # router and composer alike: the UI's saved defaults switch it
    live: LiveConnection  # the Jira connection in effect (ticketbridge.yaml, stored, fallback)
    oauth: OAuthTokens  # OAuth 2.0 tokens, kept in the database
    clients: Callable[[JiraConfig], JiraProvider]  # a Jira client for a connection

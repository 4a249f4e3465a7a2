"""`open_container`: the object graph of one process, built in named steps and closed again.

The steps, in the order they build: the core every part is built over (`_core`), the Jira
provider the workers write through (`_provider`), the outbox's dispatchers and the decision
loop (`bootstrap.background`), what the API and the UI serve from (`_serving`), the periodic
jobs' scheduler, and the `Container` that holds them all (`_container`)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass

import httpx

from ticketbridge.api.jira_connection import StoredConnection
from ticketbridge.api.metrics import Metrics
from ticketbridge.bootstrap.adapters import link_pattern, previews, stored_defaults
from ticketbridge.bootstrap.audit import audit_loop, audit_trail
from ticketbridge.bootstrap.background import (
    Deciding,
    Outbox,
    deciding,
    outbox_work,
    periodic_scheduler,
)
from ticketbridge.bootstrap.container import Container, Core, uow_factory
from ticketbridge.bootstrap.database import DatabaseHealth
from ticketbridge.bootstrap.jira import JiraIntegrationService, build_provider, other_site
from ticketbridge.bootstrap.jira_live import LiveConnection, ReloadingProvider, connection_store
from ticketbridge.bootstrap.jira_oauth import OAuthTokens
from ticketbridge.bootstrap.jira_oauth_connect import OAuthConnector
from ticketbridge.bootstrap.jira_reads import LiveJira
from ticketbridge.bootstrap.live_settings import SwitchableRouting
from ticketbridge.bootstrap.loading import (
    load_configured,
    pipeline_settings,
    routing,
    worker_settings_from,
)
from ticketbridge.bootstrap.reconcile import ReconcileRuns, site_runs
from ticketbridge.bootstrap.sync import Sync, SyncParts, approval_rules, build_sync, site_sync
from ticketbridge.bootstrap.ui_jira import UiJira
from ticketbridge.clock import Monotonic, Sleep, system_clock
from ticketbridge.config.integrations import JiraConfig
from ticketbridge.config.schema import Config
from ticketbridge.config.settings import Settings
from ticketbridge.providers.jira import JiraProvider
from ticketbridge.services import (
    AlertQueries,
    Clock,
    IssueComposer,
    OutboxAdmin,
    RouteSeam,
    WorkerSettings,
)
from ticketbridge.services.accounts import Accounts
from ticketbridge.services.api_keys import ApiKeys
from ticketbridge.services.audit_intake import AuditIntake
from ticketbridge.services.audit_service import AuditTrail
from ticketbridge.services.intake import AlertIntake
from ticketbridge.services.native_intake import NativeIntake
from ticketbridge.services.periodic import ScheduleStatus
from ticketbridge.services.reports import ReportService
from ticketbridge.services.ticket_wait import WaitingIngest
from ticketbridge.sources import SOURCES
from ticketbridge.storage import Database
from ticketbridge.storage.reports import report_reader
from ticketbridge.workers import Scheduler


@dataclass(frozen=True)
class _Workers:
    """What runs beside the API when the container is given workers (empty or None without)."""

    count: int | None
    provider: ReloadingProvider | None
    sites: dict[str, JiraProvider]  # the other sites' providers, by name (`jira.sites`)
    outbox: Outbox
    deciding: Deciding
    scheduler: Scheduler | None


@dataclass(frozen=True)
class _Serving:
    """What the API and the UI serve from, beside the core and the workers."""

    sync: Sync  # two-way sync: webhook intake, delivery log, the observation sink
    waiting: WaitingIngest  # the intake behind `?wait=ticket`
    trail: AuditTrail
    connector: OAuthConnector
    jira: JiraIntegrationService
    reads: LiveJira  # search and reconcile, over the connection in effect
    reconcile: ReconcileRuns


@asynccontextmanager
async def open_container(
    settings: Settings,
    config: Config | None = None,
    *,
    workers: int | None = None,
    jira_transport: httpx.AsyncBaseTransport | None = None,
    worker_settings: WorkerSettings | None = None,
    seams: tuple[RouteSeam, IssueComposer] | None = None,
    jira_fallback: StoredConnection | None = None,
    clock: Clock = system_clock,
    ticket_wait: tuple[Monotonic, Sleep] | None = None,
    callback_transport: httpx.AsyncBaseTransport | None = None,
) -> AsyncIterator[Container]:
    """Build everything for `settings`; close the database and the provider on exit.

    `workers` dispatchers are built (default: none — only `serve` and `worker` run them) when a
    Jira is configured, and with any workers the decision loop; `jira_transport` replaces the
    network (tests: the emulator in process); `worker_settings` replaces the ones `settings`
    carries (TICKETBRIDGE_JOB_*); `seams` replaces the configuration's routing and templates
    (the library's: the call's target, its own templates); `jira_fallback` is the Jira when
    neither ticketbridge.yaml nor a stored connection names one (`ticketbridge dev`'s emulator);
    `clock` is what every service and the API read the time from (tests: a virtual one);
    `ticket_wait`: the monotonic clock and sleep `?wait=ticket` is bounded with (tests: virtual);
    `callback_transport` replaces the network below the callbacks' SSRF guard (tests).
    """
    config = config if config is not None else load_configured(settings)
    core = _core(settings, config, clock, seams, jira_fallback, jira_transport)
    provider = _provider(core, workers)
    sites = (
        {name: core.clients(site) for name, site in config.other_sites.items()} if workers else {}
    )
    worker = worker_settings or worker_settings_from(settings)
    outbox = outbox_work(core, provider, sites, worker, workers, callback_transport)
    decided = deciding(core, worker, outbox.dispatchers, workers)
    serving = _serving(
        core, (provider, sites), worker if workers else None, decided, jira_transport, ticket_wait
    )
    scheduler = periodic_scheduler(core, worker, serving.reconcile, workers, sites)
    running = _Workers(workers, provider, sites, outbox, decided, scheduler)
    try:
        yield _container(core, running, serving, jira_transport, config_seams=seams is None)
    finally:
        await _close(core, running, serving)


def _core(
    settings: Settings,
    config: Config,
    clock: Clock,
    seams: tuple[RouteSeam, IssueComposer] | None,
    jira_fallback: StoredConnection | None,
    jira_transport: httpx.AsyncBaseTransport | None,
) -> Core:
    """The database, the services' settings, the routing and the Jira connection."""
    metrics = Metrics(sources={*SOURCES, *config.sources})  # any other source counts as other
    database = Database(settings.database_url)
    pipeline = pipeline_settings(config)
    uow = uow_factory(database)
    switchable = SwitchableRouting(seams or routing(config))  # the UI's saved defaults
    live = LiveConnection(settings, config, jira_fallback)
    oauth = OAuthTokens(database, connection_store(settings).cipher, lambda: clock().timestamp())
    clients = _jira_clients(settings, metrics, jira_transport, oauth)
    return Core(
        settings, config, clock, metrics, database, pipeline, uow, switchable, live, oauth, clients
    )


def _provider(core: Core, workers: int | None) -> ReloadingProvider | None:
    """The Jira the workers write to, following the connection in effect (with workers only)."""
    if not workers:
        return None
    core.live.read()  # a stored connection that cannot be used stops the start, as a bad YAML does
    return ReloadingProvider(core.live, core.clients)


def _jira_clients(
    settings: Settings,
    metrics: Metrics,
    transport: httpx.AsyncBaseTransport | None,
    oauth: OAuthTokens,
) -> Callable[[JiraConfig], JiraProvider]:
    """How this process makes a Jira client for a connection: the workers', search's and
    reconcile's alike (guarded, metered, OAuth 2.0 tokens from the database)."""

    def build(jira: JiraConfig) -> JiraProvider:
        allowed = settings.outbound_allow
        return build_provider(jira, metrics, transport, allowed=allowed, oauth=oauth)

    return build


def _serving(
    core: Core,
    providers: tuple[ReloadingProvider | None, Mapping[str, JiraProvider]],
    worker: WorkerSettings | None,
    decided: Deciding,
    jira_transport: httpx.AsyncBaseTransport | None,
    ticket_wait: tuple[Monotonic, Sleep] | None,
) -> _Serving:
    """Two-way sync, the waiting intake, the audit trail, the Jira integration and reads."""
    sync = _sync(core, *providers, worker)
    monotonic, sleep = ticket_wait or (time.monotonic, asyncio.sleep)
    waiting = WaitingIngest(
        decided.ingest, decided.service, core.uow, monotonic=monotonic, sleep=sleep
    )
    trail = audit_trail(core.uow, core.clock, core.settings, core.config)
    connector, jira = _jira_integration(core, jira_transport)
    reads = LiveJira(core.live, core.clients)
    reconcile = ReconcileRuns(
        jira=reads,
        database=core.database,
        sink=sync.observations,
        clock=core.clock,
        connections=sync.observations.connections,
    )
    return _Serving(sync, waiting, trail, connector, jira, reads, reconcile)


def _sync(
    core: Core,
    provider: ReloadingProvider | None,
    sites: Mapping[str, JiraProvider],
    worker: WorkerSettings | None,
) -> Sync:
    """Two-way sync, each site's webhook with it; the delivery loops run when `worker` is
    given (with workers)."""
    config = core.config
    parts = SyncParts(
        core.uow, core.clock, core.pipeline.policy, core.metrics, worker, approval_rules(config)
    )
    sync = build_sync(parts, core.live, provider, config.default_connections)
    for name, jira in config.other_sites.items():
        sync.sites[name] = site_sync(parts, name, jira, sites.get(name))
    return sync


def _jira_integration(
    core: Core, jira_transport: httpx.AsyncBaseTransport | None
) -> tuple[OAuthConnector, JiraIntegrationService]:
    """The API's Jira connection: stored, tested, connected over OAuth."""
    clock, settings = core.clock, core.settings
    connector = OAuthConnector(
        core.database,
        connection_store(settings),
        allowed=settings.outbound_allow,
        transport=jira_transport,
        clock=lambda: clock().timestamp(),
    )
    jira = JiraIntegrationService(
        settings,
        core.live,
        jira_transport,
        core.config.defaults.project,
        oauth=core.oauth,
        connector=connector,
    )
    return connector, jira


def _container(
    core: Core,
    running: _Workers,
    serving: _Serving,
    jira_transport: httpx.AsyncBaseTransport | None,
    *,
    config_seams: bool,
) -> Container:
    """The graph as the API, the UI and the commands see it. `config_seams`: the routing is
    ticketbridge.yaml's (no seams of the caller's own), so the UI's saved defaults switch it."""
    settings, config, uow, clock, live = core.settings, core.config, core.uow, core.clock, core.live
    pipeline, waiting, provider = core.pipeline, serving.waiting, running.provider
    return Container(
        settings=settings,
        config=config,
        database=core.database,
        metrics=core.metrics,
        api_keys=ApiKeys(uow, clock),
        ingest=running.deciding.ingest,
        intake=AlertIntake(waiting, clock, fingerprint_fields=pipeline.fingerprint_fields),
        sources=NativeIntake(waiting, config.sources, clock),
        alerts=AlertQueries(uow),
        outbox=OutboxAdmin(uow, clock),
        reports=ReportService(report_reader(core.database), clock, config.defaults.due),
        health=DatabaseHealth(core.database, ScheduleStatus(uow), clock),
        jira=serving.jira,
        audit=AuditIntake(
            uow, clock, github=config.sources.get("github"), link_pattern=link_pattern(config, live)
        ),
        sync=serving.sync,
        trail=serving.trail,
        audit_loop=audit_loop(
            serving.trail, uow, provider and running.outbox.watch.provider(provider), clock, config
        )
        if running.count
        else None,
        accounts=Accounts(uow, clock),
        previews=previews(config, pipeline, core.routing, core.routing, uow, clock, live),
        ui_jira=UiJira(
            settings,
            config,
            live,
            serving.jira,
            jira_transport,
            oauth=core.oauth,
            connector=serving.connector,
        ),
        defaults=stored_defaults(
            settings, config, core.routing, uow, clock, config_seams, serving.sync.observations
        ),
        provider=provider,
        dispatchers=running.outbox.dispatchers,
        decisions=running.deciding.decisions,
        scheduler=running.scheduler,
        schedules=ScheduleStatus(uow),
        clock=clock,
        search=serving.reads,
        reconcile=serving.reconcile,
    )


@asynccontextmanager
async def reconcile_runs(container: Container, site: str | None) -> AsyncIterator[ReconcileRuns]:
    """`ticketbridge reconcile [--site]`: the default site's (the container's own), or another
    site's over a client of its own, closed on exit. InputError names `--site` for a name
    `jira.sites` does not have."""
    config = container.config
    if site is None or site == config.default_site:
        assert container.reconcile is not None  # every container has one
        yield container.reconcile
        return
    allowed = container.settings.outbound_allow
    provider = build_provider(other_site(config, site), container.metrics, allowed=allowed)
    policy = pipeline_settings(config).policy
    uow = uow_factory(container.database)
    parts = SyncParts(uow, container.clock, policy, container.metrics, None, approval_rules(config))
    try:
        yield site_runs(parts, container.database, site, provider)
    finally:
        await provider.aclose()


async def _close(core: Core, running: _Workers, serving: _Serving) -> None:
    """What holds connections: the callback senders, the Jira clients, the database."""
    for sender in running.outbox.senders:
        await sender.aclose()
    await serving.reads.aclose()
    if running.provider is not None:
        await running.provider.aclose()
    for site in running.sites.values():
        await site.aclose()
    await core.database.aclose()

"""The object graph of one process: configuration loaded and checked, routing and templates,
the services over the database, the outbox dispatchers and the decision loop when workers run,
and the API's adapters (`Container`), built and closed by `open_container`."""

from __future__ import annotations

import asyncio
import os
import socket
import time
from collections.abc import (
    AsyncIterator,
    Callable,
    Coroutine,
    Mapping,
    Sequence,
)
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar, cast

import httpx
import structlog
from fastapi import FastAPI

from ticketbridge.api import create_app
from ticketbridge.api.app import MetricsExposure, create_metrics_app
from ticketbridge.api.jira_connection import StoredConnection
from ticketbridge.api.jira_routes import JiraSync
from ticketbridge.api.metrics import Metrics
from ticketbridge.bootstrap.audit import audit_loop, audit_trail
from ticketbridge.bootstrap.configuration import built_problems, check_sources
from ticketbridge.bootstrap.database import DatabaseHealth
from ticketbridge.bootstrap.jira import JiraIntegrationService, build_provider
from ticketbridge.bootstrap.jira_live import LiveConnection, ReloadingProvider, connection_store
from ticketbridge.bootstrap.jira_oauth import OAuthTokens
from ticketbridge.bootstrap.jira_oauth_connect import OAuthConnector
from ticketbridge.bootstrap.jira_reads import LiveJira
from ticketbridge.bootstrap.live_settings import ConfigApplier, SwitchableRouting
from ticketbridge.bootstrap.reconcile import ReconcileRuns, reconcile_job
from ticketbridge.bootstrap.sync import Sync, build_sync
from ticketbridge.bootstrap.ui_jira import UiJira
from ticketbridge.clock import Monotonic, Sleep, system_clock
from ticketbridge.config.durations import format_duration
from ticketbridge.config.integrations import JiraConfig
from ticketbridge.config.loader import parse_config
from ticketbridge.config.schema import Config
from ticketbridge.config.settings import Settings, load_settings
from ticketbridge.config.teams import team_document
from ticketbridge.errors import ConfigError
from ticketbridge.providers.base import Provider
from ticketbridge.providers.jira import JiraProvider
from ticketbridge.render.builtin import builtin_names
from ticketbridge.rules import Router, check_conditions
from ticketbridge.services import (
    AlertQueries,
    Clock,
    DecideRound,
    IngestService,
    IssueComposer,
    OutboxAdmin,
    PipelineSettings,
    RouteSeam,
    RulesRouter,
    UnitOfWorkFactory,
    WorkerSettings,
)
from ticketbridge.services.accepting import AcceptingIngest
from ticketbridge.services.accounts import Accounts
from ticketbridge.services.api_keys import ApiKeys
from ticketbridge.services.audit_intake import AuditIntake
from ticketbridge.services.audit_reviews import ApprovalRules
from ticketbridge.services.audit_service import AuditTrail
from ticketbridge.services.callback_requests import CallbackTargets
from ticketbridge.services.callbacks import CallbackSender
from ticketbridge.services.escalation import escalation_scan
from ticketbridge.services.grouping import GroupingComposer, GroupingRouter, uses_grouping
from ticketbridge.services.intake import AlertIntake
from ticketbridge.services.native_intake import NativeIntake
from ticketbridge.services.observing import ObservationApplier
from ticketbridge.services.outbox import OutboxProcessor
from ticketbridge.services.periodic import Periodic, ScheduleStatus, done_job_purge
from ticketbridge.services.planning import Planner
from ticketbridge.services.previews import Previews
from ticketbridge.services.reports import ReportService
from ticketbridge.services.sla import SlaPolicies
from ticketbridge.services.sla_scan import SlaClocks
from ticketbridge.services.stored_settings import EDITABLE, StoredDefaults
from ticketbridge.services.templated import TemplateComposer
from ticketbridge.services.ticket_wait import WaitingIngest
from ticketbridge.sources import SOURCES
from ticketbridge.storage import Database
from ticketbridge.storage.reports import report_reader
from ticketbridge.ui import install_ui
from ticketbridge.workers import DecisionLoop, Dispatcher, JiraWatch, Scheduler
from ticketbridge.workers.audit_loop import AuditLoop

T = TypeVar("T")
log = structlog.get_logger("ticketbridge")


def run(coro: Coroutine[Any, Any, T]) -> T:
    """Run a command's coroutine on uvloop when it is installed (uvicorn[standard] brings it on
    Linux): `serve` then runs uvicorn, the decision loop and the workers on uvloop instead of
    asyncio's pure-Python selector loop. Elsewhere, asyncio's own loop."""
    try:
        import uvloop  # optional: not on every platform
    except ImportError:
        return asyncio.run(coro)
    return uvloop.run(coro)


def load_config(
    path: Path | str | None = None,
    *,
    text: str | None = None,
    env: Mapping[str, str] | None = None,
    settings: Settings | None = None,
    defaults_under: Mapping[str, Any] | None = None,
) -> Config:
    """The one way ticketbridge.yaml is loaded (every command, the API, the library, the tests):
    a file `path` or YAML `text` (neither: the defaults), `${VAR}`s from `env` (default: the
    process environment), checked for everything `serve` checks — the schema, the CEL
    conditions, the templates compiled, the sources, the Jira URL (with `settings`'
    TICKETBRIDGE_OUTBOUND_ALLOW; default: the settings `env` holds). `defaults_under`: the
    admin UI's stored `defaults:`, under the file's. ConfigError lists every problem with its
    path and line."""
    checks = (check_conditions, check_sources)
    config = parse_config(
        path,
        text=text,
        env=env,
        checks=checks,
        known_templates=builtin_names(),
        defaults_under=defaults_under,
    )
    allowed = (settings if settings is not None else load_settings(env)).outbound_allow
    problems = built_problems(config, allowed, _built)
    if problems:
        where = config.origin or "configuration"
        raise ConfigError(f"{where} is invalid ({len(problems)} problems)", problems)
    return config


def load_configured(settings: Settings) -> Config:
    """The configuration `settings.config` points at; the defaults when the default file is
    absent (so `make run` works with no file), an error when an explicitly set one is."""
    if not settings.config.exists() and "config" not in settings.model_fields_set:
        return load_config(settings=settings)
    return load_config(settings.config, settings=settings)


def routing(config: Config) -> tuple[RouteSeam, IssueComposer]:
    """The CEL rules and the templates. With no routes the rules engine still applies every
    default (priority by severity and by action, issue type by action, SLA, assignments), so a
    config without routes behaves exactly like the same defaults inside a routed config."""
    if uses_grouping(config):  # epics per group key, links (services/grouping.py)
        composer = GroupingComposer(TemplateComposer.from_config(config), config)
        return GroupingRouter(Router(config)), composer
    return RulesRouter(Router(config)), TemplateComposer.from_config(config)


def _built(config: Config) -> None:
    """What a process builds from `config` that can refuse it: routing, templates, callbacks."""
    routing(config)
    CallbackTargets(config.callbacks)


def periodic_jobs(
    uow: UnitOfWorkFactory,
    clock: Clock,
    worker: WorkerSettings,
    pipeline: PipelineSettings,
    sla: SlaClocks | None = None,
    reconcile: Periodic | None = None,
) -> list[Periodic]:
    """Every periodic job a worker process runs (each in one process at a time: the
    scheduler's lease rows)."""
    jobs = [
        done_job_purge(uow, clock, retention=worker.done_retention, every=worker.purge_every),
    ]
    if pipeline.escalation is not None:
        jobs.append(escalation_scan(uow, clock, pipeline.escalation))
    if sla is not None:
        jobs.append(sla.periodic())
    if reconcile is not None:  # what lost deliveries missed, repaired
        jobs.append(reconcile)
    return jobs


def sla_clocks(config: Config, uow: UnitOfWorkFactory, clock: Clock) -> SlaClocks | None:
    """The SLA scan and recompute, when the defaults or a route have an `sla`."""
    if config.defaults.sla is None and not any(route.sla for route in config.routes):
        return None
    return SlaClocks(uow, clock, SlaPolicies(config))


def pipeline_settings(config: Config) -> PipelineSettings:
    """The services' settings from the YAML (`defaults`, `sync`, `sources`)."""
    return PipelineSettings.from_config(config)


def worker_settings_from(settings: Settings) -> WorkerSettings:
    """The outbox workers' settings from the environment's (`TICKETBRIDGE_JOB_*`)."""
    return WorkerSettings.from_settings(settings)


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


def _after_round(
    metrics: Metrics, dispatchers: Sequence[Dispatcher]
) -> Callable[[DecideRound], None]:
    """After each decision round: count the decisions, wake the workers for its jobs."""

    def observe(decided: DecideRound) -> None:
        for kind, count in decided.counts().items():
            metrics.decisions.labels(decision=kind.value).inc(count)
        if decided.jobs:
            for dispatcher in dispatchers:
                dispatcher.wake()

    return observe


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
    metrics = Metrics(sources={*SOURCES, *config.sources})  # any other source counts as other
    database = Database(settings.database_url)
    pipeline = pipeline_settings(config)
    uow = uow_factory(database)
    switchable = SwitchableRouting(seams or routing(config))  # the UI's saved defaults
    router, composer = switchable, switchable
    live = LiveConnection(settings, config, jira_fallback)
    oauth = OAuthTokens(database, connection_store(settings).cipher, lambda: clock().timestamp())
    clients = _jira_clients(settings, metrics, jira_transport, oauth)
    if workers:  # a stored connection that cannot be used stops the start, as a bad YAML does
        live.read()
    provider = ReloadingProvider(live, clients) if workers else None
    worker = worker_settings or worker_settings_from(settings)
    watch = JiraWatch(uow, clock)  # one per process: one warning per outage, not per worker
    targets = CallbackTargets(config.callbacks)
    senders = [
        CallbackSender(
            uow,
            targets,
            worker,
            pipeline.policy,
            clock,
            owner=f"{socket.gethostname()}:{os.getpid()}:{id(database):x}:callbacks",
            escalation=pipeline.escalation,
            slack_webhook=config.sync.notify.slack_webhook,
            transport=callback_transport,
        )
        for _ in range(
            1 if workers and (config.callbacks or config.sync.notify.slack_webhook) else 0
        )
    ]
    dispatchers = [
        Dispatcher(
            OutboxProcessor(
                uow,
                watch.provider(provider),
                router,
                composer,
                pipeline,
                worker,
                clock,
                # unique per container too: a lease's owner may take it again (two library
                # handlers in one process are two containers)
                owner=f"{socket.gethostname()}:{os.getpid()}:{id(database):x}:{n}",
            ),
            worker,
            watch,
            ready=provider.ready,
            senders=senders if n == 0 else (),
        )
        for n in range(workers or 0)
        if provider is not None
    ]
    service = IngestService(uow, router, pipeline, clock, _after_round(metrics, dispatchers))
    # Each needs the other: the loop asks the intake whether it is busy (the lambda reads
    # `ingest` when called, after the next line), the intake wakes the loop after an accept.
    decisions = (
        DecisionLoop(
            service.decider,
            worker,
            intake_idle_for=lambda: ingest.idle_for(),
            outbox_busy=lambda: any(d.busy() for d in dispatchers),
        )
        if workers
        else None
    )
    ingest = AcceptingIngest(service, decisions, max_batch=pipeline.max_batch)
    approvals = config.sync.approvals
    sync = build_sync(
        uow,
        clock,
        live,
        pipeline.policy,
        metrics,
        provider,
        worker if workers else None,
        ApprovalRules(tuple(approvals.statuses), approvals.comment),
    )
    monotonic, sleep = ticket_wait or (time.monotonic, asyncio.sleep)
    waiting = WaitingIngest(ingest, service, uow, monotonic=monotonic, sleep=sleep)
    trail = audit_trail(uow, clock, settings, config)
    connector = OAuthConnector(
        database,
        connection_store(settings),
        allowed=settings.outbound_allow,
        transport=jira_transport,
        clock=lambda: clock().timestamp(),
    )
    jira = JiraIntegrationService(
        settings,
        live,
        jira_transport,
        config.defaults.project,
        oauth=oauth,
        connector=connector,
    )
    reads = LiveJira(live, clients)
    reconcile = ReconcileRuns(jira=reads, database=database, sink=sync.observations, clock=clock)
    jobs = periodic_jobs(
        uow,
        clock,
        worker,
        pipeline,
        sla_clocks(config, uow, clock),
        reconcile_job(config, reconcile),
    )
    scheduler = (
        Scheduler(
            uow,
            jobs,
            clock,
            owner=f"{socket.gethostname()}:{os.getpid()}:{id(database):x}:scheduler",
        )
        if workers
        else None
    )
    try:
        yield Container(
            settings=settings,
            config=config,
            database=database,
            metrics=metrics,
            api_keys=ApiKeys(uow, clock),
            ingest=ingest,
            intake=AlertIntake(waiting, clock, fingerprint_fields=pipeline.fingerprint_fields),
            sources=NativeIntake(waiting, config.sources, clock),
            alerts=AlertQueries(uow),
            outbox=OutboxAdmin(uow, clock),
            reports=ReportService(report_reader(database), clock, config.defaults.due),
            health=DatabaseHealth(database, ScheduleStatus(uow), clock),
            jira=jira,
            audit=AuditIntake(
                uow,
                clock,
                github=config.sources.get("github"),
                link_pattern=_link_pattern(config, live),
            ),
            sync=sync,
            trail=trail,
            audit_loop=audit_loop(trail, uow, provider and watch.provider(provider), clock, config)
            if workers
            else None,
            accounts=Accounts(uow, clock),
            previews=_previews(config, pipeline, router, composer, uow, clock, live),
            ui_jira=UiJira(
                settings, config, live, jira, jira_transport, oauth=oauth, connector=connector
            ),
            defaults=_stored_defaults(
                settings, config, switchable, uow, clock, seams is None, sync.observations
            ),
            provider=provider,
            dispatchers=dispatchers,
            decisions=decisions,
            scheduler=scheduler,
            schedules=ScheduleStatus(uow),
            clock=clock,
            search=reads,
            reconcile=reconcile,
        )
    finally:
        for sender in senders:
            await sender.aclose()
        await reads.aclose()
        if provider is not None:
            await provider.aclose()
        await database.aclose()


def _stored_defaults(
    settings: Settings,
    config: Config,
    switchable: SwitchableRouting,
    uow: UnitOfWorkFactory,
    clock: Clock,
    enabled: bool,
    observations: ObservationApplier,
) -> StoredDefaults:
    """`defaults:` and two-way sync's mappings edited in the admin UI; ticketbridge.yaml's
    own values win."""
    applier = ConfigApplier(
        settings, switchable, enabled=enabled, use_policy=observations.use_policy
    )
    in_yaml = (
        config.defaults.model_fields_set
        | {f"sync.{n}" for n in config.sync.model_fields_set}
        | ({"assignments", "teams"} & config.model_fields_set)
    ) & set(EDITABLE)
    effective: dict[str, Any] = {
        name: getattr(config.defaults, name) for name in EDITABLE if hasattr(config.defaults, name)
    }
    effective["assignments"] = [a.model_dump(exclude_none=True) for a in config.assignments]
    effective["priority"] = {str(k): v for k, v in config.defaults.priority.items()}
    effective["due"] = {str(k): format_duration(v) for k, v in config.defaults.due.items()}
    effective["sync.status_ids"] = {k: v.value for k, v in config.sync.status_ids.items()}
    effective["sync.resolutions"] = {k: v.value for k, v in config.sync.resolutions.items()}
    effective["teams"] = {name: team_document(team) for name, team in config.teams.items()}
    return StoredDefaults(uow, clock, applier, in_yaml, effective)


def _previews(
    config: Config,
    pipeline: PipelineSettings,
    router: RouteSeam,
    composer: IssueComposer,
    uow: UnitOfWorkFactory,
    clock: Clock,
    live: LiveConnection,
) -> Previews:
    """The admin UI's route test and template preview (`plan --offline`'s Planner)."""

    def flavor() -> str:
        connection = live.current()
        return connection.jira.flavor if connection is not None else "cloud"

    planner = Planner(router, composer, pipeline)
    fields = pipeline.fingerprint_fields
    return Previews(planner, config.routes, config.templates, uow, clock, fields, flavor)


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


def _link_pattern(config: Config, live: LiveConnection) -> Callable[[], str]:
    """audit.link_pattern: ticketbridge.yaml's when it sets one, else the stored connection's
    (Audital's `linkPattern`), else the default."""
    if "link_pattern" in config.audit.model_fields_set:
        return lambda: config.audit.link_pattern

    def pattern() -> str:
        connection = live.current()
        stored = connection.link_pattern if connection is not None else None
        return stored or config.audit.link_pattern

    return pattern


def build_app(container: Container) -> FastAPI:
    """The HTTP app: the API, plus the admin UI at /ui; `/metrics` as the settings say
    (`TICKETBRIDGE_METRICS_*`)."""
    settings = container.settings
    exposure = MetricsExposure(
        on_api=settings.metrics_port is None, require_key=settings.metrics_require_key
    )
    taking = container.config.sync.mode != "poll"
    sync = JiraSync(container.sync.webhook, container.sync.deliveries, taking)
    app = create_app(
        container,
        audit=container.audit,
        trail=container.trail,
        metrics=exposure,
        jira_sync=sync,
        search=container.search,
    )
    install_ui(app, container)
    return app


def build_metrics_app(container: Container) -> FastAPI | None:
    """`/metrics` alone, for `TICKETBRIDGE_METRICS_PORT`; None when it is served by the API."""
    settings = container.settings
    if settings.metrics_port is None:
        return None
    return create_metrics_app(container, require_key=settings.metrics_require_key)

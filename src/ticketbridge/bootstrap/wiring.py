"""The object graph of one process: configuration loaded and checked, routing and templates,
the services over the database, the outbox dispatchers and the decision loop when workers run,
and the API's adapters (`Container`), built and closed by `open_container`."""

from __future__ import annotations

import asyncio
import os
import socket
from collections.abc import (
    AsyncIterator,
    Callable,
    Coroutine,
    Mapping,
    Sequence,
)
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar, cast

import httpx
import structlog
from fastapi import FastAPI

from ticketbridge.api import create_app
from ticketbridge.api.adapters import AcceptingIngest, ApiKeyService, NativeSources
from ticketbridge.api.app import MetricsExposure, create_metrics_app
from ticketbridge.api.github_audit import GitHubPushes
from ticketbridge.api.metrics import Metrics
from ticketbridge.bootstrap.database import DatabaseHealth
from ticketbridge.bootstrap.jira import JiraIntegrationService, build_provider, effective_jira
from ticketbridge.config.loader import load_config
from ticketbridge.config.schema import Config
from ticketbridge.config.settings import Settings, load_settings
from ticketbridge.config.settings import load_configured as _load_configured
from ticketbridge.providers.base import Provider
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
from ticketbridge.services.audit_intake import AuditIntake
from ticketbridge.services.grouping import (
    EpicParents,
    GroupingComposer,
    GroupingRouter,
    uses_grouping,
)
from ticketbridge.services.outbox import OutboxProcessor
from ticketbridge.services.templated import TemplateComposer
from ticketbridge.sources import SOURCES
from ticketbridge.storage import Database
from ticketbridge.ui import ui_router
from ticketbridge.workers import DecisionLoop, Dispatcher

__all__ = [
    "Container",
    "build_app",
    "build_metrics_app",
    "load_config_file",
    "load_configured",
    "load_settings",
    "open_container",
    "outbox_provider",
    "pipeline_settings",
    "routing",
    "run",
    "worker_settings_from",
]

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


def load_config_file(path: Path) -> Config:
    """Load and validate one file, CEL conditions included: ConfigError lists every problem
    with its path and line."""
    return load_config(path, checks=(check_conditions,), known_templates=builtin_names())


def load_configured(settings: Settings) -> Config:
    """The configuration `settings.config` points at (defaults when the default file is absent)."""
    if settings.config.exists():  # built-in template names are known to routes
        return load_config(
            settings.config, checks=(check_conditions,), known_templates=builtin_names()
        )
    return _load_configured(settings, checks=(check_conditions,))


def routing(config: Config) -> tuple[RouteSeam, IssueComposer]:
    """The CEL rules and the templates. With no routes the rules engine still applies every
    default (priority by severity and by action, issue type by action, SLA, assignments), so a
    config without routes behaves exactly like the same defaults inside a routed config."""
    if uses_grouping(config):  # epics per group key, links (services/grouping.py)
        composer = GroupingComposer(TemplateComposer.from_config(config), config)
        return GroupingRouter(Router(config)), composer
    return RulesRouter(Router(config)), TemplateComposer.from_config(config)


def outbox_provider(config: Config, provider: Provider, composer: IssueComposer) -> Provider:
    """The provider the outbox writes through: grouped issues get their epic as parent, and
    the links the composer rendered are made once the issue exists."""
    if not uses_grouping(config):
        return provider
    links = composer.links if isinstance(composer, GroupingComposer) else None
    return EpicParents(provider, links)


def pipeline_settings(config: Config) -> PipelineSettings:
    """The services' settings from the YAML (`defaults`, `sync`, `sources`)."""
    return PipelineSettings.from_config(config)


def worker_settings_from(settings: Settings) -> WorkerSettings:
    """The outbox workers' settings from the environment's (`TICKETBRIDGE_JOB_*`)."""
    return WorkerSettings.from_settings(settings)


def _clock() -> datetime:
    return datetime.now(UTC)


@dataclass
class Container:
    """The wired object graph of one process; satisfies `ticketbridge.api.ApiContainer`."""

    settings: Settings
    config: Config
    database: Database
    metrics: Metrics
    api_keys: ApiKeyService
    ingest: AcceptingIngest
    sources: NativeSources
    alerts: AlertQueries
    outbox: OutboxAdmin
    health: DatabaseHealth
    jira: JiraIntegrationService
    audit: GitHubPushes
    provider: Provider | None = None
    dispatchers: list[Dispatcher] = field(default_factory=list)
    decisions: DecisionLoop | None = None  # built with workers: decides accepted alerts
    fingerprint_fields: Mapping[str, Sequence[str]] = field(default_factory=dict)
    clock: Clock = _clock

    def now(self) -> datetime:
        return self.clock()


def _uow_factory(database: Database) -> UnitOfWorkFactory:
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
    clock: Clock = _clock,
) -> AsyncIterator[Container]:
    """Build everything for `settings`; close the database and the provider on exit.

    `workers` dispatchers are built (default: none — only `serve` and `worker` run them) when a
    Jira is configured, and with any workers the decision loop; `jira_transport` replaces the
    network (tests: the emulator in process); `worker_settings` replaces the ones `settings`
    carries (TICKETBRIDGE_JOB_*); `clock` is what every service and the API read the time
    from (tests: a virtual one).
    """
    config = config if config is not None else load_configured(settings)
    metrics = Metrics(sources={*SOURCES, *config.sources})  # any other source counts as other
    database = Database(settings.database_url)
    pipeline = pipeline_settings(config)
    uow = _uow_factory(database)
    router, composer = routing(config)
    connection = effective_jira(settings, config) if workers else None
    provider = build_provider(connection.jira, metrics, jira_transport) if connection else None
    worker = worker_settings or worker_settings_from(settings)
    dispatchers = [
        Dispatcher(
            OutboxProcessor(
                uow,
                outbox_provider(config, provider, composer),
                router,
                composer,
                pipeline,
                worker,
                clock,
                owner=f"{socket.gethostname()}:{os.getpid()}:{n}",
            ),
            worker,
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
    try:
        yield Container(
            settings=settings,
            config=config,
            database=database,
            metrics=metrics,
            api_keys=ApiKeyService(uow, clock),
            ingest=ingest,
            sources=NativeSources(ingest, config, clock),
            alerts=AlertQueries(uow),
            outbox=OutboxAdmin(uow, clock),
            health=DatabaseHealth(database),
            jira=JiraIntegrationService(settings, config, jira_transport),
            audit=GitHubPushes(AuditIntake(uow), config, clock),
            provider=provider,
            dispatchers=dispatchers,
            decisions=decisions,
            fingerprint_fields=pipeline.fingerprint_fields,
            clock=clock,
        )
    finally:
        if provider is not None:
            await provider.aclose()
        await database.aclose()


def build_app(container: Container) -> FastAPI:
    """The HTTP app: the API, plus the admin UI placeholder; `/metrics` as the settings say
    (`TICKETBRIDGE_METRICS_*`)."""
    settings = container.settings
    exposure = MetricsExposure(
        on_api=settings.metrics_port is None, require_key=settings.metrics_require_key
    )
    app = create_app(container, audit=container.audit, metrics=exposure)
    app.include_router(ui_router())
    return app


def build_metrics_app(container: Container) -> FastAPI | None:
    """`/metrics` alone, for `TICKETBRIDGE_METRICS_PORT`; None when it is served by the API."""
    settings = container.settings
    if settings.metrics_port is None:
        return None
    return create_metrics_app(container, require_key=settings.metrics_require_key)

"""Composition root: the one place that picks concrete storage, providers and services and wires
them together. Everything else depends on Protocols.

A process starts from `Settings` (environment) and `Config` (ticketbridge.yaml);
`open_container` builds the object graph for them (database, services, the API's adapters) and
closes it again; `serve` runs the API on uvicorn with the outbox workers in the same process.
"""

from __future__ import annotations

import asyncio
import os
import socket
import ssl
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
from alembic.config import Config as AlembicConfig
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from fastapi import FastAPI
from pydantic import ValidationError
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine

from ticketbridge import storage
from ticketbridge.api import create_app
from ticketbridge.api.adapters import AcceptingIngest, ApiKeyService, NativeSources
from ticketbridge.api.github_audit import GitHubPushes
from ticketbridge.api.jira_connection import ConnectionStore, StoredConnection
from ticketbridge.api.metrics import MeteredTransport, Metrics
from ticketbridge.api.schemas import (
    JiraConnectionIn,
    JiraConnectionView,
    JiraTestReport,
    ReadinessCheck,
)
from ticketbridge.config.integrations import JiraConfig
from ticketbridge.config.loader import load_config
from ticketbridge.config.schema import Config
from ticketbridge.config.settings import Settings, load_settings
from ticketbridge.config.settings import load_configured as _load_configured
from ticketbridge.errors import ConfigError, InputError, Problem, TicketBridgeError
from ticketbridge.providers.base import Provider
from ticketbridge.providers.jira import JiraProvider, api_token, basic, personal_access_token
from ticketbridge.providers.jira.client import HttpSettings
from ticketbridge.providers.jira.retry import RetryPolicy
from ticketbridge.render.builtin import builtin_names
from ticketbridge.rules import Router, check_conditions
from ticketbridge.services import (
    AlertQueries,
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
from ticketbridge.storage import Database, upgrade
from ticketbridge.ui import ui_router
from ticketbridge.workers import DecisionLoop, Dispatcher

__all__ = [
    "Container",
    "NotBuiltYet",
    "build_app",
    "connection_store",
    "effective_jira",
    "load_config_file",
    "load_configured",
    "load_settings",
    "open_container",
    "run",
    "upgrade_database",
]

T = TypeVar("T")
log = structlog.get_logger("ticketbridge")


class NotBuiltYet(TicketBridgeError):
    """A part this command needs is not in this build (exit 1 with the part's name)."""


def run(coro: Coroutine[Any, Any, T]) -> T:
    return asyncio.run(coro)


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


def connection_store(settings: Settings) -> ConnectionStore:
    secret = settings.secret_key.get_secret_value() if settings.secret_key else None
    return ConnectionStore(settings.data_dir, secret)


def effective_jira(settings: Settings, config: Config) -> StoredConnection | None:
    """The Jira to talk to: ticketbridge.yaml's `jira:` wins over `ticketbridge config jira`."""
    if config.jira is not None:
        return StoredConnection(config.jira, None)
    return connection_store(settings).load()


def pipeline_settings(config: Config) -> PipelineSettings:
    """The services' settings from the YAML (`defaults`, `sync`, `sources`)."""
    return PipelineSettings.from_config(config)


def head_revision() -> str | None:
    """The newest migration the code ships."""
    config = AlembicConfig()
    config.set_main_option("script_location", str(Path(storage.__file__).parent / "migrations"))
    return ScriptDirectory.from_config(config).get_current_head()


async def current_revision(engine: AsyncEngine) -> str | None:
    """The migration the database is at (None: never migrated)."""
    async with engine.connect() as conn:
        return await conn.run_sync(
            lambda sync: MigrationContext.configure(sync).get_current_revision()
        )


# --- adapters the API's ports need beyond the services ------------------------------------


class DatabaseHealth:
    """`/readyz`: the database answers and its schema is at the code's migration head."""

    def __init__(self, database: Database) -> None:
        self._database = database

    async def readiness(self) -> Sequence[ReadinessCheck]:
        try:
            current = await current_revision(self._database.engine)
        except (SQLAlchemyError, OSError) as exc:  # the server or file is not reachable
            return [ReadinessCheck(name="database", ok=False, detail=type(exc).__name__)]
        head = head_revision()
        return [
            ReadinessCheck(name="database", ok=True, detail=self._database.dialect),
            ReadinessCheck(
                name="migrations",
                ok=current == head,
                detail=f"at {current or 'nothing'}, code wants {head}"
                + ("" if current == head else "; run `ticketbridge db upgrade`"),
            ),
        ]


async def check_jira(
    jira: JiraConfig, transport: httpx.AsyncBaseTransport | None = None
) -> JiraTestReport:
    """Who we are on this Jira, its flavour, version and visible projects (JiraError if not)."""
    # One quick retry: someone is waiting for the answer, and a down Jira stays down.
    quick = RetryPolicy(max_retries=1, base_delay=0.2)
    provider = build_provider(jira, Metrics(), transport, retry=quick)
    try:
        me = await provider.myself()
        info = await provider.server_info()
        projects = await provider.projects()
    finally:
        await provider.aclose()
    caps = provider.capabilities
    return JiraTestReport(
        user=f"{me.display_name} <{me.email or me.account_id or me.name}>",
        flavor=caps.flavor,
        deployment=info.deployment_type,
        api_version=caps.api_version,
        version=info.version,
        base_url=info.base_url,
        projects=[p.key for p in projects],
    )


class JiraIntegrationService:
    """`api.ports.JiraIntegration` over the connection store and ticketbridge.yaml."""

    def __init__(
        self, settings: Settings, config: Config, transport: httpx.AsyncBaseTransport | None
    ) -> None:
        self._settings = settings
        self._config = config
        self._transport = transport

    def current(self) -> JiraConnectionView:
        connection = effective_jira(self._settings, self._config)
        if connection is None:
            return JiraConnectionView(configured=False)
        jira, auth = connection.jira, connection.jira.auth
        user = getattr(auth, "email", None) or getattr(auth, "username", None)
        return JiraConnectionView(
            configured=True,
            origin="ticketbridge.yaml" if self._config.jira is not None else "stored",
            flavor=jira.flavor,
            url=str(jira.url),
            auth_type=auth.type,
            user=user,
            project_key=connection.project_key,
        )

    def save(self, connection: JiraConnectionIn) -> JiraConnectionView:
        if self._config.jira is not None:
            raise ConfigError(
                "ticketbridge.yaml defines the Jira connection",
                [Problem("jira", "edit the file; a stored connection would be ignored")],
            )
        data = connection.model_dump(exclude={"project_key"})
        try:
            jira = JiraConfig.model_validate(data)
        except ValidationError as exc:
            problems = [Problem(".".join(map(str, e["loc"])), e["msg"]) for e in exc.errors()]
            raise InputError("the Jira connection is not valid", problems) from exc
        connection_store(self._settings).save(jira, connection.project_key)
        return self.current()

    async def test(self) -> JiraTestReport:
        connection = effective_jira(self._settings, self._config)
        if connection is None:
            raise ConfigError("no Jira is configured", [NO_JIRA])
        return await check_jira(connection.jira, self._transport)


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

    def now(self) -> datetime:
        return datetime.now(UTC)


def _uow_factory(database: Database) -> UnitOfWorkFactory:
    # SqlUnitOfWork satisfies services.ports.UnitOfWork structurally, but the Protocol declares
    # its repositories as plain (mutable, hence invariant) attributes, which mypy cannot match
    # with the concrete repository types; the cast states the structural fit in one place.
    return cast(UnitOfWorkFactory, database.unit_of_work)


def _clock() -> datetime:
    return datetime.now(UTC)


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
) -> AsyncIterator[Container]:
    """Build everything for `settings`; close the database and the provider on exit.

    `workers` dispatchers are built (default: none — only `serve` and `worker` run them) when a
    Jira is configured, and with any workers the decision loop; `jira_transport` replaces the
    network (tests: the emulator in process).
    """
    config = config if config is not None else load_configured(settings)
    metrics = Metrics()
    database = Database(settings.database_url)
    pipeline = pipeline_settings(config)
    uow = _uow_factory(database)
    router, composer = routing(config)
    connection = effective_jira(settings, config) if workers else None
    provider = build_provider(connection.jira, metrics, jira_transport) if connection else None
    worker = worker_settings or WorkerSettings.from_env()
    dispatchers = [
        Dispatcher(
            OutboxProcessor(
                uow,
                outbox_provider(config, provider, composer),
                router,
                composer,
                pipeline,
                worker,
                _clock,
                owner=f"{socket.gethostname()}:{os.getpid()}:{n}",
            ),
            worker,
        )
        for n in range(workers or 0)
        if provider is not None
    ]
    service = IngestService(uow, router, pipeline, _clock, _after_round(metrics, dispatchers))
    decisions = DecisionLoop(service.decider, worker, lambda: ingest.busy()) if workers else None
    ingest = AcceptingIngest(service, decisions, max_batch=pipeline.max_batch)
    try:
        yield Container(
            settings=settings,
            config=config,
            database=database,
            metrics=metrics,
            api_keys=ApiKeyService(uow),
            ingest=ingest,
            sources=NativeSources(ingest, config),
            alerts=AlertQueries(uow),
            outbox=OutboxAdmin(uow, _clock),
            health=DatabaseHealth(database),
            jira=JiraIntegrationService(settings, config, jira_transport),
            audit=GitHubPushes(AuditIntake(uow), config),
            provider=provider,
            dispatchers=dispatchers,
            decisions=decisions,
            fingerprint_fields=pipeline.fingerprint_fields,
        )
    finally:
        if provider is not None:
            await provider.aclose()
        await database.aclose()


def build_provider(
    jira: JiraConfig,
    metrics: Metrics,
    transport: httpx.AsyncBaseTransport | None = None,
    *,
    retry: RetryPolicy | None = None,
) -> JiraProvider:
    """The Jira client for a connection; every request on the wire is metered."""
    auth = jira.auth
    if auth.type == "token":
        credentials = api_token(auth.email, auth.api_token.get_secret_value())
    elif auth.type == "pat":
        credentials = personal_access_token(auth.token.get_secret_value())
    elif auth.type == "basic":
        credentials = basic(auth.username, auth.password.get_secret_value())
    else:
        raise NotBuiltYet("OAuth 2.0 connections are not wired in this build yet; use a token")
    base_url = str(jira.url).rstrip("/")
    ca_bundle = str(jira.ca_bundle) if jira.ca_bundle else None
    inner = transport or httpx.AsyncHTTPTransport(
        verify=ssl.create_default_context(cafile=ca_bundle) if ca_bundle else True,
        limits=httpx.Limits(max_connections=20),
    )
    http = HttpSettings(
        base_url=base_url, auth=credentials, ca_bundle=ca_bundle, read_timeout=jira.timeout
    )
    return JiraProvider(
        flavor=jira.flavor,
        base_url=base_url,
        auth=credentials,
        transport=MeteredTransport(inner, metrics),
        http=http,
        retry=retry,
    )


def build_app(container: Container) -> FastAPI:
    """The HTTP app: the API, plus the admin UI placeholder."""
    app = create_app(container, audit=container.audit)
    app.include_router(ui_router())
    return app


async def upgrade_database(database_url: str) -> str:
    """Apply the migrations; returns the revision the database is at."""
    await upgrade(database_url)
    database = Database(database_url)
    try:
        return await current_revision(database.engine) or "(none)"
    finally:
        await database.aclose()


NO_JIRA = Problem("jira", "run `ticketbridge config jira --cloud-url …` or add `jira:`")

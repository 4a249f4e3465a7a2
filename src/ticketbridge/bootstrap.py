"""Composition root: the one place that picks concrete storage, providers and services and wires
them together. Everything else depends on Protocols.

A process starts from `Settings` (environment) and `Config` (ticketbridge.yaml);
`open_container` builds the object graph for them (database, services, the API's adapters) and
closes it again; `serve` runs the API on uvicorn with the outbox workers in the same process.
"""

from __future__ import annotations

import asyncio
import signal
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar, cast

import structlog
import uvicorn
from alembic.config import Config as AlembicConfig
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from fastapi import FastAPI
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine

from ticketbridge import storage
from ticketbridge.api import create_app
from ticketbridge.api.jira_connection import ConnectionStore, StoredConnection
from ticketbridge.api.metrics import Metrics
from ticketbridge.api.ports import ApiKeyRecord, NativeRequest
from ticketbridge.api.schemas import ReadinessCheck
from ticketbridge.config.loader import load_config
from ticketbridge.config.schema import Config
from ticketbridge.config.settings import Settings, load_configured, load_settings
from ticketbridge.domain import JobState
from ticketbridge.errors import ConfigError, Problem, TicketBridgeError
from ticketbridge.services import (
    AlertQueries,
    DefaultsRouter,
    IngestResult,
    IngestService,
    JobView,
    OutboxAdmin,
    PipelineSettings,
    UnitOfWorkFactory,
)
from ticketbridge.services import AlertView as AlertRecord
from ticketbridge.storage import Database, upgrade
from ticketbridge.ui import ui_router

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
    "serve",
    "upgrade_database",
]

T = TypeVar("T")
log = structlog.get_logger("ticketbridge")


class NotBuiltYet(TicketBridgeError):
    """A part this command needs is not in this build (exit 1 with the part's name)."""


def run(coro: Coroutine[Any, Any, T]) -> T:
    return asyncio.run(coro)


def load_config_file(path: Path) -> Config:
    """Load and validate one file: ConfigError lists every problem with path and line."""
    return load_config(path)


def connection_store(settings: Settings) -> ConnectionStore:
    secret = settings.secret_key.get_secret_value() if settings.secret_key else None
    return ConnectionStore(settings.data_dir, secret)


def effective_jira(settings: Settings, config: Config) -> StoredConnection | None:
    """The Jira to talk to: ticketbridge.yaml's `jira:` wins over `ticketbridge config jira`."""
    if config.jira is not None:
        return StoredConnection(config.jira, None)
    return connection_store(settings).load()


def pipeline_settings(config: Config) -> PipelineSettings:
    """The services' settings from the YAML (defaults; routes plug in through the router)."""
    defaults = config.defaults
    fingerprints = {
        name: tuple(s.fingerprint) for name, s in config.sources.items() if s.fingerprint
    }
    return PipelineSettings(
        project=defaults.project,
        issue_type=defaults.issue_type,
        labels=tuple(defaults.labels),
        components=tuple(defaults.components),
        fingerprint_fields=fingerprints,
    )


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


class ApiKeyService:
    """`api.ports.ApiKeyStore` over the unit of work's API-key repository."""

    def __init__(self, uow_factory: UnitOfWorkFactory) -> None:
        self._uow_factory = uow_factory

    async def find_by_hash(self, token_hash: str) -> ApiKeyRecord | None:
        async with self._uow_factory() as uow:
            key = await uow.api_keys.by_hash(token_hash)
        if key is None:
            return None
        return ApiKeyRecord(str(key.id), key.name, frozenset(key.scopes), key.revoked)

    async def create(self, *, name: str, scopes: frozenset[str], token_hash: str) -> ApiKeyRecord:
        async with self._uow_factory() as uow:
            key = await uow.api_keys.add(name, token_hash, sorted(scopes), datetime.now(UTC))
            await uow.commit()
        return ApiKeyRecord(str(key.id), key.name, frozenset(key.scopes), key.revoked)


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


class NativeSources:
    """`api.ports.SourceIngest`: verify, parse with the source's adapter, ingest."""

    def __init__(self, ingest: IngestService, config: Config) -> None:
        self._ingest = ingest
        self._config = config

    async def ingest_native(self, request: NativeRequest) -> Sequence[IngestResult]:
        raise LookupError("native sources are not wired in this build yet")


@dataclass
class Container:
    """The wired object graph of one process; satisfies `ticketbridge.api.ApiContainer`."""

    settings: Settings
    config: Config
    database: Database
    metrics: Metrics
    api_keys: ApiKeyService
    ingest: IngestService
    sources: NativeSources
    alerts: AlertQueries
    outbox: OutboxAdmin
    health: DatabaseHealth
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


@asynccontextmanager
async def open_container(
    settings: Settings, config: Config | None = None
) -> AsyncIterator[Container]:
    """Build everything for `settings`; close the database (and provider) on exit."""
    config = config if config is not None else load_configured(settings)
    database = Database(settings.database_url)
    pipeline = pipeline_settings(config)
    uow = _uow_factory(database)
    ingest = IngestService(uow, DefaultsRouter(pipeline), pipeline, _clock)
    try:
        yield Container(
            settings=settings,
            config=config,
            database=database,
            metrics=Metrics(),
            api_keys=ApiKeyService(uow),
            ingest=ingest,
            sources=NativeSources(ingest, config),
            alerts=AlertQueries(uow),
            outbox=OutboxAdmin(uow, _clock),
            health=DatabaseHealth(database),
            fingerprint_fields=pipeline.fingerprint_fields,
        )
    finally:
        await database.aclose()


def build_app(container: Container) -> FastAPI:
    """The HTTP app: the API, plus the admin UI placeholder."""
    app = create_app(container)
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


# --- processes ------------------------------------------------------------------------------


async def serve(
    settings: Settings,
    *,
    config: Config | None = None,
    host: str | None = None,
    port: int | None = None,
    workers: int | None = None,
    on_ready: Callable[[Container], Awaitable[None]] | None = None,
) -> None:
    """`ticketbridge serve`: migrations, the API on uvicorn and the in-process workers, until
    SIGINT/SIGTERM; then the server drains and the workers finish their current job."""
    await upgrade_database(settings.database_url)
    async with open_container(settings, config) as container:
        server = uvicorn.Server(
            uvicorn.Config(
                build_app(container),
                host=host or settings.host,
                port=port or settings.port,
                log_config=None,
                access_log=False,
                lifespan="off",
            )
        )
        stop = asyncio.Event()
        count = settings.workers if workers is None else workers
        tasks = [asyncio.create_task(run_dispatcher(container, stop)) for _ in range(count)]
        if on_ready is not None:
            tasks.append(asyncio.create_task(_when_started(server, container, on_ready)))
        try:
            await server.serve()
        finally:
            stop.set()
            await asyncio.gather(*tasks, return_exceptions=True)


async def _when_started(
    server: uvicorn.Server, container: Container, on_ready: Callable[[Container], Awaitable[None]]
) -> None:
    while not server.started:
        if server.should_exit:
            return
        await asyncio.sleep(0.05)
    await on_ready(container)


async def run_worker(settings: Settings) -> None:
    """`ticketbridge worker`: the outbox dispatcher alone, until SIGINT/SIGTERM."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    async with open_container(settings) as container:
        await run_dispatcher(container, stop)


async def run_dispatcher(container: Container, stop: asyncio.Event) -> None:
    log.warning("workers_unavailable", reason="the outbox dispatcher is not in this build yet")
    await stop.wait()


# --- one-shot operations for the CLI ---------------------------------------------------------


async def create_api_key(
    settings: Settings, name: str, scopes: frozenset[str], token_hash: str
) -> ApiKeyRecord:
    async with open_container(settings) as container:
        return await container.api_keys.create(name=name, scopes=scopes, token_hash=token_hash)


async def list_jobs(settings: Settings, state: JobState | None, limit: int) -> list[JobView]:
    async with open_container(settings) as container:
        return list(await container.outbox.jobs(state=state, limit=limit))


async def retry_job(settings: Settings, job_id: int) -> JobView | None:
    async with open_container(settings) as container:
        return await container.outbox.retry(job_id)


async def drop_job(settings: Settings, job_id: int) -> JobView | None:
    async with open_container(settings) as container:
        return await container.outbox.drop(job_id)


async def get_alert(settings: Settings, alert_id: str, source: str | None) -> AlertRecord | None:
    async with open_container(settings) as container:
        return await container.alerts.get(alert_id, source)


@dataclass(frozen=True)
class JiraReport:
    user: str
    flavor: str
    deployment: str
    api_version: str
    version: str
    base_url: str
    projects: tuple[str, ...]

    def as_dict(self) -> dict[str, Any]:
        return {"connected": True, **self.__dict__, "projects": list(self.projects)}


async def test_jira(settings: Settings) -> JiraReport:
    """Who we are on the configured Jira, its flavour, version and visible projects."""
    connection = effective_jira(settings, load_configured(settings))
    if connection is None:
        raise ConfigError(
            "no Jira is configured",
            [Problem("jira", "run `ticketbridge config jira --cloud-url …` or add `jira:`")],
        )
    raise NotBuiltYet("the Jira provider is not in this build yet")

"""Composition root: the one place that picks concrete storage, providers and services and wires
them together. Everything else depends on Protocols.

A process starts from `Settings` (environment) and `Config` (ticketbridge.yaml); `open_container`
builds the object graph for them (engine, repositories, provider, services, the API's ports)
and closes it again; `build_app` makes the FastAPI app with the in-process workers in its
lifespan.
"""

from __future__ import annotations

import asyncio
import logging
import signal
import sys
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import structlog
import uvicorn
from fastapi import FastAPI

from ticketbridge.api import create_app
from ticketbridge.api.jira_connection import ConnectionStore, StoredConnection
from ticketbridge.api.metrics import Metrics
from ticketbridge.api.ports import (
    AlertQueries,
    ApiKeyRecord,
    ApiKeyStore,
    Health,
    Ingest,
    SourceIngest,
    TicketQueries,
)
from ticketbridge.api.ports import Outbox as OutboxPort
from ticketbridge.api.schemas import AlertView, OutboxJobView
from ticketbridge.config.loader import load_config
from ticketbridge.config.schema import Config
from ticketbridge.config.settings import Settings, load_configured, load_settings
from ticketbridge.errors import ConfigError, Problem, TicketBridgeError
from ticketbridge.ui import ui_router

__all__ = [
    "JiraReport",
    "NotBuiltYet",
    "connection_store",
    "effective_jira",
    "load_config_file",
    "load_configured",
    "load_settings",
    "run",
    "test_jira",
]

T = TypeVar("T")


class NotBuiltYet(TicketBridgeError):
    """A part this command needs is not in this build (exit 1 with the part's name)."""


def run(coro: Coroutine[Any, Any, T]) -> T:
    return asyncio.run(coro)


def load_config_file(path: Path) -> Config:
    """Load and validate one file (with the rules layer's checks): ConfigError lists all."""
    return load_config(path)


def connection_store(settings: Settings) -> ConnectionStore:
    secret = settings.secret_key.get_secret_value() if settings.secret_key else None
    return ConnectionStore(settings.data_dir, secret)


def effective_jira(settings: Settings, config: Config) -> StoredConnection | None:
    """The Jira to talk to: ticketbridge.yaml's `jira:` wins over `ticketbridge config jira`."""
    if config.jira is not None:
        return StoredConnection(config.jira, None)
    return connection_store(settings).load()


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


@dataclass
class Container:
    """The wired object graph of one process; satisfies `ticketbridge.api.ApiContainer`."""

    settings: Settings
    config: Config
    metrics: Metrics
    api_keys: ApiKeyStore
    ingest: Ingest
    sources: SourceIngest
    alerts: AlertQueries
    tickets: TicketQueries
    outbox: OutboxPort
    health: Health


@asynccontextmanager
async def open_container(
    settings: Settings, config: Config | None = None
) -> AsyncIterator[Container]:
    """Build everything for `settings`; close the engine and the provider on exit."""
    raise NotBuiltYet("the storage layer is not in this build yet")
    yield  # pragma: no cover


def upgrade_database(database_url: str) -> str:
    """Apply migrations; returns the revision the database is at."""
    raise NotBuiltYet("the storage migrations are not in this build yet")


async def create_api_key(
    settings: Settings, name: str, scopes: frozenset[str], token_hash: str
) -> ApiKeyRecord:
    async with open_container(settings) as container:
        return await container.api_keys.create(name=name, scopes=scopes, token_hash=token_hash)


async def list_jobs(settings: Settings, state: str | None, limit: int) -> list[OutboxJobView]:
    async with open_container(settings) as container:
        return list(await container.outbox.list_jobs(state=state, limit=limit, after=None))


async def retry_job(settings: Settings, job_id: str) -> OutboxJobView | None:
    async with open_container(settings) as container:
        return await container.outbox.retry(job_id)


async def drop_job(settings: Settings, job_id: str) -> OutboxJobView | None:
    async with open_container(settings) as container:
        return await container.outbox.drop(job_id)


async def get_alert(settings: Settings, alert_id: str) -> AlertView | None:
    async with open_container(settings) as container:
        return await container.alerts.get_alert(alert_id)


def build_app(container: Container) -> FastAPI:
    """The HTTP app: the API, plus the admin UI placeholder."""
    app = create_app(container)
    app.include_router(ui_router())
    return app


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
    await asyncio.to_thread(upgrade_database, settings.database_url)
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
    raise NotBuiltYet("the outbox dispatcher is not in this build yet")


def configure_logging(level: str = "INFO", *, json_logs: bool | None = None) -> None:
    """structlog for our logs and the stdlib's (uvicorn, alembic): JSON when not on a terminal.

    Secrets never reach a log line: settings and configs hold them as SecretStr (printed as
    '**********'), API keys are logged by name, never by token.
    """
    as_json = (not sys.stderr.isatty()) if json_logs is None else json_logs
    shared: list[structlog.types.Processor] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]
    renderer: structlog.types.Processor = (
        structlog.processors.JSONRenderer() if as_json else structlog.dev.ConsoleRenderer()
    )
    structlog.configure(
        processors=[*shared, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=shared,
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            structlog.processors.format_exc_info if as_json else _identity,
            renderer,
        ],
    )
    handler = logging.StreamHandler()
    handler.setFormatter(formatter)
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)


def _identity(
    logger: Any, method: str, event: structlog.types.EventDict
) -> structlog.types.EventDict:
    return event

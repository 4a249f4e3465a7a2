"""The library's process, built as `serve` builds its own: the store migrated, then
`open_container` with one outbox dispatcher that the caller drives (no background workers), and
the library's seams (the call's target, its templates) in place of the configuration's routing.

`ticketbridge.library` opens this and only translates the seeds' calls: alerts to
`services.AlertSync`, direct Jira calls to the provider.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass

import httpx
from sqlalchemy.exc import SQLAlchemyError

from ticketbridge.bootstrap.container import Container, uow_factory
from ticketbridge.bootstrap.database import upgrade_database
from ticketbridge.bootstrap.wiring import open_container
from ticketbridge.config.schema import Config
from ticketbridge.config.settings import Settings, load_settings
from ticketbridge.domain import Alert
from ticketbridge.errors import ConfigError, Problem
from ticketbridge.providers.base import Provider
from ticketbridge.services import IngestResult, IssueComposer, RouteSeam, WorkerSettings
from ticketbridge.services.alert_sync import AlertSync


def library_settings(database_url: str) -> Settings:
    """The process settings' defaults with the library's store; the environment is not read
    (`config.load_settings()` reads it, when the caller asks)."""
    return load_settings({"TICKETBRIDGE_DATABASE_URL": database_url})


@dataclass(frozen=True)
class LibraryServices:
    """What the library's calls translate to: the pipeline for alerts, the provider for the
    direct Jira calls."""

    sync: AlertSync
    provider: Provider


@asynccontextmanager
async def open_library(
    settings: Settings,
    config: Config,
    seams: tuple[RouteSeam, IssueComposer],
    *,
    transport: httpx.AsyncBaseTransport | None = None,
    worker: WorkerSettings | None = None,
) -> AsyncIterator[LibraryServices]:
    """`config` must name its Jira (`jira:`); `settings` gives the store and the workers'
    settings (`worker` replaces the latter); `transport` replaces the network (tests)."""
    if config.primary_jira is None:
        raise ConfigError("cannot open the bridge", [Problem("jira", "no Jira connection")])
    await _migrated(settings.database_url)
    async with open_container(
        settings,
        config,
        workers=1,
        jira_transport=transport,
        worker_settings=worker,
        seams=seams,
    ) as container:
        provider = container.provider
        assert provider is not None  # a Jira is configured: open_container built it
        yield LibraryServices(_alert_sync(container, provider, seams), provider)


def _alert_sync(
    container: Container, provider: Provider, seams: tuple[RouteSeam, IssueComposer]
) -> AlertSync:
    ingest = container.ingest

    async def decided(alerts: Sequence[Alert]) -> list[IngestResult]:
        return await ingest.ingest(alerts, wait=True)  # as `POST /v1/alerts?wait=true`

    async def drained() -> int:  # one dispatcher per site (`jira.sites`), the default first
        return sum([await d.run_until_idle() for d in container.dispatchers])

    return AlertSync(
        uow_factory(container.database),
        decided,
        drained,
        provider,
        seams,
        container.now,
        connections=container.config.default_connections,
    )


async def _migrated(url: str) -> None:
    """The store at the code's schema; ConfigError naming `database_url` when it cannot be
    opened (no server, no permission, an unknown driver)."""
    try:
        await upgrade_database(url)
    except (OSError, SQLAlchemyError) as err:
        where = url.split("@")[-1]  # no credentials of a server URL in the message
        problem = Problem(
            "database_url", f"cannot open the store at {where}: {err.__class__.__name__}"
        )
        raise ConfigError("cannot open the library's store", [problem]) from None

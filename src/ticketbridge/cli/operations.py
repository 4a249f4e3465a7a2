"""One-shot operations of the CLI: each opens the container, does one thing, closes it."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager

import httpx

from ticketbridge import bootstrap
from ticketbridge.api.jira_connection import StoredConnection
from ticketbridge.api.schemas import JiraTestReport
from ticketbridge.bootstrap.jira import projects_to_check
from ticketbridge.cli import dev_session
from ticketbridge.config.settings import Settings
from ticketbridge.domain import JobState
from ticketbridge.domain.deliveries import JiraDelivery
from ticketbridge.domain.records import ApiKey
from ticketbridge.errors import ConfigError, Problem
from ticketbridge.services import AlertView, JobView
from ticketbridge.services.api_keys import IssuedKey
from ticketbridge.services.site import SiteBinding, SiteReport


@asynccontextmanager
async def _migrated(settings: Settings, workers: int = 0) -> AsyncIterator[bootstrap.Container]:
    """The container, once the database is known to be at the code's schema (the database of
    a running `ticketbridge dev` when none was chosen); with `workers`, its Jira too."""
    following = dev_session.following_dev(settings)
    async with bootstrap.open_container(following, workers=workers) as container:
        checks = {c.name: c for c in await container.health.readiness()}
        for name in ("database", "migrations"):
            check = checks.get(name)
            if check is not None and not check.ok:
                raise ConfigError(
                    "the database is not ready", [Problem(f"database.{name}", check.detail)]
                )
        yield container


async def create_api_key(
    settings: Settings, name: str, scopes: Sequence[str], sources: Sequence[str]
) -> IssuedKey:
    """A new key (its token shown once); InputError names a bad name, scope or source."""
    async with _migrated(settings) as container:
        return await container.api_keys.issue(name, scopes, sources)


async def list_api_keys(settings: Settings) -> list[ApiKey]:
    async with _migrated(settings) as container:
        return await container.api_keys.list()


async def revoke_api_key(settings: Settings, key_id: int) -> ApiKey | None:
    async with _migrated(settings) as container:
        return await container.api_keys.revoke(key_id)


async def list_jobs(settings: Settings, state: JobState | None, limit: int) -> list[JobView]:
    async with _migrated(settings) as container:
        return list(await container.outbox.jobs(state=state, limit=limit))


async def retry_job(settings: Settings, job_id: int) -> JobView | None:
    async with _migrated(settings) as container:
        return await container.outbox.retry(job_id)


async def drop_job(settings: Settings, job_id: int) -> JobView | None:
    async with _migrated(settings) as container:
        return await container.outbox.drop(job_id)


async def get_alert(settings: Settings, alert_id: str, source: str | None) -> AlertView | None:
    async with _migrated(settings) as container:
        return await container.alerts.get(alert_id, source)


async def list_deliveries(settings: Settings, limit: int) -> list[JiraDelivery]:
    async with _migrated(settings) as container:
        return (await container.sync.deliveries.page(limit=limit)).items


async def check_jira_connection(
    settings: Settings,
    candidate: StoredConnection | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
) -> JiraTestReport:
    """Who we are on Jira (`candidate`, else the configured one), its flavour, version and
    visible projects; the default project and `defaults.project` must be among them."""
    config = bootstrap.load_configured(settings)
    connection = candidate or bootstrap.effective_jira(settings, config)
    if connection is None:
        raise ConfigError("no Jira is configured", [bootstrap.NO_JIRA])
    wanted = projects_to_check(connection, config.defaults.project)
    return await bootstrap.check_jira(connection.jira, transport, settings.outbound_allow, wanted)


async def site_report(settings: Settings) -> SiteReport:
    async with _site(settings) as site:
        return await site.report()


async def site_rebind(settings: Settings) -> tuple[str, int]:
    async with _site(settings) as site:
        return await site.rebind()


async def site_separate(settings: Settings) -> tuple[str, int]:
    async with _site(settings) as site:
        return await site.separate()


@asynccontextmanager
async def _site(settings: Settings) -> AsyncIterator[SiteBinding]:
    async with _migrated(settings, workers=1) as container:
        if container.provider is None:
            raise ConfigError(
                "no Jira is configured",
                [Problem("jira", "add `jira:` or run `ticketbridge config jira`")],
            )
        yield SiteBinding(bootstrap.uow_factory(container.database), container.provider)

"""One-shot operations of the CLI: each opens the container, does one thing, closes it."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path

import httpx
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

from ticketbridge import bootstrap
from ticketbridge.api.jira_connection import StoredConnection
from ticketbridge.api.schemas import JiraTestReport
from ticketbridge.bootstrap.jira import projects_to_check
from ticketbridge.cli import dev_session
from ticketbridge.config.schema import Config
from ticketbridge.config.settings import Settings
from ticketbridge.domain import JobState
from ticketbridge.domain.accounts import Role, User
from ticketbridge.domain.deliveries import JiraDelivery
from ticketbridge.domain.records import ApiKey, ProcessRecord, ScheduleRecord
from ticketbridge.errors import ConfigError, Problem
from ticketbridge.services import AlertView, JobView
from ticketbridge.services.api_keys import IssuedKey
from ticketbridge.services.fingerprints import Drift, Refingerprinted
from ticketbridge.services.reports import ReportService
from ticketbridge.services.site import SiteBinding, SiteReport
from ticketbridge.services.sla_scan import SlaRun


@asynccontextmanager
async def _migrated(settings: Settings, workers: int = 0) -> AsyncIterator[bootstrap.Container]:
    """The container, once the database is known to be at the code's schema (the database of
    a running `ticketbridge dev` when none was chosen); with `workers`, its Jira too."""
    following = dev_session.following_dev(settings)
    async with bootstrap.open_container(following, workers=workers) as container:
        await require_ready(container)
        yield container


async def require_ready(container: bootstrap.Container) -> None:
    """ConfigError (exit 2) when the database does not answer or is below the code's migration
    head (its detail says to run `ticketbridge db upgrade`), before anything reads a table."""
    checks = {c.name: c for c in await container.health.readiness()}
    for name in ("database", "migrations"):
        check = checks.get(name)
        if check is not None and not check.ok:
            raise ConfigError(
                "the database is not ready", [Problem(f"database.{name}", check.detail)]
            )


migrated = _migrated  # for the command modules that run their own operations (cli.audit_cmd)


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


@dataclass(frozen=True)
class Status:
    """`ticketbridge status`: the outbox's jobs by state and its oldest pending one, each
    periodic job's row, each process's heartbeat row, read at `now`."""

    counts: dict[JobState, int]
    oldest_pending: datetime | None
    schedules: list[ScheduleRecord]
    processes: list[ProcessRecord]
    now: datetime
    backlog_by_site: dict[str, int]  # jobs not done yet per Jira site (`jira.sites`) by name
    sites: tuple[str, ...]  # the configured ones: a backlog of another waits for nobody


async def status(settings: Settings) -> Status:
    async with _migrated(settings) as container:
        counts = dict(await container.outbox.counts())
        fleet = container.schedules
        assert fleet is not None  # every container has one
        return Status(
            counts,
            await fleet.oldest_pending(),
            await fleet.rows(),
            await fleet.processes(),
            container.now(),
            _by_site_name(await container.outbox.backlog_by_site(), container.config.default_site),
            tuple(container.config.sites) or (container.config.default_site,),
        )


def _by_site_name(backlog: dict[str, int], default: str) -> dict[str, int]:
    """The backlog per site's name: the default site's tickets may be unnamed ("")."""
    named: dict[str, int] = {}
    for site, count in backlog.items():
        name = site or default
        named[name] = named.get(name, 0) + count
    return named


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
    allowed = settings.outbound_allow
    async with bootstrap.stored_tokens(settings) as oauth:  # an OAuth 2.0 connection's tokens
        return await bootstrap.check_jira(connection.jira, transport, allowed, wanted, oauth)


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
        uow = bootstrap.uow_factory(container.database)  # `ticketbridge site`: the default site
        yield SiteBinding(uow, container.provider, container.config.default_connections)


@asynccontextmanager
async def reports(settings: Settings) -> AsyncIterator[ReportService]:
    """The report service on the migrated database (`ticketbridge report`)."""
    async with _migrated(settings) as container:
        yield container.reports


async def refingerprint(
    settings: Settings, source: str | None, dry_run: bool
) -> list[Refingerprinted]:
    async with _migrated(settings) as container:
        return await bootstrap.fingerprint_settings(container).refingerprint(
            source, dry_run=dry_run
        )


async def sla_recompute(settings: Settings) -> SlaRun:
    """`sla recompute`: every issue's clocks again, from its stored events."""
    async with _migrated(settings) as container:
        database = bootstrap.uow_factory(container.database)
        clocks = bootstrap.sla_clocks(container.config, database, container.clock)
        if clocks is None:
            raise ConfigError("no SLA is configured (sla: in defaults or in a route)")
        return await clocks.recompute()


def stored_database(settings: Settings) -> Settings | None:
    """The settings of the database the other commands would use (dev's while it runs), when
    it exists; None for a SQLite file not made yet (`config check` creates none)."""
    following = dev_session.following_dev(settings)
    url = make_url(following.database_url)
    if url.get_backend_name() == "sqlite" and not Path(url.database or "").is_file():
        return None
    return following


async def fingerprint_drift(following: Settings, config: Config) -> list[Drift] | None:
    """`config check`: the sources whose open tickets `config` would fork (nothing recorded);
    None when the database is not reachable or not migrated (nothing to compare with)."""
    try:
        async with _migrated(following) as container:
            checked = replace(container, config=config)
            return await bootstrap.fingerprint_settings(checked).drift(record=False)
    except (ConfigError, SQLAlchemyError, OSError):
        return None  # not reachable or not migrated: nothing to compare with


def _connector(settings: Settings, container: bootstrap.Container) -> bootstrap.OAuthConnector:
    store = bootstrap.connection_store(settings)
    return bootstrap.OAuthConnector(container.database, store, allowed=settings.outbound_allow)


async def start_oauth(settings: Settings, pending: bootstrap.PendingConnection) -> str:
    """The Atlassian URL to open; the authorization waits in the database for its callback."""
    async with _migrated(settings) as container:
        return await _connector(settings, container).start(pending)


async def wait_oauth(settings: Settings, authorization_url: str) -> str:
    """What became of the authorization (the callback `serve` received): its outcome."""
    async with _migrated(settings) as container:
        return await _connector(settings, container).wait(authorization_url)


async def finish_oauth(settings: Settings, callback_url: str) -> str:
    """Finish from the URL the browser was sent back to (when no `serve` received it)."""
    params = httpx.URL(callback_url).params
    async with _migrated(settings) as container:
        connector = _connector(settings, container)
        return await connector.complete(
            params.get("state", ""), params.get("code"), params.get("error")
        )


async def create_user(settings: Settings, username: str, password: str, role: Role) -> User:
    async with _migrated(settings) as container:
        return await container.accounts.create_user(username, password, role)


async def set_password(settings: Settings, username: str, password: str) -> User:
    async with _migrated(settings) as container:
        return await container.accounts.set_password(username, password)


async def list_users(settings: Settings) -> list[User]:
    async with _migrated(settings) as container:
        return await container.accounts.users()

"""One-shot operations of the CLI: each opens the container, does one thing, closes it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx

from ticketbridge import bootstrap
from ticketbridge.api.metrics import Metrics
from ticketbridge.api.ports import ApiKeyRecord
from ticketbridge.config.settings import Settings
from ticketbridge.domain import JobState
from ticketbridge.errors import ConfigError
from ticketbridge.providers.jira.retry import RetryPolicy
from ticketbridge.services import AlertView, JobView

__all__ = [
    "JiraReport",
    "check_jira_connection",
    "create_api_key",
    "drop_job",
    "get_alert",
    "list_jobs",
    "retry_job",
]


async def create_api_key(
    settings: Settings, name: str, scopes: frozenset[str], token_hash: str
) -> ApiKeyRecord:
    async with bootstrap.open_container(settings) as container:
        return await container.api_keys.create(name=name, scopes=scopes, token_hash=token_hash)


async def list_jobs(settings: Settings, state: JobState | None, limit: int) -> list[JobView]:
    async with bootstrap.open_container(settings) as container:
        return list(await container.outbox.jobs(state=state, limit=limit))


async def retry_job(settings: Settings, job_id: int) -> JobView | None:
    async with bootstrap.open_container(settings) as container:
        return await container.outbox.retry(job_id)


async def drop_job(settings: Settings, job_id: int) -> JobView | None:
    async with bootstrap.open_container(settings) as container:
        return await container.outbox.drop(job_id)


async def get_alert(settings: Settings, alert_id: str, source: str | None) -> AlertView | None:
    async with bootstrap.open_container(settings) as container:
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


async def check_jira_connection(
    settings: Settings, transport: httpx.AsyncBaseTransport | None = None
) -> JiraReport:
    """Who we are on the configured Jira, its flavour, version and visible projects."""
    connection = bootstrap.effective_jira(settings, bootstrap.load_configured(settings))
    if connection is None:
        raise ConfigError("no Jira is configured", [bootstrap.NO_JIRA])
    # One quick retry: someone is waiting for the answer, and a down Jira stays down.
    provider = bootstrap.build_provider(
        connection.jira, Metrics(), transport, retry=RetryPolicy(max_retries=1, base_delay=0.2)
    )
    try:
        me = await provider.myself()
        info = await provider.server_info()
        projects = await provider.projects()
    finally:
        await provider.aclose()
    caps = provider.capabilities
    return JiraReport(
        user=f"{me.display_name} <{me.email or me.account_id or me.name}>",
        flavor=caps.flavor,
        deployment=info.deployment_type,
        api_version=caps.api_version,
        version=info.version,
        base_url=info.base_url,
        projects=tuple(p.key for p in projects),
    )

"""The `Api` handle the API tests get from the fixtures (conftest.py), and how it is built."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import httpx

from ticketbridge import bootstrap
from ticketbridge.config.schema import Config
from ticketbridge.config.settings import Settings
from ticketbridge.services import WorkerSettings


@dataclass
class Api:
    client: httpx.AsyncClient
    container: bootstrap.Container
    keys: dict[str, str]  # scope name → token

    def auth(self, scope: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.keys[scope]}"}

    async def auth_for(self, scope: str, *sources: str) -> dict[str, str]:
        """The headers of a new key with `scope`, granted `sources`."""
        issued = await self.container.api_keys.issue(f"{scope} for {sources}", [scope], sources)
        return {"Authorization": f"Bearer {issued.token}"}

    async def decide(self) -> int:
        """Decide every accepted alert (the decision loop's work, done now)."""
        return await self.container.ingest.settle()

    async def drain(self) -> int:
        """Decide what is pending, then run the in-process worker until no job is runnable
        (what `serve` does continuously)."""
        assert self.container.decisions is not None, "built with workers"
        await self.container.decisions.run_until_idle()
        [dispatcher] = self.container.dispatchers
        return await dispatcher.run_until_idle()


@asynccontextmanager
async def open_api(
    tmp_path: Path,
    config: Config,
    workers: int = 0,
    transport: httpx.AsyncBaseTransport | None = None,
    database_url: str | None = None,
    worker: WorkerSettings | None = None,
) -> AsyncIterator[Api]:
    """The app on `database_url` (default: SQLite in `tmp_path`), with one key per scope; its
    workers settle at once unless `worker` says otherwise."""
    url = database_url or f"sqlite+aiosqlite:///{tmp_path / 'tb.db'}"
    settings = Settings(database_url=url, data_dir=tmp_path)
    await bootstrap.upgrade_database(url)
    settle = worker or WorkerSettings(
        settle_delay=timedelta(0), idle_sleep=timedelta(milliseconds=10)
    )
    async with bootstrap.open_container(
        settings, config, workers=workers, jira_transport=transport, worker_settings=settle
    ) as container:
        keys = {}
        for scope in ("ingest", "read", "admin"):  # each speaks for `generic` (the default)
            keys[scope] = (await container.api_keys.issue(scope, [scope])).token
        transport = httpx.ASGITransport(app=bootstrap.build_app(container))
        async with httpx.AsyncClient(transport=transport, base_url="http://tb.test") as client:
            yield Api(client, container, keys)

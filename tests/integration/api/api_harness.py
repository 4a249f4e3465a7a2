"""The `Api` handle the API tests get from the fixtures (conftest.py), and how it is built."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator, Mapping
from contextlib import AsyncExitStack, asynccontextmanager, contextmanager
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx

from ticketbridge import bootstrap
from ticketbridge.clock import Monotonic, Sleep
from ticketbridge.config.schema import Config
from ticketbridge.config.settings import load_settings
from ticketbridge.services import Clock, WorkerSettings


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
        # One dispatcher per Jira site (`jira.sites`); a job of one site waits for no other's.
        return sum([await d.run_until_idle() for d in self.container.dispatchers])


@asynccontextmanager
async def open_api(
    tmp_path: Path,
    config: Config,
    workers: int = 0,
    transport: httpx.AsyncBaseTransport | None = None,
    database_url: str | None = None,
    worker: WorkerSettings | None = None,
    environment: Mapping[str, str] | None = None,
    clock: Clock | None = None,
    ticket_wait: tuple[Monotonic, Sleep] | None = None,
) -> AsyncIterator[Api]:
    """The app on `database_url` (default: SQLite in `tmp_path`), with one key per scope; its
    workers settle at once unless `worker` says otherwise; `environment`: more
    `TICKETBRIDGE_*` settings, as the process environment gives them; `ticket_wait`: the
    monotonic clock and sleep bounding `?wait=ticket` (a `VirtualTime` and its sleep)."""
    url = database_url or f"sqlite+aiosqlite:///{tmp_path / 'tb.db'}"
    base = {"TICKETBRIDGE_DATABASE_URL": url, "TICKETBRIDGE_DATA_DIR": str(tmp_path)}
    settings = load_settings({**base, **(environment or {})})
    await bootstrap.upgrade_database(url)
    settle = worker or WorkerSettings(
        settle_delay=timedelta(0), idle_sleep=timedelta(milliseconds=10)
    )
    timing: dict[str, Any] = {"clock": clock} if clock is not None else {}
    if ticket_wait is not None:
        timing["ticket_wait"] = ticket_wait
    async with bootstrap.open_container(
        settings,
        config,
        workers=workers,
        jira_transport=transport,
        worker_settings=settle,
        **timing,
    ) as container:
        keys = {}
        for scope in ("ingest", "read", "admin"):  # each speaks for `generic` (the default)
            keys[scope] = (await container.api_keys.issue(scope, [scope])).token
        transport = httpx.ASGITransport(app=bootstrap.build_app(container))
        async with httpx.AsyncClient(transport=transport, base_url="http://tb.test") as client:
            yield Api(client, container, keys)


@contextmanager
def api_on_loop(
    runner: asyncio.Runner,
    tmp_path: Path,
    config: Config,
    database_url: str | None = None,
    **options: Any,
) -> Iterator[Api]:
    """`open_api` (with `options`) held open on `runner`'s loop, for a synchronous test
    (hypothesis runs its examples synchronously; each request is `runner.run(api.client.…)`)."""
    stack = AsyncExitStack()
    opened = open_api(tmp_path, config, database_url=database_url, **options)
    api = runner.run(stack.enter_async_context(opened))
    try:
        yield api
    finally:
        runner.run(stack.aclose())

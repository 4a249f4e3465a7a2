"""Reconcile wired: the use case over the Jira connection in effect, and its periodic loop.

Each run reads through a Jira client for the connection in effect (a connection saved meanwhile
is used from the next run); the store is the database's `reconcile_marks`.
The loop runs when `sync.mode` is `poll` or `both`, every `sync.reconcile_every`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime

import httpx

from ticketbridge.api.metrics import Metrics
from ticketbridge.bootstrap.jira import build_provider
from ticketbridge.bootstrap.jira_live import NO_JIRA, LiveConnection
from ticketbridge.clock import Clock
from ticketbridge.config.integrations import JiraConfig
from ticketbridge.config.schema import Config
from ticketbridge.config.settings import Settings
from ticketbridge.errors import ConfigError
from ticketbridge.providers.jira import JiraProvider
from ticketbridge.providers.jira.observer import JiraObserver
from ticketbridge.services.ports import ObservationSink
from ticketbridge.services.reconcile import Progress, Reconciler, ReconcileReport
from ticketbridge.storage import Database
from ticketbridge.storage.reconcile_marks import SqlReconcileStore
from ticketbridge.workers.reconciling import ReconcileLoop


class ReconcileRuns:
    """`run_once` over the connection in effect: what the loop, the CLI and tests call."""

    def __init__(
        self,
        *,
        settings: Settings,
        live: LiveConnection,
        database: Database,
        sink: ObservationSink,
        metrics: Metrics,
        clock: Clock,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self._settings = settings
        self._live = live
        self._store = SqlReconcileStore(database.unit_of_work)
        self._sink = sink
        self._metrics = metrics
        self._clock = clock
        self._transport = transport
        self._jira: JiraConfig | None = None
        self._provider: JiraProvider | None = None
        self._observer: JiraObserver | None = None
        self._retired: list[JiraProvider] = []

    async def run_once(
        self,
        *,
        since: datetime | None = None,
        dry_run: bool = False,
        sweep: bool | None = None,
        progress: Progress | None = None,
    ) -> ReconcileReport:
        observer, site = self._reader()
        reconciler = Reconciler(self._store, observer, self._sink, site, self._clock)
        return await reconciler.run_once(
            since=since, dry_run=dry_run, sweep=sweep, progress=progress
        )

    def _reader(self) -> tuple[JiraObserver, Callable[[], Awaitable[str]]]:
        """The reads over the connection in effect; kept while it is (the site's id and the
        user's time zone are asked once), rebuilt when another connection is saved."""
        connection = self._live.current()
        if connection is None:
            raise ConfigError("no Jira is configured", [NO_JIRA])
        if self._provider is None or connection.jira is not self._jira:
            if self._provider is not None:
                self._retired.append(self._provider)
            self._jira = connection.jira
            self._provider = build_provider(
                connection.jira,
                self._metrics,
                self._transport,
                allowed=self._settings.outbound_allow,
            )
            self._observer = JiraObserver(self._provider.client, self._provider.dialect)
        assert self._observer is not None
        return self._observer, self._provider.site_id

    async def aclose(self) -> None:
        for provider in [*self._retired, *([self._provider] if self._provider else [])]:
            await provider.aclose()
        self._retired, self._provider, self._jira, self._observer = [], None, None, None


def reconcile_loop(config: Config, runs: ReconcileRuns) -> ReconcileLoop | None:
    """The periodic reconcile, unless `sync.mode` is `webhook` (webhooks alone)."""
    if config.sync.mode == "webhook":
        return None
    return ReconcileLoop(runs.run_once, config.sync.reconcile_every)

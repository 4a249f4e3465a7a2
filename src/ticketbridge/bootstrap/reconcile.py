"""Reconcile wired: the use case over the Jira connection in effect, and its periodic loop.

Each run reads through the client of the connection in effect (`LiveJira`: a connection saved
meanwhile is used from the next run); the store is the database's `reconcile_marks`.
The loop runs when `sync.mode` is `poll` or `both`, every `sync.reconcile_every`.
"""

from __future__ import annotations

from datetime import datetime

import structlog

from ticketbridge.bootstrap.jira_reads import LiveJira
from ticketbridge.clock import Clock
from ticketbridge.config.schema import Config
from ticketbridge.providers.jira.observer import JiraObserver
from ticketbridge.services.ports import ObservationSink
from ticketbridge.services.reconcile import Progress, Reconciler, ReconcileReport
from ticketbridge.storage import Database
from ticketbridge.storage.reconcile_marks import SqlReconcileStore
from ticketbridge.workers.reconciling import ReconcileLoop

log = structlog.get_logger("ticketbridge")


class ReconcileRuns:
    """`run_once` over the connection in effect: what the loop, the CLI and tests call."""

    def __init__(
        self, *, jira: LiveJira, database: Database, sink: ObservationSink, clock: Clock
    ) -> None:
        self._jira = jira
        self._store = SqlReconcileStore(database.unit_of_work)
        self._sink = sink
        self._clock = clock
        self._observers: dict[int, JiraObserver] = {}

    async def scheduled(self) -> ReconcileReport | None:
        """The loop's run: none while no Jira is configured (nothing to repair from)."""
        if not self._jira.configured():
            return None
        report = await self.run_once()
        log.info(
            "reconciled",
            changed=report.changed,
            deleted=report.deleted,
            requests=report.requests,
            outcomes=dict(report.outcomes),
        )
        return report

    async def run_once(
        self,
        *,
        since: datetime | None = None,
        dry_run: bool = False,
        sweep: bool | None = None,
        progress: Progress | None = None,
    ) -> ReconcileReport:
        provider = self._jira.provider()
        observer = self._observers.get(id(provider))
        if observer is None:  # one per client: it keeps the user's time zone
            observer = JiraObserver(provider.client, provider.dialect)
            self._observers = {id(provider): observer}
        reconciler = Reconciler(self._store, observer, self._sink, provider.site_id, self._clock)
        return await reconciler.run_once(
            since=since, dry_run=dry_run, sweep=sweep, progress=progress
        )


def reconcile_loop(config: Config, runs: ReconcileRuns) -> ReconcileLoop | None:
    """The periodic reconcile, unless `sync.mode` is `webhook` (webhooks alone)."""
    if config.sync.mode == "webhook":
        return None
    return ReconcileLoop(runs.scheduled, config.sync.reconcile_every)

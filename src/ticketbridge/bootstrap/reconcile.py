"""Reconcile wired: the use case over the Jira connection in effect, and its periodic job.

Each run reads through the client of the connection in effect (`LiveJira`: a connection saved
meanwhile is used from the next run), or of another site of `jira.sites` (`SiteReads`, a job
of its own per site); the store is the database's `reconcile_marks`, a mark per site.
The job (`reconcile`) runs under the scheduler's lease (workers/scheduler.py), so one process
of many runs it at a time, when `sync.mode` is `poll` or `both`, every `sync.reconcile_every`.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from typing import Protocol

from ticketbridge.bootstrap.sync import SyncParts, site_observations
from ticketbridge.clock import Clock
from ticketbridge.config.schema import Config
from ticketbridge.providers.jira import JiraProvider
from ticketbridge.providers.jira.observer import JiraObserver
from ticketbridge.services.periodic import Periodic
from ticketbridge.services.ports import ObservationSink
from ticketbridge.services.reconcile import Progress, Reconciler, ReconcileReport
from ticketbridge.storage import Database
from ticketbridge.storage.reconcile_marks import SqlReconcileStore

RECONCILE = "reconcile"


class Reads(Protocol):
    """Where a reconcile reads Jira: the connection in effect (`LiveJira`), or a site's."""

    def configured(self) -> bool: ...
    def provider(self) -> JiraProvider: ...


class SiteReads:
    """One of the other sites' (`jira.sites`) providers, fixed for the process's life."""

    def __init__(self, provider: JiraProvider) -> None:
        self._provider = provider

    def configured(self) -> bool:
        return True

    def provider(self) -> JiraProvider:
        return self._provider


class ReconcileRuns:
    """`run_once` over the connection in effect: what the periodic job, the CLI and tests
    call."""

    def __init__(
        self,
        *,
        jira: Reads,
        database: Database,
        sink: ObservationSink,
        clock: Clock,
        connections: Collection[str] | None = None,
    ) -> None:
        """`connections`: the configured sites whose tickets `jira` holds (the default's)."""
        self._jira = jira
        self._store = SqlReconcileStore(database.unit_of_work, connections)
        self._sink = sink
        self._clock = clock
        self._observers: dict[int, JiraObserver] = {}

    async def scheduled(self) -> str:
        """The periodic job's run, in one line: none while no Jira is configured (nothing to
        repair from)."""
        if not self._jira.configured():
            return "no Jira configured: nothing to reconcile"
        return summary(await self.run_once())

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


def summary(report: ReconcileReport) -> str:
    """What a run did, in one line (`ticketbridge status`, the scheduler's log)."""
    outcomes = ", ".join(f"{name} {count}" for name, count in sorted(report.outcomes.items()))
    return (
        f"{report.changed} changed, {report.deleted} deleted"
        + (", swept" if report.swept else "")
        + f", {report.requests} Jira requests"
        + (f"; {outcomes}" if outcomes else "")
    )


def site_runs(
    parts: SyncParts, database: Database, name: str, provider: JiraProvider
) -> ReconcileRuns:
    """Another site's reconcile: its issues read through its provider, applied to its
    tickets only (the periodic `reconcile:<name>`, `ticketbridge reconcile --site`)."""
    sites = (name,)
    uow, clock = parts.uow, parts.clock
    sink = site_observations(uow, clock, parts.policy, provider, parts.approvals, sites)
    return ReconcileRuns(
        jira=SiteReads(provider), database=database, sink=sink, clock=clock, connections=sites
    )


def reconcile_job(config: Config, runs: ReconcileRuns, site: str | None = None) -> Periodic | None:
    """The periodic reconcile, unless `sync.mode` is `webhook` (webhooks alone); of another
    site than the default one (`site`), a job of its own (`reconcile:<site>`)."""
    if config.sync.mode == "webhook":
        return None
    name = RECONCILE if site is None else f"{RECONCILE}:{site}"
    return Periodic(name, config.sync.reconcile_every, runs.scheduled)

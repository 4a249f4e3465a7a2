"""The work a worker process runs beside the API, built by `open_container` when it is given
workers: the outbox dispatchers (the first one drives the callback sender), the decision loop
that decides accepted alerts, and the periodic jobs under the scheduler's lease rows."""

from __future__ import annotations

import os
import socket
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import httpx

from ticketbridge.api.metrics import Metrics
from ticketbridge.bootstrap.container import Core
from ticketbridge.bootstrap.jira_live import ReloadingProvider
from ticketbridge.bootstrap.reconcile import ReconcileRuns, reconcile_job, site_runs
from ticketbridge.bootstrap.sync import SyncParts, approval_rules
from ticketbridge.config.schema import Config
from ticketbridge.providers.base import Provider
from ticketbridge.providers.jira import JiraProvider
from ticketbridge.services import (
    Clock,
    DecideRound,
    IngestService,
    PipelineSettings,
    UnitOfWorkFactory,
    WorkerSettings,
)
from ticketbridge.services.accepting import AcceptingIngest
from ticketbridge.services.callback_requests import CallbackTargets
from ticketbridge.services.callbacks import CallbackSender
from ticketbridge.services.escalation import escalation_scan
from ticketbridge.services.outbox import OutboxProcessor
from ticketbridge.services.periodic import Periodic, done_job_purge
from ticketbridge.services.sla import SlaPolicies
from ticketbridge.services.sla_scan import SlaClocks
from ticketbridge.storage import Database
from ticketbridge.workers import DecisionLoop, Dispatcher, JiraWatch, Scheduler


@dataclass(frozen=True)
class Outbox:
    """The Jira writes' side; without workers both lists are empty."""

    watch: JiraWatch  # one per process: one warning per outage, not per worker
    senders: list[CallbackSender]
    dispatchers: list[Dispatcher]


@dataclass(frozen=True)
class Deciding:
    """Accepted alerts and their decisions: the service, its loop (with workers) and the
    intake in front of both."""

    service: IngestService
    decisions: DecisionLoop | None
    ingest: AcceptingIngest


def lease_owner(database: Database, role: str | int) -> str:
    """Who holds a lease: this host and process, and this container too, since a lease's owner
    may take it again (two library handlers in one process are two containers)."""
    return f"{socket.gethostname()}:{os.getpid()}:{id(database):x}:{role}"


def outbox_work(
    core: Core,
    provider: ReloadingProvider | None,
    sites: Mapping[str, Provider],
    worker: WorkerSettings,
    workers: int | None,
    callback_transport: httpx.AsyncBaseTransport | None,
) -> Outbox:
    """`workers` dispatchers over the default site's provider (none without one), and as many
    over each other site's (`sites`); the callback sender runs beside the first."""
    watch = JiraWatch(core.uow, core.clock)
    senders = callback_senders(core, worker, workers, callback_transport)
    dispatchers = outbox_dispatchers(core, provider, watch, worker, senders, workers)
    if provider is not None:  # the other sites', each watched on its own (its own outages)
        for name, site in sites.items():
            lane = _Lane(site, (name,), JiraWatch(core.uow, core.clock, name), name)
            dispatchers.extend(_dispatchers(core, lane, worker, (), workers))
    return Outbox(watch, senders, dispatchers)


def callback_senders(
    core: Core,
    worker: WorkerSettings,
    workers: int | None,
    transport: httpx.AsyncBaseTransport | None,
) -> list[CallbackSender]:
    """One sender when workers run and callbacks or a Slack webhook are configured."""
    config, pipeline = core.config, core.pipeline
    targets = CallbackTargets(config.callbacks)
    if not (workers and (config.callbacks or config.sync.notify.slack_webhook)):
        return []
    sender = CallbackSender(
        core.uow,
        targets,
        worker,
        pipeline.policy,
        core.clock,
        owner=lease_owner(core.database, "callbacks"),
        escalation=pipeline.escalation,
        slack_webhook=config.sync.notify.slack_webhook,
        transport=transport,
    )
    return [sender]


def outbox_dispatchers(
    core: Core,
    provider: ReloadingProvider | None,
    watch: JiraWatch,
    worker: WorkerSettings,
    senders: Sequence[CallbackSender],
    workers: int | None,
) -> list[Dispatcher]:
    """The default site's outbox workers, each claiming jobs under its own lease owner."""
    if provider is None:
        return []
    lane = _Lane(provider, core.config.default_connections, watch, None, provider.ready)
    return _dispatchers(core, lane, worker, senders, workers)


@dataclass(frozen=True)
class _Lane:
    """One Jira site's writes: its provider, the tickets' sites it claims, its watch."""

    provider: Provider
    connections: tuple[str, ...]
    watch: JiraWatch
    name: str | None  # None: the default site (lease owners as before sites)
    ready: Callable[[], bool] = lambda: True


def _dispatchers(
    core: Core,
    lane: _Lane,
    worker: WorkerSettings,
    senders: Sequence[CallbackSender],
    n: int | None,
) -> list[Dispatcher]:
    return [
        Dispatcher(
            OutboxProcessor(
                core.uow,
                lane.watch.provider(lane.provider),
                core.routing,
                core.routing,
                core.pipeline,
                worker,
                core.clock,
                owner=lease_owner(core.database, i if lane.name is None else f"{lane.name}:{i}"),
                connections=lane.connections,
            ),
            worker,
            lane.watch,
            ready=lane.ready,
            senders=senders if i == 0 else (),
        )
        for i in range(n or 0)
    ]


def deciding(
    core: Core, worker: WorkerSettings, dispatchers: Sequence[Dispatcher], workers: int | None
) -> Deciding:
    """The ingest service, the decision loop when workers run, and the accepting intake."""
    after = after_round(core.metrics, dispatchers)
    service = IngestService(core.uow, core.routing, core.pipeline, core.clock, after)
    # Each needs the other: the loop asks the intake whether it is busy (the lambda reads
    # `ingest` when called, after the next line), the intake wakes the loop after an accept.
    decisions = (
        DecisionLoop(
            service.decider,
            worker,
            intake_idle_for=lambda: ingest.idle_for(),
            outbox_busy=lambda: any(d.busy() for d in dispatchers),
        )
        if workers
        else None
    )
    ingest = AcceptingIngest(service, decisions, max_batch=core.pipeline.max_batch)
    return Deciding(service, decisions, ingest)


def after_round(
    metrics: Metrics, dispatchers: Sequence[Dispatcher]
) -> Callable[[DecideRound], None]:
    """After each decision round: count the decisions, wake the workers for its jobs."""

    def observe(decided: DecideRound) -> None:
        for kind, count in decided.counts().items():
            metrics.decisions.labels(decision=kind.value).inc(count)
        if decided.jobs:
            for dispatcher in dispatchers:
                dispatcher.wake()

    return observe


def periodic_jobs(
    uow: UnitOfWorkFactory,
    clock: Clock,
    worker: WorkerSettings,
    pipeline: PipelineSettings,
    sla: SlaClocks | None = None,
    reconcile: Periodic | None = None,
) -> list[Periodic]:
    """Every periodic job a worker process runs (each in one process at a time: the
    scheduler's lease rows)."""
    jobs = [
        done_job_purge(uow, clock, retention=worker.done_retention, every=worker.purge_every),
    ]
    if pipeline.escalation is not None:
        jobs.append(escalation_scan(uow, clock, pipeline.escalation))
    if sla is not None:
        jobs.append(sla.periodic())
    if reconcile is not None:  # what lost deliveries missed, repaired
        jobs.append(reconcile)
    return jobs


def sla_clocks(config: Config, uow: UnitOfWorkFactory, clock: Clock) -> SlaClocks | None:
    """The SLA scan and recompute, when the defaults or a route have an `sla`."""
    if config.defaults.sla is None and not any(route.sla for route in config.routes):
        return None
    return SlaClocks(uow, clock, SlaPolicies(config))


def periodic_scheduler(
    core: Core,
    worker: WorkerSettings,
    reconcile: ReconcileRuns,
    workers: int | None,
    sites: Mapping[str, JiraProvider],
) -> Scheduler | None:
    """The periodic jobs under the scheduler, when workers run; the other sites' reconciles
    (`sites`: their providers) among them."""
    config, uow, clock = core.config, core.uow, core.clock
    sla = sla_clocks(config, uow, clock)
    jobs = periodic_jobs(uow, clock, worker, core.pipeline, sla, reconcile_job(config, reconcile))
    if not workers:
        return None
    jobs.extend(job for name, site in sites.items() if (job := site_reconcile(core, name, site)))
    return Scheduler(uow, jobs, clock, owner=lease_owner(core.database, "scheduler"))


def site_reconcile(core: Core, name: str, provider: JiraProvider) -> Periodic | None:
    """Another site's reconcile: its issues read through its provider, applied to its
    tickets only (`reconcile:<name>`)."""
    parts = SyncParts(
        core.uow, core.clock, core.pipeline.policy, core.metrics, None, approval_rules(core.config)
    )
    return reconcile_job(core.config, site_runs(parts, core.database, name, provider), name)

"""A pipeline under test: database (SQLite or PostgreSQL), fake Jira, a controllable clock, and
everything else built from a `ticketbridge.yaml` text as `serve` builds it: the settings
(`PipelineSettings.from_config`, its only constructor), the rules router and the templates
(`bootstrap.routing`)."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from support.virtual_time import VirtualTime
from ticketbridge.bootstrap import load_config, routing
from ticketbridge.config import Config
from ticketbridge.domain import Alert, JobState
from ticketbridge.providers.base import Provider
from ticketbridge.services import (
    AlertQueries,
    AlertView,
    IngestResult,
    IngestService,
    IssueComposer,
    OutboxAdmin,
    PipelineSettings,
    RouteSeam,
    WorkerSettings,
    parse_alerts,
)
from ticketbridge.services.outbox import OutboxProcessor
from ticketbridge.storage import Database
from ticketbridge.workers import Dispatcher, JiraWatch

START = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def config(yaml: str = "", env: Mapping[str, str] | None = None) -> Config:
    """A configuration from YAML text (its `${…}` from `env`), checked as `ticketbridge config
    check` checks a file."""
    return load_config(text=yaml, env=env or {})


def settings(yaml: str = "") -> PipelineSettings:
    return PipelineSettings.from_config(config(yaml))


@dataclass
class FakeClock:
    """The virtual clock; its `sleep` ends when `advance` moves the clock past the wake-up
    (`VirtualTime.reached`, counted in seconds since the clock began)."""

    now: datetime = START
    elapsed: VirtualTime = field(default_factory=lambda: VirtualTime(now=0.0))

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        step = timedelta(**delta)
        self.now += step
        self.elapsed.advance(step.total_seconds())

    async def sleep(self, seconds: float) -> None:
        await self.elapsed.reached(self.elapsed.now + seconds)


FAST = WorkerSettings(
    settle_delay=timedelta(seconds=5),
    backoff_base=timedelta(seconds=1),
    backoff_max=timedelta(seconds=30),
)


@dataclass
class Pipeline:
    """`yaml` is the configuration (empty: the defaults; its `${…}` from `env`); `router`
    and `composer` replace the configuration's (a test's failing router or composer)."""

    db: Database
    provider: Provider
    yaml: str = ""
    worker: WorkerSettings = FAST
    clock: FakeClock = field(default_factory=FakeClock)
    router: RouteSeam | None = None
    composer: IssueComposer | None = None
    env: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.config = config(self.yaml, self.env)
        self.settings = PipelineSettings.from_config(self.config)
        router, composer = routing(self.config)
        self.router = router = self.router or router
        self.composer = self.composer or composer
        uow = self.db.unit_of_work
        self.ingest_service = IngestService(uow, router, self.settings, self.clock)
        self.admin = OutboxAdmin(uow, self.clock)
        self.queries = AlertQueries(uow)
        self.dispatchers = [self.dispatcher(f"worker-{i}") for i in range(2)]

    def dispatcher(
        self, owner: str, provider: Provider | None = None, watch: JiraWatch | None = None
    ) -> Dispatcher:
        """A dispatcher of its own; with `watch`, its Jira calls are watched (as `serve`'s)."""
        assert self.router is not None
        assert self.composer is not None
        jira = provider or self.provider
        processor = OutboxProcessor(
            self.db.unit_of_work,
            watch.provider(jira) if watch else jira,
            self.router,
            self.composer,
            self.settings,
            self.worker,
            self.clock,
            owner,
            self.clock.sleep if isinstance(self.clock, FakeClock) else asyncio.sleep,
        )
        return Dispatcher(processor, self.worker, watch)

    async def send(self, *payloads: dict[str, Any]) -> list[IngestResult]:
        fields = self.settings.fingerprint_fields
        alerts: list[Alert] = parse_alerts(
            list(payloads), now=self.clock(), fingerprint_fields=fields
        )
        return await self.ingest_service.ingest(alerts)

    async def alert(self, alert_id: str) -> AlertView:
        view = await AlertQueries(self.db.unit_of_work).get(alert_id)
        assert view is not None, alert_id
        return view

    async def drain(self, rounds: int = 60, step_seconds: float = 10, blocked: int = 0) -> None:
        """Run the outbox until nothing is left pending (but `blocked` jobs waiting behind a
        dead create), moving the clock past backoffs."""
        for _ in range(rounds):
            await self.dispatchers[0].run_until_idle()
            counts = await self.admin.counts()
            if counts[JobState.PENDING] == blocked and not counts[JobState.RUNNING]:
                return
            self.clock.advance(seconds=step_seconds)
        raise AssertionError(f"outbox did not drain: {await self.admin.counts()}")


def alert(**overrides: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "source": "generic",
        "kind": "hallucination",
        "title": "Model invented a citation",
        "severity": "high",
        "description": "The answer cited a paper that does not exist.",
        "attributes": {"model": "gpt-x", "policy_name": "citations"},
        "links": [{"title": "Console", "url": "https://console.example/a/1"}],
    }
    base.update(overrides)
    return base

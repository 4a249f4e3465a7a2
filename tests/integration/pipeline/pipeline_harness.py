"""A pipeline under test: database (SQLite or PostgreSQL), fake Jira, a controllable clock."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from ticketbridge.domain import Alert, JobState
from ticketbridge.providers.base import Provider
from ticketbridge.services import (
    AlertQueries,
    AlertView,
    DefaultComposer,
    DefaultsRouter,
    IngestResult,
    IngestService,
    IssueComposer,
    IssueStateService,
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


@dataclass
class FakeClock:
    now: datetime = START

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


FAST = WorkerSettings(
    settle_delay=timedelta(seconds=5),
    backoff_base=timedelta(seconds=1),
    backoff_max=timedelta(seconds=30),
)


@dataclass
class Pipeline:
    db: Database
    provider: Provider
    settings: PipelineSettings = field(default_factory=PipelineSettings)
    worker: WorkerSettings = FAST
    clock: FakeClock = field(default_factory=FakeClock)
    router: RouteSeam | None = None
    composer: IssueComposer = field(default_factory=DefaultComposer)

    def __post_init__(self) -> None:
        self.router = router = self.router or DefaultsRouter(self.settings)
        uow = self.db.unit_of_work
        self.ingest_service = IngestService(uow, router, self.settings, self.clock)
        self.admin = OutboxAdmin(uow, self.clock)
        self.queries = AlertQueries(uow)
        self.issue_state = IssueStateService(uow, self.settings)
        self.dispatchers = [self.dispatcher(f"worker-{i}") for i in range(2)]

    def dispatcher(
        self, owner: str, provider: Provider | None = None, watch: JiraWatch | None = None
    ) -> Dispatcher:
        """A dispatcher of its own; with `watch`, its Jira calls are watched (as `serve`'s)."""
        jira = provider or self.provider
        processor = OutboxProcessor(
            self.db.unit_of_work,
            watch.provider(jira) if watch else jira,
            self.router or DefaultsRouter(self.settings),
            self.composer,
            self.settings,
            self.worker,
            self.clock,
            owner,
        )
        return Dispatcher(processor, self.worker, watch)

    async def send(self, *payloads: dict[str, Any]) -> list[IngestResult]:
        alerts: list[Alert] = parse_alerts(list(payloads), now=self.clock())
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

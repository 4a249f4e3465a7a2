"""The outbox dispatcher: runs the `OutboxProcessor` (and the callback sender) in a loop. Done
jobs are deleted by the scheduler's `purge_done_jobs` (workers/scheduler.py).

`serve` runs one in-process (call `wake()` after an ingest for low latency); `ticketbridge
worker` runs it alone. Any number of dispatchers, in tasks or processes, may share a database:
claims are leased and guarded, so each job runs in one place at a time. With a `JiraWatch`
(workers.jira_watch), each round ends by reporting whether Jira stopped or started answering.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from typing import Protocol

import structlog

from ticketbridge.services.outbox import OutboxProcessor
from ticketbridge.services.settings import WorkerSettings
from ticketbridge.workers.idle import idle
from ticketbridge.workers.jira_watch import JiraWatch

log = structlog.get_logger(__name__)


class Runner(Protocol):
    """Another kind of outbox job run in the same rounds (the callback sender)."""

    async def run_once(self) -> int: ...


class Dispatcher:
    def __init__(
        self,
        processor: OutboxProcessor,
        settings: WorkerSettings,
        watch: JiraWatch | None = None,
        ready: Callable[[], bool] = lambda: True,
        senders: Sequence[Runner] = (),
    ) -> None:
        """`ready`: whether Jira jobs can run now (a Jira is configured); until then none is
        claimed, so jobs wait instead of failing, and run once a connection is saved.
        `senders` run the jobs to others than Jira (callbacks) in every round, ready or not."""
        self._processor = processor
        self._senders = tuple(senders)
        self._settings = settings
        self._watch = watch
        self._ready = ready
        self._wake = asyncio.Event()
        self._had_work = False

    def busy(self) -> bool:
        """Its last round claimed jobs: Jira writes are under way (the decision loop keeps its
        rounds short meanwhile)."""
        return self._had_work

    def wake(self) -> None:
        """New jobs are waiting: stop idling now."""
        self._wake.set()

    async def run_until_idle(self, max_rounds: int = 100_000) -> int:
        """Run rounds until no job is runnable now (tests; `ticketbridge worker --once`).
        Returns the number of jobs claimed. Jobs scheduled later (backoff, settle) remain."""
        total = 0
        for _ in range(max_rounds):
            claimed = await self._round()
            if claimed == 0:
                break
            total += claimed
        return total

    async def run_forever(self, stop: asyncio.Event) -> None:
        """Run until `stop` is set; an unexpected error is logged and the loop goes on."""
        pause = self._settings.idle_sleep.total_seconds()
        while not stop.is_set():
            try:
                claimed = await self._round()
            except Exception:  # the worker loop: log, pause, keep going
                log.exception("dispatcher round failed", owner=self._processor.owner)
                claimed = 0
            self._had_work = claimed > 0
            if claimed:
                continue
            self._wake.clear()
            await idle(stop, self._wake, pause)

    async def _round(self) -> int:
        claimed = 0
        if self._ready():
            claimed = await self._processor.run_once()
            if self._watch is not None:
                await self._watch.report()
        for sender in self._senders:
            claimed += await sender.run_once()
        return claimed

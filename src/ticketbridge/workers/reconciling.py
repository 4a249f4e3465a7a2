"""Reconcile on a schedule (`sync.reconcile_every`, when `sync.mode` is `poll` or `both`).

A simple periodic loop around one use case (`run_once`): a run at start — what a process that
was down missed — then one every `every`, or sooner when woken. At merge the lead puts it under
the scheduler's lease, so one process of many runs it at a time.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import timedelta

import structlog

from ticketbridge.workers.idle import idle

log = structlog.get_logger(__name__)


class ReconcileLoop:
    def __init__(self, run_once: Callable[[], Awaitable[object]], every: timedelta) -> None:
        self._run_once = run_once
        self.every = every
        self.runs = 0  # finished runs, failed ones included
        self._wake = asyncio.Event()

    def wake(self) -> None:
        """Run now instead of at the next tick."""
        self._wake.set()

    async def run_forever(self, stop: asyncio.Event) -> None:
        """Run until `stop` is set; a failed run is logged and the next one tries again."""
        while not stop.is_set():
            self._wake.clear()
            try:
                await self._run_once()
            except Exception:  # the worker loop: log, wait for the next run, keep going
                log.exception("reconcile run failed")
            self.runs += 1
            await idle(stop, self._wake, self.every.total_seconds())

"""The audit loop of `serve` and `worker`: signs a checkpoint when one is due (every 60 s or
1,000 events), sends unsent checkpoints to the sink, turns stored GitHub pushes into
CONFIG_CHANGE events, and signs a last checkpoint at shutdown."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import timedelta

import structlog

from ticketbridge.errors import TicketBridgeError
from ticketbridge.services.audit_checkpoints import Checkpointer

log = structlog.get_logger(__name__)
TICK = timedelta(seconds=1)


class AuditLoop:
    def __init__(
        self,
        checkpointer: Checkpointer,
        pushes: Callable[[], Awaitable[int]] | None = None,
        tick: timedelta = TICK,
    ) -> None:
        self._checkpointer = checkpointer
        self._pushes = pushes  # CONFIG_CHANGE events from the pushes not turned into one yet
        self._tick = tick.total_seconds()

    async def run_once(self, *, final: bool = False) -> None:
        try:
            if self._pushes is not None and not final:
                await self._pushes()
            await self._checkpointer.checkpoint(force=final)
        except TicketBridgeError as error:  # Jira or the sink: the next tick tries again
            log.warning("audit round failed", error=str(error), kind=type(error).__name__)
        except Exception as error:  # the worker loop's boundary: a bug is logged, the loop goes on
            log.error("audit round crashed", kind=type(error).__name__, exc_info=error)

    async def run_forever(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            await self.run_once()
            try:
                await asyncio.wait_for(stop.wait(), timeout=self._tick)
            except TimeoutError:
                continue
        await self.run_once(final=True)  # at shutdown: what was appended is signed

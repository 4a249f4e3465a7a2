"""Accepting alerts as they come in: group commit, then wake the decision loop (or, with
`wait`, decide now). The intake use cases (`services.intake`, `services.native_intake`) hand
their alerts to `AcceptingIngest`; bootstrap builds it over `IngestService`."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import Protocol

from ticketbridge.clock import Monotonic
from ticketbridge.domain import Alert
from ticketbridge.services.ingest import IngestResult, IngestService


class Wakeable(Protocol):
    """The decision loop (`workers.DecisionLoop`): told when there is something to decide."""

    def wake(self) -> None: ...


class AcceptingIngest:
    """Accept (group-committed), wake the decision loop, answer.

    With `wait`, the request decides whatever is pending itself (taking turns with the loop)
    and answers with the decisions. Without a decision loop (`serve --workers 0`: API only),
    alerts are decided by a `ticketbridge worker` on the same database.
    """

    def __init__(
        self,
        service: IngestService,
        decisions: Wakeable | None,
        max_batch: int = 1000,
        monotonic: Monotonic = time.monotonic,
    ) -> None:
        self._service = service
        self._monotonic = monotonic
        self._decisions = decisions
        self._group = GroupCommit(service.accept, max_batch)
        self._accepting = 0
        self._last_accept = float("-inf")  # monotonic

    def idle_for(self) -> float:
        """Seconds since the last accept ended; 0 while one is under way. The decision loop
        lets intake go first by it. (A request being parsed needs no flag of its own: parsing
        never yields the event loop, so nothing else runs meanwhile.)"""
        if self._accepting:
            return 0.0
        return self._monotonic() - self._last_accept

    async def ingest(self, alerts: Sequence[Alert], *, wait: bool = False) -> list[IngestResult]:
        self._accepting += 1
        try:
            results = await self._group.submit(alerts)
        finally:
            self._accepting -= 1
            self._last_accept = self._monotonic()
        if self._decisions is not None:
            self._decisions.wake()
        if not wait:
            return results
        await self.settle()
        return await self._service.answer(alerts, [r.duplicate for r in results])

    async def settle(self) -> int:
        """Decide everything pending now; returns how many alerts were decided."""
        return await self._service.decide_all()


Accept = Callable[[Sequence[Alert]], Awaitable[list[IngestResult]]]


class GroupCommit:
    """Requests that arrive while a transaction is running are accepted together in the next
    one (up to `max_batch` alerts), and each gets its own results back.

    SQLite has one writer at a time; without this, concurrent single-alert requests queue on the
    database lock one transaction each. On PostgreSQL it saves a transaction per request as
    well. Nobody waits for a batch to fill: a group is whatever queued up during the previous
    commit, so an idle server commits a lone alert at once. A group whose transaction fails is
    committed again request by request: only the request that caused it gets the error.
    """

    def __init__(self, accept: Accept, max_batch: int = 1000) -> None:
        self._accept = accept
        self._max_batch = max_batch
        self._queue: list[tuple[Sequence[Alert], asyncio.Future[list[IngestResult]]]] = []
        self._drainer: asyncio.Task[None] | None = None

    async def submit(self, alerts: Sequence[Alert]) -> list[IngestResult]:
        future: asyncio.Future[list[IngestResult]] = asyncio.get_running_loop().create_future()
        self._queue.append((alerts, future))
        if self._drainer is None or self._drainer.done():
            self._drainer = asyncio.create_task(self._drain())
        return await future

    async def _drain(self) -> None:
        while self._queue:
            await self._commit(self._take_group())

    async def _commit(
        self, group: list[tuple[Sequence[Alert], asyncio.Future[list[IngestResult]]]]
    ) -> None:
        combined = [alert for alerts, _ in group for alert in alerts]
        try:
            results = await self._accept(combined)
        except Exception as exc:  # noqa: BLE001 - a drain loop: the error goes to its requests
            if len(group) > 1:  # one request's alerts never cost the others theirs: each alone
                for request in group:
                    await self._commit([request])
                return
            for _, future in group:
                if not future.done():
                    future.set_exception(exc)
            return
        start = 0
        for alerts, future in group:
            if not future.done():  # a caller that went away still had its alerts committed
                future.set_result(results[start : start + len(alerts)])
            start += len(alerts)

    def _take_group(self) -> list[tuple[Sequence[Alert], asyncio.Future[list[IngestResult]]]]:
        group = [self._queue.pop(0)]
        total = len(group[0][0])
        while self._queue and total + len(self._queue[0][0]) <= self._max_batch:
            total += len(self._queue[0][0])
            group.append(self._queue.pop(0))
        return group

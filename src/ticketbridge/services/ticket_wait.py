"""`?wait` on the ingest endpoints: answer at the commit, once the alerts are decided
(`?wait=true`), or once each alert that has a ticket has its issue key (`?wait=ticket`).

Waiting for a key is bounded (`limit`, 10 s by default): the create goes out through the outbox
(`serve`'s dispatchers, woken by the decision round that queued it), and a Jira that hangs or is
down must not hold requests forever. On the bound the answer is the state so far, marked
incomplete; the create goes on in the outbox. A create Jira refused (a dead job) ends the wait
for its alert, and the answer names the error. The store is polled with the injected
monotonic clock and sleep, so tests drive the bound with virtual time.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import timedelta
from enum import StrEnum

from ticketbridge.clock import Monotonic, Sleep
from ticketbridge.domain import Alert, DecisionKind, JobState
from ticketbridge.services.accepting import AcceptingIngest
from ticketbridge.services.ingest import IngestResult, IngestService
from ticketbridge.services.ports import UnitOfWorkFactory

TICKET_WAIT_LIMIT = timedelta(seconds=10)
_POLL_SECONDS = 0.05  # between looks at the store for the issue keys
_NO_TICKET = (DecisionKind.IGNORE, DecisionKind.SUPPRESS)
_MAX_DEAD = 1000  # dead jobs looked at per poll: the newest are the ones that matter here


class Wait(StrEnum):
    """What the answer waits for (the `?wait` query value)."""

    COMMIT = "false"
    DECISIONS = "true"
    TICKET = "ticket"


@dataclass(frozen=True)
class Answer:
    """The results, and for `Wait.TICKET` whether every issue key (or dead create) was there
    before the bound (`complete`)."""

    results: list[IngestResult]
    wait: Wait
    complete: bool = True
    limit: timedelta = TICKET_WAIT_LIMIT


class WaitingIngest:
    """Accept `alerts`, then wait as `wait` says (see the module's doc)."""

    def __init__(
        self,
        accepting: AcceptingIngest,
        service: IngestService,
        uow_factory: UnitOfWorkFactory,
        *,
        limit: timedelta = TICKET_WAIT_LIMIT,
        monotonic: Monotonic = time.monotonic,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self._accepting = accepting
        self._service = service
        self._uow = uow_factory
        self._limit = limit
        self._monotonic = monotonic
        self._sleep = sleep

    async def ingest(self, alerts: Sequence[Alert], wait: Wait) -> Answer:
        results = await self._accepting.ingest(alerts, wait=wait is not Wait.COMMIT)
        if wait is not Wait.TICKET:
            return Answer(results, wait)
        deadline = self._monotonic() + self._limit.total_seconds()
        duplicates = [r.duplicate for r in results]
        while True:
            missing = await self._missing_tickets(alerts)
            dead = await self._dead_creates(set(missing.values()))
            if set(missing.values()) <= dead.keys():  # every key there, or its create dead
                break
            if self._monotonic() >= deadline:
                answered = await self._answer(alerts, duplicates, missing, dead)
                return Answer(answered, wait, complete=False, limit=self._limit)
            await self._sleep(_POLL_SECONDS)
        answered = await self._answer(alerts, duplicates, missing, dead)
        return Answer(answered, wait, complete=True, limit=self._limit)

    async def _answer(
        self,
        alerts: Sequence[Alert],
        duplicates: Sequence[bool],
        missing: Mapping[int, int],
        dead: Mapping[int, str],
    ) -> list[IngestResult]:
        results = await self._service.answer(alerts, duplicates)
        for index, ticket_id in missing.items():
            if ticket_id in dead and results[index].ticket_key is None:
                error = f"the issue was not created: {dead[ticket_id]}"
                results[index] = replace(results[index], ticket_error=error)
        return results

    async def _missing_tickets(self, alerts: Sequence[Alert]) -> dict[int, int]:
        """Alert index → ticket id, for the decided alerts whose ticket has no issue key yet
        (undecided ones too: their ticket is still to come)."""
        keys = [(a.source, a.id) for a in alerts]
        async with self._uow() as uow:
            stored = await uow.alerts.find(keys)
            ids = [row.ticket_id for row in stored.values() if row.ticket_id is not None]
            tickets = await uow.tickets.get_many(ids)
        missing: dict[int, int] = {}
        for index, key in enumerate(keys):
            row = stored.get(key)
            if row is None or row.ticket_id is None or row.decision in _NO_TICKET:
                continue
            ticket = tickets.get(row.ticket_id)
            if ticket is not None and ticket.issue_key is None:
                missing[index] = row.ticket_id
        return missing

    async def _dead_creates(self, ticket_ids: set[int]) -> dict[int, str]:
        """Ticket id → the error of its dead job, among `ticket_ids` (no key: the create)."""
        if not ticket_ids:
            return {}
        async with self._uow() as uow:
            jobs = await uow.outbox.list(state=JobState.DEAD, limit=_MAX_DEAD)
        return {
            job.ticket_id: job.last_error or "Jira refused it"
            for job in jobs
            if job.ticket_id in ticket_ids
        }

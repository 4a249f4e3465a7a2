"""One library call through the pipeline: ingest (one transaction), then the outbox drained in
this process until nothing is runnable now, then the issue key read back from the store."""

from __future__ import annotations

import asyncio
import os
import socket
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import cast

from ticketbridge.domain import Alert, DecisionKind, JobState, Ticket
from ticketbridge.domain.records import Job
from ticketbridge.errors import PermanentError, Unavailable
from ticketbridge.library.pipeline import LibraryComposer, LibraryRouter, targeted
from ticketbridge.library.views import IssueView
from ticketbridge.providers.base import IssueUpdate, Provider
from ticketbridge.services import (
    IngestResult,
    IngestService,
    OutboxProcessor,
    PipelineSettings,
    UnitOfWorkFactory,
    WorkerSettings,
)
from ticketbridge.storage import Database
from ticketbridge.workers import Dispatcher

__all__ = ["PipelineRun"]

_UPDATES = (DecisionKind.REPEAT, DecisionKind.REOPEN)
_POLL = 0.05  # seconds between looks at a create another caller is running
_MAX_JOBS = 100_000


@dataclass(frozen=True)
class IssuedTicket:
    ticket: Ticket
    key: str


_NO_TICKET = (DecisionKind.IGNORE, DecisionKind.SUPPRESS)


def _now() -> datetime:
    return datetime.now(UTC)


class PipelineRun:
    def __init__(
        self,
        database: Database,
        provider: Provider,
        router: LibraryRouter,
        composer: LibraryComposer,
        settings: PipelineSettings,
        worker: WorkerSettings,
        *,
        wait: float = 60.0,
    ) -> None:
        self.database = database
        self._wait = wait
        # SqlUnitOfWork fits services.ports.UnitOfWork structurally
        # (see bootstrap.wiring._uow_factory).
        self._uow = cast(UnitOfWorkFactory, database.unit_of_work)
        self._provider = provider
        self._composer = composer
        self._settings = settings
        self._worker = worker
        self._owner = f"library:{socket.gethostname()}:{os.getpid()}:{id(self):x}"
        self.use_router(router)

    def use_router(self, router: LibraryRouter) -> None:
        self._router = router
        self._ingest = IngestService(self._uow, router, self._settings, _now)
        processor = OutboxProcessor(
            self._uow,
            self._provider,
            router,
            self._composer,
            self._settings,
            self._worker,
            _now,
            owner=self._owner,
        )
        self._dispatcher = Dispatcher(processor, self._worker)

    async def ingest(
        self, alerts: Sequence[Alert], project_key: str | None, issue_type: str | None
    ) -> list[IngestResult]:
        results = await self._ingest.ingest([targeted(a, project_key, issue_type) for a in alerts])
        await self._dispatcher.run_until_idle()
        tickets = await self._tickets([r.fingerprint for r in results])
        return [_with_ticket(r, tickets.get(r.fingerprint)) for r in results]

    async def sync(
        self, alert: Alert, project_key: str | None, issue_type: str | None, *, update: bool
    ) -> IssueView | None:
        [result] = await self.ingest([alert], project_key, issue_type)
        if result.decision in _NO_TICKET and result.ticket_key is None:
            return None
        ticket = await self._settled(result.fingerprint)
        if update and (result.duplicate or result.decision in _UPDATES):
            await self._update(targeted(alert, project_key, issue_type), ticket.ticket, ticket.key)
        return IssueView.of(await self._provider.get_issue(ticket.key))

    async def _update(self, alert: Alert, ticket: Ticket, key: str) -> None:
        """The issue says what the latest occurrence says (title, description, priority)."""
        draft = self._composer.draft(alert, self._router.route(alert), ticket)
        current = await self._provider.get_issue(key)
        await self._provider.update_issue(
            key,
            IssueUpdate(
                summary=draft.summary,
                description=draft.description,
                priority=draft.priority,
                add_labels=tuple(label for label in draft.labels if label not in current.labels),
            ),
        )

    async def _tickets(self, fingerprints: Sequence[str]) -> dict[str, Ticket]:
        async with self._uow() as uow:
            return await uow.tickets.current(list(dict.fromkeys(fingerprints)))

    async def _settled(self, fingerprint: str) -> IssuedTicket:
        """The fingerprint's ticket once its issue exists. Another coroutine, thread or process
        may be running the create: wait for it. A create that failed transiently is retried
        when its backoff ends, for up to `wait` seconds (an unknown outcome is settled by the
        marker lookup); then Unavailable, the job staying queued in the store for the next call
        or `ticketbridge worker`. A create Jira refused raises PermanentError with its reason."""
        deadline = time.monotonic() + self._wait
        while True:
            ticket = (await self._tickets([fingerprint])).get(fingerprint)
            if ticket is None:
                raise PermanentError("the alert has no ticket in the store")
            if ticket.issue_key is not None:
                return IssuedTicket(ticket, ticket.issue_key)
            jobs = await self._jobs_of(ticket)
            dead = [job for job in jobs if job.state is JobState.DEAD]
            if dead:
                hint = f" ({dead[-1].hint})" if dead[-1].hint else ""
                raise PermanentError(f"Jira refused the issue: {dead[-1].last_error}{hint}")
            pause = _pause(jobs, deadline - time.monotonic())
            if pause is None:
                errors = [job.last_error for job in jobs if job.last_error]
                raise Unavailable(
                    f"the issue is not created yet ({errors[-1] if errors else 'in progress'}); "
                    "it stays queued in the store and is retried by the next call"
                )
            await asyncio.sleep(pause)
            await self._dispatcher.run_until_idle()

    async def _jobs_of(self, ticket: Ticket) -> list[Job]:
        async with self._uow() as uow:
            jobs = [
                job
                for state in (JobState.PENDING, JobState.RUNNING, JobState.DEAD)
                for job in await uow.outbox.list(state=state, limit=_MAX_JOBS)
            ]
        return sorted((job for job in jobs if job.ticket_id == ticket.id), key=lambda j: j.id)


def _pause(jobs: Sequence[Job], remaining: float) -> float | None:
    """How long to wait before looking again: a poll while another caller runs the create,
    until the next retry is due when that is within `remaining`; None: stop waiting."""
    if remaining <= 0:
        return None
    if not jobs or any(job.state is JobState.RUNNING for job in jobs):
        return _POLL  # running elsewhere, or just finished: look at the ticket again
    due = [job.next_attempt_at for job in jobs if job.state is JobState.PENDING]
    if not due:
        return None
    until = (min(due) - _now()).total_seconds()
    return max(_POLL, until) if until <= remaining else None


def _with_ticket(result: IngestResult, ticket: Ticket | None) -> IngestResult:
    if ticket is None or ticket.issue_key is None:
        return result
    return replace(result, ticket_key=ticket.issue_key, ticket_url=ticket.issue_url)

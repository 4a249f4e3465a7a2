"""One library call through the pipeline: ingest (one transaction), then the outbox drained in
this process until nothing is runnable now, then the issue key read back from the store."""

from __future__ import annotations

import os
import socket
from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime
from typing import cast

from ticketbridge.domain import Alert, DecisionKind, JobState, Ticket
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
    ) -> None:
        self.database = database
        # SqlUnitOfWork fits services.ports.UnitOfWork structurally (see bootstrap._uow_factory).
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
        ticket = (await self._tickets([result.fingerprint])).get(result.fingerprint)
        if ticket is None or ticket.issue_key is None:
            raise await self._why_not_created(ticket)
        if update and (result.duplicate or result.decision in _UPDATES):
            await self._update(targeted(alert, project_key, issue_type), ticket, ticket.issue_key)
        return IssueView.of(await self._provider.get_issue(ticket.issue_key))

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

    async def _why_not_created(self, ticket: Ticket | None) -> PermanentError | Unavailable:
        """The error the create's job ended with: dead (PermanentError) or queued for a retry
        (Unavailable; the next call, or `ticketbridge worker` on this store, retries it)."""
        if ticket is None:
            return PermanentError("the alert has no ticket in the store")
        async with self._uow() as uow:
            dead = await uow.outbox.list(state=JobState.DEAD, limit=100_000)
            pending = await uow.outbox.list(state=JobState.PENDING, limit=100_000)
        for job in reversed(dead):
            if job.ticket_id == ticket.id:
                hint = f" ({job.hint})" if job.hint else ""
                return PermanentError(f"Jira refused the issue: {job.last_error}{hint}")
        waiting = [job for job in pending if job.ticket_id == ticket.id]
        error = waiting[-1].last_error if waiting else None
        return Unavailable(
            f"the issue is not created yet ({error or 'queued'}); it stays queued in the store "
            "and is retried by the next call"
        )


def _with_ticket(result: IngestResult, ticket: Ticket | None) -> IngestResult:
    if ticket is None or ticket.issue_key is None:
        return result
    return replace(result, ticket_key=ticket.issue_key, ticket_url=ticket.issue_url)

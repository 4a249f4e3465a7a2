"""A caller that waits for its alert's issue (the library's `sync_alert`): the alert goes through
the pipeline as `serve` takes it (stored and decided in one transaction), the outbox runs in the
caller's process until nothing is runnable now, and the answer is the issue itself.

The store decides create-or-update for every caller sharing it; this use case only waits: for a
create another coroutine, thread or process is running, and for a create that failed
transiently until its backoff ends (up to `wait`). A repeat brings the issue up to date with the
latest occurrence (summary, description, priority, labels), as the seeds' sync handlers did.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Collection, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from ticketbridge.clock import Clock, Sleep
from ticketbridge.domain import Alert, DecisionKind, JobState, Ticket
from ticketbridge.domain.records import Job
from ticketbridge.errors import InputError, PermanentError, Problem, Unavailable
from ticketbridge.providers.base import Issue, IssueUpdate, Provider
from ticketbridge.services.ingest import IngestResult
from ticketbridge.services.ports import IssueComposer, RouteSeam, UnitOfWorkFactory
from ticketbridge.services.site import SiteBinding
from ticketbridge.sources import SOURCES

Ingest = Callable[[Sequence[Alert]], Awaitable[list[IngestResult]]]
Drain = Callable[[], Awaitable[int]]

_UPDATES = (DecisionKind.REPEAT, DecisionKind.REOPEN)
_NO_TICKET = (DecisionKind.IGNORE, DecisionKind.SUPPRESS)
_POLL = timedelta(milliseconds=50)  # between looks at a create another caller is running
_MAX_JOBS = 100_000


def alert_sources() -> list[str]:
    """The native sources that carry alerts (`github` carries pushes)."""
    return sorted(name for name, source in SOURCES.items() if source.parse_alerts is not None)


def parse_native(
    source: str, payload: Any, *, now: datetime, fingerprint_fields: Sequence[str] | None
) -> list[Alert]:
    """A native payload of `source` (a dict, a list, or the source's envelope) → alerts;
    InputError naming `source` when there is no such alert source."""
    adapter = SOURCES.get(source)
    if adapter is None or adapter.parse_alerts is None:
        raise InputError("unknown source", [Problem("source", f"no alert source {source!r}")])
    return adapter.parse_alerts(payload, received_at=now, fingerprint_fields=fingerprint_fields)


@dataclass(frozen=True)
class _Issued:
    ticket: Ticket
    key: str


class AlertSync:
    """`ingest` many alerts and get their issue keys, or `sync` one and get its issue."""

    def __init__(
        self,
        uow_factory: UnitOfWorkFactory,
        ingest: Ingest,
        drain: Drain,
        provider: Provider,
        seams: tuple[RouteSeam, IssueComposer],
        clock: Clock,
        *,
        wait: timedelta = timedelta(seconds=60),
        sleep: Sleep = asyncio.sleep,
        connections: Collection[str] | None = None,
    ) -> None:
        """`connections`: the configured sites `provider` writes (`Ticket.connection`)."""
        self._uow = uow_factory
        self._accept_and_decide = ingest
        self._drain = drain
        self._provider = provider
        self._router, self._composer = seams
        self._clock = clock
        self._wait = wait
        self._sleep = sleep
        self._connections = connections

    async def ingest(self, alerts: Sequence[Alert]) -> list[IngestResult]:
        """Stored, decided, and the Jira writes due now done; the results carry each alert's
        issue key (None when ignored, or still queued after a failure)."""
        # A store made against another Jira site would hand out its keys: say so first.
        await SiteBinding(self._uow, self._provider, self._connections).current()
        results = await self._accept_and_decide(alerts)
        await self._drain()
        tickets = await self._tickets([r.fingerprint for r in results])
        return [_with_ticket(r, tickets.get(r.fingerprint)) for r in results]

    async def sync(self, alert: Alert, *, update: bool) -> Issue | None:
        """The alert's issue once it exists; with `update`, a repeat (or reopen) also brings it
        up to date. None when routing ignored or suppressed the alert."""
        [result] = await self.ingest([alert])
        if result.decision in _NO_TICKET and result.ticket_key is None:
            return None
        issued = await self._settled(result.fingerprint)
        if update and (result.duplicate or result.decision in _UPDATES):
            await self._update(alert, issued)
        return await self._provider.get_issue(issued.key)

    async def _update(self, alert: Alert, issued: _Issued) -> None:
        """The issue says what the latest occurrence says (title, description, priority)."""
        draft = self._composer.draft(alert, self._router.route(alert), issued.ticket)
        current = await self._provider.get_issue(issued.key)
        await self._provider.update_issue(
            issued.key,
            IssueUpdate(
                summary=draft.summary,
                description=draft.description,
                priority=draft.priority,
                add_labels=tuple(label for label in draft.labels if label not in current.labels),
            ),
        )

    async def _settled(self, fingerprint: str) -> _Issued:
        """The fingerprint's ticket once its issue exists. A create that failed transiently is
        retried when its backoff ends, for up to `wait` (an unknown outcome is settled by the
        marker lookup); then Unavailable, the job staying queued for the next call or
        `ticketbridge worker`. A create Jira refused raises PermanentError with its reason."""
        deadline = self._clock() + self._wait
        while True:
            ticket = (await self._tickets([fingerprint])).get(fingerprint)
            if ticket is None:
                raise PermanentError("the alert has no ticket in the store")
            if ticket.issue_key is not None:
                return _Issued(ticket, ticket.issue_key)
            jobs = await self._jobs_of(ticket)
            dead = [job for job in jobs if job.state is JobState.DEAD]
            if dead:
                hint = f" ({dead[-1].hint})" if dead[-1].hint else ""
                raise PermanentError(f"the issue's create failed: {dead[-1].last_error}{hint}")
            pause = _pause(jobs, self._clock(), deadline)
            if pause is None:
                errors = [job.last_error for job in jobs if job.last_error]
                raise Unavailable(
                    f"the issue is not created yet ({errors[-1] if errors else 'in progress'}); "
                    "it stays queued in the store and is retried by the next call"
                )
            await self._sleep(pause.total_seconds())
            await self._drain()

    async def _tickets(self, fingerprints: Sequence[str]) -> dict[str, Ticket]:
        async with self._uow() as uow:
            return await uow.tickets.current(list(dict.fromkeys(fingerprints)))

    async def _jobs_of(self, ticket: Ticket) -> list[Job]:
        async with self._uow() as uow:
            jobs = [
                job
                for state in (JobState.PENDING, JobState.RUNNING, JobState.DEAD)
                for job in await uow.outbox.list(state=state, limit=_MAX_JOBS)
            ]
        return sorted((job for job in jobs if job.ticket_id == ticket.id), key=lambda j: j.id)


def _pause(jobs: Sequence[Job], now: datetime, deadline: datetime) -> timedelta | None:
    """How long to wait before looking again: a poll while another caller runs the create,
    until the next retry is due when that is before `deadline`; None: stop waiting."""
    if now >= deadline:
        return None
    if not jobs or any(job.state is JobState.RUNNING for job in jobs):
        return _POLL  # running elsewhere, or just finished: look at the ticket again
    due = [job.next_attempt_at for job in jobs if job.state is JobState.PENDING]
    if not due or min(due) > deadline:
        return None
    return max(_POLL, min(due) - now)


def _with_ticket(result: IngestResult, ticket: Ticket | None) -> IngestResult:
    if ticket is None or ticket.issue_key is None:
        return result
    return replace(result, ticket_key=ticket.issue_key, ticket_url=ticket.issue_url)

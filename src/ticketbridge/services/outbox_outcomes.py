"""How an outbox job that did not complete is put back: retried later, or dead-lettered.

Three ways a job fails: a Jira error (transient: retried with backoff; permanent: dead at
once), a job that cannot be drafted (dead, with a hint naming the route and template), and an
unexpected exception — a bug. The last is retried with backoff like a transient error, but only
`WorkerSettings.crash_limit` times in a row: then it is dead too, so no job loops forever.
"""

from __future__ import annotations

from datetime import datetime

import structlog

from ticketbridge.clock import Clock
from ticketbridge.domain import JobKind, TicketPolicy
from ticketbridge.domain.life import JobDied, after_write
from ticketbridge.domain.records import Job
from ticketbridge.errors import JiraError, OutcomeUnknown, PermanentError
from ticketbridge.services.deciding import alert_payload, new_jobs
from ticketbridge.services.failures import CRASH_HINT, crash_count, describe_crash, describe_error
from ticketbridge.services.ports import UnitOfWork, UnitOfWorkFactory
from ticketbridge.services.settings import WorkerSettings

log = structlog.get_logger(__name__)


class JobOutcomes:
    """Reschedules or kills jobs `owner` holds; a job whose lease was lost is left alone."""

    def __init__(
        self,
        uow_factory: UnitOfWorkFactory,
        worker: WorkerSettings,
        policy: TicketPolicy,
        clock: Clock,
        owner: str,
    ) -> None:
        self._uow = uow_factory
        self._worker = worker
        self._policy = policy
        self._clock = clock
        self._owner = owner

    async def fail(
        self,
        job: Job,
        fingerprint: str | None,
        error: JiraError,
        *,
        keep_sent: bool,
    ) -> None:
        """A Jira (or draft) error: dead when permanent, else retried after a backoff."""
        text, hint = describe_error(error)
        if isinstance(error, PermanentError):
            await self._kill(job, fingerprint, text, hint, keep_sent=keep_sent)
            return
        # An unknown outcome is the end of this worker's own request: nothing of it is in
        # flight any more, so the marker lookup waits a settle delay from now, not from the
        # deadline the request had.
        ended = self._clock() if isinstance(error, OutcomeUnknown) else None
        await self._reschedule(
            job, fingerprint, self._retry_at(job, error), text, keep_sent=keep_sent, ended=ended
        )

    async def crashed(self, job: Job, fingerprint: str | None, error: BaseException) -> None:
        """An unexpected exception: retried with backoff, dead after `crash_limit` in a row.
        The stored text has the type and message; the traceback goes to the log only."""
        count, limit = crash_count(job) + 1, self._worker.crash_limit
        text = describe_crash(error, count, limit)
        log.error(
            "outbox job crashed",
            job=job.id,
            kind=job.kind.value,
            owner=self._owner,
            failures=count,
            exc_info=error,
        )
        if count >= limit:
            await self._kill(job, fingerprint, text, CRASH_HINT.format(job_id=job.id))
            return
        # The create may have been sent before the crash: keep what `sent_until` says, so
        # the next attempt looks the marker up first.
        await self._reschedule(job, fingerprint, self._backoff(job), text, keep_sent=True)

    async def later(self, job: Job, at: datetime, *, count: bool, keep_sent: bool = True) -> None:
        """Not failed, only not runnable yet (a lease held elsewhere, the settle delay)."""
        async with self._uow() as uow:
            await uow.outbox.reschedule(
                job.id,
                self._owner,
                next_attempt_at=at,
                error=None,
                keep_sent=keep_sent,
                count_attempt=count,
            )
            await uow.commit()

    async def _kill(
        self,
        job: Job,
        fingerprint: str | None,
        text: str,
        hint: str | None,
        *,
        keep_sent: bool = True,
    ) -> None:
        now = self._clock()
        async with self._uow() as uow:
            if fingerprint is not None:
                await uow.tickets.lock_fingerprints([fingerprint])
            if await uow.outbox.kill(
                job.id, self._owner, error=text, hint=hint, now=now, keep_sent=keep_sent
            ):
                await self._after_death(uow, job)
                log.warning("outbox job dead", job=job.id, kind=job.kind.value, error=text)
            await self._release(uow, job, fingerprint)
            await uow.commit()

    async def _reschedule(
        self,
        job: Job,
        fingerprint: str | None,
        at: datetime,
        text: str,
        *,
        keep_sent: bool,
        ended: datetime | None = None,
    ) -> None:
        async with self._uow() as uow:
            if fingerprint is not None:
                await uow.tickets.lock_fingerprints([fingerprint])
            await uow.outbox.reschedule(
                job.id,
                self._owner,
                next_attempt_at=at,
                error=text,
                keep_sent=keep_sent,
                sent_ended=ended,
            )
            await self._release(uow, job, fingerprint)
            await uow.commit()

    async def _release(self, uow: UnitOfWork, job: Job, fingerprint: str | None) -> None:
        if job.kind is JobKind.CREATE_ISSUE and fingerprint is not None:
            await uow.tickets.release_leases([fingerprint], self._owner)

    async def _after_death(self, uow: UnitOfWork, job: Job) -> None:
        try:
            current = await uow.tickets.get(job.ticket_id)
        except ValueError:  # a row this version cannot read (a newer one's): left as it is
            return
        if current is None:
            return
        step = after_write(current, JobDied(job.kind), self._policy)
        if step.ticket is not None and step.ticket != current:
            await uow.tickets.save_many([step.ticket])
        if step.jobs and step.ticket is not None:  # the callbacks of a dead create
            again = new_jobs(step.jobs, step.ticket, alert_payload(job.payload))
            await uow.outbox.enqueue(again, self._clock())

    def _retry_at(self, job: Job, error: JiraError) -> datetime:
        if isinstance(error, OutcomeUnknown):
            return self._clock() + self._worker.settle_delay
        return self._backoff(job, error)

    def _backoff(self, job: Job, error: JiraError | None = None) -> datetime:
        return self._clock() + self._worker.backoff.wait(job.attempts, error)

"""The outbox processor: claims due jobs and executes them against the provider.

Exactly once (SPEC §4.5): a create runs under the fingerprint's lease; `sent_until`, the
request's deadline, is committed before the request, which is cancelled if still under way
then (no create outlives its job's lease, however slow Jira or the database is). When the
outcome is unknown, or a job is found with `sent_until` set (its worker died or lost the
answer), the marker is looked up a settle delay after `sent_until` before any new create, and a
failed lookup only retries later (fail closed).
The ticket's link to the issue is committed in the transaction that completes the job; what
a job did reaches the ticket through `domain.life.after_write`, never by assigning its fields.

No job loops forever: Jira errors are retried or dead-lettered (`JobOutcomes.fail`), a job that
cannot be drafted is dead with a hint naming its route and template, and an unexpected
exception (a bug) is caught per job — never escaping to fail a whole batch or bulk group — and
dead-lettered after `WorkerSettings.crash_limit` in a row (`JobOutcomes.crashed`).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Collection, Sequence
from dataclasses import replace
from datetime import datetime, timedelta

import structlog

from ticketbridge.clock import Clock, Sleep
from ticketbridge.domain import JobKind, Ticket, TicketStatus
from ticketbridge.domain.life import IssueCreated, Written, after_write
from ticketbridge.domain.records import NewJob
from ticketbridge.domain.route import Route
from ticketbridge.domain.states import OUTWARD_KINDS
from ticketbridge.errors import (
    ConfigError,
    InputError,
    JiraError,
    OutcomeUnknown,
    PermanentError,
    TransientError,
    WrongSite,
)
from ticketbridge.providers.base import IssueDraft, IssueRef, Marker, Provider
from ticketbridge.services.audit_trail import job_events
from ticketbridge.services.create_leases import CreateLeases
from ticketbridge.services.deciding import alert_payload, new_jobs
from ticketbridge.services.failures import DraftFailed, draft_hint
from ticketbridge.services.grouping import placed
from ticketbridge.services.outbox_loading import LoadedJob, load_jobs, plan_batch
from ticketbridge.services.outbox_outcomes import JobOutcomes
from ticketbridge.services.ports import IssueComposer, RouteSeam, UnitOfWork, UnitOfWorkFactory
from ticketbridge.services.settings import PipelineSettings, WorkerSettings
from ticketbridge.services.site import SiteBinding
from ticketbridge.services.writes import FollowUpWriter

log = structlog.get_logger(__name__)
_CONCURRENCY = 8
_JIRA_KINDS = frozenset(JobKind) - OUTWARD_KINDS  # callbacks and Slack: services.callbacks


class OutboxProcessor:
    def __init__(
        self,
        uow_factory: UnitOfWorkFactory,
        provider: Provider,
        router: RouteSeam,
        composer: IssueComposer,
        settings: PipelineSettings,
        worker: WorkerSettings,
        clock: Clock,
        owner: str,
        sleep: Sleep = asyncio.sleep,
        connections: Collection[str] | None = None,
    ) -> None:
        """`sleep` times the creates' deadlines (tests: one that follows their virtual clock);
        `connections`: the configured sites whose tickets' jobs it claims (None: every one)."""
        self._uow = uow_factory
        self._provider = provider
        self._router = router
        self._composer = composer
        self._settings = settings
        self._worker = worker
        self._clock = clock
        self.owner = owner
        self._writer = FollowUpWriter(provider, router, composer, settings)
        self._limit = asyncio.Semaphore(_CONCURRENCY)
        self._outcomes = JobOutcomes(uow_factory, worker, settings.policy, clock, owner)
        self._leases = CreateLeases(uow_factory, worker.lease, clock, sleep, owner)
        self._connections = connections
        self._site = SiteBinding(uow_factory, provider, connections)

    async def run_once(self) -> int:
        """Claim one batch of runnable jobs and execute them; returns how many were claimed.
        Nothing is claimed while the site is unknown (Jira not answering) or changed."""
        site = await self._site.current_or_none()
        if site is None:
            return 0
        now, worker = self._clock(), self._worker
        async with self._uow() as uow:
            until, sites = now + worker.lease, self._connections
            jobs = await uow.outbox.claim(self.owner, now, until, worker.batch, _JIRA_KINDS, sites)
            loaded, broken = await load_jobs(uow, jobs)
            await uow.commit()
        if not jobs:
            return 0
        for job, error in broken:
            await self._outcomes.crashed(job, None, error)
        loaded = await self._of_this_site(loaded, site)
        planned = plan_batch(loaded, self._provider.capabilities, self._worker, settled_by=now)
        await asyncio.gather(
            *(self._guarded([item], self._run_one(item)) for item in planned.singles),
            *(self._guarded(group, self._create_bulk(group)) for group in planned.fresh),
            *(self._guarded(group, self._recover_bulk(group)) for group in planned.recovering),
        )
        return len(jobs)

    async def _of_this_site(self, loaded: list[LoadedJob], site: str) -> list[LoadedJob]:
        """The jobs whose tickets may be written on `site`; the others (a ticket kept apart,
        or bound to another site since) are dead-lettered: their issue keys name other issues
        here."""
        kept: list[LoadedJob] = []
        for item in loaded:
            ticket = item.ticket
            if ticket.status is not TicketStatus.DETACHED and ticket.site in (None, site):
                kept.append(item)
                continue
            error = WrongSite(
                f"{ticket.issue_key or 'the issue'} is on the Jira site {ticket.site}, not on "
                f"the connection's {site}: not written"
            )
            await self._fail(item, error, keep_sent=False)
        return kept

    async def _guarded(self, items: Sequence[LoadedJob], work: Awaitable[None]) -> None:
        async with self._limit:
            try:
                await work
            except Exception as error:  # noqa: BLE001 - the worker loop's boundary
                for item in items:
                    await self._outcomes.crashed(item.job, item.ticket.fingerprint, error)

    async def _run_one(self, item: LoadedJob) -> None:
        if item.job.kind is JobKind.CREATE_ISSUE:
            await self._create_one(item)
        else:
            await self._follow_up(item)

    # --- creates ---------------------------------------------------------------------------

    async def _create_one(self, item: LoadedJob) -> None:
        job, ticket = item.job, item.ticket
        if ticket.issue_key is not None:
            await self._link(item, None)  # linked by an earlier attempt: only finish the job
            return
        if job.sent_until is None:
            await self._create_fresh(item)
            return
        if await self._leases.take([item.job], [item.ticket.fingerprint]) is None:
            await self._held_elsewhere([item])
            return
        settled = job.sent_until + self._worker.settle_delay
        if self._clock() < settled:
            await self._outcomes.later(job, settled, count=False, keep_sent=True)
            return
        found = await self._looked_up([item])
        if found is None:
            return
        if found[job.id]:
            await self._link(item, found[job.id][0])
        else:
            await self._send_create(item, None)

    async def _create_fresh(self, item: LoadedJob) -> None:
        """A create never sent: lease and deadline recorded together, then sent."""
        until = await self._leases.take([item.job], [item.ticket.fingerprint], send=True)
        if until is None:
            await self._held_elsewhere([item])
            return
        await self._send_create(item, until)

    async def _send_create(self, item: LoadedJob, until: datetime | None) -> None:
        """`until`: the deadline recorded already; None: recorded once the draft is made."""
        draft = await self._drafted(item)
        if draft is None:
            return
        if until is None:
            until = await self._leases.take([item.job], [item.ticket.fingerprint], send=True)
            if until is None:
                return  # lost the lease; its new owner looks the marker up
        try:
            ref = await self._leases.before(until, self._provider.create_issue(draft))
        except JiraError as error:
            await self._fail(item, error, keep_sent=isinstance(error, OutcomeUnknown))
            return
        await self._link_all([(replace(item, warnings=draft.warnings), ref)])

    async def _held_elsewhere(self, items: Sequence[LoadedJob]) -> None:
        """A fingerprint lease is held by another worker: try again in a second."""
        for item in items:
            await self._outcomes.later(item.job, self._clock() + timedelta(seconds=1), count=False)

    async def _recover_bulk(self, group: list[LoadedJob]) -> None:
        """Creates that may have been sent (a dead worker's, settled), taken over together:
        each marker looked up, the issues found linked, the rest created in one bulk request
        instead of one request each (the rate limit's budget)."""
        jobs, fingerprints = [i.job for i in group], [i.ticket.fingerprint for i in group]
        if await self._leases.take(jobs, fingerprints) is None:
            await self._held_elsewhere(group)
            return
        found = await self._looked_up(group)
        if found is None:
            return
        await self._link_all(
            [(item, found[item.job.id][0]) for item in group if found[item.job.id]]
        )
        missing = [item for item in group if not found[item.job.id]]
        if missing:
            await self._create_bulk(missing)

    async def _looked_up(
        self, items: Sequence[LoadedJob]
    ) -> dict[int, tuple[IssueRef, ...]] | None:
        """The issues carrying each item's marker, by job id, in one search; None when the
        search did not answer: the jobs failed (fail closed, never create after a failed
        lookup)."""
        markers = {item.job.id: Marker(item.ticket.marker_key) for item in items}
        try:
            found = await self._provider.find_by_markers(list(markers.values()))
        except JiraError as error:
            for item in items:
                await self._fail(item, error, keep_sent=True)
            return None
        return {job_id: found.get(marker, ()) for job_id, marker in markers.items()}

    async def _create_bulk(self, group: list[LoadedJob]) -> None:
        until = await self._leases.take(
            [i.job for i in group], [i.ticket.fingerprint for i in group], send=True
        )
        if until is None:
            await self._held_elsewhere(group)
            return
        drafts: list[IssueDraft] = []
        for item in list(group):
            draft = await self._drafted(item)
            if draft is None:  # this one cannot be drafted: it failed alone
                group.remove(item)
            else:
                group[group.index(item)] = replace(item, warnings=draft.warnings)
                drafts.append(draft)
        if not group:
            return
        try:
            result = await self._leases.before(until, self._provider.create_issues(drafts))
        except JiraError as error:
            for item in group:
                await self._fail(item, error, keep_sent=isinstance(error, OutcomeUnknown))
            return
        await self._link_all(
            [(item, result.created[pos]) for pos, item in enumerate(group) if pos in result.created]
        )
        for position, item in enumerate(group):
            if position in result.created:
                continue
            failure = result.failed.get(position)
            why = failure if isinstance(failure, JiraError) else OutcomeUnknown(str(failure))
            await self._fail(item, why, keep_sent=isinstance(why, OutcomeUnknown))

    async def _drafted(self, item: LoadedJob) -> IssueDraft | None:
        """The item's draft; None when there is none, its job settled: dead when the alert,
        its route or its template fails (hint: which), a crash counted on a bug."""
        route: Route | None = None
        failure: JiraError
        if item.alert is None:
            failure = PermanentError(f"alert {item.job.payload} of job {item.job.id} is gone")
            await self._fail(item, failure, keep_sent=item.job.sent_until is not None)
            return None
        try:
            route = self._router.route(item.alert)
            draft = self._composer.draft(item.alert, route, item.ticket)
            return placed(draft, item.epic, self._provider.capabilities.flavor)
        except (ConfigError, InputError, PermanentError) as error:
            failure = DraftFailed(str(error), hint=draft_hint(route))
        except JiraError as error:  # a composer's transient error: retried with backoff
            failure = error
        except Exception as error:  # noqa: BLE001 - the worker loop, per job: not its bulk
            await self._outcomes.crashed(item.job, item.ticket.fingerprint, error)
            return None
        await self._fail(item, failure, keep_sent=item.job.sent_until is not None)
        return None

    async def _link(self, item: LoadedJob, ref: IssueRef | None) -> None:
        await self._link_all([(item, ref)])

    async def _link_all(self, pairs: Sequence[tuple[LoadedJob, IssueRef | None]]) -> None:
        """Record each issue on its ticket and complete its job, in one transaction. A job
        whose lease was lost is left alone: its new owner finds the issue by marker."""
        if not pairs:
            return
        async with self._uow() as uow:
            await uow.tickets.lock_fingerprints([item.ticket.fingerprint for item, _ in pairs])
            now = self._clock()
            done = await uow.outbox.complete([item.job.id for item, _ in pairs], self.owner, now)
            finished = [(item, ref) for item, ref in pairs if item.job.id in done]
            # The site this round checked before it wrote: no request or second transaction
            # inside this one.
            created = [
                (item, IssueCreated(ref.id, ref.key, ref.url, self._site.checked))
                for item, ref in finished
                if ref is not None
            ]
            tickets = await self._apply(uow, created, now)
            uow.audit.record(
                [
                    event
                    for (item, _), ticket in zip(created, tickets, strict=True)
                    for event in job_events(
                        item.job.kind, item.job.payload, ticket, now, created=True
                    )
                ]
            )
            for item, _ in finished:
                await _record_warnings(uow, item)
            await uow.tickets.release_leases(
                [item.ticket.fingerprint for item, _ in finished], self.owner
            )
            await uow.commit()

    # --- follow-ups ------------------------------------------------------------------------

    async def _follow_up(self, item: LoadedJob) -> None:
        if item.ticket.issue_key is None:  # cannot happen while the ordering key holds
            await self._outcomes.later(
                item.job, self._clock() + self._worker.backoff_base, count=False
            )
            return
        try:
            targets = await self._link_targets(item)
            written = await self._writer.write(
                item.job.kind, item.ticket, item.alert, self._clock(), targets, item.job.payload
            )
        except JiraError as error:
            await self._fail(item, error, keep_sent=False)
            return
        async with self._uow() as uow:
            await uow.tickets.lock_fingerprints([item.ticket.fingerprint])
            now = self._clock()
            if not await uow.outbox.complete([item.job.id], self.owner, now):
                return
            ticket = item.ticket
            if written is not None:
                [ticket] = await self._apply(uow, [(item, written)], now)
            uow.audit.record(job_events(item.job.kind, item.job.payload, ticket, now))
            await uow.commit()

    async def _link_targets(self, item: LoadedJob) -> dict[str, str | None]:
        """A `link_issues` job's fingerprint targets: each one's issue key in the store (None:
        no such ticket, or its create is dead). A target still being created is waited for."""
        wanted = [link.fingerprint for link in item.ticket.links if link.fingerprint is not None]
        if item.job.kind is not JobKind.LINK_ISSUES or not wanted:
            return {}
        async with self._uow() as uow:
            found = await uow.tickets.current(wanted)
        targets: dict[str, str | None] = {}
        for fingerprint in wanted:
            ticket = found.get(fingerprint)
            if ticket is not None and ticket.status is TicketStatus.PENDING:
                raise TransientError(f"the issue of {fingerprint} is not created yet")
            targets[fingerprint] = ticket.issue_key if ticket is not None else None
        return targets

    async def _apply(
        self, uow: UnitOfWork, written: Sequence[tuple[LoadedJob, Written]], now: datetime
    ) -> list[Ticket]:
        """What each job did, onto its ticket as it is now (the decider may have moved it
        since the job was claimed), with the jobs that asks for, in the jobs' transaction; the
        tickets as they are after, in the order given. One read, one save, one enqueue."""
        current = await uow.tickets.get_many([item.job.ticket_id for item, _ in written])
        changed: dict[int, Ticket] = {}
        again: list[NewJob] = []
        after: list[Ticket] = []
        for item, result in written:
            ticket = current[item.job.ticket_id]
            step = after_write(ticket, result, self._settings.policy)
            if step.ticket is not None and step.ticket != ticket:
                current[item.job.ticket_id] = changed[item.job.ticket_id] = step.ticket
            if step.jobs and step.ticket is not None:
                again.extend(new_jobs(step.jobs, step.ticket, alert_payload(item.job.payload)))
            after.append(step.ticket or ticket)
        if changed:
            await uow.tickets.save_many(list(changed.values()))
        if again:
            await uow.outbox.enqueue(again, now)
        return after

    async def _fail(self, item: LoadedJob, error: JiraError, *, keep_sent: bool) -> None:
        await self._outcomes.fail(item.job, item.ticket.fingerprint, error, keep_sent=keep_sent)


async def _record_warnings(uow: UnitOfWork, item: LoadedJob) -> None:
    """What the create's draft could not render (a template that failed for the alert, the
    default used instead) joins the alert's reasons: `explain` and the API show it."""
    if not item.warnings:
        return
    stored = await uow.alerts.get(item.job.payload["source"], item.job.payload["alert_id"])
    if stored is not None:
        new = tuple(w for w in item.warnings if w not in stored.reasons)
        await uow.alerts.record([replace(stored, reasons=(*stored.reasons, *new))])
    log.warning("template failed for an alert", job=item.job.id, warnings=list(item.warnings))

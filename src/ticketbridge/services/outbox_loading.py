"""A claimed batch of outbox jobs with what executing them needs: each job's ticket, its alert
and (a create under an epic) the epic, read for the whole batch in a few statements rather
than three per job (bench/RESULTS.md: the drain spent most of its time on per-job reads); and
the batch planned: creates for one project go to Jira together (`/issue/bulk`), those never
sent and, apart, those a dead worker may have sent (their markers looked up first)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from ticketbridge.domain import Alert, JobKind, Ticket
from ticketbridge.domain.records import Job, StoredAlert
from ticketbridge.providers.base import Capabilities
from ticketbridge.services.ports import UnitOfWork
from ticketbridge.services.settings import WorkerSettings


@dataclass(frozen=True)
class LoadedJob:
    job: Job
    ticket: Ticket
    alert: Alert | None
    epic: Ticket | None = None  # a create's epic (grouping), as the store has it
    warnings: tuple[str, ...] = ()  # what its draft could not render (recorded on the alert)


async def load_jobs(
    uow: UnitOfWork, jobs: Sequence[Job]
) -> tuple[list[LoadedJob], list[tuple[Job, Exception]]]:
    """Each job's ticket and alert; a job that cannot be loaded (a bug, a payload or a row
    from a newer version) is set aside so it cannot stop the batch."""
    try:
        return await _load_together(uow, jobs)
    except Exception:  # noqa: BLE001 - a row none of the batch can read: find whose it is
        loaded: list[LoadedJob] = []
        broken: list[tuple[Job, Exception]] = []
        for job in jobs:
            try:
                alone, failed = await _load_together(uow, [job])
            except Exception as error:  # noqa: BLE001 - the worker loop's per-job boundary
                alone, failed = [], [(job, error)]
            loaded.extend(alone)
            broken.extend(failed)
        return loaded, broken


async def _load_together(
    uow: UnitOfWork, jobs: Sequence[Job]
) -> tuple[list[LoadedJob], list[tuple[Job, Exception]]]:
    tickets = await uow.tickets.get_many([job.ticket_id for job in jobs])
    epic_ids = [
        ticket.parent_id
        for job in jobs
        if job.kind is JobKind.CREATE_ISSUE
        and (ticket := tickets.get(job.ticket_id)) is not None
        and ticket.parent_id is not None
    ]
    epics = await uow.tickets.get_many(epic_ids)  # settled: see the claim
    keyed = {job.id: key for job in jobs if (key := _alert_key(job)) is not None}
    alerts = await uow.alerts.find(list(keyed.values()))
    loaded: list[LoadedJob] = []
    broken: list[tuple[Job, Exception]] = []
    for job in jobs:
        try:
            ticket = tickets.get(job.ticket_id)
            if ticket is None:
                raise LookupError(f"ticket {job.ticket_id} of job {job.id} is gone")
            stored = await _alert_of(uow, job, keyed.get(job.id), alerts)
        except Exception as error:  # noqa: BLE001 - the worker loop's per-job boundary
            broken.append((job, error))
            continue
        epic = None
        if job.kind is JobKind.CREATE_ISSUE and ticket.parent_id is not None:
            epic = epics.get(ticket.parent_id)
        loaded.append(LoadedJob(job, ticket, stored.alert if stored else None, epic))
    return loaded, broken


def _alert_key(job: Job) -> tuple[str, str] | None:
    """The (source, id) the job names, when it names one the batch can look up together."""
    if job.kind is JobKind.DIGEST:
        return None
    source, alert_id = job.payload.get("source"), job.payload.get("alert_id")
    if isinstance(source, str) and isinstance(alert_id, str):
        return source, alert_id
    return None


async def _alert_of(
    uow: UnitOfWork,
    job: Job,
    key: tuple[str, str] | None,
    found: dict[tuple[str, str], StoredAlert],
) -> StoredAlert | None:
    if job.kind is JobKind.DIGEST:  # the digest tells the newest occurrence
        return await uow.alerts.latest_for_ticket(job.ticket_id)
    if key is not None:
        return found.get(key)
    # A payload without a source (written before sources were scoped): the newest of that id.
    return await uow.alerts.get(job.payload["source"], job.payload["alert_id"])


@dataclass
class PlannedBatch:
    singles: list[LoadedJob] = field(default_factory=list)
    fresh: list[list[LoadedJob]] = field(default_factory=list)  # creates never sent
    recovering: list[list[LoadedJob]] = field(default_factory=list)  # maybe sent, settled


def plan_batch(
    loaded: Sequence[LoadedJob],
    caps: Capabilities,
    worker: WorkerSettings,
    *,
    settled_by: datetime,
) -> PlannedBatch:
    """Creates of one project in groups of at most `caps.max_bulk` where the provider takes
    bulk creates and there are at least `worker.bulk_min`; everything else one by one. A
    create whose `sent_until` is set joins a recovering group only once its settle delay has
    passed (`settled_by`); before, it waits alone."""
    planned = PlannedBatch()
    fresh: dict[str, list[LoadedJob]] = defaultdict(list)
    recovering: dict[str, list[LoadedJob]] = defaultdict(list)
    for item in loaded:
        job = item.job
        if job.kind is not JobKind.CREATE_ISSUE or not caps.bulk_create or item.ticket.issue_key:
            planned.singles.append(item)
        elif job.sent_until is None:
            fresh[item.ticket.project].append(item)
        elif job.sent_until + worker.settle_delay <= settled_by:
            recovering[item.ticket.project].append(item)
        else:
            planned.singles.append(item)
    for by_project, groups in ((fresh, planned.fresh), (recovering, planned.recovering)):
        for items in by_project.values():
            if len(items) < worker.bulk_min:
                planned.singles.extend(items)
                continue
            step = max(1, caps.max_bulk)
            groups.extend(items[i : i + step] for i in range(0, len(items), step))
    return planned

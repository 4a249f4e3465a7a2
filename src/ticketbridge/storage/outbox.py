"""The outbox: durable Jira writes, claimed with leases.

A job is runnable when it is due and pending (or running with an expired lease: its worker
died), it is the first of its ordering key — an earlier pending or running job, or a dead
create, holds the key — and its ticket's epic (grouping) is not still waiting for its create:
a grouped issue is created after its epic, whichever worker or process runs either. Claims
lock candidates `FOR UPDATE SKIP LOCKED` on PostgreSQL; on SQLite the transaction already
holds the write lock (BEGIN IMMEDIATE) and the UPDATE is guarded.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import (
    RowMapping,
    and_,
    delete,
    exists,
    func,
    insert,
    or_,
    select,
    text,
    update,
)
from sqlalchemy.ext.asyncio import AsyncConnection

from ticketbridge.domain import JobKind, JobState, TicketStatus
from ticketbridge.domain.records import Job, NewJob
from ticketbridge.storage.postgres_driver import driver
from ticketbridge.storage.sqlite_values import bound_chunks, json_text
from ticketbridge.storage.tables import of_sites, tickets
from ticketbridge.storage.tables import outbox_jobs as jobs

_PENDING, _RUNNING, _DONE, _DEAD = (s.value for s in JobState)
# The decider's enqueue on PostgreSQL, at asyncpg (storage.postgres_driver): one pipelined
# executemany instead of SQLAlchemy's per-row bind processing.
_PG_ENQUEUE = (
    "INSERT INTO outbox_jobs (kind, ordering_key, ticket_id, payload, project, state, attempts,"
    " next_attempt_at, created_at, updated_at, connection) VALUES ($1, $2, $3, $4::json, $5,"
    " 'pending', 0, $6, $7, $7, $8)"
)


def _job(row: RowMapping) -> Job:
    return Job(
        id=row["id"],
        kind=JobKind(row["kind"]),
        ordering_key=row["ordering_key"],
        ticket_id=row["ticket_id"],
        payload=row["payload"],
        project=row["project"],
        state=JobState(row["state"]),
        attempts=row["attempts"],
        next_attempt_at=row["next_attempt_at"],
        created_at=row["created_at"],
        sent_until=row["sent_until"],
        lease_owner=row["lease_owner"],
        lease_expires_at=row["lease_expires_at"],
        last_error=row["last_error"],
        hint=row["hint"],
    )


def _runnable(now: datetime) -> Any:
    earlier = jobs.alias("earlier")
    holds_key = exists().where(
        earlier.c.ordering_key == jobs.c.ordering_key,
        earlier.c.id < jobs.c.id,
        or_(
            earlier.c.state.in_((_PENDING, _RUNNING)),
            and_(earlier.c.state == _DEAD, earlier.c.kind == JobKind.CREATE_ISSUE.value),
        ),
    )
    due = or_(
        and_(jobs.c.state == _PENDING, jobs.c.next_attempt_at <= now),
        and_(jobs.c.state == _RUNNING, jobs.c.lease_expires_at < now),
    )
    child, epic = tickets.alias("child"), tickets.alias("epic")
    waits_for_epic = exists().where(  # two primary-key lookups per candidate
        child.c.id == jobs.c.ticket_id,
        epic.c.id == child.c.parent_id,
        epic.c.status == TicketStatus.PENDING.value,
    )
    return and_(due, ~holds_key, ~waits_for_epic)


class SqlOutbox:
    def __init__(self, conn: AsyncConnection, *, postgres: bool) -> None:
        self._conn = conn
        self._postgres = postgres

    async def enqueue(self, new: Sequence[NewJob], now: datetime) -> None:
        if not new:
            return
        if self._postgres:
            values = [
                (
                    j.kind.value,
                    j.ordering_key,
                    j.ticket_id,
                    json_text(dict(j.payload)),
                    j.project,
                    max(j.not_before, now) if j.not_before else now,
                    now,
                    j.connection,
                )
                for j in new
            ]
            await (await driver(self._conn)).executemany(_PG_ENQUEUE, values)
            return
        rows = [
            {
                "kind": j.kind.value,
                "ordering_key": j.ordering_key,
                "ticket_id": j.ticket_id,
                "payload": dict(j.payload),
                "project": j.project,
                "state": _PENDING,
                "attempts": 0,
                "next_attempt_at": max(j.not_before, now) if j.not_before else now,
                "created_at": now,
                "updated_at": now,
                "connection": j.connection,
            }
            for j in new
        ]
        await self._conn.execute(insert(jobs), rows)

    async def claim(
        self,
        owner: str,
        now: datetime,
        lease_until: datetime,
        limit: int,
        kinds: Collection[JobKind] | None = None,
        connections: Collection[str] | None = None,
    ) -> list[Job]:
        query = select(jobs.c.id).where(_runnable(now)).order_by(jobs.c.id).limit(limit)
        if kinds is not None:
            query = query.where(jobs.c.kind.in_(sorted(kind.value for kind in kinds)))
        query = query.where(of_sites(jobs.c.connection, connections))
        if self._postgres:
            query = query.with_for_update(skip_locked=True, of=jobs)
        ids = [row[0] for row in await self._conn.execute(query)]
        if not ids:
            return []
        claimed = await self._conn.execute(
            update(jobs)
            .where(jobs.c.id.in_(ids))
            .where(
                or_(
                    jobs.c.state == _PENDING,
                    and_(jobs.c.state == _RUNNING, jobs.c.lease_expires_at < now),
                )
            )
            .values(
                state=_RUNNING,
                lease_owner=owner,
                lease_expires_at=lease_until,
                attempts=jobs.c.attempts + 1,
                updated_at=now,
            )
            .returning(*jobs.c)
        )
        return sorted((_job(r) for r in claimed.mappings()), key=lambda j: j.id)

    async def get(self, job_id: int) -> Job | None:
        row = (await self._conn.execute(select(jobs).where(jobs.c.id == job_id))).mappings()
        first = row.first()
        return _job(first) if first else None

    async def _owned_update(self, job_id: int, owner: str, **values: Any) -> bool:
        result = await self._conn.execute(
            update(jobs)
            .where(jobs.c.id == job_id, jobs.c.lease_owner == owner, jobs.c.state == _RUNNING)
            .values(**values)
        )
        return bool(result.rowcount)

    async def mark_sent(
        self, job_ids: Sequence[int], owner: str, now: datetime, until: datetime
    ) -> bool:
        if self._postgres:
            # This commit must outlive a crash of the server before the create is sent, even
            # where the server trades durability for speed (synchronous_commit = off): lost,
            # the job would look never sent and be created again. The flush also makes every
            # earlier commit durable (the WAL is one sequence), the decision behind the job too.
            await self._conn.execute(text("SET LOCAL synchronous_commit TO on"))
        result = await self._conn.execute(
            update(jobs)
            .where(jobs.c.id.in_(job_ids), jobs.c.lease_owner == owner, jobs.c.state == _RUNNING)
            .values(sent_until=until, lease_expires_at=until, updated_at=now)
        )
        return result.rowcount == len(set(job_ids))

    async def complete(self, job_ids: Sequence[int], owner: str, now: datetime) -> set[int]:
        done: set[int] = set()
        for chunk in bound_chunks(sorted(job_ids)):
            result = await self._conn.execute(
                update(jobs)
                .where(
                    jobs.c.id.in_(chunk),
                    jobs.c.lease_owner == owner,
                    jobs.c.state == _RUNNING,
                )
                .values(state=_DONE, lease_owner=None, lease_expires_at=None, updated_at=now)
                .returning(jobs.c.id)
            )
            done.update(result.scalars())
        return done

    async def reschedule(
        self,
        job_id: int,
        owner: str,
        *,
        next_attempt_at: datetime,
        error: str | None,
        keep_sent: bool,
        count_attempt: bool = True,
        sent_ended: datetime | None = None,
    ) -> bool:
        values: dict[str, Any] = {
            "state": _PENDING,
            "next_attempt_at": next_attempt_at,
            "lease_owner": None,
            "lease_expires_at": None,
            "updated_at": next_attempt_at,
        }
        if error is not None:
            values["last_error"] = error
        if not keep_sent:
            values["sent_until"] = None
        elif sent_ended is not None:
            values["sent_until"] = sent_ended
        if not count_attempt:
            values["attempts"] = jobs.c.attempts - 1
        return await self._owned_update(job_id, owner, **values)

    async def kill(
        self,
        job_id: int,
        owner: str,
        *,
        error: str,
        hint: str | None,
        now: datetime,
        keep_sent: bool = True,
    ) -> bool:
        values: dict[str, Any] = {"last_error": error, "hint": hint, "updated_at": now}
        if not keep_sent:
            values["sent_until"] = None
        return await self._owned_update(
            job_id, owner, state=_DEAD, lease_owner=None, lease_expires_at=None, **values
        )

    async def list(
        self, *, state: JobState | None, limit: int, after_id: int | None = None
    ) -> list[Job]:
        query = select(jobs).order_by(jobs.c.id).limit(limit)
        if state is not None:
            query = query.where(jobs.c.state == state.value)
        if after_id is not None:
            query = query.where(jobs.c.id > after_id)
        return [_job(r) for r in (await self._conn.execute(query)).mappings()]

    async def retry(self, job_id: int, now: datetime) -> Job | None:
        result = await self._conn.execute(
            update(jobs)
            .where(jobs.c.id == job_id, jobs.c.state == _DEAD)
            .values(state=_PENDING, attempts=0, next_attempt_at=now, updated_at=now)
            .returning(*jobs.c)
        )
        row = result.mappings().first()
        return _job(row) if row else None

    async def drop(self, job_id: int) -> Job | None:
        result = await self._conn.execute(
            delete(jobs)
            .where(jobs.c.id == job_id, jobs.c.state.in_((_DEAD, _PENDING)))
            .returning(*jobs.c)
        )
        row = result.mappings().first()
        return _job(row) if row else None

    async def counts(self) -> dict[JobState, int]:
        query = select(jobs.c.state, func.count()).group_by(jobs.c.state)
        found = {JobState(state): count for state, count in await self._conn.execute(query)}
        return {state: found.get(state, 0) for state in JobState}

    async def backlog_by_site(self) -> dict[str, int]:
        open_jobs = jobs.c.state.in_((_PENDING, _RUNNING))
        query = select(jobs.c.connection, func.count()).where(open_jobs).group_by(jobs.c.connection)
        return {str(site): int(count) for site, count in await self._conn.execute(query)}

    async def oldest_pending(self) -> datetime | None:
        # ix_outbox_open_id: the first unfinished job by id, not a scan of the done ones.
        query = (
            select(jobs.c.created_at)
            .where(jobs.c.state.in_((_PENDING, _RUNNING)))
            .order_by(jobs.c.id)
            .limit(1)
        )
        return (await self._conn.execute(query)).scalar()

    async def purge_done(self, before: datetime, limit: int) -> int:
        # A bounded batch per transaction: a long-lived outbox's millions of done rows are not
        # deleted (and locked, and written to the WAL) in one statement.
        batch = (
            select(jobs.c.id)
            .where(jobs.c.state == _DONE, jobs.c.updated_at < before)
            .order_by(jobs.c.id)
            .limit(limit)
        )
        result = await self._conn.execute(delete(jobs).where(jobs.c.id.in_(batch)))
        return int(result.rowcount or 0)

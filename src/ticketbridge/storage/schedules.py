"""Periodic jobs' lease rows: one process at a time runs a job, on SQLite and PostgreSQL alike.

`acquire` is one guarded UPDATE (the row is due and nobody holds an unexpired lease): the
database decides which of the processes racing for it wins, without advisory locks, and a
process that died holding the lease loses it when the lease expires. `finish` is guarded by
the owner, so a run that outlived its lease (another process took over) records nothing.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import and_, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncConnection

from ticketbridge.domain.records import ScheduleRecord
from ticketbridge.storage.tables import schedules


class SqlSchedules:
    def __init__(self, conn: AsyncConnection, *, postgres: bool) -> None:
        self._conn = conn
        self._postgres = postgres

    async def ensure(self, name: str, first_due: datetime) -> None:
        """The job's row, created due at `first_due` if it does not exist yet (another
        process creating it at the same moment is no error)."""
        dialect_insert = pg_insert if self._postgres else sqlite_insert
        await self._conn.execute(
            dialect_insert(schedules)
            .values(name=name, next_due_at=first_due, runs=0)
            .on_conflict_do_nothing()
        )

    async def acquire(self, name: str, owner: str, now: datetime, lease_until: datetime) -> bool:
        """Take the job's lease when it is due and free (or its holder's lease expired)."""
        result = await self._conn.execute(
            update(schedules)
            .where(
                schedules.c.name == name,
                schedules.c.next_due_at <= now,
                or_(schedules.c.owner.is_(None), schedules.c.lease_expires_at < now),
            )
            .values(owner=owner, lease_expires_at=lease_until, last_started_at=now)
        )
        return bool(result.rowcount)

    async def finish(
        self, name: str, owner: str, *, now: datetime, ok: bool, outcome: str, next_due: datetime
    ) -> bool:
        """Record the run and free the lease; False when `owner` no longer held it."""
        values: dict[str, Any] = {
            "owner": None,
            "lease_expires_at": None,
            "last_finished_at": now,
            "last_ok": ok,
            "last_outcome": outcome,
            "runs": schedules.c.runs + 1,
            "next_due_at": next_due,
        }
        result = await self._conn.execute(
            update(schedules)
            .where(and_(schedules.c.name == name, schedules.c.owner == owner))
            .values(**values)
        )
        return bool(result.rowcount)

    async def list(self) -> list[ScheduleRecord]:
        rows = await self._conn.execute(select(schedules).order_by(schedules.c.name))
        return [
            ScheduleRecord(
                name=row["name"],
                next_due_at=row["next_due_at"],
                runs=row["runs"],
                owner=row["owner"],
                lease_expires_at=row["lease_expires_at"],
                last_started_at=row["last_started_at"],
                last_finished_at=row["last_finished_at"],
                last_ok=row["last_ok"],
                last_outcome=row["last_outcome"],
            )
            for row in rows.mappings()
        ]

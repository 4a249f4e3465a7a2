"""Processes' heartbeat rows (satisfies `services.ports.ProcessRepository`): each `serve` and
`worker` writes its own row every few seconds (workers/heartbeat.py); `ticketbridge status`,
/readyz and /metrics read them all, whichever process answers."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncConnection

from ticketbridge.domain.records import ProcessRecord
from ticketbridge.storage.tables import processes


class SqlProcesses:
    def __init__(self, conn: AsyncConnection, *, postgres: bool) -> None:
        self._conn = conn
        self._postgres = postgres

    async def beat(self, process: ProcessRecord) -> None:
        """The process's row, created at its first beat, its heartbeat moved on after."""
        moved = await self._conn.execute(
            update(processes)
            .where(processes.c.name == process.name)
            .values(heartbeat_at=process.heartbeat_at)
        )
        if moved.rowcount:
            return
        dialect_insert = pg_insert if self._postgres else sqlite_insert
        await self._conn.execute(
            dialect_insert(processes)
            .values(
                name=process.name,
                role=process.role,
                host=process.host,
                pid=process.pid,
                started_at=process.started_at,
                heartbeat_at=process.heartbeat_at,
            )
            .on_conflict_do_nothing()
        )

    async def leave(self, name: str) -> None:
        """A process that stops cleanly takes its row with it."""
        await self._conn.execute(delete(processes).where(processes.c.name == name))

    async def forget(self, silent_since: datetime) -> int:
        """Rows of processes silent since `silent_since` (killed: nobody deleted them)."""
        result = await self._conn.execute(
            delete(processes).where(processes.c.heartbeat_at < silent_since)
        )
        return int(result.rowcount or 0)

    async def list(self) -> list[ProcessRecord]:
        query = select(processes).order_by(processes.c.role, processes.c.name)
        return [ProcessRecord(**row) for row in (await self._conn.execute(query)).mappings()]

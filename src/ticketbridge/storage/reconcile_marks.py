"""Reconcile's store (satisfies `services.reconcile.ReconcileStore`): the mark per site, and
the tickets it tracks. Each call is its own short transaction."""

from __future__ import annotations

from collections.abc import Callable, Collection
from datetime import datetime

from sqlalchemy import delete, insert, or_, select
from sqlalchemy.ext.asyncio import AsyncConnection

from ticketbridge.domain import TicketStatus
from ticketbridge.domain.reconcile import ReconcileMark, Tracked
from ticketbridge.storage.tables import of_sites, reconcile_marks, tickets
from ticketbridge.storage.uow import SqlUnitOfWork

_NOT_TRACKED = (TicketStatus.DEAD.value, TicketStatus.DETACHED.value)


class SqlReconcileMarks:
    def __init__(self, conn: AsyncConnection) -> None:
        self.conn = conn

    async def load(self, site: str) -> ReconcileMark | None:
        found = await self.conn.execute(
            select(reconcile_marks).where(reconcile_marks.c.site == site)
        )
        row = found.mappings().first()
        if row is None:
            return None
        recent = {str(k): datetime.fromisoformat(str(v)) for k, v in (row["recent"] or {}).items()}
        return ReconcileMark(site, row["watermark"], row["swept_at"], recent)

    async def save(self, mark: ReconcileMark) -> None:
        await self.conn.execute(delete(reconcile_marks).where(reconcile_marks.c.site == mark.site))
        await self.conn.execute(
            insert(reconcile_marks).values(
                site=mark.site,
                watermark=mark.watermark,
                swept_at=mark.swept_at,
                recent={k: v.isoformat() for k, v in mark.recent.items()},
            )
        )

    async def tracked(self, site: str, connections: Collection[str] | None = None) -> Tracked:
        rows = await self.conn.execute(
            select(tickets.c.issue_id, tickets.c.issue_key, tickets.c.project).where(
                tickets.c.issue_id.is_not(None),
                tickets.c.status.not_in(_NOT_TRACKED),
                tickets.c.deleted_at.is_(None),  # gone already: nothing to repair or sweep
                or_(tickets.c.site.is_(None), tickets.c.site == site),
                of_sites(tickets.c.connection, connections),
            )
        )
        issues: dict[str, str] = {}
        projects: set[str] = set()
        for issue_id, issue_key, project in rows:
            issues[str(issue_id)] = str(issue_key or "")
            projects.add(str(project))
        return Tracked(tuple(sorted(projects)), issues)


class SqlReconcileStore:
    """The store over units of work (SQLite's writer lock included)."""

    def __init__(
        self,
        unit_of_work: Callable[[], SqlUnitOfWork],
        connections: Collection[str] | None = None,
    ) -> None:
        """`connections`: the configured sites (`Ticket.connection`) it tracks (None: all)."""
        self._uow = unit_of_work
        self._connections = connections

    async def load(self, site: str) -> ReconcileMark | None:
        async with self._uow() as uow:
            return await SqlReconcileMarks(uow.connection).load(site)

    async def save(self, mark: ReconcileMark) -> None:
        async with self._uow() as uow:
            await SqlReconcileMarks(uow.connection).save(mark)
            await uow.commit()

    async def tracked(self, site: str) -> Tracked:
        async with self._uow() as uow:
            return await SqlReconcileMarks(uow.connection).tracked(site, self._connections)

"""The fingerprint fields each source's open tickets were made with, and the moves of open
tickets to new keys (satisfies `services.ports.FingerprintRepository`).

The table is declared here, on the schema's shared `metadata` (migration 0014 creates it).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import JSON, Column, ColumnElement, String, Table, and_, func, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncConnection

from ticketbridge.domain import Ticket, TicketStatus
from ticketbridge.domain.records import StoredAlert
from ticketbridge.storage.alerts import _stored as stored_alert
from ticketbridge.storage.repositories import _ticket as ticket_of
from ticketbridge.storage.tables import UtcDateTime, alerts, metadata, tickets

fingerprint_settings = Table(
    "fingerprint_settings",
    metadata,
    Column("source", String(64), primary_key=True),
    Column("fields", JSON, nullable=False),
    Column("recorded_at", UtcDateTime, nullable=False),
)


def _open() -> ColumnElement[bool]:
    """A ticket a repeat would fold into: its issue made or being made, and not done (older
    generations of a fingerprint are done or dead, so these are current ones)."""
    live = tickets.c.status.in_([TicketStatus.PENDING.value, TicketStatus.LINKED.value])
    not_done = or_(tickets.c.status_category.is_(None), tickets.c.status_category != "done")
    return and_(live, not_done)


def _of_source(source: str) -> ColumnElement[bool]:
    # Fingerprints are stored `<source>:<key>`; `_` and `%` in a source name are not wildcards.
    prefix = source.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return tickets.c.fingerprint.like(f"{prefix}:%", escape="\\")


class SqlFingerprints:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def recorded(self) -> dict[str, tuple[str, ...]]:
        rows = await self._conn.execute(select(fingerprint_settings))
        return {row.source: tuple(row.fields) for row in rows}

    async def record(self, source: str, fields: Sequence[str], at: datetime) -> None:
        # An upsert: every process records at start-up, several may start at once.
        insert = pg_insert if self._conn.dialect.name == "postgresql" else sqlite_insert
        values = {"source": source, "fields": list(fields), "recorded_at": at}
        statement = insert(fingerprint_settings).values(values)
        await self._conn.execute(
            statement.on_conflict_do_update(
                index_elements=["source"],
                set_={"fields": statement.excluded.fields, "recorded_at": at},
            )
        )

    async def open_count(self, source: str) -> int:
        query = select(func.count()).select_from(tickets).where(_open(), _of_source(source))
        return int((await self._conn.execute(query)).scalar() or 0)

    async def open_tickets(self, source: str) -> list[Ticket]:
        query = select(tickets).where(_open(), _of_source(source)).order_by(tickets.c.id)
        return [ticket_of(row) for row in (await self._conn.execute(query)).mappings()]

    async def first_alert(self, ticket_id: int) -> StoredAlert | None:
        """The alert that opened the ticket: the one its fingerprint was computed from."""
        query = select(alerts).where(alerts.c.ticket_id == ticket_id).order_by(alerts.c.pk).limit(1)
        row = (await self._conn.execute(query)).mappings().first()
        return stored_alert(row) if row else None

    async def taken(self, fingerprint: str) -> bool:
        query = select(tickets.c.id).where(tickets.c.fingerprint == fingerprint).limit(1)
        return (await self._conn.execute(query)).first() is not None

    async def move(self, ticket: Ticket) -> None:
        """The ticket's row and its alerts under the ticket's (new) fingerprint."""
        assert ticket.id is not None
        await self._conn.execute(
            update(tickets).where(tickets.c.id == ticket.id).values(fingerprint=ticket.fingerprint)
        )
        await self._conn.execute(
            update(alerts)
            .where(alerts.c.ticket_id == ticket.id)
            .values(fingerprint=ticket.fingerprint)
        )

"""The issues' events the SLA clocks need (`ticket_events`, `domain.sla.TicketEvent`):
recorded in the transaction that applies the observations, read back per ticket by the SLA
scan and `sla recompute`. Recording an event again (same ticket and key) is a no-op."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncConnection

from ticketbridge.domain.sla import EventKind, IssueEvent, TicketEvent
from ticketbridge.storage.tables import ticket_events


class SqlTicketEvents:
    def __init__(self, conn: AsyncConnection, *, postgres: bool) -> None:
        self._conn = conn
        self._postgres = postgres

    async def record(self, events: Sequence[TicketEvent]) -> None:
        if not events:
            return
        insert = pg_insert if self._postgres else sqlite_insert
        rows = [_row(e) for e in events]
        statement = insert(ticket_events).on_conflict_do_nothing(
            index_elements=["ticket_id", "key"]
        )
        await self._conn.execute(statement, rows)

    async def of_tickets(self, ticket_ids: Sequence[int]) -> dict[int, list[IssueEvent]]:
        """Each ticket's events (one query for the batch)."""
        found: dict[int, list[IssueEvent]] = defaultdict(list)
        if not ticket_ids:
            return found
        query = select(ticket_events).where(ticket_events.c.ticket_id.in_(list(ticket_ids)))
        for row in (await self._conn.execute(query)).mappings():
            kind: EventKind = row["kind"]
            found[row["ticket_id"]].append(
                IssueEvent(row["at"], kind, row["by_us"], row["status"], row["category"])
            )
        return found


def _row(stored: TicketEvent) -> dict[str, object]:
    event = stored.event
    return {
        "ticket_id": stored.ticket_id,
        "key": stored.key[:200],
        "at": event.at,
        "kind": event.kind,
        "by_us": event.by_us,
        "status": event.status[:255] if event.status else None,
        "category": event.category,
    }

"""The issues' events the SLA clocks need (`ticket_events`, `domain.sla.TicketEvent`):
recorded in the transaction that applies the observations, read back per ticket by the SLA
scan and `sla recompute`. Recording an event again (same ticket and key) is a no-op."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

from sqlalchemy import and_, bindparam, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncConnection

from ticketbridge.domain import Severity
from ticketbridge.domain.sla import EventKind, IssueEvent, SlaSubject, TicketEvent
from ticketbridge.domain.states import TicketStatus
from ticketbridge.domain.ticket import Ticket
from ticketbridge.storage.repositories import _ticket as ticket_of
from ticketbridge.storage.tables import alerts, ticket_events, tickets

# What the scan looks at again: clocks that may still change (a met ticket reopened runs again);
# a breach is final.
_MAY_CHANGE = or_(
    tickets.c.sla_state.is_(None),
    tickets.c.sla_state.in_(("running", "at_risk")),
    and_(tickets.c.sla_state == "met", tickets.c.status_category != "done"),
)


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

    async def subjects(self, after_id: int, limit: int, *, every: bool) -> list[SlaSubject]:
        """Issues (linked tickets, no epics) after `after_id` in id order, with their opening
        alert's severity and route (the covering opening index): `every` for a recompute,
        else only those whose clocks may still change (the scan)."""
        opening = and_(
            alerts.c.ticket_id == tickets.c.id, alerts.c.decision.in_(("create", "new_linked"))
        )
        query = (
            select(tickets, alerts.c.severity.label("opening_severity"), alerts.c.route)
            .join(alerts, opening)
            .where(tickets.c.id > after_id)
            .where(tickets.c.status == TicketStatus.LINKED.value)
            .where(tickets.c.group_key.is_(None))
            .order_by(tickets.c.id)
            .limit(limit)
        )
        if not every:
            query = query.where(_MAY_CHANGE)
        rows = (await self._conn.execute(query)).mappings()
        return [SlaSubject(ticket_of(r), Severity(r["opening_severity"]), r["route"]) for r in rows]

    async def save_sla(self, marked: Sequence[Ticket]) -> None:
        """The SLA columns only (`domain.life.sla_marked` set them): a scan never writes back
        a ticket an observation changed meanwhile."""
        if not marked:
            return
        statement = (
            update(tickets)
            .where(tickets.c.id == bindparam("_id"))
            .values(
                sla_state=bindparam("_state"),
                sla_at_risk_at=bindparam("_at_risk"),
                sla_breached_at=bindparam("_breached"),
            )
        )
        rows = [
            {
                "_id": t.id,
                "_state": t.sla_state,
                "_at_risk": t.sla_at_risk_at,
                "_breached": t.sla_breached_at,
            }
            for t in marked
        ]
        await self._conn.execute(statement, rows)


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

"""Jira webhook deliveries (satisfies `services.ports.JiraDeliveryRepository`).

The table is declared here on the schema's shared `metadata` (migration 0008 creates it). The
identifier is unique: Jira's retries of one delivery carry the same one, so `add` is an insert
that does nothing on conflict and concurrent retries store one row. `finish` moves a pending
delivery to applied only if it still is pending, in the transaction that applied it: a crash
before the commit leaves it pending (applied again, once), after it leaves it applied.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Index,
    Integer,
    LargeBinary,
    RowMapping,
    String,
    Table,
    Text,
    bindparam,
    func,
    select,
    update,
)
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncConnection

from ticketbridge.domain.deliveries import DeliveryOutcome, DeliveryResult, JiraDelivery
from ticketbridge.storage.tables import Id, UtcDateTime, metadata, of_sites

jira_deliveries = Table(
    "jira_deliveries",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("identifier", String(128), nullable=False, unique=True),
    Column("received_at", UtcDateTime, nullable=False),
    Column("signature", String(16), nullable=False),
    Column("retry", Integer, nullable=False),
    Column("flow", String(32)),
    Column("headers", JSON, nullable=False),
    Column("body", LargeBinary, nullable=False),
    Column("applied", Boolean, nullable=False),
    Column("applied_at", UtcDateTime),
    Column("attempts", Integer, nullable=False),
    Column("event", String(64)),
    Column("outcome", String(16)),
    Column("reason", Text),
    Column("issue_key", String(64)),
    Column("ticket_id", Id),
    # The site it came from (migration 0021): each site's deliveries are applied to its tickets.
    Column("connection", String(32), nullable=False, server_default=""),
    Index("ix_jira_deliveries_pending", "applied", "id"),
)


def _delivery(row: RowMapping) -> JiraDelivery:
    return JiraDelivery(
        id=row["id"],
        identifier=row["identifier"],
        received_at=row["received_at"],
        signature=row["signature"],
        body=bytes(row["body"]),
        headers=dict(row["headers"] or {}),
        retry=row["retry"],
        flow=row["flow"],
        applied=bool(row["applied"]),
        applied_at=row["applied_at"],
        attempts=row["attempts"],
        event=row["event"],
        outcome=DeliveryOutcome(row["outcome"]) if row["outcome"] else None,
        reason=row["reason"],
        issue_key=row["issue_key"],
        ticket_id=row["ticket_id"],
        connection=row["connection"],
    )


class SqlJiraDeliveries:
    def __init__(self, conn: AsyncConnection, *, postgres: bool) -> None:
        self._conn = conn
        self._postgres = postgres

    async def add(self, delivery: JiraDelivery) -> bool:
        """Store it unless its identifier is stored; True when this call stored it."""
        values: dict[str, Any] = {
            "identifier": delivery.identifier,
            "received_at": delivery.received_at,
            "signature": delivery.signature,
            "retry": delivery.retry,
            "flow": delivery.flow,
            "headers": dict(delivery.headers),
            "body": delivery.body,
            "applied": False,
            "attempts": 0,
            "connection": delivery.connection,
        }
        dialect_insert = pg_insert if self._postgres else sqlite_insert
        statement = dialect_insert(jira_deliveries).values(**values).on_conflict_do_nothing()
        return bool((await self._conn.execute(statement)).rowcount)

    async def pending(
        self, limit: int, *, max_attempts: int, connections: Collection[str] | None = None
    ) -> list[JiraDelivery]:
        """The oldest deliveries not applied yet (those that failed `max_attempts` times are
        left for an operator), in arrival order, of the sites `connections` names (None: all).
        Read only: `claim` takes them."""
        query = (
            select(jira_deliveries)
            .where(jira_deliveries.c.applied.is_(False))
            .where(jira_deliveries.c.attempts < max_attempts)
            .where(of_sites(jira_deliveries.c.connection, connections))
            .order_by(jira_deliveries.c.id)
            .limit(limit)
        )
        return [_delivery(r) for r in (await self._conn.execute(query)).mappings()]

    async def claim(self, ids: Sequence[int]) -> set[int]:
        """Those of `ids` not applied yet, held until the transaction ends (PostgreSQL: rows
        locked, another applier waits and then finds them applied; SQLite: the write lock)."""
        if not ids:
            return set()
        query = (
            select(jira_deliveries.c.id)
            .where(jira_deliveries.c.id.in_(list(ids)))
            .where(jira_deliveries.c.applied.is_(False))
        )
        if self._postgres:
            query = query.with_for_update()
        return {row[0] for row in await self._conn.execute(query)}

    async def finish(self, results: Sequence[tuple[int, DeliveryResult]], now: datetime) -> None:
        """Record what applying each claimed delivery did."""
        if not results:
            return
        statement = (
            update(jira_deliveries)
            .where(jira_deliveries.c.id == bindparam("_id"))
            .values(
                applied=True,
                applied_at=now,
                event=bindparam("_event"),
                outcome=bindparam("_outcome"),
                reason=bindparam("_reason"),
                issue_key=bindparam("_issue_key"),
                ticket_id=bindparam("_ticket_id"),
            )
        )
        rows = [
            {
                "_id": delivery_id,
                "_event": result.event,
                "_outcome": result.outcome.value,
                "_reason": result.reason,
                "_issue_key": result.issue_key,
                "_ticket_id": result.ticket_id,
            }
            for delivery_id, result in results
        ]
        await self._conn.execute(statement, rows)

    async def failed(self, delivery_id: int, reason: str) -> None:
        """Applying it failed (Jira unreachable for a thin delivery's GET): tried again later."""
        await self._conn.execute(
            update(jira_deliveries)
            .where(jira_deliveries.c.id == delivery_id)
            .values(attempts=jira_deliveries.c.attempts + 1, reason=reason)
        )

    async def list(
        self, *, limit: int, before_id: int | None = None, outcome: str | None = None
    ) -> list[JiraDelivery]:
        """Newest first; with `outcome`, only those (a DeliveryOutcome value)."""
        query = select(jira_deliveries).order_by(jira_deliveries.c.id.desc()).limit(limit)
        if before_id is not None:
            query = query.where(jira_deliveries.c.id < before_id)
        if outcome is not None:
            query = query.where(jira_deliveries.c.outcome == outcome)
        return [_delivery(r) for r in (await self._conn.execute(query)).mappings()]

    async def count(self) -> int:
        query = select(func.count()).select_from(jira_deliveries)
        return int((await self._conn.execute(query)).scalar() or 0)

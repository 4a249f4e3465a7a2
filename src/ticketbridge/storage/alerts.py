"""The alert repository (satisfies `services.ports.AlertRepository`): accepted alerts appended
undecided, the pending ones taken in ingest order by the decider, their decisions recorded."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import (
    ColumnElement,
    RowMapping,
    and_,
    bindparam,
    case,
    func,
    or_,
    select,
    text,
    update,
)
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncConnection

from ticketbridge.domain import (
    Alert,
    AlertLink,
    AlertState,
    AlertStatus,
    DecisionKind,
    Severity,
    TicketStatus,
)
from ticketbridge.domain.records import StoredAlert
from ticketbridge.storage.repositories import DECIDER_LOCK
from ticketbridge.storage.sqlite_values import json_text, json_value, moment, moment_text
from ticketbridge.storage.tables import alerts, tickets


def _alert_row(stored: StoredAlert) -> dict[str, Any]:
    alert = stored.alert
    return {
        "source": alert.source,
        "alert_id": alert.id,
        "kind": alert.kind,
        "title": alert.title,
        "description": alert.description,
        "severity": alert.severity.value,
        "confidence": alert.confidence,
        "status": alert.status.value,
        "fingerprint": alert.fingerprint,
        "attributes": dict(alert.attributes),
        "links": [{"title": link.title, "url": link.url} for link in alert.links],
        "occurred_at": alert.occurred_at,
        "received_at": alert.received_at,
        "ticket_id": stored.ticket_id,
        "decision": stored.decision.value if stored.decision else None,
        "reasons": list(stored.reasons),
        "route": stored.route,
        "own_state": stored.own_state.value if stored.own_state else None,
    }


def _new_alert_row(alert: Alert) -> dict[str, Any]:
    return _alert_row(StoredAlert(0, alert, None, (), None, None, None))


# The hot insert of ingest on SQLite, at the driver: SQLAlchemy's per-row parameter processing
# cost more than the insert itself. Values are stored exactly as the table's types store them
# (JSON text; naive UTC "YYYY-MM-DD HH:MM:SS.ffffff"), so reads go through the
# table's types unchanged; tests/integration/storage reads them back on both databases.
_SQLITE_APPEND = (
    "INSERT INTO alerts (source, alert_id, kind, title, description, severity, confidence, "
    "status, fingerprint, attributes, links, occurred_at, received_at, reasons) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, '[]') "
    "ON CONFLICT (source, alert_id) DO NOTHING"
)


_SQLITE_PENDING = (
    "SELECT pk, source, alert_id, kind, title, description, severity, confidence, status, "
    "fingerprint, attributes, links, occurred_at, received_at FROM alerts "
    "WHERE decision IS NULL ORDER BY pk LIMIT ?"
)


def _sqlite_pending(row: Sequence[Any]) -> StoredAlert:
    """A row of `_SQLITE_PENDING` (undecided: no decision, reasons, route, state or ticket)."""
    (pk, source, alert_id, kind, title, description, severity, confidence, status) = row[:9]
    fingerprint, attributes, links, occurred_at, received_at = row[9:]
    alert = Alert(
        id=alert_id,
        source=source,
        kind=kind,
        title=title,
        description=description,
        severity=Severity(severity),
        confidence=confidence,
        status=AlertStatus(status),
        fingerprint=fingerprint,
        attributes=json_value(attributes),
        occurred_at=moment(occurred_at),
        received_at=moment(received_at),
        links=tuple(AlertLink(link["title"], link["url"]) for link in json_value(links)),
    )
    return StoredAlert(pk, alert, None, (), None, None, None)


_SQLITE_RECORD = (
    "UPDATE alerts SET decision = ?, reasons = ?, route = ?, own_state = ?, ticket_id = ? "
    "WHERE pk = ?"
)


def _sqlite_decision(stored: StoredAlert) -> tuple[object, ...]:
    return (
        stored.decision.value if stored.decision else None,
        json_text(list(stored.reasons)),
        stored.route,
        stored.own_state.value if stored.own_state else None,
        stored.ticket_id,
        stored.pk,
    )


def _sqlite_rows(new: Sequence[Alert]) -> list[tuple[object, ...]]:
    # A batch shares its arrival time (and mostly its occurred_at): format each moment once.
    times: dict[datetime, str] = {}
    rows = []
    for alert in new:
        for at in (alert.occurred_at, alert.received_at):
            if at not in times:
                times[at] = moment_text(at)
        rows.append(_sqlite_values(alert, times))
    return rows


def _sqlite_values(alert: Alert, times: dict[datetime, str]) -> tuple[object, ...]:
    links = [{"title": link.title, "url": link.url} for link in alert.links] if alert.links else []
    return (
        alert.source,
        alert.id,
        alert.kind,
        alert.title,
        alert.description,
        alert.severity.value,
        alert.confidence,
        alert.status.value,
        alert.fingerprint,
        json_text(alert.attributes),
        json_text(links) if links else "[]",
        times[alert.occurred_at],
        times[alert.received_at],
    )


def _stored(row: RowMapping) -> StoredAlert:
    alert = Alert(
        id=row["alert_id"],
        source=row["source"],
        kind=row["kind"],
        title=row["title"],
        description=row["description"],
        severity=Severity(row["severity"]),
        confidence=row["confidence"],
        status=AlertStatus(row["status"]),
        fingerprint=row["fingerprint"],
        attributes=row["attributes"],
        occurred_at=row["occurred_at"],
        received_at=row["received_at"],
        links=tuple(AlertLink(link["title"], link["url"]) for link in row["links"]),
    )
    return StoredAlert(
        pk=row["pk"],
        alert=alert,
        decision=DecisionKind(row["decision"]) if row["decision"] else None,
        reasons=tuple(row["reasons"]),
        route=row["route"],
        own_state=AlertState(row["own_state"]) if row["own_state"] else None,
        ticket_id=row["ticket_id"],
    )


class SqlAlerts:
    def __init__(self, conn: AsyncConnection, *, postgres: bool) -> None:
        self._conn = conn
        self._postgres = postgres

    async def append(self, new: Sequence[Alert]) -> set[tuple[str, str]]:
        """Insert undecided alerts, skipping (source, id) already stored; returns the keys it
        inserted. One statement in the usual case (nothing stored before)."""
        if not new:
            return set()
        if self._postgres:  # a concurrent insert of a key waits for its commit, then skips
            statement = (
                pg_insert(alerts)
                .on_conflict_do_nothing(index_elements=["source", "alert_id"])
                .returning(alerts.c.source, alerts.c.alert_id)
            )
            result = await self._conn.execute(statement, [_new_alert_row(a) for a in new])
            return {(row[0], row[1]) for row in result}
        values = _sqlite_rows(new)
        result = await self._conn.exec_driver_sql(_SQLITE_APPEND, values)
        inserted = result.rowcount
        if inserted == len(new):  # the usual case: one statement, nothing was stored before
            return {(a.source, a.id) for a in new}
        if inserted == 0:
            return set()
        # BEGIN IMMEDIATE holds the one write lock and a new row's pk is one above the largest,
        # so the rows this statement inserted are the last `inserted` pks, ending at the last.
        last = (await self._conn.exec_driver_sql("SELECT last_insert_rowid()")).scalar()
        ours = select(alerts.c.source, alerts.c.alert_id).where(
            alerts.c.pk > int(last or 0) - inserted
        )
        return {(row[0], row[1]) for row in await self._conn.execute(ours)}

    async def pending(self, limit: int) -> list[StoredAlert]:
        """The oldest undecided alerts, in ingest order. Deciders take turns: on PostgreSQL this
        holds the decider lock until the transaction ends (SQLite: the write lock does)."""
        if self._postgres:
            await self._conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": DECIDER_LOCK})
            query = (
                select(alerts).where(alerts.c.decision.is_(None)).order_by(alerts.c.pk).limit(limit)
            )
            return [_stored(r) for r in (await self._conn.execute(query)).mappings()]
        # SQLite: at the driver, as `append`; SQLAlchemy's row processing was a fifth of a round.
        rows = await self._conn.exec_driver_sql(_SQLITE_PENDING, (limit,))
        return [_sqlite_pending(row) for row in rows]

    async def record(self, decided: Sequence[StoredAlert]) -> None:
        """Write the decisions (decision, reasons, route, own state, ticket) of stored alerts."""
        if not decided:
            return
        if not self._postgres:  # at the driver, as `append`: this runs for every alert
            values = [_sqlite_decision(s) for s in decided]
            await self._conn.exec_driver_sql(_SQLITE_RECORD, values)
            return
        statement = (
            update(alerts)
            .where(alerts.c.pk == bindparam("_pk"))
            .values(
                decision=bindparam("decision"),
                reasons=bindparam("reasons"),
                route=bindparam("route"),
                own_state=bindparam("own_state"),
                ticket_id=bindparam("ticket_id"),
            )
        )
        rows = [
            {
                "_pk": s.pk,
                "decision": s.decision.value if s.decision else None,
                "reasons": list(s.reasons),
                "route": s.route,
                "own_state": s.own_state.value if s.own_state else None,
                "ticket_id": s.ticket_id,
            }
            for s in decided
        ]
        await self._conn.execute(statement, rows)

    async def find(self, keys: Sequence[tuple[str, str]]) -> dict[tuple[str, str], StoredAlert]:
        found: dict[tuple[str, str], StoredAlert] = {}
        unique = list(dict.fromkeys(keys))
        wanted = set(unique)
        for start in range(0, len(unique), 400):  # keep under SQLite's bound-parameter limit
            # By alert_id (indexed), pairs checked here: PostgreSQL plans a row-value IN list
            # as a scan of the whole table.
            ids = sorted({alert_id for _, alert_id in unique[start : start + 400]})
            query = select(alerts).where(alerts.c.alert_id.in_(ids))
            for row in (await self._conn.execute(query)).mappings():
                if (row["source"], row["alert_id"]) in wanted:
                    stored = _stored(row)
                    found[(stored.alert.source, stored.alert.id)] = stored
        return found

    async def get(self, source: str | None, alert_id: str) -> StoredAlert | None:
        query = select(alerts).where(alerts.c.alert_id == alert_id)
        if source is not None:
            query = query.where(alerts.c.source == source)
        row = (await self._conn.execute(query.order_by(alerts.c.pk.desc()).limit(1))).mappings()
        first = row.first()
        return _stored(first) if first else None

    async def latest_for_ticket(self, ticket_id: int) -> StoredAlert | None:
        query = (
            select(alerts)
            .where(alerts.c.ticket_id == ticket_id)
            .order_by(alerts.c.pk.desc())
            .limit(1)
        )
        first = (await self._conn.execute(query)).mappings().first()
        return _stored(first) if first else None

    async def list(
        self,
        *,
        limit: int,
        before_pk: int | None = None,
        source: str | None = None,
        fingerprint: str | None = None,
        state: AlertState | None = None,
        decision: DecisionKind | Literal["pending"] | None = None,
    ) -> list[StoredAlert]:
        """Newest first (by pk: keyset paging, stable under inserts), filtered in SQL.
        `decision="pending"`: not decided yet; `state`: `StoredAlert.state` as SQL."""
        query = select(alerts).order_by(alerts.c.pk.desc()).limit(limit)
        if before_pk is not None:
            query = query.where(alerts.c.pk < before_pk)
        if source is not None:
            query = query.where(alerts.c.source == source)
        if fingerprint is not None:
            query = query.where(alerts.c.fingerprint == fingerprint)
        if decision == "pending":
            query = query.where(alerts.c.decision.is_(None))
        elif decision is not None:
            query = query.where(alerts.c.decision == decision.value)
        if state is not None:
            query = query.where(in_state(state))
        return [_stored(r) for r in (await self._conn.execute(query)).mappings()]


def in_state(state: AlertState) -> ColumnElement[bool]:
    """`StoredAlert.state(ticket) == state` (with `Ticket.alert_state`) as an SQL condition on
    alerts: its own state, else its ticket's, the tickets in `state` found by one subquery the
    database evaluates once (not a join per alert scanned). ticket_id is a foreign key, so an
    alert's ticket exists. tests/integration/api/test_alert_listing.py proves this equals the
    domain rule for every combination on SQLite and PostgreSQL: change them together."""
    decided = alerts.c.decision.is_not(None)
    by_ticket: ColumnElement[bool] = alerts.c.ticket_id.in_(
        select(tickets.c.id).where(ticket_state_sql() == state.value)
    )
    if state is AlertState.IGNORED:  # decided, on no ticket: nothing to act on
        by_ticket = or_(alerts.c.ticket_id.is_(None), by_ticket)
    terms = [
        and_(decided, alerts.c.own_state == state.value),
        and_(decided, alerts.c.own_state.is_(None), by_ticket),
    ]
    if state is AlertState.OPEN:  # accepted, not decided yet
        terms.append(alerts.c.decision.is_(None))
    return or_(*terms)


def ticket_state_sql() -> ColumnElement[str]:
    """`Ticket.alert_state()` as an SQL expression over the tickets table."""
    return case(
        (tickets.c.status == TicketStatus.DEAD.value, AlertState.DEAD.value),
        (tickets.c.issue_key.is_(None), AlertState.OPEN.value),
        (tickets.c.status_category == "indeterminate", AlertState.IN_PROGRESS.value),
        (
            tickets.c.status_category == "done",
            func.coalesce(tickets.c.outcome, AlertState.RESOLVED.value),
        ),
        else_=AlertState.TICKETED.value,
    )

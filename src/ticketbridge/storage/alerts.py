"""The alert repository (satisfies `services.ports.AlertRepository`): accepted alerts appended
undecided, the pending ones taken in ingest order by the decider, their decisions recorded."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import (
    ColumnElement,
    RowMapping,
    and_,
    case,
    func,
    or_,
    select,
)
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
from ticketbridge.storage.postgres_driver import driver
from ticketbridge.storage.repositories import DECIDER_LOCK
from ticketbridge.storage.sqlite_values import (
    bound_chunks,
    json_text,
    json_value,
    moment,
    moment_text,
)
from ticketbridge.storage.tables import alerts, tickets


def _links_data(alert: Alert) -> list[dict[str, str]]:
    return [{"title": link.title, "url": link.url} for link in alert.links]


def _decision_values(stored: StoredAlert) -> dict[str, Any]:
    """What deciding writes to an alert's row (both databases, both ways in)."""
    return {
        "decision": stored.decision.value if stored.decision else None,
        "reasons": list(stored.reasons),
        "route": stored.route,
        "own_state": stored.own_state.value if stored.own_state else None,
        "ticket_id": stored.ticket_id,
    }


# The hot insert of ingest on SQLite, at the driver: SQLAlchemy's per-row parameter processing
# cost more than the insert itself (bench/RESULTS.md "One path per job"). Values are stored as
# the table's types store them (storage.sqlite_values, which those types use too), so either
# way in reads what the other wrote; tests/integration/storage reads them back on both databases.
_ALERT_COLUMNS = (
    "source",
    "alert_id",
    "kind",
    "title",
    "description",
    "severity",
    "confidence",
    "status",
    "fingerprint",
    "attributes",
    "links",
    "occurred_at",
    "received_at",
)
_DECISION_COLUMNS = ("decision", "reasons", "route", "own_state", "ticket_id")  # _decision_values
# Column names are ours and every value is bound: no input in the text.
_COLUMNS = ", ".join(_ALERT_COLUMNS)
_MARKS = ", ".join("?" * len(_ALERT_COLUMNS))
_SQLITE_APPEND = (
    f"INSERT INTO alerts ({_COLUMNS}, reasons) VALUES ({_MARKS}, '[]') "  # noqa: S608
    "ON CONFLICT (source, alert_id) DO NOTHING"
)
_SQLITE_PENDING = f"SELECT pk, {_COLUMNS} FROM alerts WHERE decision IS NULL ORDER BY pk LIMIT ?"  # noqa: S608
_SETS = ", ".join(f"{c} = ?" for c in _DECISION_COLUMNS)
_SQLITE_RECORD = f"UPDATE alerts SET {_SETS} WHERE pk = ?"  # noqa: S608

# The same three on PostgreSQL, at asyncpg (storage.postgres_driver): the batch's columns as
# arrays, one round trip; JSON as text cast by the server.
_PG_TYPES = (
    "text", "text", "text", "text", "text", "text", "float8", "text", "text",
    "text", "text", "timestamptz", "timestamptz",
)  # fmt: skip
_PG_CASTS = ", ".join(
    f"v.{c}::json" if c in ("attributes", "links") else f"v.{c}" for c in _ALERT_COLUMNS
)
_PG_ARRAYS = ", ".join(f"${i}::{t}[]" for i, t in enumerate(_PG_TYPES, start=1))
_PG_APPEND = (
    f"INSERT INTO alerts ({_COLUMNS}, reasons) "  # noqa: S608
    f"SELECT {_PG_CASTS}, '[]'::json FROM unnest({_PG_ARRAYS}) AS v({_COLUMNS}) "
    "ON CONFLICT (source, alert_id) DO NOTHING RETURNING source, alert_id"
)
_PG_PENDING = f"SELECT pk, {_COLUMNS} FROM alerts WHERE decision IS NULL ORDER BY pk LIMIT $1"  # noqa: S608
_PG_RECORD = (
    "UPDATE alerts SET decision = $1, reasons = $2::json, route = $3, own_state = $4, "
    "ticket_id = $5 WHERE pk = $6"
)


def _sqlite_pending(row: Sequence[Any]) -> StoredAlert:
    """A row of `_SQLITE_PENDING` (undecided: no decision, reasons, route, state or ticket)."""
    values = dict(zip(_ALERT_COLUMNS, row[1:], strict=True))
    values["attributes"] = json_value(values["attributes"])
    values["links"] = json_value(values["links"])
    values["occurred_at"] = moment(values["occurred_at"])
    values["received_at"] = moment(values["received_at"])
    return StoredAlert(row[0], _alert(values), None, (), None, None, None)


def _pg_pending(row: Sequence[Any]) -> StoredAlert:
    """A row of `_PG_PENDING` (JSON decoded by the connection's codec, moments aware)."""
    values = dict(zip(_ALERT_COLUMNS, row[1:], strict=True))
    return StoredAlert(row[0], _alert(values), None, (), None, None, None)


def _pg_columns(new: Sequence[Alert]) -> list[list[object]]:
    """`_PG_APPEND`'s arrays: one list per column of `_ALERT_COLUMNS`."""
    rows = [
        (
            a.source,
            a.id,
            a.kind,
            a.title,
            a.description,
            a.severity.value,
            a.confidence,
            a.status.value,
            a.fingerprint,
            json_text(a.attributes),
            json_text(_links_data(a)) if a.links else "[]",
            a.occurred_at,
            a.received_at,
        )
        for a in new
    ]
    return [list(column) for column in zip(*rows, strict=True)]


def _alert(values: Mapping[str, Any] | RowMapping) -> Alert:
    """An alert from its columns' values (JSON decoded, moments aware)."""
    return Alert(
        id=values["alert_id"],
        source=values["source"],
        kind=values["kind"],
        title=values["title"],
        description=values["description"],
        severity=Severity(values["severity"]),
        confidence=values["confidence"],
        status=AlertStatus(values["status"]),
        fingerprint=values["fingerprint"],
        attributes=values["attributes"],
        occurred_at=values["occurred_at"],
        received_at=values["received_at"],
        links=tuple(AlertLink(link["title"], link["url"]) for link in values["links"]),
    )


def _decision_row(stored: StoredAlert) -> tuple[object, ...]:
    values = _decision_values(stored)
    values["reasons"] = json_text(values["reasons"])
    return (*values.values(), stored.pk)


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
    """The values of `_SQLITE_APPEND`, in `_ALERT_COLUMNS` order."""
    links = _links_data(alert) if alert.links else []
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
    return StoredAlert(
        pk=row["pk"],
        alert=_alert(row),
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
            rows = await (await driver(self._conn)).fetch(_PG_APPEND, *_pg_columns(new))
            return {(row[0], row[1]) for row in rows}
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
            pg = await driver(self._conn)
            await pg.execute("SELECT pg_advisory_xact_lock($1)", DECIDER_LOCK)
            return [_pg_pending(row) for row in await pg.fetch(_PG_PENDING, limit)]
        # SQLite: at the driver, as `append`; SQLAlchemy's row processing was a fifth of a round.
        rows = await self._conn.exec_driver_sql(_SQLITE_PENDING, (limit,))
        return [_sqlite_pending(row) for row in rows]

    async def record(self, decided: Sequence[StoredAlert]) -> None:
        """Write the decisions (decision, reasons, route, own state, ticket) of stored alerts."""
        if not decided:
            return
        if not self._postgres:  # at the driver, as `append`: this runs for every alert
            values = [_decision_row(s) for s in decided]
            await self._conn.exec_driver_sql(_SQLITE_RECORD, values)
            return
        values = [_decision_row(s) for s in decided]  # the same values, $n marks
        await (await driver(self._conn)).executemany(_PG_RECORD, values)

    async def find(self, keys: Sequence[tuple[str, str]]) -> dict[tuple[str, str], StoredAlert]:
        found: dict[tuple[str, str], StoredAlert] = {}
        wanted = set(keys)
        for chunk in bound_chunks(keys):
            # By alert_id (indexed), pairs checked here: PostgreSQL plans a row-value IN list
            # as a scan of the whole table.
            ids = sorted({alert_id for _, alert_id in chunk})
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

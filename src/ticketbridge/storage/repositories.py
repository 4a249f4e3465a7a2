"""The ticket repository (satisfies `services.ports.TicketRepository`) and the advisory lock ids
shared with the alert repository (alerts.py)."""

from __future__ import annotations

import hashlib
from collections.abc import Collection, Sequence
from dataclasses import fields
from datetime import datetime
from typing import Any

from sqlalchemy import RowMapping, delete, func, insert, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncConnection

from ticketbridge.domain import AlertState, IssueLink, Ticket, TicketStatus
from ticketbridge.storage.postgres_driver import driver
from ticketbridge.storage.sqlite_values import (
    bound_chunks,
    json_text,
    json_value,
    maybe_moment,
    moment_text,
)
from ticketbridge.storage.tables import fingerprint_leases, of_sites, tickets

# Advisory locks are hashed into this many buckets so one 1,000-alert batch never needs more
# than this many lock-table slots; a collision only serializes two unrelated fingerprints.
LOCK_BUCKETS = 256
_LOCK_BASE = 0x7462_0000  # "tb": keeps our advisory lock ids apart from other applications'
DECIDER_LOCK = _LOCK_BASE + LOCK_BUCKETS  # one decider at a time, outside the buckets


def lock_ids(names: Sequence[str]) -> list[int]:
    buckets = {
        int.from_bytes(hashlib.sha256(n.encode()).digest()[:4], "big") % LOCK_BUCKETS for n in names
    }
    return sorted(_LOCK_BASE + b for b in buckets)


_TICKET_FIELDS = [f.name for f in fields(Ticket)]
_TICKET_COLUMNS = ", ".join(_TICKET_FIELDS)
_SAVED_FIELDS = [c for c in _TICKET_FIELDS if c not in ("id", "fingerprint", "generation")]
_MOMENTS = frozenset(
    {
        "first_seen",
        "last_seen",
        "done_at",
        "last_digest_at",
        "watermark_at",
        "deleted_at",
        "escalated_at",
        "touched_at",
        "sla_at_risk_at",
        "sla_breached_at",
    }
)

# The decider's reads and writes of tickets on SQLite, at the driver (values as
# storage.sqlite_values stores them): SQLAlchemy's per-row processing was a third of a round.
# Column names come from the Ticket dataclass and every value is bound: no input in the text.
_SETS = ", ".join(f"{c} = ?" for c in _SAVED_FIELDS)
_SQLITE_SAVE = f"UPDATE tickets SET {_SETS} WHERE id = ?"  # noqa: S608
# PostgreSQL's, at asyncpg (storage.postgres_driver): JSON as text cast by the server.
_PG_SETS = ", ".join(
    f"{c} = ${i}::json" if c == "links" else f"{c} = ${i}"
    for i, c in enumerate(_SAVED_FIELDS, start=1)
)
_PG_SAVE = f"UPDATE tickets SET {_PG_SETS} WHERE id = ${len(_SAVED_FIELDS) + 1}"  # noqa: S608
_PG_CURRENT = (
    f"SELECT {_TICKET_COLUMNS} FROM tickets "  # noqa: S608
    "WHERE fingerprint = ANY($1::text[]) ORDER BY generation"
)
_INSERTED_FIELDS = [c for c in _TICKET_FIELDS if c != "id"]
_PG_INSERT = (
    f"INSERT INTO tickets (id, {', '.join(_INSERTED_FIELDS)}) VALUES ("  # noqa: S608
    + ", ".join(
        f"${i}::json" if c == "links" else f"${i}"
        for i, c in enumerate(["id", *_INSERTED_FIELDS], start=1)
    )
    + ")"
)


def _ticket_row(ticket: Ticket) -> dict[str, Any]:
    row = dict(ticket.__dict__)
    del row["id"]
    row["status"] = ticket.status.value
    row["outcome"] = ticket.outcome.value if ticket.outcome else None
    row["synced_state"] = ticket.synced_state.value if ticket.synced_state else None
    row["links"] = [link.as_data() for link in ticket.links] if ticket.links else []
    return row


def _pg_saved(ticket: Ticket) -> tuple[object, ...]:
    row = _ticket_row(ticket)
    row["links"] = json_text(row["links"]) if row["links"] else "[]"
    return (*(row[c] for c in _SAVED_FIELDS), ticket.id)


def _pg_inserted(ticket: Ticket, ticket_id: int) -> tuple[object, ...]:
    row = _ticket_row(ticket)
    row["links"] = json_text(row["links"]) if row["links"] else "[]"
    return (ticket_id, *(row[c] for c in _INSERTED_FIELDS))


def _pg_ticket(row: Sequence[Any]) -> Ticket:
    """A row of `_PG_CURRENT` (JSON decoded by the connection's codec, moments aware)."""
    return _typed(dict(zip(_TICKET_FIELDS, row, strict=True)))


def _sqlite_saved(ticket: Ticket) -> tuple[object, ...]:
    row = _ticket_row(ticket)
    values = [row[c] for c in _SAVED_FIELDS]
    for index, name in enumerate(_SAVED_FIELDS):
        if name in _MOMENTS and values[index] is not None:
            values[index] = moment_text(values[index])
        elif name == "links":  # mostly none: no serializer call for those
            values[index] = json_text(values[index]) if values[index] else "[]"
    return (*values, ticket.id)


def _sqlite_ticket(row: Sequence[Any]) -> Ticket:
    values = dict(zip(_TICKET_FIELDS, row, strict=True))
    for name in _MOMENTS:
        values[name] = maybe_moment(values[name])
    values["digest_pending"] = bool(values["digest_pending"])
    values["links"] = json_value(values["links"]) if values["links"] != "[]" else ()
    return _typed(values)


def _ticket(row: RowMapping) -> Ticket:
    return _typed({name: row[name] for name in _TICKET_FIELDS})


def _typed(values: dict[str, Any]) -> Ticket:
    """A ticket from its column values (JSON already decoded): enums and links typed."""
    values["status"] = TicketStatus(values["status"])
    values["outcome"] = AlertState(values["outcome"]) if values["outcome"] else None
    synced = values["synced_state"]
    values["synced_state"] = AlertState(synced) if synced else None
    links = values["links"]
    values["links"] = tuple(IssueLink.from_data(link) for link in links) if links else ()
    return Ticket(**values)


class SqlTickets:
    def __init__(self, conn: AsyncConnection, *, postgres: bool) -> None:
        self._conn = conn
        self._postgres = postgres

    async def lock_fingerprints(self, fingerprints: Sequence[str]) -> None:
        # SQLite: BEGIN IMMEDIATE already holds the one database write lock.
        if not self._postgres or not fingerprints:
            return
        await (await driver(self._conn)).execute(
            "SELECT pg_advisory_xact_lock(k) FROM (SELECT unnest($1::bigint[]) AS k ORDER BY k) s",
            lock_ids(fingerprints),
        )

    async def current(self, fingerprints: Sequence[str]) -> dict[str, Ticket]:
        found: dict[str, Ticket] = {}
        for chunk in bound_chunks(fingerprints):
            if not self._postgres:
                marks = ", ".join("?" * len(chunk))  # placeholders only: values are bound
                result = await self._conn.exec_driver_sql(
                    f"SELECT {_TICKET_COLUMNS} FROM tickets "  # noqa: S608
                    f"WHERE fingerprint IN ({marks}) ORDER BY generation",
                    tuple(chunk),
                )
                for values in result:
                    ticket = _sqlite_ticket(values)
                    found[ticket.fingerprint] = ticket  # the last generation wins
                continue
            for row in await (await driver(self._conn)).fetch(_PG_CURRENT, chunk):
                ticket = _pg_ticket(row)
                found[ticket.fingerprint] = ticket  # the last generation wins
        return found

    async def insert_many(self, new: Sequence[Ticket]) -> list[Ticket]:
        if not new:
            return []
        ids = await self._allocate_ids(len(new))
        if self._postgres:
            inserted = [_pg_inserted(t, i) for t, i in zip(new, ids, strict=True)]
            await (await driver(self._conn)).executemany(_PG_INSERT, inserted)
        else:
            rows = [{**_ticket_row(t), "id": i} for t, i in zip(new, ids, strict=True)]
            await self._conn.execute(insert(tickets), rows)
        return [Ticket(**{**t.__dict__, "id": i}) for t, i in zip(new, ids, strict=True)]

    async def _allocate_ids(self, count: int) -> list[int]:
        """Ids for `count` new tickets, so one plain executemany inserts them (RETURNING with
        ordered results is slow). PostgreSQL: the sequence; SQLite: after max(id), which is
        safe because BEGIN IMMEDIATE holds the one write lock for this transaction."""
        if self._postgres:
            query = (
                "SELECT nextval(pg_get_serial_sequence('tickets', 'id')) "
                "FROM generate_series(1, $1)"
            )
            return [row[0] for row in await (await driver(self._conn)).fetch(query, count)]
        top = (await self._conn.execute(select(func.coalesce(func.max(tickets.c.id), 0)))).scalar()
        start = int(top or 0) + 1
        return list(range(start, start + count))

    async def save_many(self, changed: Sequence[Ticket]) -> None:
        if not changed:
            return
        if not self._postgres:
            await self._conn.exec_driver_sql(_SQLITE_SAVE, [_sqlite_saved(t) for t in changed])
            return
        await (await driver(self._conn)).executemany(_PG_SAVE, [_pg_saved(t) for t in changed])

    async def get(self, ticket_id: int) -> Ticket | None:
        row = (
            (await self._conn.execute(select(tickets).where(tickets.c.id == ticket_id)))
            .mappings()
            .first()
        )
        return _ticket(row) if row else None

    async def get_many(self, ticket_ids: Sequence[int]) -> dict[int, Ticket]:
        found: dict[int, Ticket] = {}
        for chunk in bound_chunks(sorted(ticket_ids)):
            query = select(tickets).where(tickets.c.id.in_(chunk))
            for row in (await self._conn.execute(query)).mappings():
                found[row["id"]] = _ticket(row)
        return found

    async def by_issue(
        self, issue_id: str, issue_key: str, connections: Collection[str] | None = None
    ) -> Ticket | None:
        """The ticket of a Jira issue, by its id (stable when the issue moves to another
        project) else its key; the newest ticket when several name it. Locked for the rest of
        the transaction as `lock_fingerprints` locks it (SQLite: the write lock holds), and
        read after the lock."""
        if not issue_id and not issue_key:
            return None
        name, value = ("issue_id", issue_id) if issue_id else ("issue_key", issue_key)
        if not self._postgres:  # at the driver, like `current` (two-way sync's hot path)
            sites = sorted(connections) if connections is not None else []
            if connections is not None and not sites:
                return None
            site_filter = f" AND connection IN ({', '.join('?' * len(sites))})" if sites else ""
            result = await self._conn.exec_driver_sql(
                f"SELECT {_TICKET_COLUMNS} FROM tickets "  # noqa: S608
                f"WHERE {name} = ?{site_filter} ORDER BY id DESC LIMIT 1",
                (value, *sites),
            )
            row = result.first()
            return _sqlite_ticket(row) if row is not None else None
        column = tickets.c.issue_id if issue_id else tickets.c.issue_key
        query = (
            select(tickets.c.id, tickets.c.fingerprint)
            .where(column == value)
            .where(of_sites(tickets.c.connection, connections))
        )
        found = (await self._conn.execute(query.order_by(tickets.c.id.desc()).limit(1))).first()
        if found is None:
            return None
        await self.lock_fingerprints([found.fingerprint])
        return await self.get(found.id)

    async def stale(self, cutoff: datetime, limit: int) -> list[Ticket]:
        """Open issues (linked, not done, not an epic) with no activity since `cutoff`: first
        seen then or before, not escalated since and not updated by another account since
        (`domain.life.stale_since`)."""
        query = (
            select(tickets)
            .where(tickets.c.status == TicketStatus.LINKED.value)
            .where(or_(tickets.c.status_category.is_(None), tickets.c.status_category != "done"))
            .where(tickets.c.group_key.is_(None))
            .where(tickets.c.first_seen <= cutoff)
            .where(or_(tickets.c.escalated_at.is_(None), tickets.c.escalated_at <= cutoff))
            .where(or_(tickets.c.touched_at.is_(None), tickets.c.touched_at <= cutoff))
            .order_by(tickets.c.id)
            .limit(limit)
        )
        return [_ticket(r) for r in (await self._conn.execute(query)).mappings()]

    async def list(
        self, *, limit: int, before_id: int | None = None, sla: str | None = None
    ) -> list[Ticket]:
        query = select(tickets).order_by(tickets.c.id.desc()).limit(limit)
        if before_id is not None:
            query = query.where(tickets.c.id < before_id)
        if sla is not None:  # the SLA scan's finding (at_risk, breached)
            query = query.where(tickets.c.sla_state == sla)
        return [_ticket(r) for r in (await self._conn.execute(query)).mappings()]

    async def sites(self, connections: Collection[str] | None = None) -> dict[str | None, int]:
        """How many tickets with an issue each Jira site holds (None: not bound yet), the
        ones kept apart (`detached`) left out."""
        query = (
            select(tickets.c.site, func.count())
            .where(tickets.c.issue_key.is_not(None))
            .where(tickets.c.status != TicketStatus.DETACHED.value)
            .where(of_sites(tickets.c.connection, connections))
            .group_by(tickets.c.site)
        )
        rows = (await self._conn.execute(query)).all()
        return {site: int(count) for site, count in rows}

    async def adopt_unbound(self, site: str, connections: Collection[str] | None = None) -> int:
        """Tickets with an issue but no site (made before sites were recorded) → `site`."""
        result = await self._conn.execute(
            update(tickets)
            .where(tickets.c.site.is_(None))
            .where(of_sites(tickets.c.connection, connections))
            .where(tickets.c.issue_key.is_not(None))
            .values(site=site)
        )
        return result.rowcount or 0

    async def rebind_to(self, site: str, connections: Collection[str] | None = None) -> int:
        """Every other site's tickets (not kept apart) now belong to `site`: the issues moved
        there with their keys (a migration)."""
        result = await self._conn.execute(
            update(tickets)
            .where(tickets.c.site.is_not(None))
            .where(tickets.c.site != site)
            .where(tickets.c.status != TicketStatus.DETACHED.value)
            .where(of_sites(tickets.c.connection, connections))
            .values(site=site)
        )
        return result.rowcount or 0

    async def detach_all_but(self, site: str, connections: Collection[str] | None = None) -> int:
        """Every other site's tickets are kept apart: never written to again (their next alert
        gets a fresh issue on `site`). Their keys are let go (keys are unique per site, and
        `site` has its own OPS-1); `issue_url` still names the other site's issue."""
        result = await self._conn.execute(
            update(tickets)
            .where(tickets.c.site.is_not(None))
            .where(tickets.c.site != site)
            .where(tickets.c.status != TicketStatus.DETACHED.value)
            .where(of_sites(tickets.c.connection, connections))
            .values(status=TicketStatus.DETACHED.value, issue_key=None)
        )
        return result.rowcount or 0

    async def acquire_leases(
        self, fingerprints: Sequence[str], owner: str, now: datetime, until: datetime
    ) -> bool:
        # One upsert per chunk: a lease is taken where none is, renewed where `owner` holds
        # it, taken over where it ran out; one held by another owner is left as it is and not
        # returned. Sorted, so two takers of overlapping sets wait on rows in the same order.
        dialect_insert = pg_insert if self._postgres else sqlite_insert
        wanted = sorted(set(fingerprints))
        taken = 0
        for chunk in bound_chunks(wanted):
            upsert = dialect_insert(fingerprint_leases).values(
                [{"fingerprint": fp, "owner": owner, "expires_at": until} for fp in chunk]
            )
            result = await self._conn.execute(
                upsert.on_conflict_do_update(
                    index_elements=[fingerprint_leases.c.fingerprint],
                    set_={"owner": owner, "expires_at": until},
                    where=(fingerprint_leases.c.owner == owner)
                    | (fingerprint_leases.c.expires_at < now),
                ).returning(fingerprint_leases.c.fingerprint)
            )
            taken += len(result.all())
        return taken == len(wanted)

    async def release_leases(self, fingerprints: Sequence[str], owner: str) -> None:
        for chunk in bound_chunks(sorted(fingerprints)):  # sorted: one lock order for all
            await self._conn.execute(
                delete(fingerprint_leases)
                .where(fingerprint_leases.c.fingerprint.in_(chunk))
                .where(fingerprint_leases.c.owner == owner)
            )

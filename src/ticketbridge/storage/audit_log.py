"""The audit trail's tables and repository (satisfies `services.ports.AuditLog`).

Events recorded in a unit of work are held until it commits, then sequenced in one batch
(`flush`, called by `SqlUnitOfWork.commit`): on PostgreSQL under the head row's lock held to the
end of the transaction, so one writer sequences at a time while many append; on SQLite the
write lock (BEGIN IMMEDIATE) does the same. The head row (`audit_head`: size, last hash, the
Merkle frontier) is read and rewritten in that batch, so positions are gap-free and the tree is
kept without a rebuild. The events commit with the change they record, or not at all.

Events recorded `later` (the decider's: two per decided alert) are written unsealed, one
`audit_pending` row per unit of work, in the transaction of the change they record, without the
lock: the decider never waits for the sequencer nor pays for hashing. The sequencer seals them
(`seal` — run by every sealed flush before its own events, by the audit loop each tick and by
every reader of the trail first): under the lock, the pending rows in id order, then the
flush's own events, each given its position and hash, the pending rows deleted in the same
transaction. So a committed event is sealed exactly once and never lost (a crash leaves its
pending row), and what caused another change (a decision, then the ticket's creation) is
sealed before it: the later change's row or flush commits after the cause's row is visible.

`body` is the event's canonical JSON without `hash` (the bytes hashed); the other columns are
an index for the trail's filters, not part of what is proven.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    Index,
    Integer,
    String,
    Table,
    Text,
    func,
    insert,
    select,
    text,
    update,
)
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncConnection

from ticketbridge.domain.audit import (
    GENESIS,
    EventType,
    Head,
    NewEvent,
    SealedEvent,
    StoredCheckpoint,
    Subject,
    seal,
)
from ticketbridge.domain.audit_decisions import pending_json, unpacked
from ticketbridge.domain.audit_merkle import Frontier
from ticketbridge.domain.pushes import RecordedPush
from ticketbridge.storage.push_events import _push as push_record
from ticketbridge.storage.push_events import push_events
from ticketbridge.storage.sqlite_values import json_text, moment_text
from ticketbridge.storage.tables import Id, UtcDateTime, metadata

audit_events = Table(
    "audit_events",
    metadata,
    # Id: INTEGER on SQLite, so the position is the rowid (one B-tree less per event)
    Column("position", Id, primary_key=True, autoincrement=False),
    Column("event_id", String(40), nullable=False, unique=True),
    Column("type", String(32), nullable=False),
    Column("ts", UtcDateTime, nullable=False),
    Column("alert", Text),
    Column("ticket_key", String(64)),
    Column("body", Text, nullable=False),
    Column("hash", String(64), nullable=False),
    Index("ix_audit_events_type", "type", "position"),
    Index("ix_audit_events_alert", "alert", "position"),
    Index(  # most events name no issue: only those that do are indexed
        "ix_audit_events_ticket",
        "ticket_key",
        "position",
        sqlite_where=text("ticket_key IS NOT NULL"),
        postgresql_where=text("ticket_key IS NOT NULL"),
    ),
)

audit_head = Table(
    "audit_head",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),  # the one row: 1
    Column("size", BigInteger, nullable=False),
    Column("last_hash", String(64), nullable=False),
    Column("frontier", JSON, nullable=False),  # hex subtree roots, largest first
)

audit_pending = Table(  # recorded with their change, not sealed yet (`later`)
    "audit_pending",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("events", Text, nullable=False),  # JSON: [[id, type, source, ts, payload, links,
    # alert, ticket key], …] in recording order
)

audit_checkpoints = Table(
    "audit_checkpoints",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("size", BigInteger, nullable=False),
    Column("note", Text, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("sunk_at", UtcDateTime),  # appended to the external sink
    Column("sink_error", Text),
    Index("ix_audit_checkpoints_size", "size"),
)

audit_keys = Table(
    "audit_keys",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),  # the one row: 1
    Column("install_id", String(32), nullable=False),
    Column("public_key", String(64), nullable=False),  # base64 of the raw Ed25519 key
    Column("private_key", Text, nullable=False),  # Fernet-encrypted raw key
    Column("created_at", UtcDateTime, nullable=False),
)

audit_pushes_done = Table(
    "audit_pushes_done",
    metadata,
    Column("push_id", Id, primary_key=True, autoincrement=False),
    Column("done_at", UtcDateTime, nullable=False),
)


def _head(row: Any) -> Head:
    nodes = tuple(bytes.fromhex(h) for h in row.frontier)
    return Head(row.size, row.last_hash, Frontier(row.size, nodes))


def _sealed(row: Any) -> SealedEvent:
    return SealedEvent(
        position=row.position,
        id=row.event_id,
        type=EventType(row.type),
        timestamp=row.ts,
        subject=Subject(row.alert, row.ticket_key),
        body=row.body.encode(),
        hash=row.hash,
    )


class SqlAuditLog:
    def __init__(self, conn: AsyncConnection, *, postgres: bool) -> None:
        self._conn = conn
        self._postgres = postgres
        self._pending: list[NewEvent] = []
        self._later: list[NewEvent] = []
        self._decisions: list[Sequence[Any]] = []
        self._seal_requested = False

    def record(self, events: Sequence[NewEvent], *, later: bool = False) -> None:
        """Append `events` to the log when this unit of work commits (not before); `later`:
        written unsealed with the change, sealed after it by the sequencer (`seal`)."""
        (self._later if later else self._pending).extend(events)

    def record_decisions(self, records: Sequence[Sequence[Any]]) -> None:
        """The decider's `decision_record`s: written unsealed, as `later` events, and
        expanded into their two events each when sealed."""
        self._decisions.extend(records)

    def seal_on_commit(self) -> None:
        """Seal every pending event when this unit of work commits (readers, the audit loop)."""
        self._seal_requested = True

    async def flush(self) -> list[SealedEvent]:
        """Write the recorded events (called by commit): the `later` ones unsealed, then,
        if there are others (or a seal was asked for), the pending ones and those sealed."""
        if self._later or self._decisions:
            text = pending_json(self._later, self._decisions)
            self._later, self._decisions = [], []
            await self._conn.execute(insert(audit_pending).values(events=text))
        if not (self._pending or self._seal_requested):
            return []
        own, self._pending, self._seal_requested = self._pending, [], False
        if not own and await self.pending_count() == 0:
            return []  # a reader's seal with nothing pending: no lock taken
        head = await self._locked_head()
        pending = await self._conn.execute(
            select(audit_pending.c.id, audit_pending.c.events).order_by(audit_pending.c.id)
        )
        gone, events = [], []
        for row in pending:
            gone.append(row.id)
            events += unpacked(row.events)
        events += own
        if not events:
            return []
        sealed: list[SealedEvent] = []
        prev, frontier = head.last_hash, head.frontier
        for offset, event in enumerate(events):
            item = seal(event, head.size + offset, prev)
            sealed.append(item)
            prev, frontier = item.hash, frontier.append(item.leaf)
        nodes = json_text([n.hex() for n in frontier.nodes])
        if self._postgres:  # the events, the head and the pending rows in one statement
            columns = _pg_columns(sealed, frontier.size, prev, nodes) | {"gone": gone}
            await self._conn.execute(_PG_APPEND, columns)
            return sealed
        # SQLite at the driver (as the alerts' statements).
        await self._conn.exec_driver_sql(_SQLITE_INSERT, [_sqlite_row(e) for e in sealed])
        await self._conn.exec_driver_sql(_SQLITE_HEAD, (frontier.size, prev, nodes))
        if gone:
            await self._conn.exec_driver_sql(_SQLITE_GONE, [(i,) for i in gone])
        return sealed

    async def pending_count(self) -> int:
        """Events recorded but not sealed yet (rows of them: one per unit of work)."""
        query = select(func.count()).select_from(audit_pending)
        return int((await self._conn.execute(query)).scalar_one())

    async def _locked_head(self) -> Head:
        """The head, and the right to continue it until this transaction ends. PostgreSQL: the
        head row locked (`FOR UPDATE`) — one round trip, where an advisory lock needed a second
        statement to read the head after the grant: under READ COMMITTED a row lock that waited
        re-reads the row as its previous holder committed it, so the head is never stale. The
        pending rows are read by the next statement, after the lock (a fresh snapshot)."""
        if not self._postgres:
            return await self.head()  # BEGIN IMMEDIATE: this connection is the one writer
        query = select(audit_head).where(audit_head.c.id == 1).with_for_update()
        row = (await self._conn.execute(query)).first()
        return _head(row) if row is not None else Head(0, GENESIS, Frontier())

    async def head(self) -> Head:
        row = (await self._conn.execute(select(audit_head).where(audit_head.c.id == 1))).first()
        if row is None:  # the migration inserts it; only a damaged database lacks it
            return Head(0, GENESIS, Frontier())
        return _head(row)

    async def stream(self, first: int = 0, end: int | None = None) -> AsyncIterator[Any]:
        """(position, body, hash) rows in position order, from `first` up to `end`."""
        query = select(audit_events.c.position, audit_events.c.body, audit_events.c.hash).where(
            audit_events.c.position >= first
        )
        if end is not None:
            query = query.where(audit_events.c.position < end)
        result = await self._conn.stream(
            query.order_by(audit_events.c.position).execution_options(yield_per=5000)
        )
        async for partition in result.partitions():
            for row in partition:
                yield row

    async def event(self, event_id: str) -> SealedEvent | None:
        query = select(audit_events).where(audit_events.c.event_id == event_id)
        row = (await self._conn.execute(query)).first()
        return _sealed(row) if row is not None else None

    async def query(
        self,
        *,
        limit: int,
        after: int | None = None,
        types: Sequence[str] = (),
        alert: str | None = None,
        ticket_key: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
    ) -> list[SealedEvent]:
        """Events in position order (keyset: `after` the last position seen)."""
        c = audit_events.c
        query = select(audit_events).order_by(c.position).limit(limit)
        if after is not None:
            query = query.where(c.position > after)
        if types:
            query = query.where(c.type.in_(list(types)))
        if alert is not None:
            query = query.where(c.alert == alert)
        if ticket_key is not None:
            query = query.where(c.ticket_key == ticket_key)
        if since is not None:
            query = query.where(c.ts >= since)
        if until is not None:
            query = query.where(c.ts < until)
        return [_sealed(row) for row in await self._conn.execute(query)]

    # --- checkpoints and the signing key ----------------------------------------------------

    async def add_checkpoint(self, size: int, note: str, now: datetime) -> int:
        statement = insert(audit_checkpoints).values(size=size, note=note, created_at=now)
        return int((await self._conn.execute(statement.returning(audit_checkpoints.c.id))).one()[0])

    async def latest_checkpoint(self) -> StoredCheckpoint | None:
        query = select(audit_checkpoints).order_by(audit_checkpoints.c.size.desc()).limit(1)
        row = (await self._conn.execute(query)).first()
        return _checkpoint(row) if row is not None else None

    async def checkpoints(self, *, unsunk: bool = False) -> list[StoredCheckpoint]:
        query = select(audit_checkpoints).order_by(audit_checkpoints.c.id)
        if unsunk:
            query = query.where(audit_checkpoints.c.sunk_at.is_(None))
        rows = await self._conn.execute(query)
        return [_checkpoint(r) for r in rows]

    async def mark_sunk(self, checkpoint_id: int, now: datetime, error: str | None) -> None:
        values: dict[str, Any] = {"sink_error": error}
        if error is None:
            values["sunk_at"] = now
        await self._conn.execute(
            update(audit_checkpoints).where(audit_checkpoints.c.id == checkpoint_id).values(values)
        )

    async def signing_key(self) -> tuple[str, str, str] | None:
        """(install id, base64 public key, encrypted private key), if made."""
        row = (await self._conn.execute(select(audit_keys).where(audit_keys.c.id == 1))).first()
        return (row.install_id, row.public_key, row.private_key) if row is not None else None

    async def add_signing_key(
        self, install_id: str, public_key: str, private_key: str, now: datetime
    ) -> tuple[str, str, str]:
        """Store the key unless one is stored (a process racing us); the stored one."""
        dialect_insert = pg_insert if self._postgres else sqlite_insert
        await self._conn.execute(
            dialect_insert(audit_keys)
            .values(
                id=1,
                install_id=install_id,
                public_key=public_key,
                private_key=private_key,
                created_at=now,
            )
            .on_conflict_do_nothing()
        )
        stored = await self.signing_key()
        assert stored is not None
        return stored

    # --- pushes turned into CONFIG_CHANGE events --------------------------------------------

    async def pending_pushes(self, limit: int) -> list[RecordedPush]:
        """The oldest stored pushes not yet turned into CONFIG_CHANGE events (by id, but
        never by a watermark: a push committed late under a lower id is not skipped)."""
        done = select(audit_pushes_done.c.push_id).where(
            audit_pushes_done.c.push_id == push_events.c.id
        )
        query = select(push_events).where(~done.exists()).order_by(push_events.c.id).limit(limit)
        return [push_record(row) for row in (await self._conn.execute(query)).mappings()]

    async def mark_push_done(self, push_id: int, now: datetime) -> bool:
        """False when another process turned it into events first (nothing written)."""
        dialect_insert = pg_insert if self._postgres else sqlite_insert
        statement = (
            dialect_insert(audit_pushes_done)
            .values(push_id=push_id, done_at=now)
            .on_conflict_do_nothing()
            .returning(audit_pushes_done.c.push_id)
        )
        return (await self._conn.execute(statement)).first() is not None


_PG_APPEND = text(
    "WITH gone AS (DELETE FROM audit_pending WHERE id = ANY(CAST(:gone AS bigint[]))), "
    "added AS (INSERT INTO audit_events "
    "(position, event_id, type, ts, alert, ticket_key, body, hash) "
    "SELECT * FROM unnest(CAST(:positions AS bigint[]), CAST(:ids AS varchar[]), "
    "CAST(:types AS varchar[]), CAST(:moments AS timestamptz[]), CAST(:alerts AS text[]), "
    "CAST(:tickets AS varchar[]), CAST(:bodies AS text[]), CAST(:hashes AS varchar[]))) "
    "UPDATE audit_head SET size = :size, last_hash = :last, frontier = CAST(:frontier AS json) "
    "WHERE id = 1"
)


def _pg_columns(
    events: Sequence[SealedEvent], size: int, last: str, frontier: str
) -> dict[str, object]:
    return {
        "positions": [e.position for e in events],
        "ids": [e.id for e in events],
        "types": [e.type.value for e in events],
        "moments": [e.timestamp for e in events],
        "alerts": [e.subject.alert for e in events],
        "tickets": [e.subject.ticket_key for e in events],
        "bodies": [e.body.decode() for e in events],
        "hashes": [e.hash for e in events],
        "size": size,
        "last": last,
        "frontier": frontier,
    }


_SQLITE_INSERT = (
    "INSERT INTO audit_events (position, event_id, type, ts, alert, ticket_key, body, hash) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
)
_SQLITE_HEAD = "UPDATE audit_head SET size = ?, last_hash = ?, frontier = ? WHERE id = 1"
_SQLITE_GONE = "DELETE FROM audit_pending WHERE id = ?"


def _sqlite_row(event: SealedEvent) -> tuple[object, ...]:
    return (
        event.position,
        event.id,
        event.type.value,
        moment_text(event.timestamp),
        event.subject.alert,
        event.subject.ticket_key,
        event.body.decode(),
        event.hash,
    )


def _checkpoint(row: Any) -> StoredCheckpoint:
    return StoredCheckpoint(row.id, row.size, row.note, row.created_at, row.sunk_at)

"""The unit of work: one connection, one transaction, the repositories bound to it.

On SQLite every transaction is a writer (BEGIN IMMEDIATE), and SQLite's busy handler waits in
sleeps of up to 100 ms; so the units of work of one process queue on an asyncio lock first
and only other processes ever meet the busy handler. Units of work must not nest.
"""

from __future__ import annotations

import asyncio
from types import TracebackType

import structlog
from sqlalchemy.exc import DataError, DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from ticketbridge.errors import StoredValueRefused
from ticketbridge.storage.accounts import SqlAccounts
from ticketbridge.storage.alerts import SqlAlerts
from ticketbridge.storage.api_keys import SqlApiKeys
from ticketbridge.storage.audit_log import SqlAuditLog
from ticketbridge.storage.credentials import SqlAuthorizations, SqlCredentials
from ticketbridge.storage.fingerprint_settings import SqlFingerprints
from ticketbridge.storage.jira_deliveries import SqlJiraDeliveries
from ticketbridge.storage.outbox import SqlOutbox
from ticketbridge.storage.processes import SqlProcesses
from ticketbridge.storage.push_events import SqlPushEvents
from ticketbridge.storage.repositories import SqlTickets
from ticketbridge.storage.schedules import SqlSchedules
from ticketbridge.storage.ticket_events import SqlTicketEvents

log = structlog.get_logger("ticketbridge.storage")


class SqlUnitOfWork:
    alerts: SqlAlerts
    tickets: SqlTickets
    outbox: SqlOutbox
    api_keys: SqlApiKeys
    push_events: SqlPushEvents
    jira_deliveries: SqlJiraDeliveries
    fingerprints: SqlFingerprints
    schedules: SqlSchedules
    ticket_events: SqlTicketEvents
    processes: SqlProcesses
    credentials: SqlCredentials
    authorizations: SqlAuthorizations
    audit: SqlAuditLog
    accounts: SqlAccounts

    def __init__(self, engine: AsyncEngine, writer_lock: asyncio.Lock | None = None) -> None:
        self._engine = engine
        self._writer_lock = writer_lock
        self._conn: AsyncConnection | None = None

    async def __aenter__(self) -> SqlUnitOfWork:
        if self._writer_lock is not None:
            await self._writer_lock.acquire()
        try:
            conn = await self._engine.connect()
            await conn.begin()
        except BaseException:
            self._release()
            raise
        self._conn = conn
        postgres = conn.dialect.name == "postgresql"
        self.alerts = SqlAlerts(conn, postgres=postgres)
        self.tickets = SqlTickets(conn, postgres=postgres)
        self.outbox = SqlOutbox(conn, postgres=postgres)
        self.api_keys = SqlApiKeys(conn)
        self.push_events = SqlPushEvents(conn, postgres=postgres)
        self.jira_deliveries = SqlJiraDeliveries(conn, postgres=postgres)
        self.fingerprints = SqlFingerprints(conn)
        self.schedules = SqlSchedules(conn, postgres=postgres)
        self.ticket_events = SqlTicketEvents(conn, postgres=postgres)
        self.processes = SqlProcesses(conn, postgres=postgres)
        self.credentials = SqlCredentials(conn)
        self.authorizations = SqlAuthorizations(conn)
        self.audit = SqlAuditLog(conn, postgres=postgres)
        self.accounts = SqlAccounts(conn)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        conn, self._conn = self._conn, None
        if conn is None:
            return
        try:
            if conn.in_transaction():
                await conn.rollback()
        finally:
            try:
                await conn.close()
            finally:
                self._release()
        if exc is not None and _refused_value(exc):
            # The kind only: the driver's message quotes the value, which may be anything.
            log.warning("storage_refused_value", error=type(exc).__name__, sqlstate=_sqlstate(exc))
            raise StoredValueRefused from exc

    def _release(self) -> None:
        if self._writer_lock is not None and self._writer_lock.locked():
            self._writer_lock.release()

    @property
    def connection(self) -> AsyncConnection:
        """This unit's connection, for a store outside the services' ports (reconcile's)."""
        assert self._conn is not None, "connection outside `async with`"
        return self._conn

    async def commit(self) -> None:
        assert self._conn is not None, "commit outside `async with`"
        await self.audit.flush()  # the trail commits with the change it records
        await self._conn.commit()

    async def rollback(self) -> None:
        assert self._conn is not None, "rollback outside `async with`"
        await self._conn.rollback()


def _refused_value(exc: BaseException) -> bool:
    """A value the database or its driver cannot take: PostgreSQL's data exceptions (SQLSTATE
    class 22: out of range, invalid text or JSON, NUL), SQLite's, and the drivers' own
    conversions (an integer beyond 64 bits, a lone surrogate)."""
    if isinstance(exc, DataError):
        return True
    if isinstance(exc, DBAPIError):
        return _sqlstate(exc).startswith("22")
    return isinstance(exc, OverflowError | UnicodeEncodeError)


def _sqlstate(exc: BaseException) -> str:
    return str(getattr(getattr(exc, "orig", None), "sqlstate", None) or "")

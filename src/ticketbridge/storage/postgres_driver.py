"""PostgreSQL at the driver: asyncpg's own connection under SQLAlchemy's, in its transaction.

Why: SQLAlchemy's per-row processing (bind processors, result rows as mappings, the
`UtcDateTime` decorator) cost the decider more than its statements on PostgreSQL, as it did on
SQLite (bench/RESULTS.md "PostgreSQL at the driver"). asyncpg encodes and decodes in C, so the
hot statements (accept's insert, the decider's reads and writes, the outbox's enqueue) are sent
to it directly: many rows in one round trip, as `unnest` of arrays or asyncpg's pipelined
`executemany`.

The values are the ones SQLAlchemy's path binds and reads: moments as aware UTC datetimes
(timestamptz), JSON as text on the way in (the engine's JSON codec, set by SQLAlchemy on every
connection, takes a `str` and decodes with `sqlite_values.json_value` on the way out), so either
path reads what the other wrote (tests/integration/storage runs both databases).

SQLAlchemy's asyncpg adapter begins its transaction lazily, at its first statement. A statement
sent to the driver before any of SQLAlchemy's would run outside the unit of work's transaction,
so `driver()` begins it the way the adapter does (its `_start_transaction`, under its mutex);
tests/integration/storage/test_postgres_driver.py holds the adapter to that interface.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import asyncpg  # type: ignore[import-untyped]  # no type hints shipped
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection

# What asyncpg raises: the server's errors and the connection's (closed, lost).
_DRIVER_ERRORS = (asyncpg.PostgresError, asyncpg.InterfaceError)


class Driver:
    """asyncpg's calls on one connection, its errors raised as SQLAlchemy raises them
    (`IntegrityError`, `DataError`, …) so callers see one kind of error whichever path ran."""

    def __init__(self, adapter: Any) -> None:
        self._adapter = adapter
        self._connection = adapter._connection

    async def fetch(self, query: str, *args: object) -> list[Any]:
        try:
            return list(await self._connection.fetch(query, *args))
        except _DRIVER_ERRORS as error:
            raise self._translated(query, error) from error

    async def execute(self, query: str, *args: object) -> str:
        try:
            return str(await self._connection.execute(query, *args))
        except _DRIVER_ERRORS as error:
            raise self._translated(query, error) from error

    async def executemany(self, query: str, args: Sequence[Sequence[object]]) -> None:
        try:
            await self._connection.executemany(query, args)
        except _DRIVER_ERRORS as error:
            raise self._translated(query, error) from error

    def _translated(self, query: str, error: BaseException) -> BaseException:
        """The DB-API error SQLAlchemy's adapter makes of `error`, wrapped as SQLAlchemy wraps
        it (parameters hidden: they may be anything a source sent)."""
        dbapi = self._adapter.dbapi
        try:
            self._adapter._handle_exception(error)
        except dbapi.Error as translated:
            wrapped: BaseException = DBAPIError.instance(
                query, None, translated, dbapi.Error, hide_parameters=True
            )
            return wrapped
        return error  # pragma: no cover - _handle_exception always raises


async def driver(conn: AsyncConnection) -> Driver:
    """The asyncpg connection under `conn`, inside `conn`'s transaction."""
    fairy = await conn.get_raw_connection()
    adapter: Any = fairy.dbapi_connection
    if adapter._transaction is None and adapter.isolation_level != "autocommit":
        async with adapter._execute_mutex:
            if adapter._transaction is None:
                await adapter._start_transaction()
    return Driver(adapter)

"""Engines, pragmas, migrations and the unit of work.

SQLite (default, `./var/ticketbridge.db`): WAL, foreign keys, every transaction `BEGIN
IMMEDIATE` (writers queue on the database lock instead of failing to upgrade a read lock), run
on the event loop's thread with another process's lock waited for in async sleeps
(storage.sqlite_inline). PostgreSQL by URL (`postgresql+asyncpg://…`).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

from ticketbridge.storage.sqlite_inline import Checkpointer, connector
from ticketbridge.storage.sqlite_values import json_text, json_value
from ticketbridge.storage.uow import SqlUnitOfWork

_MIGRATIONS = Path(__file__).parent / "migrations"
_BUSY_TIMEOUT_S = 30.0


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # Let us issue BEGIN ourselves (BEGIN IMMEDIATE below) instead of the driver's deferred one.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")  # durable across process crashes in WAL mode
    cursor.close()


def _begin_immediate(conn: Connection) -> None:
    conn.exec_driver_sql("BEGIN IMMEDIATE")


def _begin_deferred(conn: Connection) -> None:
    conn.exec_driver_sql("BEGIN")  # a read snapshot (WAL): takes no lock writers wait for


def create_engine(
    url: str, checkpointer: Checkpointer | None = None, *, reader: bool = False
) -> AsyncEngine:
    """An async engine for `url`, with SQLite's pragmas and transaction mode when it is SQLite
    (checkpointed by `checkpointer` when one is given; a `reader`'s transactions are deferred
    snapshots, for long reads that must not hold the write lock)."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        # JSON in and out as the driver-level statements read it (storage.postgres_driver).
        return create_async_engine(
            url,
            pool_size=10,
            max_overflow=10,
            pool_pre_ping=True,
            json_serializer=json_text,
            json_deserializer=json_value,
        )
    if parsed.database and parsed.database != ":memory:":
        _create_private(Path(parsed.database))
    # Plain executemany: the C loop of sqlite3 beats rendering multi-row VALUES statements.
    # On the loop's thread, not aiosqlite's (storage.sqlite_inline says why). JSON columns are
    # written and read as the driver-level statements write and read them (sqlite_values).
    engine = create_async_engine(
        url,
        async_creator=connector(parsed.database or ":memory:", _BUSY_TIMEOUT_S, checkpointer),
        use_insertmanyvalues=False,
        json_serializer=json_text,
        json_deserializer=json_value,
    )
    event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
    event.listen(engine.sync_engine, "begin", _begin_deferred if reader else _begin_immediate)
    return engine


def _create_private(path: Path) -> None:
    """A new database file is created readable by its owner only (0600, whatever the umask);
    SQLite gives its -wal and -shm files the database file's mode."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    if not path.exists():
        path.touch(mode=0o600)


def _alembic_config(connection: Connection) -> Config:
    config = Config()
    config.set_main_option("script_location", str(_MIGRATIONS))
    config.attributes["connection"] = connection
    return config


async def upgrade(url: str) -> None:
    """Apply every migration to the database at `url` (`ticketbridge db upgrade`, `serve`)."""
    await migrate(url, "head")


async def migrate(url: str, revision: str, *, down: bool = False) -> None:
    """Migrate the database at `url` up (or `down`) to `revision`, in one transaction.

    SQLite alters a constraint by copying the table, and dropping the old copy of a table
    others refer to fails with foreign keys on; so, as SQLite's own procedure says, they are
    off while migrating (a pragma set before the transaction) and checked before the commit."""
    engine = create_engine(url)
    sqlite = engine.dialect.name == "sqlite"
    if sqlite:
        event.listen(engine.sync_engine, "connect", _foreign_keys_off)
    step = command.downgrade if down else command.upgrade
    try:
        async with engine.begin() as conn:
            await conn.run_sync(lambda sync: step(_alembic_config(sync), revision))
            if sqlite:
                broken = (await conn.exec_driver_sql("PRAGMA foreign_key_check")).all()
                if broken:
                    raise RuntimeError(f"migrating broke foreign keys: {broken[:5]}")
    finally:
        await engine.dispose()


def _foreign_keys_off(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=OFF")  # after `_sqlite_pragmas` turned them on
    cursor.close()


class Database:
    """One database: `unit_of_work()` satisfies `services.ports.UnitOfWorkFactory`."""

    def __init__(self, url: str) -> None:
        self.url = url
        self._checkpointer = _checkpointer_for(url)
        self.engine = create_engine(url, self._checkpointer)
        self.dialect = self.engine.dialect.name
        self._writer_lock = asyncio.Lock() if self.dialect == "sqlite" else None
        self._reader: AsyncEngine | None = None  # SQLite's snapshot engine, made when needed

    def unit_of_work(self) -> SqlUnitOfWork:
        return SqlUnitOfWork(self.engine, self._writer_lock)

    @asynccontextmanager
    async def snapshot(self) -> AsyncIterator[AsyncConnection]:
        """A read-only transaction on one consistent snapshot, outside the writers' queue:
        reports read for a second or two without holding up ingest. SQLite: a deferred
        transaction on a connection of its own engine; PostgreSQL: REPEATABLE READ, READ ONLY."""
        if self.dialect == "sqlite":
            if self._reader is None:
                self._reader = create_engine(self.url, reader=True)
            async with self._reader.begin() as conn:
                yield conn
            return
        async with self.engine.connect() as conn:
            await conn.execution_options(isolation_level="REPEATABLE READ")
            async with conn.begin():
                await conn.exec_driver_sql("SET TRANSACTION READ ONLY")
                yield conn

    async def upgrade(self) -> None:
        await upgrade(self.url)

    async def aclose(self) -> None:
        if self._reader is not None:
            await self._reader.dispose()
        await self.engine.dispose()
        if self._checkpointer is not None:
            self._checkpointer.stop()


def _checkpointer_for(url: str) -> Checkpointer | None:
    """A long-lived database's checkpoints run off the event loop (a SQLite file only)."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return None
    return Checkpointer(parsed.database)

"""SQLite on the event loop's own thread: an aiosqlite-shaped connection for SQLAlchemy.

Why: aiosqlite runs every call on a thread of its own, and SQLAlchemy makes about four calls
per statement (cursor, execute, fetch, close). Each call is a wake-up of that thread and one of
the loop's: 30–80 µs apiece on a busy 2-core host, against a few µs for our statements, which
are inserts of prepared rows and lookups by key. Run inline, a transaction holds the in-process
writer lock (storage.uow) for microseconds instead of a millisecond or more.

The one wait that must not block the loop is SQLite's lock held by *another process*. So the
driver's busy timeout is 0, and SQLITE_BUSY is retried here with asyncio sleeps up to the same
deadline SQLite's busy handler had. A retry is sound: every transaction begins IMMEDIATE
(storage.database), so BUSY comes from BEGIN IMMEDIATE or a statement outside a transaction,
before anything was written; that is also when SQLite's own busy handler retries.

Checkpoints are the other wait: copying the WAL into the database and syncing it took 11–19 ms
on every third or fourth commit of 1,000 alerts. `Checkpointer` runs them on a thread of its
own (SQLite lets a passive checkpoint run beside a writer); connections made with one switch
SQLite's automatic checkpoint off.

SQLAlchemy's aiosqlite adapter drives this class through aiosqlite's interface, including the
private `_conn` and `_tx` it uses to set `isolation_level`; `tests/integration/storage/
test_sqlite_inline.py` holds the adapter to that interface on the installed SQLAlchemy.
"""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
import threading
import time
from collections.abc import Awaitable, Callable, Iterable, Sequence
from typing import Any, TypeVar

from ticketbridge.clock import Monotonic, Sleep

_T = TypeVar("_T")
_SQLITE_BUSY = 5  # and its extended codes (BUSY_RECOVERY, BUSY_TIMEOUT) but one:
_SQLITE_BUSY_SNAPSHOT = 517  # a read snapshot too old to write from: a retry cannot help
_FIRST_BACKOFF_S = 0.001
_MAX_BACKOFF_S = 0.05


def _is_busy(error: sqlite3.OperationalError) -> bool:
    code = getattr(error, "sqlite_errorcode", 0)  # the extended result code
    return code & 0xFF == _SQLITE_BUSY and code != _SQLITE_BUSY_SNAPSHOT


class _RunNow:
    """Stands in for aiosqlite's request queue: SQLAlchemy's adapter puts (future, function)
    on it to change `isolation_level` on the driver's thread, which here is this one."""

    @staticmethod
    def put_nowait(item: tuple[asyncio.Future[Any], Callable[[], Any]]) -> None:
        future, function = item
        try:
            future.set_result(function())
        except sqlite3.Error as error:  # handed to the awaiting adapter, as aiosqlite does
            future.set_exception(error)


class InlineCursor:
    """aiosqlite.Cursor's interface over a sqlite3 cursor, run inline."""

    def __init__(self, connection: InlineConnection) -> None:
        self._connection = connection
        self._cursor = connection.driver().cursor()

    async def __aenter__(self) -> InlineCursor:
        return self

    async def __aexit__(self, *_exc: object) -> None:
        self._cursor.close()

    async def execute(self, sql: str, parameters: Sequence[Any] | None = None) -> InlineCursor:
        values = () if parameters is None else parameters
        await self._connection.run(self._cursor.execute, sql, values)
        return self

    async def executemany(self, sql: str, parameters: Iterable[Sequence[Any]]) -> InlineCursor:
        # Inline too, even 1,000 rows: on a thread, sqlite3 takes and drops the GIL around every
        # row, and that contention cost the loop more than the insert (bench: 14.3k → 16.4k/s).
        rows = parameters if isinstance(parameters, list) else list(parameters)  # a retry re-reads
        await self._connection.run(self._cursor.executemany, sql, rows)
        return self

    async def fetchone(self) -> Any:
        return self._cursor.fetchone()

    async def fetchmany(self, size: int | None = None) -> list[Any]:
        return self._cursor.fetchmany(self._cursor.arraysize if size is None else size)

    async def fetchall(self) -> list[Any]:
        return self._cursor.fetchall()

    async def close(self) -> None:
        self._cursor.close()

    @property
    def description(self) -> Any:
        return self._cursor.description

    @property
    def rowcount(self) -> int:
        return self._cursor.rowcount

    @property
    def lastrowid(self) -> int | None:
        return self._cursor.lastrowid

    @property
    def arraysize(self) -> int:
        return self._cursor.arraysize

    @arraysize.setter
    def arraysize(self, value: int) -> None:
        self._cursor.arraysize = value


class InlineConnection:
    """aiosqlite.Connection's interface over a sqlite3 connection, run inline."""

    def __init__(
        self,
        connection: sqlite3.Connection,
        busy_timeout_s: float,
        clock: Monotonic = time.monotonic,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self._conn = connection
        self._connection: sqlite3.Connection | None = connection  # the adapter checks it
        self._tx = _RunNow()
        self._busy_timeout_s = busy_timeout_s
        self._clock = clock
        self._sleep = sleep

    def driver(self) -> sqlite3.Connection:
        if self._connection is None:
            raise sqlite3.ProgrammingError("Cannot operate on a closed database.")
        return self._connection

    async def run(self, call: Callable[..., _T], *args: Any) -> _T:
        """`call(*args)` now; while another process holds the lock, again after async sleeps."""
        try:
            return call(*args)  # every statement comes here: the retry state only on a BUSY
        except sqlite3.OperationalError as error:
            if not _is_busy(error):
                raise
        deadline = self._clock() + self._busy_timeout_s
        backoff = _FIRST_BACKOFF_S
        while True:
            await self._sleep(backoff)
            backoff = min(backoff * 2, _MAX_BACKOFF_S)
            try:
                return call(*args)
            except sqlite3.OperationalError as error:
                if not _is_busy(error) or self._clock() >= deadline:
                    raise

    @property
    def isolation_level(self) -> str | None:
        return self.driver().isolation_level

    @isolation_level.setter
    def isolation_level(self, value: Any) -> None:
        self.driver().isolation_level = value

    def cursor(self) -> InlineCursor:
        return InlineCursor(self)

    async def execute(self, sql: str, parameters: Sequence[Any] | None = None) -> InlineCursor:
        return await self.cursor().execute(sql, parameters)

    async def commit(self) -> None:
        await self.run(self.driver().commit)

    async def rollback(self) -> None:
        self.driver().rollback()

    async def create_function(self, *args: Any, **kwargs: Any) -> None:
        self.driver().create_function(*args, **kwargs)

    async def close(self) -> None:
        self.stop()

    def stop(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            connection.close()


class Checkpointer:
    """WAL checkpoints on a thread of its own, every `interval` seconds, so that no commit on
    the event loop pays for one. Started by the first connection, stopped by `stop()`."""

    def __init__(self, database: str, interval: float = 0.1) -> None:
        self._database = database
        self._interval = interval
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self._guard = threading.Lock()

    def start(self) -> None:
        with self._guard:
            if self._thread is None and not self._stopping.is_set():
                self._thread = threading.Thread(
                    target=self._run, name="sqlite-checkpoint", daemon=True
                )
                self._thread.start()

    def stop(self) -> None:
        with self._guard:
            self._stopping.set()
            thread = self._thread
        if thread is not None:
            thread.join()

    def _run(self) -> None:
        connection = sqlite3.connect(self._database, timeout=0)
        try:
            while not self._stopping.wait(self._interval):
                # PASSIVE copies what it can and never waits for readers or the writer; "locked"
                # means another process's checkpoint is running, which does the same work.
                with contextlib.suppress(sqlite3.OperationalError):
                    connection.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
        finally:
            connection.close()


def connector(
    database: str,
    busy_timeout_s: float,
    checkpointer: Checkpointer | None = None,
    *,
    clock: Monotonic = time.monotonic,
    sleep: Sleep = asyncio.sleep,
) -> Callable[[], Awaitable[InlineConnection]]:
    """The `async_creator` for SQLAlchemy's `sqlite+aiosqlite` dialect; with a `checkpointer`,
    it checkpoints instead of the connections. `clock` and `sleep` time the wait for another
    process's lock."""

    async def connect() -> InlineConnection:
        driver = sqlite3.connect(database, timeout=0, check_same_thread=False)
        if checkpointer is not None:
            driver.execute("PRAGMA wal_autocheckpoint=0")
            checkpointer.start()
        return InlineConnection(driver, busy_timeout_s, clock, sleep)

    return connect

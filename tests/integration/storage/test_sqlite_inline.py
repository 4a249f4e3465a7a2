"""SQLite run on the loop's thread (storage.sqlite_inline): another process's write lock is
waited for without blocking the loop, up to the deadline, and nothing accepted is lost.

The lock holder is a real second process, as a `ticketbridge worker` beside `serve` would be; it
commits when the test says so. The waits are timed on virtual time (`VirtualTime`): what a test
states about the deadline holds however loaded the machine is."""

from __future__ import annotations

import asyncio
import os
import sqlite3
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import text

from support.virtual_time import VirtualTime
from ticketbridge.domain import Alert, Severity
from ticketbridge.storage import Database
from ticketbridge.storage.sqlite_inline import connector

_HOLD_LOCK = """
import sqlite3, sys
conn = sqlite3.connect(sys.argv[1], isolation_level=None)
conn.execute("BEGIN IMMEDIATE")
print("locked", flush=True)
sys.stdin.readline()
conn.execute("COMMIT")
"""


def _hold_write_lock(path: Path) -> subprocess.Popen[str]:
    """A second process holding SQLite's write lock on `path` until `_release`."""
    holder = subprocess.Popen(
        [sys.executable, "-c", _HOLD_LOCK, str(path)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert holder.stdout is not None
    assert holder.stdout.readline().strip() == "locked"
    return holder


def _release(holder: subprocess.Popen[str]) -> int:
    """The holder commits and ends; its exit code."""
    assert holder.stdin is not None
    holder.stdin.write("commit\n")
    holder.stdin.close()
    return holder.wait()


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    path = tmp_path / "inline.db"
    sqlite3.connect(path).execute("PRAGMA journal_mode=WAL").close()
    return path


def _size(path: Path) -> int:
    return os.stat(path).st_size


async def test_another_process_lock_is_waited_for_without_blocking_the_loop(db_path: Path) -> None:
    database = Database(f"sqlite+aiosqlite:///{db_path}")
    await database.upgrade()
    now = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
    alert = Alert("a-1", "generic", "k", "t", Severity.HIGH, "fp", now, now)
    holder = _hold_write_lock(db_path)

    async def accept() -> object:
        async with database.unit_of_work() as uow:
            inserted = await uow.alerts.append([alert])
            await uow.commit()
        return inserted

    try:
        work = asyncio.create_task(accept())
        for _ in range(50):  # this task runs again and again while the write waits: the
            await asyncio.sleep(0)  # loop is free (a blocking wait would hold it, then fail)
        waiting = not work.done()
    finally:
        released = _release(holder)
    assert waiting  # the other process still held the lock: the write waited for it
    assert released == 0
    assert await work == {("generic", "a-1")}  # and went through after its commit
    async with database.engine.connect() as conn:
        stored = (await conn.execute(text("SELECT count(*) FROM alerts"))).scalar()
    await database.aclose()
    assert stored == 1


async def test_the_wait_ends_at_the_deadline_with_sqlites_own_error(db_path: Path) -> None:
    clock = VirtualTime()
    holder = _hold_write_lock(db_path)
    try:
        open_connection = connector(str(db_path), 0.3, clock=clock, sleep=clock.sleep)
        connection = await open_connection()
        started = clock()
        with pytest.raises(sqlite3.OperationalError, match="database is locked"):
            await connection.execute("BEGIN IMMEDIATE")
        waited = clock() - started
        await connection.close()
    finally:
        _release(holder)
    assert 0.3 <= waited < 0.4  # up to the deadline, then at the next look


async def test_errors_other_than_busy_are_raised_at_once(db_path: Path) -> None:
    clock = VirtualTime()
    connection = await connector(str(db_path), 30.0, clock=clock, sleep=clock.sleep)()
    started = clock()
    with pytest.raises(sqlite3.OperationalError, match="no such table"):
        await connection.execute("SELECT * FROM missing")
    assert clock() == started  # no wait at all
    await connection.close()
    with pytest.raises(sqlite3.ProgrammingError, match="closed"):
        connection.cursor()


async def test_checkpoints_run_off_the_loop_and_still_reach_the_database_file(
    db_path: Path,
) -> None:
    database = Database(f"sqlite+aiosqlite:///{db_path}")
    await database.upgrade()
    async with database.engine.connect() as conn:
        automatic = (await conn.execute(text("PRAGMA wal_autocheckpoint"))).scalar()
    before = _size(db_path)
    now = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
    async with database.unit_of_work() as uow:
        new = [
            Alert(f"a-{n}", "generic", "k", "t", Severity.HIGH, "fp", now, now) for n in range(2000)
        ]
        await uow.alerts.append(new)
        await uow.commit()
    # The file grows once the checkpointer's thread copies the WAL into it (no commit happens
    # meanwhile: only it writes); if it never does, the test times out.
    while _size(db_path) == before:  # noqa: ASYNC110 - a thread's effect, not a task's
        await asyncio.sleep(0.05)
    await database.aclose()
    assert automatic == 0  # commits on the loop never checkpoint


async def test_a_stale_read_snapshot_is_refused_at_once_not_retried(db_path: Path) -> None:
    # SQLITE_BUSY_SNAPSHOT: a deferred transaction read, another connection wrote, now this one
    # wants to write. Waiting cannot help (only a new transaction can), so no retry.
    other = sqlite3.connect(db_path, isolation_level=None)
    other.execute("CREATE TABLE t (n INTEGER)")
    clock = VirtualTime()
    connection = await connector(str(db_path), 5.0, clock=clock, sleep=clock.sleep)()
    connection.isolation_level = None
    await connection.execute("BEGIN")
    await connection.execute("SELECT count(*) FROM t")
    other.execute("INSERT INTO t VALUES (1)")
    started = clock()
    with pytest.raises(sqlite3.OperationalError) as refused:
        await connection.execute("INSERT INTO t VALUES (2)")
    assert clock() == started  # refused without a wait
    assert refused.value.sqlite_errorcode == 517  # SQLITE_BUSY_SNAPSHOT
    await connection.close()
    other.close()

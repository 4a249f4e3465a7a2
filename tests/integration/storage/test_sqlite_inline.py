"""SQLite run on the loop's thread (storage.sqlite_inline): another process's write lock is
waited for without blocking the loop, up to the deadline, and nothing accepted is lost.

The lock holder is a real second process, as a `ticketbridge worker` beside `serve` would be."""

from __future__ import annotations

import asyncio
import os
import sqlite3
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import text

from ticketbridge.domain import Alert, Severity
from ticketbridge.storage import Database
from ticketbridge.storage.sqlite_inline import connector

_HOLD_LOCK = """
import sqlite3, sys, time
conn = sqlite3.connect(sys.argv[1], isolation_level=None)
conn.execute("BEGIN IMMEDIATE")
print("locked", flush=True)
time.sleep(float(sys.argv[2]))
conn.execute("COMMIT")
"""


def _hold_write_lock(path: Path, seconds: float) -> subprocess.Popen[str]:
    holder = subprocess.Popen(
        [sys.executable, "-c", _HOLD_LOCK, str(path), str(seconds)],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert holder.stdout is not None
    assert holder.stdout.readline().strip() == "locked"
    return holder


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    path = tmp_path / "inline.db"
    sqlite3.connect(path).execute("PRAGMA journal_mode=WAL").close()
    return path


def _size(path: Path) -> int:
    return os.stat(path).st_size


async def _ticks_while(work: asyncio.Task[object]) -> int:
    ticks = 0
    while not work.done():
        await asyncio.sleep(0.01)
        ticks += 1
    return ticks


async def test_another_process_lock_is_waited_for_without_blocking_the_loop(db_path: Path) -> None:
    database = Database(f"sqlite+aiosqlite:///{db_path}")
    await database.upgrade()
    now = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
    alert = Alert("a-1", "generic", "k", "t", Severity.HIGH, "fp", now, now)
    holder = _hold_write_lock(db_path, 0.6)
    started = time.monotonic()

    async def accept() -> object:
        async with database.unit_of_work() as uow:
            inserted = await uow.alerts.append([alert])
            await uow.commit()
        return inserted

    work = asyncio.create_task(accept())
    ticks = await _ticks_while(work)
    waited = time.monotonic() - started
    assert holder.wait(timeout=10) == 0
    assert work.result() == {("generic", "a-1")}
    assert waited >= 0.4  # it did wait for the other process's commit
    assert ticks >= 10  # and the loop ran meanwhile (a blocking wait would give 0 or 1)
    async with database.engine.connect() as conn:
        stored = (await conn.execute(text("SELECT count(*) FROM alerts"))).scalar()
    await database.aclose()
    assert stored == 1


async def test_the_wait_ends_at_the_deadline_with_sqlites_own_error(db_path: Path) -> None:
    holder = _hold_write_lock(db_path, 3.0)
    try:
        connection = await connector(str(db_path), busy_timeout_s=0.3)()
        started = time.monotonic()
        with pytest.raises(sqlite3.OperationalError, match="database is locked"):
            await connection.execute("BEGIN IMMEDIATE")
        assert 0.3 <= time.monotonic() - started < 2.0
        await connection.close()
    finally:
        holder.kill()
        holder.wait()


async def test_errors_other_than_busy_are_raised_at_once(db_path: Path) -> None:
    connection = await connector(str(db_path), busy_timeout_s=30.0)()
    started = time.monotonic()
    with pytest.raises(sqlite3.OperationalError, match="no such table"):
        await connection.execute("SELECT * FROM missing")
    assert time.monotonic() - started < 0.5
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
    deadline = time.monotonic() + 5.0
    while _size(db_path) == before and time.monotonic() < deadline:  # noqa: ASYNC110
        await asyncio.sleep(0.05)  # no commit happens meanwhile: only the checkpointer writes
    grown = _size(db_path) > before
    await database.aclose()
    assert automatic == 0  # commits on the loop never checkpoint
    assert grown  # the checkpointer's thread copied the WAL into the database file


async def test_a_stale_read_snapshot_is_refused_at_once_not_retried(db_path: Path) -> None:
    # SQLITE_BUSY_SNAPSHOT: a deferred transaction read, another connection wrote, now this one
    # wants to write. Waiting cannot help (only a new transaction can), so no retry.
    other = sqlite3.connect(db_path, isolation_level=None)
    other.execute("CREATE TABLE t (n INTEGER)")
    connection = await connector(str(db_path), busy_timeout_s=5.0)()
    connection.isolation_level = None
    await connection.execute("BEGIN")
    await connection.execute("SELECT count(*) FROM t")
    other.execute("INSERT INTO t VALUES (1)")
    started = time.monotonic()
    with pytest.raises(sqlite3.OperationalError) as refused:
        await connection.execute("INSERT INTO t VALUES (2)")
    assert time.monotonic() - started < 1.0
    assert refused.value.sqlite_errorcode == 517  # SQLITE_BUSY_SNAPSHOT
    await connection.close()
    other.close()

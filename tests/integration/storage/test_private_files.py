"""A SQLite database holds alerts, API key hashes and tickets: its file and SQLite's -wal and
-shm files are created readable by their owner only, whatever the umask."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

from ticketbridge.storage import Database, upgrade


@pytest.fixture
def permissive_umask() -> Iterator[None]:
    previous = os.umask(0o022)  # the common default, which leaves new files world-readable
    try:
        yield
    finally:
        os.umask(previous)


@pytest.mark.usefixtures("permissive_umask")
async def test_database_wal_and_shm_files_are_created_0600(tmp_path: Path) -> None:
    path = tmp_path / "var" / "ticketbridge.db"
    url = f"sqlite+aiosqlite:///{path}"
    await upgrade(url)
    database = Database(url)
    try:
        async with database.engine.connect() as conn:  # open: the -wal and -shm files exist
            await conn.execute(text("SELECT count(*) FROM alerts"))
            files = [path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")]
            assert {f.name: f.stat().st_mode & 0o777 for f in files} == {
                f.name: 0o600 for f in files
            }
    finally:
        await database.aclose()
    assert path.parent.stat().st_mode & 0o777 == 0o700

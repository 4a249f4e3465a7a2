"""A real PostgreSQL for tests: `initdb` in a temp dir, 127.0.0.1, a free port, one database.

We run as root and initdb refuses root, so the server runs as the `postgres` system user
(`runuser -u postgres --`), with its data directory chowned to it. Session scoped; stopped at
the end. Without the binaries the tests skip (or fail under TICKETBRIDGE_REQUIRE_ALL=1).
"""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import tempfile
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from support.processes import free_port
from support.requirements import postgres_bin, require
from ticketbridge.storage import Database

__all__ = [
    "PostgresServer",
    "database",
    "database_url",
    "empty_database_url",
    "postgres_server",
    "start_postgres",
]


@dataclass
class PostgresServer:
    host: str
    port: int
    data_dir: Path
    pg_ctl: str
    as_user: list[str]

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+asyncpg://postgres@{self.host}:{self.port}/{database}"

    def create_database(self) -> str:
        """A fresh database; returns its asyncpg URL."""
        name = f"tb_{uuid.uuid4().hex[:12]}"
        psql = postgres_bin("psql")
        assert psql is not None
        subprocess.run(
            [*self.as_user, psql, "-h", self.host, "-p", str(self.port), "-U", "postgres",
             "-d", "postgres", "-qc", f"CREATE DATABASE {name}"],
            check=True, capture_output=True, timeout=30,
        )  # fmt: skip
        return self.url(name)

    def stop(self) -> None:
        subprocess.run(
            [*self.as_user, self.pg_ctl, "-D", str(self.data_dir), "-m", "immediate", "stop"],
            check=False, capture_output=True, timeout=60,
        )  # fmt: skip
        shutil.rmtree(self.data_dir.parent, ignore_errors=True)


def _run_as() -> list[str]:
    if os.geteuid() != 0:
        return []
    return ["runuser", "-u", "postgres", "--"]


def start_postgres() -> Iterator[PostgresServer]:
    """Generator for a session fixture: yields a running server, stops it afterwards."""
    initdb, pg_ctl = postgres_bin("initdb"), postgres_bin("pg_ctl")
    require(initdb is not None and pg_ctl is not None, "PostgreSQL server binaries (initdb)")
    require(postgres_bin("psql") is not None, "psql")
    assert initdb is not None
    assert pg_ctl is not None
    as_user = _run_as()
    root = Path(tempfile.mkdtemp(prefix="tb-pg-"))
    data = root / "data"
    data.mkdir()
    if as_user:
        entry = pwd.getpwnam("postgres")
        for path in (root, data):
            os.chown(path, entry.pw_uid, entry.pw_gid)
    subprocess.run(
        [*as_user, initdb, "-D", str(data), "-U", "postgres", "--auth=trust", "-E", "UTF8"],
        check=True, capture_output=True, timeout=120,
    )  # fmt: skip
    port = free_port()
    options = (
        f"-h 127.0.0.1 -p {port} -k {root} -c fsync=off -c synchronous_commit=off "
        "-c full_page_writes=off -c max_connections=200"
    )
    subprocess.run(
        [*as_user, pg_ctl, "-D", str(data), "-l", str(root / "log"), "-o", options, "-w", "start"],
        check=True, capture_output=True, timeout=120,
    )  # fmt: skip
    server = PostgresServer("127.0.0.1", port, data, pg_ctl, as_user)
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """Import into a conftest (or test module) to use; one server per importing location."""
    yield from start_postgres()


def empty_database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """For a fixture parametrized ["sqlite", "postgres"]: the URL of a new, empty database."""
    if request.param == "sqlite":
        return f"sqlite+aiosqlite:///{tmp_path}/tb.db"
    server: PostgresServer = request.getfixturevalue("postgres_server")
    return server.create_database()


@pytest.fixture(params=["sqlite", "postgres"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A URL to an empty database (not migrated): SQLite in a temp dir, then a fresh
    PostgreSQL database."""
    if request.param == "sqlite":
        return f"sqlite+aiosqlite:///{tmp_path / 'tb.db'}"
    server: PostgresServer = request.getfixturevalue("postgres_server")
    return server.create_database()


@pytest.fixture(params=["sqlite", "postgres"])
async def database(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Database]:
    """A migrated, empty database: SQLite in a temp dir, then a fresh PostgreSQL database."""
    db = Database(empty_database_url(request, tmp_path))
    await db.upgrade()
    yield db
    await db.aclose()

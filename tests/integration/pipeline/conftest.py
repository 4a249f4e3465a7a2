from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from support.postgres import PostgresServer, start_postgres
from ticketbridge.storage import Database


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    yield from start_postgres()


@pytest.fixture(params=["sqlite", "postgres"])
async def database(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Database]:
    if request.param == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp_path}/tb.db"
    else:
        server: PostgresServer = request.getfixturevalue("postgres_server")
        url = server.create_database()
    db = Database(url)
    await db.upgrade()
    yield db
    await db.aclose()

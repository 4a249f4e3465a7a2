"""Migration 0004 on a database that has lived at 0003 (SQLite and PostgreSQL): keys created
before speak for `generic` only; pushes stored before get their content key, of a push stored
twice (a replay) only the first, and a later replay of it is refused."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import text
from test_push_events import _push

from support.postgres import empty_database_url
from ticketbridge.storage import Database
from ticketbridge.storage.database import _alembic_config, create_engine

NOW = datetime(2026, 3, 2, 14, 30, tzinfo=UTC)


@pytest.fixture(params=["sqlite", "postgres"])
async def at_0003(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The URL of a database migrated to 0003 and holding one key and one push stored twice."""
    url = empty_database_url(request, tmp_path)
    engine = create_engine(url)
    async with engine.begin() as conn:
        await conn.run_sync(lambda sync: command.upgrade(_alembic_config(sync), "0003"))
        await conn.execute(
            text(
                "INSERT INTO api_keys (name, token_hash, scopes, created_at, revoked)"
                " VALUES ('old', 'h-old', '[\"ingest\"]', :now, :no)"
            ),
            {"now": NOW, "no": False},
        )
        for delivery in ("d-first", "d-replayed"):
            await conn.execute(
                text(
                    "INSERT INTO push_events (delivery_id, repository, ref, before, after,"
                    " received_at, commits, jira_keys) VALUES (:d, 'acme/model',"
                    " 'refs/heads/main', '9049f126', 'a1b2c3', :now, '[]', ' ')"
                ),
                {"d": delivery, "now": NOW},
            )
    await engine.dispose()
    return url


async def test_0004_grants_old_keys_generic_and_keys_old_pushes_by_content(at_0003: str) -> None:
    database = Database(at_0003)
    try:
        await database.upgrade()
        async with database.unit_of_work() as uow:
            [key] = await uow.api_keys.list()
            replay = _push("d-new")  # the same push (repository, ref, before, after) again
            refused = await uow.push_events.add(replay)
            same = await uow.push_events.same_as(replay)
        async with database.engine.connect() as conn:
            rows = await conn.execute(text("SELECT delivery_id, content_key FROM push_events"))
            keyed = dict(rows.all())
    finally:
        await database.aclose()
    assert key.sources == ("generic",)
    assert keyed["d-first"] == replay.content_key
    assert keyed["d-replayed"] is None
    assert refused is None
    assert same is not None
    assert same.delivery_id == "d-first"

"""The migrations build exactly the schema `storage/tables.py` describes (the one the
repositories query), on SQLite and PostgreSQL: Alembic's comparison finds nothing to add,
drop or alter."""

from __future__ import annotations

from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Connection

from ticketbridge.storage import Database
from ticketbridge.storage.tables import metadata

# Differences that are representation only: SQLite reports a JSON column as its affinity.
_IGNORED = {"modify_type"}


def _diffs(sync: Connection) -> list[Any]:
    context = MigrationContext.configure(sync, opts={"compare_type": False})
    found = []
    for diff in compare_metadata(context, metadata):
        kind = diff[0][0] if isinstance(diff, list) else diff[0]
        if kind not in _IGNORED:
            found.append(diff)
    return found


async def test_migrations_build_the_tables_the_code_queries(database: Database) -> None:
    async with database.engine.connect() as conn:
        diffs = await conn.run_sync(_diffs)
    assert diffs == []

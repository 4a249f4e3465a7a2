"""The database as the process sees it: the migrations the code ships, the revision a database
is at, applying them (`ticketbridge db upgrade`) and the `/readyz` check built on both."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from alembic.config import Config as AlembicConfig
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine

from ticketbridge import storage
from ticketbridge.api.schemas import ReadinessCheck
from ticketbridge.storage import Database, upgrade


def head_revision() -> str | None:
    """The newest migration the code ships."""
    config = AlembicConfig()
    config.set_main_option("script_location", str(Path(storage.__file__).parent / "migrations"))
    return ScriptDirectory.from_config(config).get_current_head()


async def current_revision(engine: AsyncEngine) -> str | None:
    """The migration the database is at (None: never migrated)."""
    async with engine.connect() as conn:
        return await conn.run_sync(
            lambda sync: MigrationContext.configure(sync).get_current_revision()
        )


async def upgrade_database(database_url: str) -> str:
    """Apply the migrations; returns the revision the database is at."""
    await upgrade(database_url)
    database = Database(database_url)
    try:
        return await current_revision(database.engine) or "(none)"
    finally:
        await database.aclose()


class DatabaseHealth:
    """`/readyz`: the database answers and its schema is at the code's migration head."""

    def __init__(self, database: Database) -> None:
        self._database = database

    async def readiness(self) -> Sequence[ReadinessCheck]:
        try:
            current = await current_revision(self._database.engine)
        except (SQLAlchemyError, OSError) as exc:  # the server or file is not reachable
            return [ReadinessCheck(name="database", ok=False, detail=type(exc).__name__)]
        head = head_revision()
        return [
            ReadinessCheck(name="database", ok=True, detail=self._database.dialect),
            ReadinessCheck(
                name="migrations",
                ok=current == head,
                detail=f"at {current or 'nothing'}, code wants {head}"
                + ("" if current == head else "; run `ticketbridge db upgrade`"),
            ),
        ]

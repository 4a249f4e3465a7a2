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
from ticketbridge.clock import Clock
from ticketbridge.services.periodic import ScheduleStatus
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

    def __init__(
        self, database: Database, fleet: ScheduleStatus | None = None, clock: Clock | None = None
    ) -> None:
        self._database = database
        self._fleet = fleet
        self._clock = clock

    async def readiness(self) -> Sequence[ReadinessCheck]:
        try:
            current = await current_revision(self._database.engine)
        except (SQLAlchemyError, OSError) as exc:  # the server or file is not reachable
            return [ReadinessCheck(name="database", ok=False, detail=type(exc).__name__)]
        head = head_revision()
        checks = [
            ReadinessCheck(name="database", ok=True, detail=self._database.dialect),
            ReadinessCheck(
                name="migrations",
                ok=current == head,
                detail=f"at {current or 'nothing'}, code wants {head}"
                + ("" if current == head else "; run `ticketbridge db upgrade`"),
            ),
        ]
        if current == head:
            checks.extend(await self._fleet_checks())
        return checks

    async def _fleet_checks(self) -> list[ReadinessCheck]:
        """What the fleet looks like (informational: another process's silence does not make
        this one unready): each process's role and heartbeat age, the backlog's oldest job."""
        if self._fleet is None or self._clock is None:
            return []
        now = self._clock()
        processes = await self._fleet.processes()
        beats = "; ".join(
            f"{p.role} {p.name} beat {(now - p.heartbeat_at).total_seconds():.0f}s ago"
            for p in processes
        )
        oldest = await self._fleet.oldest_pending()
        backlog = (
            f"oldest pending job queued {(now - oldest).total_seconds():.0f}s ago"
            if oldest
            else "no pending job"
        )
        return [
            ReadinessCheck(name="processes", ok=True, detail=beats or "no process has beaten"),
            ReadinessCheck(name="backlog", ok=True, detail=backlog),
        ]

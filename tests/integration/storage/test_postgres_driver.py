"""PostgreSQL's driver-level statements (storage.postgres_driver) run inside the unit of work's
transaction, raise SQLAlchemy's errors, and read back what SQLAlchemy's path wrote."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from support.postgres import PostgresServer
from ticketbridge.domain import Alert, AlertLink, Severity, Ticket, TicketStatus
from ticketbridge.storage import Database
from ticketbridge.storage.tables import alerts

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


@pytest.fixture
async def postgres(postgres_server: PostgresServer) -> AsyncIterator[Database]:
    db = Database(postgres_server.create_database())
    await db.upgrade()
    yield db
    await db.aclose()


def _alert(alert_id: str) -> Alert:
    return Alert(
        id=alert_id,
        source="generic",
        kind="k",
        title="t \u00e9",
        severity=Severity.HIGH,
        fingerprint="fp",
        attributes={"nested": {"list": [1, 2.5, None, "\u2603"]}},
        links=(AlertLink("runbook", "https://example.com/r"),),
        occurred_at=NOW,
        received_at=NOW,
    )


async def _alert_count(db: Database) -> int:
    async with db.engine.connect() as conn:
        return int((await conn.execute(select(func.count()).select_from(alerts))).scalar_one())


async def test_a_driver_write_first_in_a_unit_of_work_is_rolled_back_with_it(
    postgres: Database,
) -> None:
    """The adapter begins its transaction at its first statement: the driver's statement comes
    first here, and must be inside that transaction all the same."""
    async with postgres.unit_of_work() as uow:
        assert await uow.alerts.append([_alert("a1")]) == {("generic", "a1")}
        await uow.rollback()
    assert await _alert_count(postgres) == 0


async def test_driver_errors_are_sqlalchemys(postgres: Database) -> None:
    ticket = Ticket("fp", 1, "OPS", TicketStatus.PENDING, NOW, NOW)
    async with postgres.unit_of_work() as uow:
        await uow.tickets.insert_many([ticket])
        await uow.commit()
    with pytest.raises(IntegrityError):
        async with postgres.unit_of_work() as uow:
            await uow.tickets.insert_many([ticket])


async def test_pending_reads_back_what_accept_wrote(postgres: Database) -> None:
    async with postgres.unit_of_work() as uow:
        await uow.alerts.append([_alert("a1")])
        await uow.commit()
    async with postgres.unit_of_work() as uow:
        (pending,) = await uow.alerts.pending(10)
        (found,) = (await uow.alerts.find([("generic", "a1")])).values()  # SQLAlchemy's path
    assert pending.alert == found.alert == _alert("a1")

"""Migration 0020 (`attempted_at` becomes `sent_until`) on SQLite and PostgreSQL: a job's stored
attempt start survives as its send deadline (the best bound older versions knew), the partial
index of migration 0017 survives the rename (the reason it is plain SQL, not a batch copy), and
the way down gives the old column its values back."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import Connection, inspect, text

from ticketbridge.storage import Database
from ticketbridge.storage.database import migrate

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC).replace(tzinfo=None)
ATTEMPTED = datetime(2026, 3, 1, 11, 59, 30, tzinfo=UTC).replace(tzinfo=None)


def _indexes(sync: Connection) -> set[str]:
    return {str(index["name"]) for index in inspect(sync).get_indexes("outbox_jobs")}


async def _jobs_at_0019(database: Database) -> None:
    await migrate(database.url, "0019", down=True)
    async with database.engine.begin() as conn:
        ticket = await conn.execute(
            text(
                "INSERT INTO tickets (fingerprint, generation, project, status, first_seen, "
                "last_seen, occurrences, digest_pending, digested_occurrences, links) VALUES "
                "('generic:fp', 1, 'OPS', 'pending', :now, :now, 1, false, 1, '[]') RETURNING id"
            ),
            {"now": NOW},
        )
        ticket_id = ticket.scalar_one()
        for key, attempted in (("fp-sent", ATTEMPTED), ("fp-never", None)):
            await conn.execute(
                text(
                    "INSERT INTO outbox_jobs (kind, ordering_key, ticket_id, payload, state, "
                    "attempts, next_attempt_at, created_at, updated_at, attempted_at) VALUES "
                    "('create_issue', :key, :ticket, '{}', 'pending', 1, :now, :now, :now, "
                    ":attempted)"
                ),
                {"key": key, "ticket": ticket_id, "now": NOW, "attempted": attempted},
            )


async def test_the_attempt_start_becomes_the_send_deadline(database: Database) -> None:
    await _jobs_at_0019(database)
    await database.upgrade()
    async with database.unit_of_work() as uow:
        jobs = await uow.outbox.list(state=None, limit=10)
    deadlines = {job.ordering_key: job.sent_until for job in jobs}
    assert deadlines == {"fp-sent": ATTEMPTED.replace(tzinfo=UTC), "fp-never": None}
    async with database.engine.connect() as conn:
        assert "ix_outbox_open_id" in await conn.run_sync(_indexes)


async def test_down_gives_the_old_column_its_values(database: Database) -> None:
    await _jobs_at_0019(database)
    await database.upgrade()
    await migrate(database.url, "0019", down=True)
    async with database.engine.begin() as conn:
        rows = await conn.execute(text("SELECT ordering_key, attempted_at FROM outbox_jobs"))
        found = {str(key): attempted for key, attempted in rows}
        assert "ix_outbox_open_id" in await conn.run_sync(_indexes)
    assert {key: value is not None for key, value in found.items()} == {
        "fp-sent": True,
        "fp-never": False,
    }

"""Migration 0021 (several Jira sites) on SQLite and PostgreSQL: tickets and jobs stored before
it belong to the default site (`connection` ""), keep their alerts and jobs through SQLite's
table copy (foreign keys off while migrating, checked after), an issue key becomes unique per
site instead of in the whole store, and the way down restores the store-wide key."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import inspect, text
from sqlalchemy.exc import IntegrityError

from ticketbridge.storage import Database
from ticketbridge.storage.database import migrate

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC).replace(tzinfo=None)
_TICKET = (
    "INSERT INTO tickets (fingerprint, generation, project, status, first_seen, last_seen, "
    "occurrences, digest_pending, digested_occurrences, links, issue_key{extra}) VALUES "
    "(:fp, 1, 'OPS', 'linked', :now, :now, 1, false, 1, '[]', :key{values}) RETURNING id"
)


async def _stored_at_0020(database: Database) -> int:
    await migrate(database.url, "0020", down=True)
    async with database.engine.begin() as conn:
        found = await conn.execute(
            text(_TICKET.format(extra="", values="")),
            {"fp": "generic:fp", "now": NOW, "key": "OPS-1"},
        )
        ticket_id = int(found.scalar_one())
        await conn.execute(
            text(
                "INSERT INTO alerts (source, alert_id, kind, title, description, severity, status,"
                " fingerprint, attributes, links, occurred_at, received_at, ticket_id, reasons)"
                " VALUES ('generic', 'a-1', 'k', 't', 'd', 'high', 'firing', 'generic:fp', '{}',"
                " '[]', :now, :now, :ticket, '[]')"
            ),
            {"now": NOW, "ticket": ticket_id},
        )
        await conn.execute(
            text(
                "INSERT INTO outbox_jobs (kind, ordering_key, ticket_id, payload, state, "
                "attempts, next_attempt_at, created_at, updated_at) VALUES ('comment', "
                "'generic:fp', :ticket, '{}', 'pending', 0, :now, :now, :now)"
            ),
            {"now": NOW, "ticket": ticket_id},
        )
    return ticket_id


async def test_stored_rows_belong_to_the_default_site_and_keep_their_references(
    database: Database,
) -> None:
    ticket_id = await _stored_at_0020(database)
    await database.upgrade()
    async with database.unit_of_work() as uow:
        ticket = await uow.tickets.get(ticket_id)
        [job] = await uow.outbox.list(state=None, limit=10)
    assert ticket is not None
    assert (ticket.issue_key, ticket.connection) == ("OPS-1", "")
    assert job.ticket_id == ticket_id
    async with database.engine.connect() as conn:
        alerts = (await conn.execute(text("SELECT ticket_id FROM alerts"))).scalars().all()
        jobs = (await conn.execute(text("SELECT connection FROM outbox_jobs"))).scalars().all()
    assert (alerts, jobs) == ([ticket_id], [""])


async def test_an_issue_key_is_unique_per_site(database: Database) -> None:
    await _stored_at_0020(database)
    await database.upgrade()
    insert = text(_TICKET.format(extra=", connection", values=", :site"))
    async with database.engine.begin() as conn:  # another site's OPS-1
        await conn.execute(insert, {"fp": "generic:dc", "now": NOW, "key": "OPS-1", "site": "dc"})
    values = {"fp": "generic:again", "now": NOW, "key": "OPS-1", "site": ""}
    async with database.engine.connect() as conn:  # the default site's own, a second time
        with pytest.raises(IntegrityError):
            await conn.execute(insert, values)


async def test_down_restores_the_store_wide_key(database: Database) -> None:
    await _stored_at_0020(database)
    await database.upgrade()
    await migrate(database.url, "0020", down=True)
    async with database.engine.connect() as conn:
        columns = await conn.run_sync(
            lambda sync: {c["name"] for c in inspect(sync).get_columns("tickets")}
        )
    assert "connection" not in columns
    values = {"fp": "generic:again", "now": NOW, "key": "OPS-1"}
    async with database.engine.connect() as conn:
        with pytest.raises(IntegrityError):
            await conn.execute(text(_TICKET.format(extra="", values="")), values)

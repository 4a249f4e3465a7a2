"""Migration 0006 (fingerprints scoped by source) on SQLite and PostgreSQL: alerts, tickets,
job ordering keys and link targets made before it get the `<source>:<key>` shape, so the next
alert of a source finds its ticket; a ticket another source had folded into stays with the
source of its first alert; an unsettled create refuses the upgrade."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from sqlalchemy import text

from ticketbridge.domain import scoped_fingerprint
from ticketbridge.storage import Database
from ticketbridge.storage.database import migrate

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC).replace(tzinfo=None)
LONG = "k" * 250


async def _ticket(conn: object, fingerprint: str, generation: int = 1, **more: object) -> int:
    columns = {
        "fingerprint": fingerprint,
        "generation": generation,
        "project": "OPS",
        "status": "linked",
        "first_seen": NOW,
        "last_seen": NOW,
        "occurrences": 1,
        "digest_pending": False,
        "digested_occurrences": 1,
        "links": "[]",
        **more,
    }
    names = ", ".join(columns)
    values = ", ".join(f":{name}" for name in columns)
    result = await conn.execute(  # type: ignore[attr-defined]
        text(f"INSERT INTO tickets ({names}) VALUES ({values}) RETURNING id"), columns
    )
    return int(result.scalar_one())


async def _alert(conn: object, source: str, alert_id: str, fingerprint: str, ticket: int) -> None:
    await conn.execute(  # type: ignore[attr-defined]
        text(
            "INSERT INTO alerts (source, alert_id, kind, title, description, severity, status, "
            "fingerprint, attributes, links, occurred_at, received_at, ticket_id, decision, "
            "reasons) VALUES (:source, :id, 'k', 't', '', 'high', 'firing', :fp, '{}', '[]', "
            ":now, :now, :ticket, 'create', '[]')"
        ),
        {"source": source, "id": alert_id, "fp": fingerprint, "now": NOW, "ticket": ticket},
    )


async def _job(conn: object, ticket: int, key: str, attempted: bool = False) -> None:
    await conn.execute(  # type: ignore[attr-defined]
        text(
            "INSERT INTO outbox_jobs (kind, ordering_key, ticket_id, payload, state, attempts, "
            "next_attempt_at, created_at, updated_at, attempted_at) VALUES ('create_issue', "
            ":key, :ticket, '{}', 'pending', 0, :now, :now, :now, :attempted)"
        ),
        {"key": key, "ticket": ticket, "now": NOW, "attempted": NOW if attempted else None},
    )


async def _at_0005(database: Database) -> None:
    await migrate(database.url, "0005", down=True)


async def test_stored_fingerprints_get_their_sources_scope(database: Database) -> None:
    await _at_0005(database)
    links = json.dumps([{"type": "Relates", "issue": None, "fingerprint": "disk-full"}])
    async with database.engine.begin() as conn:
        disk = await _ticket(conn, "disk-full", issue_key="OPS-1")
        await _alert(conn, "generic", "g-1", "disk-full", disk)
        decoy = await _ticket(conn, "kt-fp", issue_key="OPS-2", links=links)
        await _alert(conn, "generic", "decoy", "kt-fp", decoy)  # first: the ticket's source
        await _alert(conn, "keeptrusts", "esc-1", "kt-fp", decoy)
        second = await _ticket(conn, "disk-full", generation=2)
        await _alert(conn, "generic", "g-2", "disk-full", second)
        await _job(conn, second, "disk-full#2")
        long = await _ticket(conn, LONG, issue_key="OPS-3")
        await _alert(conn, "alertmanager", "am-1", LONG, long)
        await _ticket(conn, "epic:OPS:pii", group_key="pii")
    await database.upgrade()

    async with database.unit_of_work() as uow:
        tickets = await uow.tickets.current(
            [
                "generic:disk-full",
                "generic:kt-fp",
                "keeptrusts:kt-fp",
                "epic:OPS:pii",
                scoped_fingerprint("alertmanager", LONG),
            ]
        )
        stored = {a.alert.id: a.alert.fingerprint for a in await uow.alerts.list(limit=10)}
        [job] = await uow.outbox.list(state=None, limit=10)
    assert {fp: (t.generation, t.issue_key) for fp, t in tickets.items()} == {
        "generic:disk-full": (2, None),
        "generic:kt-fp": (1, "OPS-2"),
        scoped_fingerprint("alertmanager", LONG): (1, "OPS-3"),
        "epic:OPS:pii": (1, None),
    }
    assert [link.fingerprint for link in tickets["generic:kt-fp"].links] == ["generic:disk-full"]
    assert stored == {
        "g-1": "generic:disk-full",
        "g-2": "generic:disk-full",
        "decoy": "generic:kt-fp",
        "esc-1": "keeptrusts:kt-fp",  # no ticket under this key: its next alert makes one
        "am-1": scoped_fingerprint("alertmanager", LONG),
    }
    assert job.ordering_key == "generic:disk-full#2"


async def test_an_unsettled_create_refuses_the_upgrade(database: Database) -> None:
    await _at_0005(database)
    async with database.engine.begin() as conn:
        ticket = await _ticket(conn, "fp-1", status="pending")
        await _alert(conn, "generic", "g-1", "fp-1", ticket)
        await _job(conn, ticket, "fp-1", attempted=True)
    with pytest.raises(RuntimeError, match="unknown outcome"):
        await database.upgrade()


async def test_down_and_up_again(database: Database) -> None:
    await _at_0005(database)
    async with database.engine.begin() as conn:
        ticket = await _ticket(conn, "fp-1", issue_key="OPS-1")
        await _alert(conn, "generic", "g-1", "fp-1", ticket)
    await database.upgrade()
    await _at_0005(database)
    async with database.engine.begin() as conn:
        found = (await conn.execute(text("SELECT fingerprint FROM tickets"))).scalars().all()
    assert found == ["fp-1"]
    await database.upgrade()
    async with database.unit_of_work() as uow:
        assert set(await uow.tickets.current(["generic:fp-1"])) == {"generic:fp-1"}

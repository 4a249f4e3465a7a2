"""Migration 0005 (grouping made durable) on SQLite and PostgreSQL: an epic ticket made before
it gets its group key from its fingerprint, other tickets none, every ticket no links and no
epic; each read back through the repository after down (to 0003) and up again."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import text

from ticketbridge.storage import Database
from ticketbridge.storage.database import migrate

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


async def test_epic_tickets_made_before_get_their_group_key(database: Database) -> None:
    await migrate(database.url, "0004", down=True)
    rows = [
        ("epic:OPS:pii: a key: with colons ✓", "OPS"),
        ("epic:INFRA:medical", "INFRA"),
        ("fp-1", "OPS"),
        ("epic:elsewhere", "OPS"),  # not of its own project: not an epic of ours
    ]
    async with database.engine.begin() as conn:
        for fingerprint, project in rows:
            await conn.execute(
                text(
                    "INSERT INTO tickets (fingerprint, generation, project, status, first_seen, "
                    "last_seen, occurrences, digest_pending, digested_occurrences) VALUES "
                    "(:fp, 1, :project, 'linked', :now, :now, 1, false, 1)"
                ),
                {"fp": fingerprint, "project": project, "now": NOW.replace(tzinfo=None)},
            )
    await database.upgrade()
    async with database.unit_of_work() as uow:
        found = await uow.tickets.current([fingerprint for fingerprint, _ in rows])
    assert {fp: (t.group_key, t.links, t.parent_id) for fp, t in found.items()} == {
        "epic:OPS:pii: a key: with colons ✓": ("pii: a key: with colons ✓", (), None),
        "epic:INFRA:medical": ("medical", (), None),
        "fp-1": (None, (), None),
        "epic:elsewhere": (None, (), None),
    }

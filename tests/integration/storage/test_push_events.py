"""Migration 0002 and the push-event repository on SQLite and PostgreSQL: one row per
delivery, commits and keys read back as written, newest first, filters."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import inspect, text

from ticketbridge.domain.pushes import RecordedCommit, RecordedPush
from ticketbridge.services.audit_intake import AuditIntake
from ticketbridge.sources import SOURCES
from ticketbridge.storage import Database

NOW = datetime(2026, 3, 2, 14, 30, tzinfo=UTC)
PUSH = (Path(__file__).resolve().parents[2] / "fixtures/sources/github/push.json").read_bytes()


def _push(
    delivery: str, repository: str = "acme/model", *keys: str, after: str = "a1b2c3"
) -> RecordedPush:
    commit = RecordedCommit(
        id="a1b2c3",
        message=f'fix: threshold {" ".join(keys)}\n\nbody with \u00e9 and "quotes"',
        author_name="Jane Smith",
        author_email="jane@example.com",
        author_username=None,
        url="https://github.com/acme/model/commit/a1b2c3",
        timestamp=datetime(2026, 3, 2, 14, 20, 1, tzinfo=UTC),
        jira_keys=keys,
    )
    return RecordedPush(
        id=0,
        delivery_id=delivery,
        repository=repository,
        repository_url=f"https://github.com/{repository}",
        ref="refs/heads/main",
        before="9049f126",
        after=after,
        pusher="jane-smith",
        compare_url=None,
        received_at=NOW,
        commits=(commit,),
    )


async def test_migration_0002_creates_push_events(database: Database) -> None:
    await database.upgrade()  # again: idempotent
    async with database.engine.connect() as conn:
        columns = await conn.run_sync(
            lambda sync: {c["name"] for c in inspect(sync).get_columns("push_events")}
        )
        uniques = await conn.run_sync(
            lambda sync: [u["column_names"] for u in inspect(sync).get_unique_constraints(
                "push_events"
            )]
        )  # fmt: skip
        version = (await conn.execute(text("SELECT version_num FROM alembic_version"))).scalar()
    assert version is not None
    assert version >= "0002"
    assert {"delivery_id", "repository", "ref", "pusher", "received_at", "commits"} <= columns
    assert ["delivery_id"] in uniques


async def test_a_push_is_stored_once_per_delivery_and_read_back_whole(database: Database) -> None:
    first = _push("d-1", "acme/model", "AIGOV-142", "OPS-7")
    async with database.unit_of_work() as uow:
        stored = await uow.push_events.add(first)
        again = await uow.push_events.add(_push("d-1", "other/repo"))
        await uow.commit()
    assert stored is not None
    assert again is None
    async with database.unit_of_work() as uow:
        [read] = await uow.push_events.list(limit=10)
        same = await uow.push_events.same_as(_push("d-1", "other/repo", after="other"))
    assert read == same == stored
    assert read.repository == "acme/model"
    assert read.commits == first.commits
    assert read.jira_keys == ("AIGOV-142", "OPS-7")


async def test_list_is_newest_first_and_filters(database: Database) -> None:
    async with database.unit_of_work() as uow:
        for n, (repo, key) in enumerate([("a/x", "OPS-1"), ("b/y", "OPS-10"), ("a/x", "SEC-2")]):
            await uow.push_events.add(_push(f"d-{n}", repo, key, after=f"sha-{n}"))
        await uow.commit()
    async with database.unit_of_work() as uow:
        newest = [p.delivery_id for p in await uow.push_events.list(limit=10)]
        page = await uow.push_events.list(
            limit=10, before_id=(await uow.push_events.list(limit=1))[0].id
        )
        in_a = [p.delivery_id for p in await uow.push_events.list(limit=10, repository="a/x")]
        ops1 = [p.delivery_id for p in await uow.push_events.list(limit=10, jira_key="OPS-1")]
        wild = await uow.push_events.list(limit=10, jira_key="OPS-%")
    assert newest == ["d-2", "d-1", "d-0"]
    assert [p.delivery_id for p in page] == ["d-1", "d-0"]
    assert in_a == ["d-2", "d-0"]
    assert ops1 == ["d-0"]  # not OPS-10: keys match whole
    assert wild == []  # LIKE wildcards in the key are literal


async def test_concurrent_redeliveries_store_one_push(database: Database) -> None:
    parse = SOURCES["github"].parse_push
    assert parse is not None
    event = parse(PUSH, received_at=NOW)
    assert event is not None
    intake = AuditIntake(database.unit_of_work, lambda: NOW)  # type: ignore[arg-type]
    results = await asyncio.gather(
        *(intake.record_push(event, delivery_id="d-9") for _ in range(6))
    )
    assert sorted(r.duplicate for r in results) == [False] + [True] * 5
    assert len({r.push.id for r in results}) == 1
    assert [p.delivery_id for p in await intake.pushes()] == ["d-9"]

"""Storage on SQLite and PostgreSQL: migrations, unique constraints, the leased outbox's
claim rules, fingerprint leases, API keys. Each test asserts rows, not calls."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import insert, inspect, text
from sqlalchemy.exc import IntegrityError

from ticketbridge.bootstrap import head_revision
from ticketbridge.domain import (
    Alert,
    AlertLink,
    AlertState,
    DecisionKind,
    IssueLink,
    JobKind,
    JobState,
    Severity,
    Ticket,
    TicketStatus,
)
from ticketbridge.domain.records import NewJob
from ticketbridge.storage import Database
from ticketbridge.storage.tables import alerts

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
LEASE = NOW + timedelta(seconds=60)


def _ticket(fingerprint: str, generation: int = 1) -> Ticket:
    return Ticket(fingerprint, generation, "OPS", TicketStatus.PENDING, NOW, NOW)


def _alert(alert_id: str) -> Alert:
    return Alert(
        id=alert_id,
        source="generic",
        kind="k",
        title="t",
        severity=Severity.HIGH,
        fingerprint="fp",
        occurred_at=NOW.replace(microsecond=123456),
        received_at=NOW,
        attributes={"nested": {"kept": [1, 2]}, "ü": "ünïcode"},
        confidence=0.25,
        links=(AlertLink("console", "https://console.example/a?x=1&y=2"),),
    )


async def _jobs(db: Database, *specs: tuple[str, JobKind]) -> list[int]:
    async with db.unit_of_work() as uow:
        tickets = await uow.tickets.insert_many([_ticket(key) for key, _ in dict(specs).items()])
        ids = {t.fingerprint: t.id for t in tickets}
        jobs = [NewJob(kind, key, ids[key] or 0, {"n": i}) for i, (key, kind) in enumerate(specs)]
        await uow.outbox.enqueue(jobs, NOW)
        await uow.commit()
        listed = await uow.outbox.list(state=None, limit=100)
        return [j.id for j in listed]


async def _in_transaction(db: Database, write: Callable[[Any], Awaitable[object]]) -> None:
    async with db.unit_of_work() as uow:
        await write(uow)
        await uow.commit()


async def test_upgrade_is_idempotent_and_creates_the_schema(database: Database) -> None:
    await database.upgrade()  # the fixture already upgraded once
    async with database.engine.connect() as conn:
        names = await conn.run_sync(lambda sync: set(inspect(sync).get_table_names()))
        version = (await conn.execute(text("SELECT version_num FROM alembic_version"))).scalar()
    assert {"alerts", "tickets", "outbox_jobs", "fingerprint_leases", "api_keys"} <= names
    assert version == head_revision()


async def test_sqlite_runs_in_wal_mode(tmp_path: object) -> None:
    db = Database(f"sqlite+aiosqlite:///{tmp_path}/wal.db")
    async with db.engine.connect() as conn:
        mode = (await conn.execute(text("PRAGMA journal_mode"))).scalar()
        timeout = (await conn.execute(text("PRAGMA busy_timeout"))).scalar()
        keys = (await conn.execute(text("PRAGMA foreign_keys"))).scalar()
    await db.aclose()
    # busy_timeout 0: another process's lock is waited for in async sleeps (test_sqlite_inline)
    assert (mode, timeout, keys) == ("wal", 0, 1)


async def test_unique_constraints_hold_dedup(database: Database) -> None:
    async with database.unit_of_work() as uow:
        assert await uow.alerts.append([_alert("a1")]) == {("generic", "a1")}
        await uow.tickets.insert_many([_ticket("fp")])
        await uow.commit()
    row = {
        "source": "generic",
        "alert_id": "a1",
        "kind": "k",
        "title": "t",
        "description": "",
        "severity": "high",
        "status": "firing",
        "fingerprint": "fp",
        "attributes": {},
        "links": [],
        "occurred_at": NOW,
        "received_at": NOW,
        "reasons": [],
    }
    with pytest.raises(IntegrityError):  # the constraint itself, beneath append's own check
        async with database.engine.begin() as conn:
            await conn.execute(insert(alerts), [row])
    with pytest.raises(IntegrityError):
        await _in_transaction(database, lambda uow: uow.tickets.insert_many([_ticket("fp")]))
    async with database.unit_of_work() as uow:
        stored = await uow.alerts.get("generic", "a1")
        current = await uow.tickets.current(["fp"])
    assert stored is not None
    assert stored.alert == _alert("a1")  # kept whole: every field reads back as written
    assert current["fp"].generation == 1


async def test_append_skips_stored_keys_and_pending_lists_the_undecided_in_order(
    database: Database,
) -> None:
    async with database.unit_of_work() as uow:
        assert await uow.alerts.append([_alert("a1"), _alert("a2")]) == {
            ("generic", "a1"),
            ("generic", "a2"),
        }
        await uow.commit()
    async with database.unit_of_work() as uow:
        assert await uow.alerts.append([_alert("a2"), _alert("a3")]) == {("generic", "a3")}
        await uow.commit()
    async with database.unit_of_work() as uow:
        pending = await uow.alerts.pending(limit=10)
        assert [p.alert.id for p in pending] == ["a1", "a2", "a3"]
        assert all(p.decision is None for p in pending)
        decided = replace(pending[0], decision=DecisionKind.IGNORE, reasons=("below",))
        await uow.alerts.record([decided])
        await uow.commit()
    async with database.unit_of_work() as uow:
        assert [p.alert.id for p in await uow.alerts.pending(limit=10)] == ["a2", "a3"]
        assert [p.alert.id for p in await uow.alerts.pending(limit=1)] == ["a2"]
        stored = await uow.alerts.get("generic", "a1")
    assert stored is not None
    assert (stored.decision, stored.reasons) == (DecisionKind.IGNORE, ("below",))


async def test_claim_keeps_one_ordering_key_in_order(database: Database) -> None:
    create, comment = JobKind.CREATE_ISSUE, JobKind.COMMENT
    ids = await _jobs(database, ("k1", create), ("k1", comment), ("k2", create))
    async with database.unit_of_work() as uow:
        first = await uow.outbox.claim("w1", NOW, LEASE, 10)
        await uow.commit()
    assert [j.id for j in first] == [ids[0], ids[2]]  # k1's second job waits for its first
    async with database.unit_of_work() as uow:
        assert await uow.outbox.claim("w2", NOW, LEASE, 10) == []  # running ones hold keys
        await uow.outbox.kill(ids[0], "w1", error="400", hint="fix", now=NOW)
        assert await uow.outbox.complete([ids[2]], "w1", NOW) == {ids[2]}
        await uow.commit()
    async with database.unit_of_work() as uow:
        assert await uow.outbox.claim("w2", NOW, LEASE, 10) == []  # a dead create holds k1
        retried = await uow.outbox.retry(ids[0], NOW)
        await uow.commit()
    assert retried is not None
    assert retried.state is JobState.PENDING
    assert retried.attempts == 0


async def test_dead_follow_up_does_not_hold_its_key(database: Database) -> None:
    ids = await _jobs(database, ("k1", JobKind.COMMENT), ("k1", JobKind.DIGEST))
    async with database.unit_of_work() as uow:
        [job] = await uow.outbox.claim("w1", NOW, LEASE, 10)
        await uow.outbox.kill(job.id, "w1", error="404", hint=None, now=NOW)
        await uow.commit()
    async with database.unit_of_work() as uow:
        [after] = await uow.outbox.claim("w1", NOW, LEASE, 10)
    assert after.id == ids[1]


async def test_expired_lease_is_reclaimed_and_the_old_owner_cannot_complete(
    database: Database,
) -> None:
    [job_id] = await _jobs(database, ("k1", JobKind.CREATE_ISSUE))
    async with database.unit_of_work() as uow:
        await uow.outbox.claim("dies", NOW, LEASE, 10)
        assert await uow.outbox.mark_sent([job_id], "dies", NOW, LEASE)
        await uow.commit()
    later = LEASE + timedelta(seconds=1)
    async with database.unit_of_work() as uow:
        [job] = await uow.outbox.claim("heir", later, later + timedelta(seconds=60), 10)
        assert await uow.outbox.complete([job_id], "dies", later) == set()
        await uow.commit()
    assert job.sent_until == LEASE  # the heir knows a create may have been in flight till then
    assert job.attempts == 2


async def test_sent_until_is_marked_for_all_the_jobs_or_for_none(database: Database) -> None:
    ids = await _jobs(database, ("k1", JobKind.CREATE_ISSUE), ("k2", JobKind.CREATE_ISSUE))
    async with database.unit_of_work() as uow:
        await uow.outbox.claim("w1", NOW, LEASE, 1)  # k1's job only
        await uow.outbox.claim("w2", NOW, LEASE, 1)  # k2's
        await uow.commit()
    later = LEASE + timedelta(seconds=30)
    async with database.unit_of_work() as uow:
        assert not await uow.outbox.mark_sent(ids, "w1", NOW, later)  # k2's is not w1's
    async with database.unit_of_work() as uow:  # the caller rolled back: neither is marked
        assert {job.sent_until for job in await uow.outbox.list(state=None, limit=10)} == {None}
        assert await uow.outbox.mark_sent(ids[:1], "w1", NOW, later)
        await uow.commit()
    async with database.unit_of_work() as uow:
        jobs = {job.id: job for job in await uow.outbox.list(state=None, limit=10)}
    assert (jobs[ids[0]].sent_until, jobs[ids[0]].lease_expires_at) == (later, later)
    assert (jobs[ids[1]].sent_until, jobs[ids[1]].lease_expires_at) == (None, LEASE)


async def test_concurrent_claims_never_share_a_job(database: Database) -> None:
    await _jobs(database, *((f"k{i}", JobKind.CREATE_ISSUE) for i in range(60)))

    async def claim(owner: str) -> list[int]:
        async with database.unit_of_work() as uow:
            jobs = await uow.outbox.claim(owner, NOW, LEASE, 25)
            await uow.commit()
        return [j.id for j in jobs]

    batches = await asyncio.gather(*(claim(f"w{i}") for i in range(4)))
    claimed = [job for batch in batches for job in batch]
    assert len(claimed) == len(set(claimed)) == 60


async def test_fingerprint_lease_has_one_holder_until_it_expires(database: Database) -> None:
    async with database.unit_of_work() as uow:
        assert await uow.tickets.acquire_leases(["fp"], "a", NOW, LEASE)
        assert not await uow.tickets.acquire_leases(["fp"], "b", NOW, LEASE)
        assert await uow.tickets.acquire_leases(["fp"], "a", NOW, LEASE)  # renew
        assert await uow.tickets.acquire_leases(["fp"], "b", LEASE + timedelta(seconds=1), LEASE)
        await uow.tickets.release_leases(["fp"], "b")
        assert await uow.tickets.acquire_leases(["fp"], "c", NOW, LEASE)
        await uow.commit()


async def test_leases_are_taken_all_or_none(database: Database) -> None:
    async with database.unit_of_work() as uow:
        assert await uow.tickets.acquire_leases(["fp-2"], "a", NOW, LEASE)
        await uow.commit()
    async with database.unit_of_work() as uow:  # not committed: the taker rolls back
        assert not await uow.tickets.acquire_leases(["fp-1", "fp-2", "fp-3"], "b", NOW, LEASE)
    async with database.unit_of_work() as uow:
        assert await uow.tickets.acquire_leases(["fp-3", "fp-1", "fp-3"], "c", NOW, LEASE)
        assert not await uow.tickets.acquire_leases(["fp-2"], "c", NOW, LEASE)
        await uow.commit()


async def test_leases_are_released_together_only_where_their_owner_holds_them(
    database: Database,
) -> None:
    async with database.unit_of_work() as uow:
        for fingerprint, owner in (("fp-1", "a"), ("fp-2", "a"), ("fp-3", "b")):
            assert await uow.tickets.acquire_leases([fingerprint], owner, NOW, LEASE)
        await uow.tickets.release_leases(["fp-1", "fp-2", "fp-3", "fp-1"], "a")
        await uow.commit()
    async with database.unit_of_work() as uow:
        free = {
            fp: await uow.tickets.acquire_leases([fp], "c", NOW, LEASE)
            for fp in ("fp-1", "fp-2", "fp-3")
        }
    assert free == {"fp-1": True, "fp-2": True, "fp-3": False}  # b still holds fp-3


async def test_completing_several_jobs_finishes_only_those_still_held(database: Database) -> None:
    ids = await _jobs(database, *((f"k{n}", JobKind.CREATE_ISSUE) for n in range(3)))
    async with database.unit_of_work() as uow:
        await uow.outbox.claim("dies", NOW, LEASE, 1)  # ids[0], its lease runs out
        await uow.commit()
    later = LEASE + timedelta(seconds=1)
    async with database.unit_of_work() as uow:
        held = await uow.outbox.claim("w", later, later + timedelta(seconds=60), 10)
        await uow.commit()
    assert [job.id for job in held] == ids  # ids[0] taken over by w
    async with database.unit_of_work() as uow:
        assert await uow.outbox.complete([ids[0]], "dies", later) == set()
        assert await uow.outbox.complete([*ids, ids[1]], "w", later) == set(ids)
        assert await uow.outbox.complete(ids, "w", later) == set()  # done already
        await uow.commit()
        counts = await uow.outbox.counts()
    assert counts[JobState.DONE] == 3


async def test_api_keys_store_only_hashes(database: Database) -> None:
    async with database.unit_of_work() as uow:
        key = await uow.api_keys.add("ci", "sha256:abc", ["alerts:write"], NOW)
        await uow.api_keys.touch(key.id, NOW + timedelta(hours=1))
        await uow.commit()
    async with database.unit_of_work() as uow:
        found = await uow.api_keys.by_hash("sha256:abc")
        assert await uow.api_keys.revoke(key.id)
        await uow.commit()
        listed = await uow.api_keys.list()
    assert found is not None
    assert found.scopes == ("alerts:write",)
    assert found.last_used_at == NOW + timedelta(hours=1)
    assert [k.revoked for k in listed] == [True]


async def test_purge_forgets_only_old_done_jobs(database: Database) -> None:
    ids = await _jobs(database, ("k1", JobKind.CREATE_ISSUE), ("k2", JobKind.CREATE_ISSUE))
    async with database.unit_of_work() as uow:
        await uow.outbox.claim("w", NOW, LEASE, 10)
        await uow.outbox.complete([ids[0]], "w", NOW)
        await uow.commit()
    async with database.unit_of_work() as uow:
        assert await uow.outbox.purge_done(NOW, 100) == 0  # not older than the cut
        assert await uow.outbox.purge_done(NOW + timedelta(seconds=1), 100) == 1
        await uow.commit()
        left = await uow.outbox.list(state=None, limit=10)
    assert [(j.id, j.state) for j in left] == [(ids[1], JobState.RUNNING)]


_FULL_TICKET = Ticket(
    fingerprint="fp-full",
    generation=2,
    project="SEC",
    status=TicketStatus.LINKED,
    first_seen=NOW.replace(microsecond=1),
    last_seen=NOW + timedelta(hours=1, microseconds=999_999),
    occurrences=7,
    issue_id="10001",
    issue_key="SEC-1",
    issue_url="https://jira.example/browse/SEC-1",
    status_category="done",
    resolution="Won't Do",
    outcome=AlertState.FALSE_POSITIVE,
    done_at=NOW + timedelta(days=1),
    previous_issue_key="SEC-0",
    digest_comment_id="c-9",
    last_digest_at=NOW + timedelta(minutes=5),
    digest_pending=True,
    digested_occurrences=3,
    group_key="pii ✓",
    links=(IssueLink("Blocks", issue="SEC-9"), IssueLink("Relates", fingerprint="fp-ü")),
)


async def test_every_ticket_field_reads_back_through_each_path(database: Database) -> None:
    # The decider reads (`current`) and writes (`save_many`) tickets at the driver on SQLite;
    # `get` and `insert_many` go through SQLAlchemy's types. Each must read what the other wrote.
    async with database.unit_of_work() as uow:
        (epic,) = await uow.tickets.insert_many([_ticket("epic:SEC:pii")])
        full = replace(_FULL_TICKET, parent_id=epic.id)
        (inserted,) = await uow.tickets.insert_many([full])
        await uow.commit()
    assert inserted == replace(full, id=inserted.id)
    changed = replace(
        inserted, occurrences=8, outcome=None, done_at=None, digest_pending=False, links=()
    )
    async with database.unit_of_work() as uow:
        assert (await uow.tickets.current(["fp-full"]))["fp-full"] == inserted
        await uow.tickets.save_many([changed])
        await uow.commit()
    async with database.unit_of_work() as uow:
        assert await uow.tickets.get(inserted.id or 0) == changed
        assert (await uow.tickets.current(["fp-full"]))["fp-full"] == changed


async def test_a_pending_alert_reads_back_whole(database: Database) -> None:
    # `pending` reads at the driver on SQLite: every field as `append` wrote it.
    alert = replace(
        _alert("full"),
        description="multi\nline ✓",
        confidence=None,
        attributes={"n": 1.5, "list": [1, None, True], "nested": {"ü": "\u2028"}},
    )
    async with database.unit_of_work() as uow:
        await uow.alerts.append([alert])
        await uow.commit()
    async with database.unit_of_work() as uow:
        (pending,) = await uow.alerts.pending(limit=10)
    assert pending.alert == alert
    assert (pending.decision, pending.reasons, pending.route, pending.ticket_id) == (
        None,
        (),
        None,
        None,
    )

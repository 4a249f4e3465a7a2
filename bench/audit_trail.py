"""The audit trail's costs: verify speed, append throughput with concurrent writers, and the
size and check time of a proof.

    python bench/audit_trail.py verify [--events 1000000] [--url …]
        A log of N events (appended in batches of 1,000 through the repository, as the decider
        does), one signed checkpoint, then `AuditVerifier.verify` over all of it, timed.
        Target: ≥ 60,000 events/s, 1M events in ≤ 17 s. Then `prove` of the middle event:
        its proof's size and the time to check it offline.
    python bench/audit_trail.py append [--writers 4] [--seconds 10] [--batch 1] [--url …]
        `writers` tasks, each its own connection, each committing units of work of `batch`
        events for `seconds`: events/s sustained, and the log verified after (`--batch 0`:
        empty units of work, the host's bare transaction rate to compare with). `--later`:
        recorded as the decider records (unsealed with the change, no lock), a sealer sealing
        every 100 ms meanwhile as the audit loop does; the rest sealed before the verify.

Default database: SQLite (WAL) in a temp dir; `--url postgresql+asyncpg://…` for PostgreSQL.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import cast

from ticketbridge.api.jira_connection import ConnectionStore
from ticketbridge.bootstrap import run as run_command
from ticketbridge.bootstrap.audit import FernetCipher
from ticketbridge.domain.audit import EventType, NewEvent, Subject
from ticketbridge.domain.audit_merkle import leaf_hash, verify_inclusion
from ticketbridge.domain.audit_notes import open_checkpoint, parse_verifier_key
from ticketbridge.services.audit_checkpoints import AuditKeys, Checkpointer, seal_pending
from ticketbridge.services.audit_service import AuditTrail, EventFilter
from ticketbridge.services.ports import UnitOfWorkFactory
from ticketbridge.storage import Database

NOW = datetime(2026, 3, 2, 14, 0, tzinfo=UTC)


def event(n: int) -> NewEvent:
    """An event the size of a ROUTED one (~450 bytes of canonical JSON)."""
    return NewEvent(
        EventType.ROUTED,
        "TICKETBRIDGE",
        NOW,
        {
            "alert": {"source": "generic", "id": f"bench-{n}"},
            "route": "hallucinations",
            "decision": "create",
            "reasons": ["new fingerprint"],
            "ticket": {"fingerprint": f"fp-{n % 5000}", "generation": 1, "project": "OPS"},
        },
        [{"type": "AUDIT_EVENT", "externalId": f"evt_{n:024x}"}],
        subject=Subject(alert=f"generic/bench-{n}"),
    )


def trail(db: Database, data_dir: Path) -> AuditTrail:
    uow = cast(UnitOfWorkFactory, db.unit_of_work)
    keys = AuditKeys(uow, lambda: NOW, FernetCipher(ConnectionStore(data_dir, "bench")))
    return AuditTrail(uow, lambda: NOW, keys, Checkpointer(uow, keys, lambda: NOW))


async def fill(db: Database, events: int, batch: int = 1000) -> float:
    started = time.perf_counter()
    for first in range(0, events, batch):
        async with db.unit_of_work() as uow:
            uow.audit.record([event(n) for n in range(first, min(first + batch, events))])
            await uow.commit()
    return time.perf_counter() - started


async def verify(url: str, events: int, data_dir: Path) -> None:
    db = Database(url)
    await db.upgrade()
    filled = await fill(db, events)
    print(f"appended {events:,} events in {filled:.1f} s ({events / filled:,.0f} events/s)")
    audit = trail(db, data_dir)
    await audit.checkpointer.checkpoint(force=True)
    cpu, started = time.process_time(), time.perf_counter()
    report = await audit.verifier.verify()
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    assert report.ok, report.findings
    print(
        f"verify: {report.events:,} events in {elapsed:.2f} s = {report.events / elapsed:,.0f} "
        f"events/s ({cpu:.2f} s CPU), {report.checkpoints_checked} checkpoint(s)"
    )
    [middle] = await audit.events(EventFilter(), limit=1, after=events // 2 - 1)
    started = time.perf_counter()
    proof = await audit.verifier.prove(middle.id)
    proving = time.perf_counter() - started
    assert proof is not None
    print(f"prove: {proving:.2f} s, proof file {len(proof.encode()):,} bytes")
    check_proof(proof, (await audit.keys.signing()).public.vkey)
    await db.aclose()


def check_proof(proof: str, vkey: str) -> None:
    """What an auditor runs offline: the event's leaf, the path, the signed root."""
    started = time.perf_counter()
    rounds = 1000
    for _ in range(rounds):
        head, _, note = proof.partition("\n\n")
        lines = head.split("\n")
        body = base64.b64decode(lines[1].removeprefix("extra "))
        hashes = [base64.b64decode(h) for h in lines[3:]]
        checkpoint = open_checkpoint(note, parse_verifier_key(vkey))
        index = int(lines[2].removeprefix("index "))
        verify_inclusion(index, checkpoint.size, leaf_hash(body), hashes, checkpoint.root)
    each = (time.perf_counter() - started) / rounds
    print(f"proof check (signature + {len(hashes)} hashes): {each * 1e6:,.0f} µs")


async def append(
    url: str, writers: int, seconds: float, batch: int, data_dir: Path, later: bool
) -> None:
    db = Database(url)
    await db.upgrade()
    counts = [0] * writers
    units = [0] * writers
    stop = time.perf_counter() + seconds

    async def writer(number: int) -> None:
        n = number * 10_000_000
        while time.perf_counter() < stop:
            async with db.unit_of_work() as uow:
                uow.audit.record([event(n + i) for i in range(batch)], later=later)
                await uow.commit()
            n += batch
            counts[number] += batch
            units[number] += 1

    async def sealer() -> None:
        while later and time.perf_counter() < stop:
            await seal_pending(db.unit_of_work)
            await asyncio.sleep(0.1)

    started = time.perf_counter()
    await asyncio.gather(sealer(), *(writer(n) for n in range(writers)))
    elapsed = time.perf_counter() - started
    sealing = time.perf_counter()
    await seal_pending(db.unit_of_work)
    if later:
        print(f"sealed what was left after the writers: {time.perf_counter() - sealing:.2f} s")
    total = sum(counts)
    print(
        f"append: {writers} writers, {batch} event(s) per unit of work: {total:,} events in "
        f"{elapsed:.1f} s = {total / elapsed:,.0f} events/s ({counts}), "
        f"{sum(units) / elapsed:,.0f} transactions/s"
    )
    report = await trail(db, data_dir).verifier.verify()
    assert report.ok, report.findings
    assert report.events == total, (report.events, total)
    print(f"verified: {report.events:,} events, gap-free")  # batch 0: the bare transaction rate
    await db.aclose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("what", choices=["verify", "append"])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--writers", type=int, default=4)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--batch", type=int, default=1)
    parser.add_argument("--url", default=None)
    parser.add_argument("--later", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = args.url or f"sqlite+aiosqlite:///{tmp}/bench.db"
        if args.what == "verify":
            run_command(verify(url, args.events, Path(tmp)))
        else:
            run_command(append(url, args.writers, args.seconds, args.batch, Path(tmp), args.later))


if __name__ == "__main__":
    main()

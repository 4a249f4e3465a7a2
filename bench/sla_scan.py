"""The SLA scan over 100,000 open tickets: the scheduler's `sla_scan` run, database included.

    PYTHONPATH=src .venv/bin/python bench/sla_scan.py [--tickets 100000] [--events 6]
        [--postgres | --database-url URL]   # default: SQLite in a temporary directory

`--postgres` starts a throwaway server (tests/support/postgres.py, needs initdb).

A migrated database gets `--tickets` linked tickets (each with its opening alert, severity
high) and `--events` stored events each (`ticket_events`: status changes in and out of a pause
status, assignments, comments by us and by others), as two-way sync records them. Then one
scan (`services.sla_scan.SlaClocks.scan`: batches of 1,000 — the tickets with their opening
alert's severity and route in one query, their events in a second, the changed SLA columns in
one executemany) and a second scan at the same moment. Reports wall and CPU time and the number
of SQL statements each scan sent (counted at the engine), and the states found.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import event, insert, select

from ticketbridge import bootstrap
from ticketbridge.config.schema import Config
from ticketbridge.services.sla import SlaPolicies
from ticketbridge.services.sla_scan import SlaClocks
from ticketbridge.storage import Database
from ticketbridge.storage.tables import alerts, ticket_events, tickets

T0 = datetime(2026, 3, 1, tzinfo=UTC)
SLA = {
    "first_response": {"high": "1h"},
    "resolution": {"high": "4h"},
    "pause": ["Waiting for customer"],
}
STATUSES = [("In Progress", "indeterminate"), ("Waiting for customer", "indeterminate")]
_CHUNK = 5_000


def history(rng: random.Random, ticket_id: int, occurred: datetime, n: int) -> list[dict[str, Any]]:
    found = []
    for k in range(n):
        at = occurred + timedelta(minutes=rng.randrange(1, 480))
        row = {"ticket_id": ticket_id, "key": f"e{k}", "at": at, "by_us": False}
        if k % 3 == 0:
            name, category = STATUSES[rng.randrange(2)]
            row |= {"kind": "status", "status": name, "category": category}
        elif k % 3 == 1:
            row |= {"kind": "comment", "by_us": rng.random() < 0.5}
        else:
            row |= {"kind": "assigned"}
        found.append({"status": None, "category": None} | row)
    return found


async def seed(database: Database, count: int, events: int) -> None:
    rng = random.Random(15)
    async with database.engine.begin() as conn:
        for start in range(1, count + 1, _CHUNK):
            ids = range(start, min(start + _CHUNK, count + 1))
            occurred = {i: T0 + timedelta(minutes=rng.randrange(0, 600)) for i in ids}
            await conn.execute(insert(tickets), [_ticket(i, occurred[i]) for i in ids])
            await conn.execute(insert(alerts), [_alert(i, occurred[i]) for i in ids])
            rows = [r for i in ids for r in history(rng, i, occurred[i], events)]
            await conn.execute(insert(ticket_events), rows)


def _ticket(i: int, at: datetime) -> dict[str, Any]:
    return {
        "id": i,
        "fingerprint": f"generic:fp-{i}",
        "generation": 1,
        "project": "OPS",
        "status": "linked",
        "first_seen": at,
        "last_seen": at,
        "occurrences": 1,
        "issue_id": str(10000 + i),
        "issue_key": f"OPS-{i}",
        "status_category": "indeterminate",
        "digest_pending": False,
        "digested_occurrences": 1,
        "links": [],
    }


def _alert(i: int, at: datetime) -> dict[str, Any]:
    return {
        "source": "generic",
        "alert_id": f"a-{i}",
        "kind": "alert",
        "title": f"alert {i}",
        "description": "",
        "severity": "high",
        "status": "firing",
        "fingerprint": f"generic:fp-{i}",
        "attributes": {},
        "links": [],
        "occurred_at": at,
        "received_at": at,
        "ticket_id": i,
        "decision": "create",
        "reasons": [],
        "route": None,
    }


async def timed_scan(database: Database, clocks: SlaClocks, label: str) -> None:
    statements = 0

    def count(*_: object) -> None:
        nonlocal statements
        statements += 1

    event.listen(database.engine.sync_engine, "before_cursor_execute", count)
    wall, cpu = time.perf_counter(), time.process_time()
    run = await clocks.scan()
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    event.remove(database.engine.sync_engine, "before_cursor_execute", count)
    print(f"{label}: {run.line()}")
    print(f"  wall: {wall:.2f} s  CPU: {cpu:.2f} s  SQL statements: {statements}")


async def main(count: int, events: int, url: str | None) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        url = url or f"sqlite+aiosqlite:///{Path(tmp) / 'sla.db'}"
        await bootstrap.upgrade_database(url)
        database = Database(url)
        try:
            started = time.perf_counter()
            await seed(database, count, events)
            print(
                f"seeded {count} tickets × {events} events in {time.perf_counter() - started:.1f} s"
            )
            config = Config.model_validate({"defaults": {"sla": SLA}})
            now = T0 + timedelta(hours=12)
            clocks = SlaClocks(bootstrap.uow_factory(database), lambda: now, SlaPolicies(config))
            await timed_scan(database, clocks, "first scan")
            await timed_scan(database, clocks, "second scan (same moment)")
            async with database.engine.connect() as conn:
                found = Counter(r[0] for r in await conn.execute(select(tickets.c.sla_state)))
            print("states: " + ", ".join(f"{s} {n}" for s, n in sorted(found.items())))
        finally:
            await database.aclose()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--tickets", type=int, default=100_000)
    parser.add_argument("--events", type=int, default=6)
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--postgres", action="store_true")
    args = parser.parse_args()
    if not args.postgres:
        asyncio.run(main(args.tickets, args.events, args.database_url))
        sys.exit(0)
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
    from support.postgres import start_postgres

    servers = start_postgres()  # held: the generator stops the server when collected
    server = next(servers)
    try:
        asyncio.run(main(args.tickets, args.events, server.create_database()))
    finally:
        servers.close()  # the generator's own cleanup stops the server

"""The report summary at scale (issue 17): builds a data set of alerts and tickets over 90 days
(default 1,000,000 alerts, 200,000 tickets), then times `ReportService.summary` and counts the
SQL statements each request runs. Targets: p95 ≤ 500 ms on PostgreSQL, ≤ 2 s on SQLite,
≤ 10 statements per request.

    PYTHONPATH=src .venv/bin/python bench/reports_summary.py [--alerts 1000000]
        [--tickets 200000] [--runs 20] [--days 7,30,90] [--postgres | --database-url URL]
        [--reuse]

`--reuse` with `--database-url`: measure the data a previous run built there (migrated to
head first), so before/after compare the same rows.
`--postgres` starts a throwaway server (tests/support/postgres.py, needs initdb). The data:
tickets opened uniformly over 90 days across 8 routes, 4 sources, 5 severities and 3 projects;
60 % done (10 % of those false positive) after an exponential time to resolution (mean 3
days); every ticket has its opening alert, the other alerts repeat a ticket (2 % reopen it) or
were ignored (no ticket); 0.5 % of tickets have a dead create job.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, event, insert, text

from ticketbridge.domain import defaults
from ticketbridge.services.reports import ReportService
from ticketbridge.storage import Database
from ticketbridge.storage.reports import report_reader
from ticketbridge.storage.tables import alerts, outbox_jobs, tickets

NOW = datetime(2026, 3, 31, 12, 0, tzinfo=UTC)
SPAN = timedelta(days=90)
ROUTES = [f"route-{n}" for n in range(8)]
SOURCES = ["truthvouch", "keeptrusts", "security", "compliance"]
SEVERITIES = ["info", "low", "medium", "high", "critical"]
PROJECTS = ["OPS", "AIGOV", "SEC"]
PRIORITIES = ["Highest", "High", "Medium", "Low", None]  # None: Jira has not told us
ASSIGNEES = [("acc-1", "Ana Ops"), ("acc-2", "Ben Sec"), ("acc-3", None), (None, None)]
BATCH = 20_000


def _ticket_rows(count: int, rng: random.Random) -> Iterator[dict[str, Any]]:
    for n in range(count):
        first = NOW - SPAN * rng.random()
        done = rng.random() < 0.6
        done_at = first + timedelta(days=rng.expovariate(1 / 3)) if done else None
        if done_at is not None and done_at > NOW:
            done, done_at = False, None
        yield {
            "fingerprint": f"fp-{n}",
            "generation": 1,
            "project": PROJECTS[n % 3],
            "status": "dead" if n % 200 == 0 else "linked",
            "first_seen": first,
            "last_seen": first,
            "occurrences": 1,
            "issue_key": None if n % 200 == 0 else f"{PROJECTS[n % 3]}-{n}",
            "status_category": "done" if done else rng.choice(["new", "indeterminate"]),
            "outcome": ("false_positive" if rng.random() < 0.1 else "resolved") if done else None,
            "done_at": done_at,
            "digest_pending": False,
            "digested_occurrences": 1,
            "links": [],
            **_mirror(n, done),
        }


def _mirror(n: int, done: bool) -> dict[str, Any]:
    """What Jira told about the issue (two-way sync's columns), for the totals."""
    assignee_id, assignee_name = ASSIGNEES[n % len(ASSIGNEES)]
    return {
        "priority": PRIORITIES[n % len(PRIORITIES)],
        "assignee_id": assignee_id,
        "assignee_name": assignee_name,
        "status_name": "Done" if done else "To Do",
        "deleted_at": NOW - timedelta(days=1) if n % 500 == 7 else None,
    }


def _alert(
    n: int, ticket: int | None, at: datetime, decision: str, rng: random.Random
) -> dict[str, Any]:
    return {
        "source": SOURCES[(ticket or n) % 4],
        "alert_id": f"a-{n}",
        "kind": "policy_violation",
        "title": "t",
        "description": "",
        "severity": SEVERITIES[(ticket or n) % 5],
        "status": "firing",
        "fingerprint": f"fp-{ticket}",
        "attributes": {},
        "links": [],
        "occurred_at": at,
        "received_at": at,
        "ticket_id": ticket,
        "decision": decision,
        "reasons": [],
        "route": ROUTES[(ticket or n) % 8] if rng.random() > 0.02 else None,
    }


async def build(db: Database, alert_count: int, ticket_count: int, seed: int = 17) -> None:
    rng = random.Random(seed)
    first_seen: list[datetime] = []
    rows = list(_ticket_rows(ticket_count, rng))
    async with db.engine.begin() as conn:
        for start in range(0, len(rows), BATCH):
            await conn.execute(insert(tickets), rows[start : start + BATCH])
        ids = [r[0] for r in (await conn.execute(text("SELECT id FROM tickets ORDER BY id")))]
    first_seen = [r["first_seen"] for r in rows]
    batch: list[dict[str, Any]] = []

    async def flush() -> None:
        async with db.engine.begin() as conn:
            await conn.execute(insert(alerts), batch)
        batch.clear()

    for n in range(alert_count):
        if n < ticket_count:
            batch.append(_alert(n, ids[n], first_seen[n], "create", rng))
        elif rng.random() < 0.05:
            batch.append(_alert(n, None, NOW - SPAN * rng.random(), "ignore", rng))
        else:
            t = rng.randrange(ticket_count)
            at = min(NOW, first_seen[t] + timedelta(days=rng.expovariate(1 / 4)))
            decision = "reopen" if rng.random() < 0.02 else "repeat"
            batch.append(_alert(n, ids[t], at, decision, rng))
        if len(batch) >= BATCH:
            await flush()
    if batch:
        await flush()
    jobs = [
        {"kind": "create_issue", "ordering_key": f"fp-{n}", "ticket_id": ids[n], "payload": {},
         "project": PROJECTS[n % 3], "state": "dead", "attempts": 3,
         "next_attempt_at": first_seen[n], "created_at": first_seen[n],
         "updated_at": first_seen[n], "last_error": "400"}
        for n in range(0, ticket_count, 200)
    ]  # fmt: skip
    async with db.engine.begin() as conn:
        if jobs:
            await conn.execute(insert(outbox_jobs), jobs)


async def _settle(db: Database) -> None:
    """Statistics, and on PostgreSQL the visibility map autovacuum keeps in production (a table
    loaded a moment ago has none: its index-only scans would read every row anyway)."""
    async with db.engine.connect() as conn:
        if db.dialect == "postgresql":
            await conn.execution_options(isolation_level="AUTOCOMMIT")
            await conn.execute(text("VACUUM ANALYZE"))
        else:
            await conn.execute(text("ANALYZE"))
            await conn.commit()


async def measure(db: Database, days: int, runs: int) -> tuple[list[float], list[float], int, int]:
    """Seconds per summary (wall, and this process's CPU: all of SQLite's work, none of
    PostgreSQL's); statements per request (and those that are BEGIN/COMMIT)."""
    statements: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(statement)

    event.listen(Engine, "before_cursor_execute", count)  # every engine: reports read apart
    service = ReportService(report_reader(db), lambda: NOW, defaults.DUE)
    timings, cpu = [], []
    try:
        await service.summary(days)  # warm: caches, pool
        for _ in range(runs):
            statements.clear()
            started, used = time.perf_counter(), time.process_time()
            await service.summary(days)
            timings.append(time.perf_counter() - started)
            cpu.append(time.process_time() - used)
    finally:
        event.remove(Engine, "before_cursor_execute", count)
    control = sum(1 for s in statements if s.split()[0].upper() in {"BEGIN", "COMMIT"})
    return timings, cpu, len(statements), control


async def _built(db: Database) -> bool:
    async with db.engine.connect() as conn:
        return bool((await conn.execute(text("SELECT count(*) FROM tickets"))).scalar())


def _p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20)[-1] if len(values) >= 2 else values[0]


async def main(args: argparse.Namespace, url: str) -> None:
    db = Database(url)
    await db.upgrade()
    started = time.perf_counter()
    if not (args.reuse and await _built(db)):
        await build(db, args.alerts, args.tickets)
    await _settle(db)  # statistics of the tables as they are now (new tables: migrations)
    print(f"database: {db.dialect}  alerts: {args.alerts:,}  tickets: {args.tickets:,}  "
          f"built in {time.perf_counter() - started:.0f} s")  # fmt: skip
    for days in (int(d) for d in args.days.split(",")):
        timings, cpu, statements, control = await measure(db, days, args.runs)
        print(f"summary days={days}: p50 {statistics.median(timings) * 1000:.0f} ms  "
              f"p95 {_p95(timings) * 1000:.0f} ms  max {max(timings) * 1000:.0f} ms  "
              f"cpu p50 {statistics.median(cpu) * 1000:.0f} ms  "
              f"statements/request {statements} ({statements - control} queries)")  # fmt: skip
    print(f"load average: {os.getloadavg()[0]:.1f}")
    await db.aclose()


def _parse() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--alerts", type=int, default=1_000_000)
    parser.add_argument("--tickets", type=int, default=200_000)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--days", default="7,30,90")
    parser.add_argument("--database-url")
    parser.add_argument("--postgres", action="store_true")
    parser.add_argument(
        "--reuse", action="store_true", help="keep the data already in --database-url"
    )
    return parser.parse_args()


if __name__ == "__main__":
    options = _parse()
    if options.postgres:
        sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
        from support.postgres import start_postgres

        servers = start_postgres()
        server = next(servers)
        try:
            asyncio.run(main(options, server.create_database()))
        finally:
            server.stop()
    else:
        with tempfile.TemporaryDirectory() as folder:
            url = options.database_url or f"sqlite+aiosqlite:///{folder}/bench.db"
            asyncio.run(main(options, url))

"""Admin UI page times with 100,000 alerts stored (issue 19: p95 ≤ 200 ms).

    .venv/bin/python bench/ui_pages.py [--alerts 100000] [--requests 40]

A SQLite database filled with `--alerts` decided alerts (one ticket per 10, 50 dead letters),
the app `serve` builds (`bootstrap.build_app`) driven in process over ASGI by a signed-in
browser's requests (the session cookie, the checks of every request): each page fetched
`--requests` times, p50 and p95 per page. No Jira is configured, so the Jira and Defaults pages
measure their own rendering, not a Jira's answer time.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
from sqlalchemy import insert

from ticketbridge import bootstrap
from ticketbridge.domain.accounts import Role
from ticketbridge.storage import Database
from ticketbridge.storage.tables import alerts, outbox_jobs, tickets

PAGES = [
    "/ui",
    "/ui/alerts",
    "/ui/alerts?source=falco",
    "/ui/alerts?state=open",
    "/ui/alerts?decision=create",
    "/ui/tickets",
    "/ui/dead-letters",
    "/ui/routes",
    "/ui/templates",
    "/ui/jira",
    "/ui/defaults",
    "/ui/keys",
    "/ui/users",
    "/ui/changes",
]
T0 = datetime(2026, 1, 1, tzinfo=UTC)


async def fill(url: str, count: int) -> None:
    database = Database(url)
    await database.upgrade()
    engine = database.engine
    ticket_rows = [
        {
            "fingerprint": f"fp-{n}",
            "generation": 1,
            "project": "OPS",
            "status": "linked",
            "first_seen": T0,
            "last_seen": T0 + timedelta(seconds=n),
            "occurrences": 10,
            "issue_key": f"OPS-{n + 1}",
            "issue_url": f"https://jira.example/browse/OPS-{n + 1}",
            "digest_pending": False,
            "digested_occurrences": 0,
            "links": [],
        }
        for n in range(count // 10)
    ]
    sources = ("generic", "falco", "keeptrusts", "alertmanager")
    alert_rows = [
        {
            "source": sources[n % 4],
            "alert_id": f"a-{n}",
            "kind": "policy_violation",
            "title": f"Alert number {n}",
            "description": "stored for the UI bench",
            "severity": "high",
            "status": "firing",
            "fingerprint": f"fp-{n // 10}",
            "attributes": {"policy_name": "no-pii"},
            "links": [],
            "occurred_at": T0 + timedelta(seconds=n),
            "received_at": T0 + timedelta(seconds=n),
            "ticket_id": n // 10 + 1,
            "decision": "create" if n % 10 == 0 else "repeat",
            "reasons": ["matched route 'everything': true", "no ticket for this fingerprint yet"],
            "route": "everything",
        }
        for n in range(count)
    ]
    dead = [
        {
            "kind": "create_issue",
            "ordering_key": f"fp-{n}",
            "ticket_id": n + 1,
            "payload": {},
            "state": "dead",
            "attempts": 1,
            "next_attempt_at": T0,
            "created_at": T0,
            "updated_at": T0,
            "last_error": "Jira 400 on POST /issue: labels: Field 'labels' cannot be set.",
        }
        for n in range(50)
    ]
    async with engine.begin() as conn:
        await conn.execute(insert(tickets), ticket_rows)
        for start in range(0, count, 20_000):
            await conn.execute(insert(alerts), alert_rows[start : start + 20_000])
        await conn.execute(insert(outbox_jobs), dead)
    await database.aclose()


async def measure(workdir: Path, count: int, requests: int) -> None:
    url = f"sqlite+aiosqlite:///{workdir / 'tb.db'}"
    started = time.perf_counter()
    await fill(url, count)
    print(f"alerts: {count}  filled in {time.perf_counter() - started:.1f} s")
    settings = bootstrap.load_settings(
        {"TICKETBRIDGE_DATABASE_URL": url, "TICKETBRIDGE_DATA_DIR": str(workdir / "var")}
    )
    async with bootstrap.open_container(settings) as container:
        await container.accounts.create_user("bench", "bench password 1", Role.ADMIN)
        app = bootstrap.build_app(container)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://tb.local") as client:
            login = (await client.get("/ui/login")).text
            token = login.split('name="login_token" value="')[1].split('"')[0]
            form = {"username": "bench", "password": "bench password 1", "login_token": token}
            signed = await client.post("/ui/login", data=form)
            assert signed.status_code == 303, signed.text
            print(f"{'page':32} {'p50 ms':>8} {'p95 ms':>8}")
            worst = 0.0
            for page in PAGES:
                times = []
                for _ in range(requests):
                    began = time.perf_counter()
                    answer = await client.get(page)
                    times.append((time.perf_counter() - began) * 1000)
                    assert answer.status_code == 200, (page, answer.status_code)
                p95 = statistics.quantiles(times, n=20)[18]
                worst = max(worst, p95)
                print(f"{page:32} {statistics.median(times):8.1f} {p95:8.1f}")
            print(f"worst p95: {worst:.1f} ms (target ≤ 200 ms)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--alerts", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=40)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as workdir:
        asyncio.run(measure(Path(workdir), args.alerts, args.requests))


if __name__ == "__main__":
    main()

"""The Jira requests of one reconcile over 10,000 tracked tickets of which 50 changed (issue 14:
target ≤ 5; DefectDojo's way, one GET per ticket, makes 10,000).

The emulator (Cloud, in process, rate limits off) holds the issues; the database (SQLite in a
temporary directory) holds one linked ticket per issue, written directly. A first reconcile
takes the site's watermark (as the one at start does); five minutes later a person has moved
`--changed` issues, and that reconcile is counted, from the emulator's own request log.

    .venv/bin/python bench/reconcile_requests.py [--tracked 10000] [--changed 50] [--sweep]
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import insert

from jira_emulator import Emulator
from ticketbridge.bootstrap import pipeline_settings, uow_factory, upgrade_database
from ticketbridge.config.schema import Config
from ticketbridge.providers.jira import JiraProvider, api_token
from ticketbridge.providers.jira.observer import JiraObserver
from ticketbridge.services.observing import ObservationApplier
from ticketbridge.services.reconcile import Reconciler
from ticketbridge.storage import Database
from ticketbridge.storage.reconcile_marks import SqlReconcileStore
from ticketbridge.storage.tables import tickets

PERSON = ("alice@example.com", "alice-token")


def issues(emu: Emulator, count: int) -> list[tuple[str, str]]:
    """`count` issues made by the emulator's own service (no HTTP): (id, key)."""
    admin = next(u for u in emu.state.users.values() if u.admin).name
    body = {"fields": {"project": {"key": "OPS"}, "issuetype": {"name": "Task"}}}
    made = []
    for n in range(count):
        body["fields"]["summary"] = f"alert {n}"
        issue = emu.service.create(body, "3", admin)
        made.append((str(issue.id), issue.key))
    return made


async def linked_tickets(database: Database, made: list[tuple[str, str]]) -> None:
    now = datetime.now(UTC)
    rows = [
        {
            "fingerprint": f"fp-{key}",
            "generation": 1,
            "project": "OPS",
            "status": "linked",
            "first_seen": now,
            "last_seen": now,
            "occurrences": 1,
            "digest_pending": False,
            "digested_occurrences": 1,
            "links": [],
            "issue_id": issue_id,
            "issue_key": key,
        }
        for issue_id, key in made
    ]
    async with database.engine.begin() as conn:
        await conn.execute(insert(tickets), rows)


async def main(tracked: int, changed: int, sweep: bool) -> None:
    clock = [time.time() - 86_400.0]  # the tickets were made yesterday
    emu = Emulator("cloud", clock=lambda: clock[0])
    emu.limits.configure(enabled=False)
    started = time.perf_counter()
    made = issues(emu, tracked)
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite+aiosqlite:///{Path(tmp) / 'tb.db'}"
        await upgrade_database(url)
        database = Database(url)
        await linked_tickets(database, made)
        print(f"setup: {tracked} issues and tickets in {time.perf_counter() - started:.1f} s")
        provider = JiraProvider(
            flavor="cloud",
            base_url=emu.base_url,
            auth=api_token("admin@example.com", "emulator-token"),
            transport=emu.transport(),
        )
        policy = pipeline_settings(Config()).policy
        sink = ObservationApplier(uow_factory(database), policy)
        reconciler = Reconciler(
            SqlReconcileStore(database.unit_of_work),
            JiraObserver(provider.client, provider.dialect),
            sink,
            provider.site_id,
            lambda: datetime.now(UTC),
        )
        clock[0] += 3600.0
        await reconciler.run_once(sweep=False)  # a run an hour later: the site's watermark
        clock[0] += 300.0  # reconcile_every later, 50 issues have changed meanwhile
        start = {"transition": {"id": "11"}}
        async with emu.client(auth=PERSON) as person:
            for _, key in made[:changed]:
                await person.post(f"/rest/api/3/issue/{key}/transitions", json=start)
        emu.requests.clear()
        began = time.perf_counter()
        report = await reconciler.run_once(sweep=sweep)
        took = time.perf_counter() - began
        routes = Counter(r.route for r in emu.requests)
        print(f"tracked: {tracked}  changed: {changed}  sweep: {sweep}")
        print(f"observed: {report.changed}  outcomes: {dict(report.outcomes)}")
        print(f"Jira requests: {sum(routes.values())}  ({took:.2f} s)")
        for route, count in sorted(routes.items()):
            print(f"  {count:5d}  {route}")
        await provider.aclose()
        await database.aclose()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tracked", type=int, default=10_000)
    parser.add_argument("--changed", type=int, default=50)
    parser.add_argument("--sweep", action="store_true", help="with the daily existence sweep")
    args = parser.parse_args()
    asyncio.run(main(args.tracked, args.changed, args.sweep))

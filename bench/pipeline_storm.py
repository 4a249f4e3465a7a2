"""Alert storm: 100,000 alerts over 1,000 fingerprints → Jira requests per unique issue.

    .venv/bin/python bench/pipeline_storm.py [--alerts 100000] [--fingerprints 1000]
        [--batch 1000] [--url …]

Accept (batches), the decision loop and one in-process dispatcher run at once, as in `serve`,
against the fake provider, which counts every call. Reported: Jira requests per unique issue
while the storm lasts and its creates drain (digest edits are rate-limited to one per issue
per `digest_interval`, 5 min by default, so they land after the storm: +1 request per issue
per interval of activity).
"""

from __future__ import annotations

import argparse
import asyncio
import resource
import tempfile
import time
from datetime import UTC, datetime

from pipeline_ingest import payloads

from ticketbridge.bootstrap import run as run_command  # uvloop, as `serve` runs
from ticketbridge.domain import JobState
from ticketbridge.providers.fake import FakeProvider
from ticketbridge.services import (
    DefaultComposer,
    DefaultsRouter,
    IngestService,
    OutboxAdmin,
    OutboxProcessor,
    PipelineSettings,
    WorkerSettings,
    parse_alerts,
)
from ticketbridge.storage import Database
from ticketbridge.workers import DecisionLoop, Dispatcher


def clock() -> datetime:
    return datetime.now(UTC)


async def _undecided(db: Database) -> int:
    async with db.engine.connect() as conn:
        query = "SELECT count(*) FROM alerts WHERE decision IS NULL"
        return int((await conn.exec_driver_sql(query)).scalar() or 0)


async def run(url: str, alerts: int, fingerprints: int, batch: int) -> None:
    db = Database(url)
    await db.upgrade()
    settings, worker = PipelineSettings(), WorkerSettings()
    jira = FakeProvider()
    router = DefaultsRouter(settings)
    processor = OutboxProcessor(
        db.unit_of_work, jira, router, DefaultComposer(), settings, worker, clock, "bench"
    )
    dispatcher = Dispatcher(processor, worker)
    ingest = IngestService(
        db.unit_of_work, router, settings, clock, lambda round: dispatcher.wake()
    )
    decisions = DecisionLoop(ingest.decider, worker)
    admin = OutboxAdmin(db.unit_of_work, clock)
    stop = asyncio.Event()
    tasks = [asyncio.create_task(loop.run_forever(stop)) for loop in (decisions, dispatcher)]
    started = time.perf_counter()
    for start in range(0, alerts, batch):
        await ingest.accept(parse_alerts(payloads(batch, fingerprints, start), now=clock()))
        decisions.wake()
    ingested = time.perf_counter() - started
    while len(jira.issues) < fingerprints or (await admin.counts())[JobState.RUNNING]:  # noqa: ASYNC110
        await asyncio.sleep(0.05)
    while await _undecided(db):  # noqa: ASYNC110 - polls end state from outside
        await asyncio.sleep(0.05)
    drained = time.perf_counter() - started
    stop.set()
    await asyncio.gather(*tasks)
    counts = await admin.counts()
    await db.aclose()
    requests = sum(jira.calls.values())
    print(f"alerts: {alerts} over {fingerprints} fingerprints, batches of {batch}")
    print(f"accepted: {ingested:.1f} s ({alerts / ingested:,.0f} alerts/s, loops running)")
    print(f"all decided and every issue created after {drained:.1f} s")
    print(f"unique issues: {len(jira.issues)}; Jira requests: {requests} {dict(jira.calls)}")
    print(f"requests per unique issue: {requests / max(1, len(jira.issues)):.3f}")
    print(f"digests scheduled for later (one per issue per interval): {counts[JobState.PENDING]}")
    print(f"peak RSS: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--alerts", type=int, default=100_000)
    parser.add_argument("--fingerprints", type=int, default=1000)
    parser.add_argument("--batch", type=int, default=1000)
    parser.add_argument("--url", default=None)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = args.url or f"sqlite+aiosqlite:///{tmp}/storm.db"
        run_command(run(url, args.alerts, args.fingerprints, args.batch))


if __name__ == "__main__":
    main()

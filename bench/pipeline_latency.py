"""Alert → issue latency at a steady rate (default 100 alerts/s, each a new fingerprint).

    .venv/bin/python bench/pipeline_latency.py [--rate 100] [--seconds 20] [--url …]

One alert per accept call (as single POSTs arrive), then, as `serve` does: the decision loop
woken after each commit, the dispatcher woken by each decision round that queued jobs.
Latency: from the alert's arrival (`received_at`) to the issue's creation in the fake provider.
Reports p50/p99 and the accept call's own p50/p99 (what a POST waits for).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from datetime import UTC, datetime

from pipeline_ingest import payloads

from ticketbridge.bootstrap import routing
from ticketbridge.bootstrap import run as run_command  # uvloop, as `serve` runs
from ticketbridge.config import Config
from ticketbridge.providers.fake import FakeProvider
from ticketbridge.services import (
    IngestService,
    OutboxProcessor,
    PipelineSettings,
    WorkerSettings,
    parse_alerts,
)
from ticketbridge.storage import Database
from ticketbridge.workers import DecisionLoop, Dispatcher


def clock() -> datetime:
    return datetime.now(UTC)


def quantile(values: list[float], q: int) -> float:
    return statistics.quantiles(values, n=100)[q - 1] * 1000


async def run(url: str, rate: int, seconds: int) -> None:
    db = Database(url)
    await db.upgrade()
    settings, worker = PipelineSettings.from_config(Config()), WorkerSettings()
    jira = FakeProvider()
    router, composer = routing(Config())
    processor = OutboxProcessor(
        db.unit_of_work, jira, router, composer, settings, worker, clock, "bench"
    )
    dispatcher = Dispatcher(processor, worker)
    ingest = IngestService(
        db.unit_of_work, router, settings, clock, lambda round: dispatcher.wake()
    )
    decisions = DecisionLoop(ingest.decider, worker)
    stop = asyncio.Event()
    tasks = [asyncio.create_task(loop.run_forever(stop)) for loop in (decisions, dispatcher)]
    total = rate * seconds
    arrivals: dict[str, datetime] = {}
    ingest_times: list[float] = []
    started = time.perf_counter()
    for n, payload in enumerate(payloads(total, total)):
        await asyncio.sleep(max(0.0, started + n / rate - time.perf_counter()))
        t0 = time.perf_counter()
        [alert] = parse_alerts(payload, now=clock())
        await ingest.accept([alert])
        ingest_times.append(time.perf_counter() - t0)
        arrivals[f"[high] {alert.title}"] = alert.received_at
        decisions.wake()
    while len(jira.issues) < total:  # noqa: ASYNC110 - polls end state from outside
        await asyncio.sleep(0.05)
    stop.set()
    await asyncio.gather(*tasks)
    await db.aclose()
    latencies = [
        (issue.created - arrivals[issue.summary]).total_seconds() for issue in jira.issues.values()
    ]
    print(f"{total} alerts at {rate}/s, one per ingest call, database {url.split(':')[0]}")
    print(
        f"alert → issue: p50 {quantile(latencies, 50):.0f} ms, p99 {quantile(latencies, 99):.0f} ms"
    )
    print(
        f"accept call: p50 {quantile(ingest_times, 50):.1f} ms, "
        f"p99 {quantile(ingest_times, 99):.1f} ms"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=int, default=100)
    parser.add_argument("--seconds", type=int, default=20)
    parser.add_argument("--url", default=None)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = args.url or f"sqlite+aiosqlite:///{tmp}/latency.db"
        run_command(run(url, args.rate, args.seconds))


if __name__ == "__main__":
    main()

"""Service-level batch ingest: `IngestService.accept` on lists of alerts, then the decider
draining them (`decide_pending`), no HTTP in the way.

    .venv/bin/python bench/pipeline_ingest.py [--alerts 50000] [--batch 1000]
        [--fingerprints 5000] [--url postgresql+asyncpg://…]

Default database: SQLite (WAL) in a temp dir. Reports durable (committed) alerts per second
and the per-batch latency p50/p99, then decided alerts per second. Alerts spread over
`--fingerprints` fingerprints, so the mix has creates and repeats (digest) as a real stream does.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from datetime import UTC, datetime

from ticketbridge.bootstrap import routing
from ticketbridge.bootstrap import run as run_command  # uvloop, as `serve` runs
from ticketbridge.config import Config
from ticketbridge.services import IngestService, PipelineSettings, parse_alerts
from ticketbridge.storage import Database


def payloads(count: int, fingerprints: int, offset: int = 0) -> list[dict[str, object]]:
    return [
        {
            "id": f"bench-{offset + i}",
            "source": "generic",
            "kind": "policy_violation",
            "title": f"Policy violated by model m{(offset + i) % fingerprints}",
            "severity": "high",
            "fingerprint": f"fp-{(offset + i) % fingerprints}",
            "attributes": {"model": "m", "gateway_id": "gw-1", "policy_name": "pii"},
        }
        for i in range(count)
    ]


async def run(url: str, alerts: int, batch: int, fingerprints: int) -> None:
    db = Database(url)
    await db.upgrade()
    config = Config()
    settings = PipelineSettings.from_config(config)
    router, _ = routing(config)
    service = IngestService(db.unit_of_work, router, settings, lambda: datetime.now(UTC))
    now = datetime.now(UTC)
    batches = [
        parse_alerts(payloads(batch, fingerprints, start), now=now)
        for start in range(0, alerts, batch)
    ]
    latencies = []
    cpu = time.process_time()
    started = time.perf_counter()
    for alerts_batch in batches:
        t0 = time.perf_counter()
        await service.accept(alerts_batch)
        latencies.append(time.perf_counter() - t0)
    elapsed = time.perf_counter() - started
    ingest_cpu, cpu = time.process_time() - cpu, time.process_time()
    started = time.perf_counter()
    decided = await service.decide_all()
    deciding = time.perf_counter() - started
    deciding_cpu = time.process_time() - cpu
    await db.aclose()
    p99 = statistics.quantiles(latencies, n=100)[98] if len(latencies) > 1 else latencies[0]
    print(f"database: {url.split(':')[0]}")
    print(f"alerts: {alerts} in batches of {batch}, {fingerprints} fingerprints")
    print(
        f"ingest: {alerts / elapsed:,.0f} alerts/s (committed), "
        f"{ingest_cpu / alerts * 1e6:.1f} µs CPU each"
    )
    print(
        f"batch latency: p50 {statistics.median(latencies) * 1000:.1f} ms, p99 {p99 * 1000:.1f} ms"
    )
    print(
        f"decide: {decided:,} alerts in {deciding:.2f} s, {decided / deciding:,.0f} alerts/s, "
        f"{deciding_cpu / max(decided, 1) * 1e6:.1f} µs CPU each"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--alerts", type=int, default=50_000)
    parser.add_argument("--batch", type=int, default=1000)
    parser.add_argument("--fingerprints", type=int, default=5000)
    parser.add_argument("--url", default=None)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = args.url or f"sqlite+aiosqlite:///{tmp}/bench.db"
        run_command(run(url, args.alerts, args.batch, args.fingerprints))


if __name__ == "__main__":
    main()

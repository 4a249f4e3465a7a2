"""Single-alert ingest: one alert per POST /v1/alerts, several in flight, against a real server.

    .venv/bin/python bench/ingest_single.py [--requests 10000] [--concurrency 16]

Reports alerts/s and the latency percentiles seen by the client (each 202 is a commit).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import time
import uuid

import httpx
from ingest_server import Server, make_alert, running_server


async def run(server: Server, bodies: list[bytes], concurrency: int) -> tuple[float, list[float]]:
    latencies: list[float] = []
    queue: asyncio.Queue[bytes] = asyncio.Queue()
    for body in bodies:
        queue.put_nowait(body)
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)

    async def sender(client: httpx.AsyncClient) -> None:
        while not queue.empty():
            body = queue.get_nowait()
            started = time.perf_counter()
            response = await client.post("/v1/alerts", content=body, headers=server.headers)
            latencies.append(time.perf_counter() - started)
            if response.status_code != 202:
                raise SystemExit(f"HTTP {response.status_code}: {response.text[:300]}")

    async with httpx.AsyncClient(base_url=server.url, timeout=60.0, limits=limits) as client:
        started = time.perf_counter()
        await asyncio.gather(*(sender(client) for _ in range(concurrency)))
        return time.perf_counter() - started, latencies


def percentile(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=1000)[int(q * 1000) - 1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=10_000)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()
    tag = uuid.uuid4().hex[:8]
    bodies = [json.dumps(make_alert(n, tag)).encode() for n in range(args.requests)]
    warm = [json.dumps(make_alert(n, tag + "w")).encode() for n in range(500)]
    with running_server(args.database_url) as server:
        asyncio.run(run(server, warm, args.concurrency))
        elapsed, latencies = asyncio.run(run(server, bodies, args.concurrency))
    ms = [x * 1000 for x in latencies]
    print(f"requests: {args.requests}  concurrency: {args.concurrency}")
    print(f"elapsed: {elapsed:.2f} s  throughput: {args.requests / elapsed:,.0f} alerts/s")
    print(
        f"latency ms: p50 {percentile(ms, 0.5):.1f}  p90 {percentile(ms, 0.9):.1f}  "
        f"p99 {percentile(ms, 0.99):.1f}  max {max(ms):.1f}"
    )


if __name__ == "__main__":
    main()

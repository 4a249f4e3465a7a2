"""Batch ingest throughput: POST /v1/alerts with lists of 1,000 against a real server.

    .venv/bin/python bench/ingest_batch.py [--alerts 50000] [--batch 1000] [--concurrency 2]

The server (`ticketbridge serve --workers 0`, SQLite WAL in a temp dir) runs in a child process;
this process sends. 202 means committed, so alerts/s is durable alerts per second.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
import uuid

import httpx
from ingest_server import Server, make_alert, running_server


async def send_all(server: Server, bodies: list[bytes], concurrency: int) -> float:
    queue: asyncio.Queue[bytes] = asyncio.Queue()
    for body in bodies:
        queue.put_nowait(body)

    async def sender(client: httpx.AsyncClient) -> None:
        while not queue.empty():
            body = queue.get_nowait()
            response = await client.post("/v1/alerts", content=body, headers=server.headers)
            if response.status_code != 202:
                raise SystemExit(f"HTTP {response.status_code}: {response.text[:300]}")

    async with httpx.AsyncClient(base_url=server.url, timeout=120.0) as client:
        started = time.perf_counter()
        await asyncio.gather(*(sender(client) for _ in range(concurrency)))
        return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--alerts", type=int, default=50_000)
    parser.add_argument("--batch", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, default=2)
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()
    run = uuid.uuid4().hex[:8]
    alerts = [make_alert(n, run) for n in range(args.alerts)]
    bodies = [
        json.dumps(alerts[i : i + args.batch]).encode() for i in range(0, len(alerts), args.batch)
    ]
    with running_server(args.database_url) as server:
        warm = [json.dumps([make_alert(n, run + "w") for n in range(args.batch)]).encode()]
        asyncio.run(send_all(server, warm, 1))
        elapsed = asyncio.run(send_all(server, bodies, args.concurrency))
    print(f"alerts: {args.alerts}  batch: {args.batch}  concurrency: {args.concurrency}")
    print(f"elapsed: {elapsed:.2f} s  throughput: {args.alerts / elapsed:,.0f} alerts/s")


if __name__ == "__main__":
    main()

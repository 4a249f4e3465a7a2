"""Batch ingest throughput: POST /v1/alerts with lists of 1,000 against a real server.

    .venv/bin/python bench/ingest_batch.py [--alerts 50000] [--batch 1000] [--concurrency 2]
        [--mode api|serve|split] [--database-url postgresql+asyncpg://…]

The server runs in a child process (modes: bench/ingest_server.py); this process sends with
bench/loadgen.py over keep-alive connections. A 202 means committed, so alerts/s is durable
alerts per second. Then it waits until every accepted alert is decided (modes serve, split)
and reports how long that took after the last 202.
"""

from __future__ import annotations

import argparse
import json
import uuid

import uvloop
from ingest_server import MODES, Server, make_alert, running_server
from loadgen import request_bytes, send


def post_all(server: Server, bodies: list[bytes], concurrency: int) -> float:
    requests = [request_bytes(server.url, "/v1/alerts", b, server.headers) for b in bodies]
    load = uvloop.run(send(server.url, requests, concurrency))
    refused = [r for r in load.replies if r.status != 202]
    if refused:
        raise SystemExit(f"HTTP {refused[0].status}: {refused[0].body[:300]!r}")
    return load.elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--alerts", type=int, default=50_000)
    parser.add_argument("--batch", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, default=2)
    parser.add_argument("--mode", choices=MODES, default="api")
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()
    run = uuid.uuid4().hex[:8]
    alerts = [make_alert(n, run) for n in range(args.alerts)]
    bodies = [
        json.dumps(alerts[i : i + args.batch]).encode() for i in range(0, len(alerts), args.batch)
    ]
    with running_server(args.database_url, args.mode) as server:
        warm = [json.dumps([make_alert(n, run + "w") for n in range(args.batch)]).encode()]
        post_all(server, warm, 1)
        if args.mode != "api":
            server.wait_decided()
        cpu = server.cpu_seconds()
        elapsed = post_all(server, bodies, args.concurrency)
        cpu = server.cpu_seconds() - cpu
        pending = server.pending()
        drained = server.wait_decided() if args.mode != "api" else None
    print(f"mode: {args.mode}  alerts: {args.alerts}  batch: {args.batch}  ", end="")
    print(f"concurrency: {args.concurrency}")
    rate = args.alerts / elapsed
    print(f"elapsed: {elapsed:.2f} s  throughput: {rate:,.0f} alerts/s (committed)")
    print(f"server CPU: {cpu:.2f} s, {cpu / args.alerts * 1e6:.1f} µs per alert")
    if drained is not None:
        total = elapsed + drained
        print(
            f"undecided at the last 202: {pending:,}; all decided {drained:.2f} s later "
            f"({args.alerts / total:,.0f} alerts/s accepted and decided)"
        )


if __name__ == "__main__":
    main()

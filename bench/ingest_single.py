"""Single-alert ingest: one alert per POST /v1/alerts, several in flight, against a real server.

    .venv/bin/python bench/ingest_single.py [--requests 20000] [--concurrency 16]
        [--mode api|serve|split] [--database-url postgresql+asyncpg://…]

Reports alerts/s and the latency percentiles seen by the client (each 202 is a commit), sent
with bench/loadgen.py over `--concurrency` keep-alive connections (one request in flight on
each). Modes: bench/ingest_server.py.
"""

from __future__ import annotations

import argparse
import json
import statistics
import uuid

import uvloop
from ingest_server import MODES, make_alert, running_server
from loadgen import request_bytes, send


def percentile(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=1000)[int(q * 1000) - 1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=20_000)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--mode", choices=MODES, default="api")
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()
    tag = uuid.uuid4().hex[:8]
    with running_server(args.database_url, args.mode) as server:

        def requests(prefix: str, count: int) -> list[bytes]:
            bodies = (json.dumps(make_alert(n, prefix)).encode() for n in range(count))
            return [request_bytes(server.url, "/v1/alerts", b, server.headers) for b in bodies]

        uvloop.run(send(server.url, requests(tag + "w", 1000), args.concurrency))
        measured = requests(tag, args.requests)
        cpu = server.cpu_seconds()
        load = uvloop.run(send(server.url, measured, args.concurrency))
        cpu = server.cpu_seconds() - cpu
        drained = server.wait_decided() if args.mode != "api" else None
    if any(r.status != 202 for r in load.replies):
        raise SystemExit(f"refused: {sorted({r.status for r in load.replies})}")
    ms = [r.seconds * 1000 for r in load.replies]
    print(f"mode: {args.mode}  requests: {args.requests}  concurrency: {args.concurrency}")
    rate = args.requests / load.elapsed
    print(f"elapsed: {load.elapsed:.2f} s  throughput: {rate:,.0f} alerts/s")
    print(
        f"latency ms: p50 {percentile(ms, 0.5):.1f}  p90 {percentile(ms, 0.9):.1f}  "
        f"p99 {percentile(ms, 0.99):.1f}  max {max(ms):.1f}"
    )
    print(f"server CPU: {cpu:.2f} s, {cpu / args.requests * 1e6:.0f} µs per request")
    if drained is not None:
        print(f"all decided {drained:.2f} s after the last 202")


if __name__ == "__main__":
    main()

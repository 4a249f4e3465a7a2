"""Two-way sync: webhook intake latency at a steady rate, and the lag from a change in Jira to
the alert's state, against real processes (`ticketbridge serve` on SQLite, the Jira emulator
as Data Center over HTTP).

    .venv/bin/python bench/webhook_sync.py [--rate 100] [--seconds 30] [--changes 300]

1. Intake: signed `jira:issue_updated` deliveries (X-Hub-Signature over the raw body) sent
   open-loop at `--rate` per second for `--seconds` (each sent at its scheduled time, whatever
   the answers before it); latency of each 200 as the client sees it (stored and committed).
   They name the bench's own issues, so the delivery loop applies them meanwhile.
2. Lag: `--changes` transitions made in the emulator by a person (alice), paced at 20/s; the
   emulator delivers each (`?token=`); lag = when the delivery was applied (the store's
   `applied_at`) − when Jira made the change (the delivery's `timestamp`).
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import hmac
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import uvloop
from loadgen import _read_reply as read_reply
from loadgen import request_bytes

from ticketbridge.storage import Database

BIN = Path(sys.executable).parent
SECRET = "bench-webhook-secret"
TOKEN = "bench-webhook-token"
ISSUES = 50
ALICE = ("alice", "alice")


def percentile(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=1000)[int(q * 1000) - 1]


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_ok(url: str, auth: tuple[str, str] | None = None, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if httpx.get(url, timeout=1.0, auth=auth).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise SystemExit(f"{url} never answered 200")


def signed(body: bytes, identifier: str) -> dict[str, str]:
    digest = hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    return {
        "content-type": "application/json",
        "x-hub-signature": f"sha256={digest}",
        "x-atlassian-webhook-identifier": identifier,
    }


def delivery(key: str, n: int) -> bytes:
    at = datetime(2026, 1, 1, tzinfo=UTC) + timedelta(milliseconds=n)
    category = ("new", "indeterminate", "done")[n % 3]
    body: dict[str, Any] = {
        "timestamp": int(at.timestamp() * 1000),
        "webhookEvent": "jira:issue_updated",
        "user": {"name": "alice"},
        "issue": {
            "id": "",
            "key": key,
            "fields": {
                "updated": at.isoformat(timespec="milliseconds"),
                "status": {"id": "1", "name": "S", "statusCategory": {"key": category}},
            },
        },
    }
    return json.dumps(body).encode()


async def intake(url: str, keys: list[str], rate: float, seconds: float) -> list[float]:
    """Open loop over 32 keep-alive connections (bench/loadgen.py's raw HTTP: httpx's client
    would cost as much CPU as the server): each delivery is due at its time, and its latency
    runs from then, a wait for a free connection included."""
    count = int(rate * seconds)
    parts = urlsplit(url)
    free: asyncio.Queue[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = asyncio.Queue()
    for _ in range(32):
        free.put_nowait(await asyncio.open_connection(parts.hostname, parts.port))
    requests = []
    for n in range(count):
        body = delivery(keys[n % len(keys)], n)
        requests.append(request_bytes(url, "/v1/jira/webhook", body, signed(body, f"bench-{n}")))
    latencies: list[float] = []

    async def one(n: int, due: float) -> None:
        await asyncio.sleep(max(0.0, due - time.perf_counter()))
        reader, writer = await free.get()
        writer.write(requests[n])
        status, answer = await read_reply(reader)
        latencies.append((time.perf_counter() - due) * 1000)
        free.put_nowait((reader, writer))
        if status != 200:
            raise SystemExit(f"answered {status}: {answer[:200]!r}")

    start = time.perf_counter() + 0.5
    await asyncio.gather(*(one(n, start + n / rate) for n in range(count)))
    while not free.empty():
        free.get_nowait()[1].close()
    return latencies


async def changes(jira: str, keys: list[str], count: int) -> None:
    """Alice moves issues back and forth (Start Progress / Stop Progress), 20 per second."""
    async with httpx.AsyncClient(base_url=jira, auth=ALICE, timeout=30.0) as client:
        for n in range(count):
            key = keys[n % len(keys)]
            forward = (n // len(keys)) % 2 == 0
            transition = {"transition": {"id": "11" if forward else "51"}}
            response = await client.post(f"/rest/api/2/issue/{key}/transitions", json=transition)
            if response.status_code != 204:
                raise SystemExit(f"transition answered {response.status_code}: {response.text}")
            await asyncio.sleep(0.05)


async def applied_lags(database_url: str, after_id: int) -> tuple[int, list[tuple[float, float]]]:
    """Per applied delivery: (change in Jira → applied, received → applied) in ms."""
    database = Database(database_url)
    try:
        async with database.unit_of_work() as uow:
            rows = await uow.jira_deliveries.list(limit=100_000)
    finally:
        await database.aclose()
    mine = [r for r in rows if (r.id or 0) > after_id]
    ms = timedelta(milliseconds=1)
    lags = [
        (
            (r.applied_at - datetime.fromtimestamp(json.loads(r.body)["timestamp"] / 1000, UTC))
            / ms,
            (r.applied_at - r.received_at) / ms,
        )
        for r in mine
        if r.applied and r.applied_at is not None
    ]
    return len(mine), lags


async def unapplied(database_url: str) -> int:
    database = Database(database_url)
    try:
        async with database.engine.connect() as conn:
            query = "SELECT count(*) FROM jira_deliveries WHERE NOT applied"
            return int((await conn.exec_driver_sql(query)).scalar() or 0)
    finally:
        await database.aclose()


async def last_id(database_url: str) -> int:
    database = Database(database_url)
    try:
        async with database.unit_of_work() as uow:
            rows = await uow.jira_deliveries.list(limit=1)
    finally:
        await database.aclose()
    return rows[0].id or 0 if rows else 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rate", type=float, default=100.0)
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--changes", type=int, default=300)
    parser.add_argument(
        "--api-only", action="store_true", help="serve --workers 0: intake alone, no applying"
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="tb-bench-sync-") as tmp:
        work = Path(tmp)
        port, jira_port = free_port(), free_port()
        url, jira = f"http://127.0.0.1:{port}", f"http://127.0.0.1:{jira_port}"
        database_url = f"sqlite+aiosqlite:///{work / 'bench.db'}"
        hook = f"{url}/v1/jira/webhook?token={TOKEN}"
        events = ["jira:issue_updated"]
        seed = {"webhooks": [{"name": "tb", "url": hook, "events": events}]}
        (work / "seed.json").write_text(json.dumps(seed))
        (work / "ticketbridge.yaml").write_text(
            f"jira:\n  flavor: datacenter\n  url: {jira}\n  allow_private: true\n"
            f"  auth: {{type: pat, token: emulator-pat}}\n"
            f"  webhook: {{secret: {SECRET}, token: {TOKEN}}}\n"
            "defaults: {project: OPS, min_severity: info}\n"
        )
        env = os.environ | {
            "TICKETBRIDGE_CONFIG": str(work / "ticketbridge.yaml"),
            "TICKETBRIDGE_DATA_DIR": str(work),
            "TICKETBRIDGE_DATABASE_URL": database_url,
            "TICKETBRIDGE_LOG_LEVEL": "WARNING",
        }
        cli = str(BIN / "ticketbridge")
        quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
        seeded = ["--port", str(jira_port), "--seed", str(work / "seed.json")]
        emulator = subprocess.Popen(
            [sys.executable, "-m", "jira_emulator", "--flavor", "datacenter", *seeded],
            env=env,
            **quiet,  # type: ignore[arg-type]
        )
        processes = [emulator]
        try:
            wait_ok(f"{jira}/rest/api/2/myself", auth=ALICE)
            subprocess.run([cli, "db", "upgrade"], env=env, check=True, capture_output=True)
            created = subprocess.run(
                [cli, "apikey", "create", "--name", "bench", "--scope", "admin", "--json"],
                env=env,
                check=True,
                capture_output=True,
            )
            headers = {"Authorization": f"Bearer {json.loads(created.stdout)['token']}"}
            only = ["--workers", "0"] if args.api_only else []
            command = [cli, "serve", "--port", str(port), *only]
            serve = subprocess.Popen(command, env=env, **quiet)  # type: ignore[call-overload]
            processes.append(serve)
            wait_ok(f"{url}/readyz")
            alerts = [
                {"source": "generic", "id": f"b-{i}", "title": "t", "severity": "high"}
                | {"fingerprint": f"bench-{i}"}
                for i in range(ISSUES)
            ]
            httpx.post(
                f"{url}/v1/alerts", json=alerts, headers=headers, timeout=30
            ).raise_for_status()
            keys = [f"OPS-{i + 1}" for i in range(ISSUES)] if args.api_only else []
            while len(keys) < ISSUES:
                items = httpx.get(f"{url}/v1/tickets?limit=1000", headers=headers).json()["items"]
                keys = [t["ticket"]["key"] for t in items if t["ticket"]]
                time.sleep(0.2)

            latencies = uvloop.run(intake(url, keys, args.rate, args.seconds))
            print(f"intake: {len(latencies)} deliveries at {args.rate:.0f}/s, SQLite")
            print(
                f"  latency ms: p50 {percentile(latencies, 0.5):.1f}  "
                f"p99 {percentile(latencies, 0.99):.1f}  max {max(latencies):.1f}"
            )
            if args.api_only:
                return
            # The burst's deliveries applied (intake went first) before the lag is measured.
            drained = time.perf_counter()
            while asyncio.run(unapplied(database_url)):
                time.sleep(0.2)
            print(f"  all applied {time.perf_counter() - drained:.1f} s after the last 200")

            start_id = asyncio.run(last_id(database_url))
            asyncio.run(changes(jira, keys, args.changes))
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                stored, lags = asyncio.run(applied_lags(database_url, start_id))
                if stored >= args.changes and len(lags) == stored:
                    break
                time.sleep(0.5)
            print(f"lag from a change in Jira to the alert's state: {len(lags)} changes")
            total, ours = [t for t, _ in lags], [o for _, o in lags]
            for label, values in (("change → applied", total), ("received → applied", ours)):
                print(
                    f"  {label} ms: p50 {percentile(values, 0.5):.1f}  "
                    f"p99 {percentile(values, 0.99):.1f}  max {max(values):.1f}"
                )
        finally:
            for process in reversed(processes):
                process.terminate()
                process.wait(timeout=30)


if __name__ == "__main__":
    main()

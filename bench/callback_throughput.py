"""Callback throughput: outbox `callback` jobs sent to a local receiver over real HTTP.

    .venv/bin/python bench/callback_throughput.py [--callbacks 2000] [--database-url …]

N alerts are accepted and decided with one callback on `open` (so each new ticket queues one
callback job in the decider's transaction, no Jira involved); then the dispatcher's callback
sender runs until none is left: claim, render URL and body, sign (HMAC), send through the SSRF
guard to a receiver on 127.0.0.1 (`allow_private`: a `ThreadingHTTPServer` in a child process
answering 200), complete. Reports callbacks/s and what the receiver counted.
"""

from __future__ import annotations

import argparse
import socket
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
from pipeline_ingest import payloads

from ticketbridge.bootstrap import load_config, routing
from ticketbridge.bootstrap import run as run_command  # uvloop, as `serve` runs
from ticketbridge.domain import JobKind, JobState
from ticketbridge.providers.fake import FakeProvider
from ticketbridge.services import (
    IngestService,
    OutboxProcessor,
    PipelineSettings,
    WorkerSettings,
    parse_alerts,
)
from ticketbridge.services.callback_requests import CallbackTargets
from ticketbridge.services.callbacks import CallbackSender
from ticketbridge.storage import Database
from ticketbridge.workers import Dispatcher


def clock() -> datetime:
    return datetime.now(UTC)


def receive(port: int) -> None:
    count = 0

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, as a real source's server

        def do_POST(self) -> None:
            nonlocal count
            self.rfile.read(int(self.headers["Content-Length"]))
            count += 1
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def do_GET(self) -> None:
            body = str(count).encode()
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    ThreadingHTTPServer(("127.0.0.1", port), Handler).serve_forever()


async def callbacks_left(db: Database) -> int:
    async with db.unit_of_work() as uow:
        jobs = await uow.outbox.list(state=JobState.PENDING, limit=1_000_000)
    return sum(1 for job in jobs if job.kind is JobKind.CALLBACK)


async def run(url: str, callbacks: int, port: int) -> None:
    db = Database(url)
    await db.upgrade()
    yaml = f"""
callbacks:
  - source: generic
    on: [open]
    url: "http://127.0.0.1:{port}/cb/{{{{ alert.id }}}}"
    secret: bench-secret
    allow_private: true
"""
    config = load_config(text=yaml, env={})
    settings, worker = PipelineSettings.from_config(config), WorkerSettings(batch=100)
    router, composer = routing(config)
    ingest = IngestService(db.unit_of_work, router, settings, clock)
    for start in range(0, callbacks, 1000):
        batch = payloads(min(1000, callbacks - start), 1_000_000_000, offset=start)
        await ingest.ingest(parse_alerts(batch, now=clock()))
    queued = await callbacks_left(db)
    jira = OutboxProcessor(
        db.unit_of_work, FakeProvider(), router, composer, settings, worker, clock, "bench"
    )
    targets = CallbackTargets(config.callbacks)
    sender = CallbackSender(db.unit_of_work, targets, worker, settings.policy, clock, "bench")
    dispatcher = Dispatcher(jira, worker, ready=lambda: False, senders=[sender])
    started = time.perf_counter()
    sent = await dispatcher.run_until_idle()
    elapsed = time.perf_counter() - started
    await sender.aclose()
    left = await callbacks_left(db)
    await db.aclose()
    async with httpx.AsyncClient() as client:
        received = int((await client.get(f"http://127.0.0.1:{port}/", timeout=10)).text)
    print(f"callbacks queued: {queued}  sent: {sent}  left: {left}  received: {received}")
    print(f"elapsed: {elapsed:.2f} s  throughput: {sent / elapsed:,.0f} callbacks/s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--callbacks", type=int, default=2000)
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--receive", type=int, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.receive is not None:
        receive(args.receive)
        return
    port = free_port()
    receiver = subprocess.Popen([sys.executable, __file__, "--receive", str(port)])
    try:
        wait_up(port)
        with tempfile.TemporaryDirectory() as tmp:
            url = args.database_url or f"sqlite+aiosqlite:///{Path(tmp) / 'tb.db'}"
            run_command(run(url, args.callbacks, port))
    finally:
        receiver.terminate()
        receiver.wait(timeout=10)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_up(port: int) -> None:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            httpx.get(f"http://127.0.0.1:{port}/", timeout=1)
            return
        except httpx.TransportError:
            time.sleep(0.05)
    raise SystemExit("the receiver did not start")


if __name__ == "__main__":
    main()

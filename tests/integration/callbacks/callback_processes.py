"""Processes for the callback kill -9 drill: a receiver that writes each request it gets to a
file (the sources' side, over real HTTP on loopback), and a callback worker (the dispatcher's
callback sender over a real database) that runs until SIGTERM — or SIGKILL.

    python callback_processes.py receive PORT LOG_FILE
    python callback_processes.py work DATABASE_URL OWNER CONFIG_FILE
"""

from __future__ import annotations

import asyncio
import json
import signal
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from ticketbridge.bootstrap import load_config, routing
from ticketbridge.providers.fake import FakeProvider
from ticketbridge.services import OutboxProcessor, PipelineSettings, WorkerSettings
from ticketbridge.services.callback_requests import CallbackTargets
from ticketbridge.services.callbacks import CallbackSender
from ticketbridge.storage import Database
from ticketbridge.workers import Dispatcher

WORKER = WorkerSettings(
    lease=timedelta(seconds=3),
    backoff_base=timedelta(milliseconds=200),
    backoff_max=timedelta(seconds=1),
    idle_sleep=timedelta(milliseconds=100),
    batch=10,
)


def spawn(*args: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, __file__, *args], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL
    )


def receive(port: int, log: Path) -> None:
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            time.sleep(0.01)  # a source that takes its time: the kill lands mid-burst
            line = {"key": self.headers["Idempotency-Key"], "body": json.loads(body)}
            with lock, log.open("a", encoding="utf-8") as out:
                out.write(json.dumps(line) + "\n")
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    ThreadingHTTPServer(("127.0.0.1", port), Handler).serve_forever()


async def work(database_url: str, owner: str, yaml: str) -> None:
    db = Database(database_url)
    configured = load_config(text=yaml, env={})
    settings = PipelineSettings.from_config(configured)
    router, composer = routing(configured)

    def clock() -> datetime:
        return datetime.now(UTC)

    # Only callbacks here: the Jira jobs are never ready (no Jira in this drill).
    jira = OutboxProcessor(
        db.unit_of_work, FakeProvider(), router, composer, settings, WORKER, clock, owner
    )
    targets = CallbackTargets(configured.callbacks)
    sender = CallbackSender(db.unit_of_work, targets, WORKER, settings.policy, clock, owner)
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    try:
        await Dispatcher(jira, WORKER, ready=lambda: False, senders=[sender]).run_forever(stop)
    finally:
        await sender.aclose()
        await db.aclose()


if __name__ == "__main__":
    if sys.argv[1] == "receive":
        receive(int(sys.argv[2]), Path(sys.argv[3]))
    else:
        asyncio.run(work(sys.argv[2], sys.argv[3], Path(sys.argv[4]).read_text(encoding="utf-8")))

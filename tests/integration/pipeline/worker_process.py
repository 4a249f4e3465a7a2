"""One outbox worker process for the multi-process drills: the dispatcher loop over a real
database and a real (emulated) Jira over HTTP, until SIGTERM. (`ticketbridge worker` is the
product's way to run this; the drill needs nothing but the pipeline.)

    python worker_process.py DATABASE_URL JIRA_URL OWNER [CONFIG_FILE [SETTLE_SECONDS]]

CONFIG_FILE is the ticketbridge.yaml (default: the defaults, digests written at once);
SETTLE_SECONDS the wait before an unknown create's marker lookup (default 1).
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import tempfile
from collections import Counter
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from pipeline_harness import config

from ticketbridge.bootstrap import routing
from ticketbridge.domain import JobState
from ticketbridge.providers.jira import JiraProvider, api_token
from ticketbridge.services import OutboxAdmin, OutboxProcessor, PipelineSettings, WorkerSettings
from ticketbridge.storage import Database
from ticketbridge.workers import Dispatcher

WORKER = WorkerSettings(
    lease=timedelta(seconds=10),
    settle_delay=timedelta(seconds=1),
    backoff_base=timedelta(milliseconds=200),
    backoff_max=timedelta(seconds=2),
    idle_sleep=timedelta(milliseconds=100),
)


DIGEST_AT_ONCE = "defaults: {dedup: {digest_interval: 0s}}"


def spawn(database_url: str, jira_url: str, owner: str, *more: str) -> subprocess.Popen[bytes]:
    """This script in a process of its own (`more`: CONFIG_FILE, SETTLE_SECONDS), once it is
    ready. A process that dies before that fails the test with its own traceback, instead of
    leaving the test waiting for issues nobody will make."""
    tests_root = str(Path(__file__).resolve().parents[2])  # where `support` lives
    path = os.pathsep.join(p for p in (tests_root, os.environ.get("PYTHONPATH")) if p)
    # A file, not a pipe nobody reads that could fill up; the child keeps its own descriptor.
    with tempfile.TemporaryFile() as errors:
        process = subprocess.Popen(
            [sys.executable, __file__, database_url, jira_url, owner, *more],
            stdout=subprocess.PIPE,
            stderr=errors,
            env={**os.environ, "PYTHONPATH": path},
        )
        assert process.stdout is not None
        if process.stdout.readline().strip() != b"ready":
            process.wait(timeout=10)
            errors.seek(0)
            died = errors.read().decode()
            raise RuntimeError(f"worker {owner} died before it was ready:\n{died}")
    return process


def emulator_issues(jira_url: str) -> list[dict[str, Any]]:
    body = httpx.get(f"{jira_url}/_emulator/issues", timeout=10).json()
    return list(body["issues"] if isinstance(body, dict) else body)


def markers(issues: list[dict[str, Any]]) -> Counter[str]:
    """How many issues carry each exactly-once marker label."""
    found: Counter[str] = Counter()
    for issue in issues:
        found.update(label for label in issue["labels"] if label.startswith("tb-"))
    return found


async def drained(admin: OutboxAdmin) -> None:
    """Until no job is pending or running (the workers are done). It waits for a state, not a
    time: pytest's timeout ends a run that never gets there."""
    while True:
        counts = await admin.counts()
        if not counts[JobState.PENDING] and not counts[JobState.RUNNING]:
            return
        await asyncio.sleep(0.5)


def clock() -> datetime:
    return datetime.now(UTC)


async def main(database_url: str, jira_url: str, owner: str, yaml: str, settle: float) -> None:
    db = Database(database_url)
    worker = replace(WORKER, settle_delay=timedelta(seconds=settle))
    provider = JiraProvider(
        flavor="cloud",
        base_url=jira_url,
        auth=api_token("admin@example.com", "emulator-token"),
    )
    configured = config(yaml)
    settings = PipelineSettings.from_config(configured)
    router, composer = routing(configured)
    processor = OutboxProcessor(
        db.unit_of_work, provider, router, composer, settings, worker, clock, owner
    )
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    print("ready", flush=True)
    try:
        await Dispatcher(processor, worker).run_forever(stop)
    finally:
        await provider.aclose()
        await db.aclose()


if __name__ == "__main__":
    database_url, jira_url, owner, *more = sys.argv[1:6]
    yaml = Path(more[0]).read_text(encoding="utf-8") if more else DIGEST_AT_ONCE
    asyncio.run(main(database_url, jira_url, owner, yaml, float(more[1]) if len(more) > 1 else 1))

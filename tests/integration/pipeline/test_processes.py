"""Several worker processes on one database, one of them killed with SIGKILL mid-run and
replaced: every alert still ends with exactly one issue in a Jira reached over real HTTP."""

from __future__ import annotations

import asyncio
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from pipeline_harness import alert

from support.processes import free_port
from ticketbridge.domain import JobState
from ticketbridge.services import (
    DefaultsRouter,
    IngestService,
    OutboxAdmin,
    PipelineSettings,
    parse_alerts,
)
from ticketbridge.storage import Database

pytestmark = pytest.mark.slow
HERE = Path(__file__).parent


@pytest.fixture
def jira_url() -> Iterator[str]:
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "jira_emulator", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                httpx.get(f"{url}/_emulator/health", timeout=1).raise_for_status()
                break
            except httpx.HTTPError:
                time.sleep(0.1)
        yield url
    finally:
        server.terminate()
        server.wait(timeout=10)


def _worker(database_url: str, jira_url: str, owner: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, str(HERE / "worker_process.py"), database_url, jira_url, owner],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
    )


def _issues(jira_url: str) -> list[dict[str, object]]:
    body = httpx.get(f"{jira_url}/_emulator/issues", timeout=10).json()
    return list(body["issues"] if isinstance(body, dict) else body)


def _markers(issues: list[dict[str, object]]) -> Counter[str]:
    found: Counter[str] = Counter()
    for issue in issues:
        labels = issue.get("labels")
        assert isinstance(labels, list)
        found.update(label for label in labels if label.startswith("tb-"))
    return found


async def test_killed_worker_process_loses_and_duplicates_nothing(
    database: Database, jira_url: str
) -> None:
    fingerprints, repeats = 100, 5
    settings = PipelineSettings(digest_interval=timedelta(0))

    def now() -> datetime:
        return datetime.now(UTC)

    ingest = IngestService(database.unit_of_work, DefaultsRouter(settings), settings, now)
    admin = OutboxAdmin(database.unit_of_work, now)
    for r in range(repeats):
        batch = [alert(id=f"a{f}-{r}", fingerprint=f"fp-{f}") for f in range(fingerprints)]
        await ingest.ingest(parse_alerts(batch, now=now()))
    workers = [_worker(database.url, jira_url, f"proc-{i}") for i in range(2)]
    try:
        # Waits for states, not for times (pytest's timeout ends a run that never gets there).
        while len(_issues(jira_url)) < fingerprints // 4:  # noqa: ASYNC110 - the emulator's state
            await asyncio.sleep(0.05)
        workers[0].send_signal(signal.SIGKILL)  # mid-run: leases and attempts left behind
        workers[0].wait(timeout=10)
        workers.append(_worker(database.url, jira_url, "proc-restarted"))
        while True:
            counts = await admin.counts()
            if not counts[JobState.PENDING] and not counts[JobState.RUNNING]:
                break
            await asyncio.sleep(0.5)
    finally:
        for worker in workers[1:]:
            worker.send_signal(signal.SIGTERM)
        for worker in workers:
            worker.wait(timeout=30)
    counts = await admin.counts()
    assert counts[JobState.DEAD] == 0
    assert counts[JobState.PENDING] == counts[JobState.RUNNING] == 0
    found = _markers(_issues(jira_url))
    assert len(found) == fingerprints  # none missing
    assert set(found.values()) == {1}  # none twice

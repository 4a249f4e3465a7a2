"""Several worker processes on one database, one of them killed with SIGKILL mid-run and
replaced: every alert still ends with exactly one issue in a Jira reached over real HTTP."""

from __future__ import annotations

import asyncio
import signal
from datetime import UTC, datetime

import pytest
from pipeline_harness import alert, config
from worker_process import DIGEST_AT_ONCE, drained, emulator_issues, markers, spawn

from ticketbridge.bootstrap import routing
from ticketbridge.domain import JobState
from ticketbridge.services import IngestService, OutboxAdmin, PipelineSettings, parse_alerts
from ticketbridge.storage import Database

pytestmark = pytest.mark.slow


async def test_killed_worker_process_loses_and_duplicates_nothing(
    database: Database, jira_url: str
) -> None:
    fingerprints, repeats = 100, 5
    configured = config(DIGEST_AT_ONCE)
    settings = PipelineSettings.from_config(configured)

    def now() -> datetime:
        return datetime.now(UTC)

    ingest = IngestService(database.unit_of_work, routing(configured)[0], settings, now)
    admin = OutboxAdmin(database.unit_of_work, now)
    for r in range(repeats):
        batch = [alert(id=f"a{f}-{r}", fingerprint=f"fp-{f}") for f in range(fingerprints)]
        await ingest.ingest(parse_alerts(batch, now=now()))
    workers = [spawn(database.url, jira_url, f"proc-{i}") for i in range(2)]
    try:
        # Waits for states, not for times (pytest's timeout ends a run that never gets there).
        while len(emulator_issues(jira_url)) < fingerprints // 4:  # noqa: ASYNC110
            await asyncio.sleep(0.05)
        workers[0].send_signal(signal.SIGKILL)  # mid-run: leases and attempts left behind
        workers[0].wait(timeout=10)
        workers.append(spawn(database.url, jira_url, "proc-restarted"))
        await drained(admin)
    finally:
        for worker in workers[1:]:
            worker.send_signal(signal.SIGTERM)
        for worker in workers:
            worker.wait(timeout=30)
    counts = await admin.counts()
    assert counts[JobState.DEAD] == 0
    assert counts[JobState.PENDING] == counts[JobState.RUNNING] == 0
    found = markers(emulator_issues(jira_url))
    assert len(found) == fingerprints  # none missing
    assert set(found.values()) == {1}  # none twice

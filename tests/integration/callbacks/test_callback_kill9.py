"""Two callback worker processes on one database, one killed with SIGKILL in the middle of a
burst and replaced: no callback is lost, and a callback received twice is a retry of one job
(the same Idempotency-Key, the same body) — never a second, different request."""

from __future__ import annotations

import asyncio
import json
import signal
from collections import defaultdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from callback_processes import spawn
from pipeline_harness import alert, config

from support.processes import free_port
from ticketbridge.bootstrap import routing
from ticketbridge.domain import JobKind, JobState
from ticketbridge.services import IngestService, PipelineSettings, parse_alerts
from ticketbridge.storage import Database

pytestmark = pytest.mark.slow
BURST = 150


def received(log: Path) -> list[dict[str, Any]]:
    if not log.exists():
        return []
    return [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines() if line]


async def callbacks_left(database: Database) -> int:
    async with database.unit_of_work() as uow:
        jobs = await uow.outbox.list(state=None, limit=100_000)
    return sum(
        1
        for job in jobs
        if job.kind is JobKind.CALLBACK and job.state in (JobState.PENDING, JobState.RUNNING)
    )


async def test_killed_callback_worker_loses_nothing(database: Database, tmp_path: Path) -> None:
    port, log = free_port(), tmp_path / "received.jsonl"
    yaml = f"""
callbacks:
  - source: generic
    on: [open]
    url: "http://127.0.0.1:{port}/cb/{{{{ alert.id }}}}"
    allow_private: true
"""
    config_file = tmp_path / "ticketbridge.yaml"
    config_file.write_text(yaml, encoding="utf-8")
    configured = config(yaml)
    settings = PipelineSettings.from_config(configured)

    def now() -> datetime:
        return datetime.now(UTC)

    ingest = IngestService(database.unit_of_work, routing(configured)[0], settings, now)
    batch = [alert(id=f"a-{n}", fingerprint=f"fp-{n}") for n in range(BURST)]
    await ingest.ingest(parse_alerts(batch, now=now()))
    receiver = spawn("receive", str(port), str(log))
    workers = [spawn("work", database.url, f"cb-{i}", str(config_file)) for i in range(2)]
    try:
        # Waits for states, not times (pytest's timeout ends a run that never gets there).
        while len(received(log)) < BURST // 4:
            assert all(p.poll() is None for p in [receiver, *workers]), "a process died"
            await asyncio.sleep(0.05)
        workers[0].send_signal(signal.SIGKILL)  # mid-burst: leases left behind
        workers[0].wait(timeout=10)
        workers.append(spawn("work", database.url, "cb-restarted", str(config_file)))
        while await callbacks_left(database):  # noqa: ASYNC110
            await asyncio.sleep(0.2)
    finally:
        for process in [*workers[1:], receiver]:
            process.send_signal(signal.SIGTERM)
        for process in [*workers, receiver]:
            process.wait(timeout=30)

    async with database.unit_of_work() as uow:
        jobs = [
            j
            for j in await uow.outbox.list(state=None, limit=100_000)
            if j.kind is JobKind.CALLBACK
        ]
    assert len(jobs) == BURST
    assert {j.state for j in jobs} == {JobState.DONE}
    by_key: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for line in received(log):
        by_key[line["key"]].append(line["body"])
    assert set(by_key) == {f"tb-callback-{j.id}" for j in jobs}  # none lost, no stray key
    for bodies in by_key.values():  # a duplicate is a retry: the same request again
        assert all(body == bodies[0] for body in bodies)
    told = sorted(bodies[0]["alert_id"] for bodies in by_key.values())
    assert told == sorted(f"a-{n}" for n in range(BURST))  # each alert under one key

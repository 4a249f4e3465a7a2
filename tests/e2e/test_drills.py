"""Drills with real processes (SPEC §4.5, §11):

- `kill -9` of `serve` during a 2,000-alert load, then a restart: every accepted alert ends with
  exactly one issue (and no fingerprint with two);
- two `ticketbridge worker` processes on PostgreSQL racing 200 fingerprints × 10 repeats:
  exactly 200 issues.
"""

from __future__ import annotations

import asyncio
import os
import signal
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from e2e_processes import Stack, free_port, marker

from support.postgres import PostgresServer, start_postgres
from ticketbridge import bootstrap
from ticketbridge.config.settings import Settings
from ticketbridge.domain import JobState
from ticketbridge.services import parse_alerts

pytestmark = pytest.mark.slow

FINGERPRINTS = 200
REPEATS = 10


def alerts(round_: int) -> list[dict[str, Any]]:
    return [
        {
            "source": "generic",
            "id": f"r{round_}-f{f}",
            "title": f"drill {f}",
            "severity": "high",
            "fingerprint": f"drill-fp-{f}",
        }
        for f in range(FINGERPRINTS)
    ]


# The killed process's jobs stay leased this long before another worker takes them
# (TICKETBRIDGE_JOB_LEASE_SECONDS, a process setting; 120 s by default).
LEASE_SECONDS = 10


class ShortLeaseStack(Stack):
    """The stack, its processes started with a short job lease: the drill's wait after the
    kill -9 is about the lease, so a short one keeps the drill a real kill test, but quick."""

    @property
    def env(self) -> dict[str, str]:
        return super().env | {"TICKETBRIDGE_JOB_LEASE_SECONDS": str(LEASE_SECONDS)}


@pytest.fixture
def stack(tmp_path: Path) -> Iterator[Stack]:
    stack = ShortLeaseStack(tmp_path, f"sqlite+aiosqlite:///{tmp_path / 'tb.db'}")
    try:
        stack.start()
        yield stack
    finally:
        stack.stop_all()


async def post_all(
    url: str, token: str, batches: list[list[dict[str, Any]]], accepted: set[str] | None = None
) -> set[str]:
    """Post batches 4 at a time until the server dies; the ids of the alerts answered 202
    (gathered into `accepted` as they come, when given)."""
    accepted = set() if accepted is None else accepted
    queue = list(batches)
    headers = {"Authorization": f"Bearer {token}"}

    async def sender(client: httpx.AsyncClient) -> None:
        while queue:
            batch = queue.pop(0)
            try:
                response = await client.post("/v1/alerts", json=batch, headers=headers)
            except httpx.TransportError:
                return  # the server is gone: this batch's fate is unknown, not accepted
            if response.status_code == 202:
                accepted.update(r["id"] for r in response.json()["results"])

    async with httpx.AsyncClient(base_url=url, timeout=30.0) as client:
        await asyncio.gather(*(sender(client) for _ in range(4)))
    return accepted


def wait_drained(url: str, token: str, timeout: float = 240.0) -> None:
    """Until no job is running or due. (Jobs the killed process held stay leased until their
    lease — LEASE_SECONDS — expires; digest edits wait for their interval.) `timeout` is an
    upper bound only: it also covers the 120 s default lease, should the env not be read."""
    headers = {"Authorization": f"Bearer {token}"}
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        # One listing of every job, one snapshot: a pending and a running listing one after
        # the other miss a job that moves between them (an heir's settle wait) in between.
        jobs = httpx.get(f"{url}/v1/outbox", params={"limit": 1000}, headers=headers).json()[
            "items"
        ]
        assert len(jobs) < 1000, "one page no longer holds every job: page through them"
        now = datetime.now(UTC)
        running = [j for j in jobs if j["state"] == "running"]
        if not running and not [j for j in jobs if j["state"] == "pending" and _due(j, now)]:
            return
        time.sleep(0.5)
    raise AssertionError("the outbox did not drain")


def _due(job: dict[str, Any], now: datetime) -> bool:
    return datetime.fromisoformat(job["next_attempt_at"]) <= now + timedelta(seconds=5)


def test_kill_9_of_serve_under_load_then_restart(stack: Stack) -> None:
    token = stack.api_key()
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    batches = [alerts(r)[i : i + 20] for r in range(REPEATS) for i in range(0, FINGERPRINTS, 20)]
    server = stack.serve(port)

    async def load_then_kill() -> set[str]:
        # Killed by progress, not after a fixed time: ingest can take the whole load in a second.
        so_far: set[str] = set()
        sending = asyncio.create_task(post_all(url, token, batches, so_far))
        while len(so_far) < FINGERPRINTS * REPEATS // 4 and not sending.done():  # noqa: ASYNC110
            await asyncio.sleep(0.005)
        os.kill(server.pid, signal.SIGKILL)
        return await sending

    accepted = asyncio.run(load_then_kill())
    server.wait(timeout=10)
    assert 0 < len(accepted) < FINGERPRINTS * REPEATS, "the kill should land mid-load"

    stack.serve(port)
    wait_drained(url, token)
    issues = stack.issues_by_marker()
    accepted_fingerprints = {f"generic:drill-fp-{i.split('-f')[1]}" for i in accepted}
    assert all(issues[marker(fp)] == 1 for fp in accepted_fingerprints), issues
    assert all(count == 1 for count in issues.values()), issues
    headers = {"Authorization": f"Bearer {token}"}
    for alert_id in sorted(accepted)[:: max(1, len(accepted) // 20)]:
        body = httpx.get(f"{url}/v1/alerts/{alert_id}", headers=headers).json()
        assert body["ticket"] is not None, body


@pytest.fixture(scope="module")
def postgres() -> Iterator[PostgresServer]:
    yield from start_postgres()


def test_two_workers_on_postgres_make_exactly_one_issue_per_fingerprint(
    tmp_path: Path, postgres: PostgresServer
) -> None:
    stack = Stack(tmp_path, postgres.create_database())
    try:
        stack.start()
        workers = [stack.worker(), stack.worker()]
        settings = Settings(database_url=stack.database_url, config=tmp_path / "ticketbridge.yaml")
        asyncio.run(ingest_rounds(settings))
        asyncio.run(wait_for_creates(settings))
        for worker in workers:
            worker.send_signal(signal.SIGTERM)
        assert [w.wait(timeout=30) for w in workers] == [0, 0]  # a graceful stop
        issues = stack.issues_by_marker()
    finally:
        stack.stop_all()
    assert len(issues) == FINGERPRINTS
    assert set(issues.values()) == {1}
    assert set(issues) == {marker(f"generic:drill-fp-{f}") for f in range(FINGERPRINTS)}


async def ingest_rounds(settings: Settings) -> None:
    """10 rounds of the 200 fingerprints while both workers run: repeats race the creates."""
    config = bootstrap.load_configured(settings)
    async with bootstrap.open_container(settings, config) as container:
        for round_ in range(REPEATS):
            await container.ingest.ingest(parse_alerts(alerts(round_), now=container.now()))
            await asyncio.sleep(0.2)


async def wait_for_creates(settings: Settings) -> None:
    """Until every fingerprint's create job is done (digest edits may wait for their interval)."""
    config = bootstrap.load_configured(settings)
    deadline = time.monotonic() + 240.0
    async with bootstrap.open_container(settings, config) as container:
        while time.monotonic() < deadline:
            counts = await container.outbox.counts()
            creates = await container.outbox.jobs(state=JobState.DONE, limit=1000)
            done = sum(1 for j in creates if j.kind == "create_issue")
            if done == FINGERPRINTS and not counts.get(JobState.RUNNING):
                assert not counts.get(JobState.DEAD), counts
                return
            await asyncio.sleep(0.5)
    raise AssertionError(f"the outbox did not drain: {counts}")

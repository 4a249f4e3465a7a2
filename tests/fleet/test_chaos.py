"""The chaos drill, short (bench/chaos.py is the long one): two `ticketbridge worker`
processes drain 300 queued creates into the emulator while one worker is killed with SIGKILL
and started again, PostgreSQL itself is restarted, and Jira answers the first bulk create
only after the job's lease is over; the end state is exactly one issue per fingerprint (no
duplicate, none lost) and every create job done.

Progress is read from the emulator and the outbox (events: so many issues exist), never timed.
"""

from __future__ import annotations

import asyncio
import signal
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from e2e_processes import Stack, marker

from support.postgres import PostgresServer, start_postgres
from ticketbridge import bootstrap
from ticketbridge.config.settings import Settings
from ticketbridge.domain import JobState
from ticketbridge.services import parse_alerts

pytestmark = pytest.mark.slow

WRITES = 300
LEASE_SECONDS = 5  # a killed worker's jobs are taken over after this (the least allowed)


class ChaosStack(Stack):
    @property
    def env(self) -> dict[str, str]:
        return super().env | {"TICKETBRIDGE_JOB_LEASE_SECONDS": str(LEASE_SECONDS)}


@pytest.fixture(scope="module")
def postgres() -> Iterator[PostgresServer]:
    yield from start_postgres()


def restart(server: PostgresServer) -> None:
    """An immediate stop (a crash, as far as the clients see) and a start on the same port."""
    log = str(server.data_dir.parent / "log")  # the server's output there, not in our pipe
    subprocess.run(
        [*server.as_user, server.pg_ctl, "-D", str(server.data_dir), "-l", log,
         "-m", "immediate", "-w", "restart"],
        check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=120,
    )  # fmt: skip


def wait_for(condition: Callable[[], bool], what: str, timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout  # a bound on a hang, not an assertion about speed
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.2)
    raise AssertionError(f"never happened: {what}")


async def queue_writes(settings: Settings) -> None:
    """WRITES alerts of distinct fingerprints, accepted; the workers decide and create them."""
    payloads = [
        {"source": "generic", "id": f"c-{n}", "title": f"chaos {n}", "severity": "high",
         "fingerprint": f"chaos-fp-{n}"}
        for n in range(WRITES)
    ]  # fmt: skip
    async with bootstrap.open_container(settings, bootstrap.load_configured(settings)) as c:
        await c.ingest.ingest(parse_alerts(payloads, now=c.now()))


def slow_first_bulk(stack: Stack) -> None:
    """The first bulk create is held longer than the lease: its worker gives up on it at the
    lease's end and its heir looks the marker up a settle delay later (in session 5 an heir
    looked up while such a create was still under way, and made each of its issues twice)."""
    rule = {"method": "POST", "path": "/rest/api/2/issue/bulk", "kind": "latency",
            "delay": LEASE_SECONDS + 2, "count": 1}  # fmt: skip
    answer = httpx.post(f"{stack.emulator_url}/_emulator/faults", json=rule, timeout=10.0)
    answer.raise_for_status()


async def outbox_counts(settings: Settings) -> dict[JobState, int]:
    async with bootstrap.open_container(settings, bootstrap.load_configured(settings)) as c:
        return dict(await c.outbox.counts())


def test_workers_killed_and_postgres_restarted_lose_and_duplicate_nothing(
    tmp_path: Path, postgres: PostgresServer
) -> None:
    stack = ChaosStack(tmp_path, postgres.create_database())
    settings = Settings(database_url=stack.database_url, config=tmp_path / "ticketbridge.yaml")
    try:
        stack.start()
        slow_first_bulk(stack)
        asyncio.run(queue_writes(settings))
        workers = [stack.worker(), stack.worker()]

        wait_for(lambda: sum(stack.issues_by_marker().values()) >= WRITES // 5, "first issues")
        workers[0].send_signal(signal.SIGKILL)
        workers[0].wait(timeout=10)
        workers[0] = stack.worker()

        wait_for(lambda: sum(stack.issues_by_marker().values()) >= WRITES // 2, "half the issues")
        restart(postgres)

        def drained() -> bool:
            try:
                counts = asyncio.run(outbox_counts(settings))
            except OSError:  # PostgreSQL still starting
                return False
            return (
                counts[JobState.DONE] >= WRITES
                and not counts[JobState.PENDING]
                and not (counts[JobState.RUNNING])
            )

        wait_for(drained, "every create done")
        counts = asyncio.run(outbox_counts(settings))
        issues = stack.issues_by_marker()
    finally:
        stack.stop_all()
    assert counts[JobState.DEAD] == 0
    assert set(issues) == {marker(f"generic:chaos-fp-{n}") for n in range(WRITES)}  # none lost
    assert set(issues.values()) == {1}  # no duplicate

"""A connection saved with `ticketbridge config jira` while `serve` (API only) and a `worker`
run on PostgreSQL, both started without any Jira: the waiting ticket is written by the worker,
no restart (real processes; the emulator over HTTP)."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from e2e_processes import BIN, Stack, free_port, marker, wait_until_ok

from support.postgres import PostgresServer, start_postgres

NO_JIRA_YET = "defaults:\n  project: OPS\n  min_severity: info\n"
ALERT = {"id": "hot-1", "title": "saved while running", "severity": "high", "fingerprint": "hot"}


class NoJiraStack(Stack):
    """The emulator and a ticketbridge.yaml without `jira:`: nothing is configured yet."""

    def start(self) -> None:
        super().start()
        (self.workdir / "ticketbridge.yaml").write_text(NO_JIRA_YET)


@pytest.fixture(scope="module")
def postgres() -> Iterator[PostgresServer]:
    yield from start_postgres()


def test_a_connection_saved_by_the_cli_reaches_running_processes_on_postgres(
    tmp_path: Path, postgres: PostgresServer
) -> None:
    stack = NoJiraStack(tmp_path, postgres.create_database())
    try:
        stack.start()
        port = free_port()
        stack.spawn(
            [str(BIN / "ticketbridge"), "serve", "--port", str(port), "--workers", "0"],
            log="serve.log",
        )
        wait_until_ok(f"http://127.0.0.1:{port}/readyz")
        stack.worker()
        key = stack.api_key()
        sent = httpx.post(
            f"http://127.0.0.1:{port}/v1/alerts?wait=true",
            json=ALERT,
            headers={"Authorization": f"Bearer {key}"},
            timeout=30,
        )
        assert sent.status_code == 202, sent.text
        assert stack.issues_by_marker() == {}

        saved = subprocess.run(
            [str(BIN / "ticketbridge"), "config", "jira", "--server-url", stack.emulator_url,
             "--allow-private", "--test"],
            cwd=tmp_path,
            env=stack.env | {"TICKETBRIDGE_JIRA_PAT": "emulator-pat"},
            capture_output=True,
            text=True,
            timeout=60,
        )  # fmt: skip
        assert saved.returncode == 0, saved.stdout + saved.stderr
        issues = wait_for_issues(stack, timeout=60)
    finally:
        stack.stop_all()
    assert issues == {marker("generic:hot"): 1}  # fingerprints are scoped by source


def wait_for_issues(stack: Stack, timeout: float) -> dict[str, int]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        issues = dict(stack.issues_by_marker())
        if issues:
            return issues
        time.sleep(0.3)
    logs = "".join((stack.workdir / log).read_text() for log in ("serve.log", "worker.log"))
    raise AssertionError(f"no issue within {timeout}s:\n{logs[-3000:]}")

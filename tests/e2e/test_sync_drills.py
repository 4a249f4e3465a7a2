"""Two-way sync drill with real processes: `kill -9` of `serve` while it applies Jira's
deliveries, then a restart. Every delivery answered 200 is in the delivery log (nothing lost),
each applied exactly once (the restarted process applies just those the killed one had not
committed), and every alert ends as its issue's last delivery says."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import os
import signal
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from e2e_processes import Stack, free_port

from ticketbridge.storage import Database

pytestmark = pytest.mark.slow

SECRET = "drill-webhook-secret"
ISSUES = 20
ROUNDS = 60  # deliveries per issue: 1,200 in all, the last one of each In Progress


class SyncStack(Stack):
    def start(self) -> None:
        super().start()
        config = (self.workdir / "ticketbridge.yaml").read_text()
        config = config.replace(
            "  auth: {type: pat", f"  webhook: {{secret: {SECRET}}}\n  auth: {{type: pat"
        )
        (self.workdir / "ticketbridge.yaml").write_text(config)


@pytest.fixture
def stack(tmp_path: Path) -> Iterator[Stack]:
    stack = SyncStack(tmp_path, f"sqlite+aiosqlite:///{tmp_path / 'tb.db'}")
    try:
        stack.start()
        yield stack
    finally:
        stack.stop_all()


def delivery(key: str, n: int, base: datetime) -> bytes:
    last = n == ROUNDS - 1
    category = "indeterminate" if last else ("done" if n % 2 else "new")
    at = base + timedelta(seconds=n)
    body: dict[str, Any] = {
        "timestamp": int(at.timestamp() * 1000),
        "webhookEvent": "jira:issue_updated",
        "user": {"name": "alice"},
        "issue": {
            "id": "",
            "key": key,
            "fields": {
                "updated": at.isoformat(timespec="milliseconds"),
                "status": {"id": str(n), "name": f"S{n}", "statusCategory": {"key": category}},
                "priority": {"name": "High"},
            },
        },
        "changelog": {"id": str(1000 + n), "items": []},
    }
    return json.dumps(body).encode()


def signed(body: bytes, identifier: str) -> dict[str, str]:
    digest = hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    return {
        "content-type": "application/json",
        "x-hub-signature": f"sha256={digest}",
        "x-atlassian-webhook-identifier": identifier,
    }


def wait_for_issues(url: str, headers: dict[str, str]) -> list[str]:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        items = httpx.get(f"{url}/v1/tickets?limit=1000", headers=headers).json()["items"]
        keys = [t["ticket"]["key"] for t in items if t["ticket"]]
        if len(keys) == ISSUES:
            return keys
        time.sleep(0.2)
    raise AssertionError("the issues were not created")


async def send_all(url: str, keys: list[str], answered: set[str], enough: int, pid: int) -> None:
    """Send every delivery (rounds in order, 8 at a time), kill -9 the server once `enough`
    were answered 200; the identifiers answered 200 gather in `answered`. The deliveries are
    dated after now, as Jira's are after the issue was created (older ones are stale)."""
    base = datetime.now(UTC) + timedelta(seconds=1)
    queue = [(f"{key}-{n}", delivery(key, n, base)) for n in range(ROUNDS) for key in keys]
    killed = False

    async def sender(client: httpx.AsyncClient) -> None:
        nonlocal killed
        while queue:
            identifier, body = queue.pop(0)
            try:
                response = await client.post(
                    "/v1/jira/webhook", content=body, headers=signed(body, identifier)
                )
            except httpx.TransportError:
                return
            if response.status_code == 200:
                answered.add(identifier)
            if len(answered) >= enough and not killed:
                killed = True
                os.kill(pid, signal.SIGKILL)

    async with httpx.AsyncClient(base_url=url, timeout=30.0) as client:
        await asyncio.gather(*(sender(client) for _ in range(8)))


async def logged(database_url: str) -> dict[str, bool]:
    """identifier → applied, read from the store."""
    database = Database(database_url)
    try:
        async with database.unit_of_work() as uow:
            rows = await uow.jira_deliveries.list(limit=100_000)
    finally:
        await database.aclose()
    assert len({r.identifier for r in rows}) == len(rows)  # one row per identifier
    return {r.identifier: r.applied for r in rows}


def applied_by(url: str) -> float:
    text = httpx.get(f"{url}/metrics").text
    return sum(
        float(line.rsplit(" ", 1)[1])
        for line in text.splitlines()
        if line.startswith("ticketbridge_jira_deliveries_total{")
    )


def test_kill_9_of_serve_while_applying_deliveries_then_restart(stack: Stack) -> None:
    token = stack.api_key()
    headers = {"Authorization": f"Bearer {token}"}
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    server = stack.serve(port)
    alerts = [
        {
            "source": "generic",
            "id": f"a-{i}",
            "title": "t",
            "severity": "high",
            "fingerprint": f"fp-{i}",
        }
        for i in range(ISSUES)
    ]
    assert httpx.post(f"{url}/v1/alerts", json=alerts, headers=headers).status_code == 202
    keys = wait_for_issues(url, headers)

    answered: set[str] = set()
    asyncio.run(send_all(url, keys, answered, ISSUES * ROUNDS // 2, server.pid))
    server.wait(timeout=10)
    before = asyncio.run(logged(stack.database_url))
    assert answered <= set(before)  # every delivery answered 200 was stored: none lost
    left = sum(1 for applied in before.values() if not applied)
    assert 0 < len(before) < ISSUES * ROUNDS, "the kill should land mid-stream"

    restarted = stack.serve(port)
    deadline = time.monotonic() + 120
    while applied_by(url) < left and time.monotonic() < deadline:
        time.sleep(0.2)
    after = asyncio.run(logged(stack.database_url))
    assert set(after) == set(before)
    assert all(after.values())  # every stored delivery applied…
    assert applied_by(url) == left  # …each once: the restart applied only what was left
    restarted.send_signal(signal.SIGTERM)
    restarted.wait(timeout=20)

    # The newest stored delivery of each issue wins, whatever the kill interrupted.
    newest = {key: max(n for n in range(ROUNDS) if f"{key}-{n}" in after) for key in keys}
    states = {
        key: ("in_progress" if n == ROUNDS - 1 else ("resolved" if n % 2 else "ticketed"))
        for key, n in newest.items()
    }
    server = stack.serve(port)
    items = httpx.get(f"{url}/v1/tickets?limit=1000", headers=headers).json()["items"]
    got = {t["ticket"]["key"]: (t["state"], t["jira"]["status_id"]) for t in items}
    assert got == {key: (states[key], str(newest[key])) for key in keys}

"""A Jira that stops answering is logged once per outage, with the backlog, and once when it
answers again (issue 11: a hung Jira used to log nothing at all).

The real process wiring (`bootstrap.open_container` with a worker), the emulator behind a
switch: while hung, every request times out on its read (`httpx.ReadTimeout`, what a Jira that
accepts connections and never answers produces). Creates are not retried on it (their outcome
is unknown), so nothing here waits for real.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
from api_harness import Api, open_api

from jira_emulator import Emulator
from support.logs import CapturedLogs, captured_logs
from ticketbridge.config.schema import Config
from ticketbridge.services import WorkerSettings

EMULATOR_JIRA = {
    "url": "http://jira.test",
    "auth": {"type": "token", "email": "admin@example.com", "api_token": "emulator-token"},
}
# Jobs that failed wait out the settle delay: the outage's backlog stays put while we look.
PATIENT = WorkerSettings(settle_delay=timedelta(hours=1), idle_sleep=timedelta(milliseconds=10))


class Switch(httpx.AsyncBaseTransport):
    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner = inner
        self.hung = False

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if self.hung:
            raise httpx.ReadTimeout("timed out", request=request)
        return await self.inner.handle_async_request(request)


async def send(api: Api, *ids: str) -> None:
    body = [{"id": i, "title": f"alert {i}", "severity": "high", "fingerprint": i} for i in ids]
    response = await api.client.post("/v1/alerts", json=body, headers=api.auth("ingest"))
    assert response.status_code == 202, response.text
    await api.drain()


def lines(logs: CapturedLogs, event: str) -> list[dict[str, Any]]:
    return [e for e in logs.events() if e["event"] == event]


async def test_a_hung_jira_is_logged_once_per_outage_with_the_backlog(tmp_path: Path) -> None:
    emulator = Emulator(flavor="cloud")
    jira = Switch(emulator.transport())
    config = Config.model_validate({"jira": EMULATOR_JIRA})
    with captured_logs("json") as logs:
        async with open_api(tmp_path, config, 1, jira, worker=PATIENT) as api:
            await send(api, "a0")  # Jira answers: nothing to say
            assert lines(logs, "jira_not_answering") == []

            jira.hung = True
            await send(api, "a1", "a2", "a3")  # one bulk create, no answer
            await send(api, "a4")  # a single create, no answer: the same outage
            [warning] = lines(logs, "jira_not_answering")
            assert warning["level"] == "warning"
            assert warning["backlog"] == 3  # the jobs waiting when it was noticed
            assert "ReadTimeout" in warning["error"]
            assert lines(logs, "jira_answering_again") == []

            jira.hung = False
            await send(api, "a5")  # answered: the outage is over
            [back] = lines(logs, "jira_answering_again")
            assert back["backlog"] == 4  # a1–a4 still wait for their retry
            assert back["down_for_seconds"] >= 0

            jira.hung = True
            await send(api, "a6")  # a second outage: a second warning
            assert len(lines(logs, "jira_not_answering")) == 2
    assert len(emulator.state.issues) == 2  # a0 and a5; the rest wait, none lost

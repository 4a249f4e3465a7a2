"""`?wait=ticket`: the answer carries the issue key, on `/v1/alerts` and on a native source;
bounded when Jira hangs (virtual time), and a refused create says so. The in-process dispatcher
runs as `serve` runs it (in the background, woken by the decisions)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
from api_harness import Api, open_api
from virtual_time import VirtualTime

from jira_emulator import Emulator
from ticketbridge.config.schema import Config

JIRA = {
    "flavor": "cloud",
    "url": "http://jira.test",
    "auth": {"type": "token", "email": "admin@example.com", "api_token": "emulator-token"},
}
ALERT = {
    "source": "generic",
    "id": "w-1",
    "kind": "policy_violation",
    "title": "PII sent to an external model",
    "severity": "high",
    "fingerprint": "fp-w",
}


@asynccontextmanager
async def serving(
    tmp_path: Path, emulator: Emulator, config: dict[str, Any] | None = None, **options: Any
) -> AsyncIterator[Api]:
    """The API with its dispatcher running in the background, as under `serve`."""
    settings = Config.model_validate({"jira": JIRA, **(config or {})})
    async with open_api(
        tmp_path, settings, workers=1, transport=emulator.transport(), **options
    ) as api:
        stop = asyncio.Event()
        [dispatcher] = api.container.dispatchers
        running = asyncio.create_task(dispatcher.run_forever(stop))
        try:
            yield api
        finally:
            stop.set()
            running.cancel()  # a create hanging on Jira does not see `stop`
            await asyncio.gather(running, return_exceptions=True)


async def test_wait_ticket_answers_with_the_issue_key(tmp_path: Path, emulator: Emulator) -> None:
    async with serving(tmp_path, emulator) as api:
        response = await api.client.post(
            "/v1/alerts?wait=ticket", json=ALERT, headers=api.auth("ingest")
        )
    assert response.status_code == 202
    body = response.json()
    assert body["results"][0]["decision"] == "create"
    assert body["results"][0]["ticket"] == {
        "key": "OPS-1",
        "url": "http://jira.test/browse/OPS-1",
    }
    assert body["waited"]["complete"] is True
    assert [i.key for i in emulator.state.issues.values()] == ["OPS-1"]


async def test_wait_true_still_answers_with_the_decisions_only(
    tmp_path: Path, emulator: Emulator
) -> None:
    async with serving(tmp_path, emulator) as api:
        response = await api.client.post(
            "/v1/alerts?wait=true", json=ALERT, headers=api.auth("ingest")
        )
    body = response.json()
    assert (response.status_code, body["results"][0]["decision"]) == (202, "create")
    assert "waited" not in body


NATIVE = {key: value for key, value in ALERT.items() if key != "source"}


@pytest.mark.parametrize(("wait", "key"), [("ticket", "OPS-1"), ("true", None)])
async def test_wait_on_a_native_source(
    tmp_path: Path, emulator: Emulator, wait: str, key: str | None
) -> None:
    """`ticket`: the issue key is in the answer; `true`: the decision (the key may follow)."""
    sources = {"sources": {"generic": {"token": "native-token"}}}
    async with serving(tmp_path, emulator, sources) as api:
        response = await api.client.post(
            f"/v1/sources/generic?wait={wait}",
            json=NATIVE,
            headers={"Authorization": "Bearer native-token"},
        )
    assert response.status_code == 202
    [result] = response.json()["results"]
    assert result["decision"] == "create"
    if key is not None:
        assert result["ticket"]["key"] == key


async def test_a_hung_jira_gets_the_bounded_answer(tmp_path: Path, emulator: Emulator) -> None:
    emulator.faults.add(method="POST", path="/rest/api/3/issue", kind="hang")
    time = VirtualTime()
    async with serving(tmp_path, emulator, ticket_wait=(time, time.sleep)) as api:
        start = time()
        response = await api.client.post(
            "/v1/alerts?wait=ticket", json=ALERT, headers=api.auth("ingest")
        )
        assert response.status_code == 202
        body = response.json()
        assert body["results"][0]["decision"] == "create"
        assert body["results"][0]["ticket"] is None
        assert body["waited"]["complete"] is False
        assert "stopped waiting after 10 s" in body["waited"]["note"]
        assert time() - start >= 10
    assert emulator.state.issues == {}


async def test_a_refused_create_ends_the_wait_and_says_why(
    tmp_path: Path, emulator: Emulator
) -> None:
    refused = {"defaults": {"project": "NOPE"}}
    async with serving(tmp_path, emulator, refused) as api:
        response = await api.client.post(
            "/v1/alerts?wait=ticket", json=ALERT, headers=api.auth("ingest")
        )
    [result] = response.json()["results"]
    assert result["ticket"] is None
    assert result["ticket_error"].startswith("the issue was not created: ")
    assert response.json()["waited"]["complete"] is True

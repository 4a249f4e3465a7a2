"""The API reads the time from the clock it is given, like the services (issue 12): a virtual
clock years from now decides a signature's freshness, an alert's and a push's arrival time,
and when an API key was created and last used."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from api_harness import Api, open_api

from ticketbridge.config.schema import Config
from ticketbridge.sources import sign

THEN = datetime(2031, 5, 1, 9, 30, tzinfo=UTC)  # nowhere near the wall clock
SECRET = "keeptrusts-webhook-secret"
FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "sources"


@pytest.fixture
async def api(tmp_path: Path) -> AsyncIterator[Api]:
    config = Config.model_validate(
        {"sources": {"keeptrusts": {"secret": SECRET}, "github": {"token": "gh-token"}}}
    )
    async with open_api(tmp_path, config, clock=lambda: THEN) as handle:
        yield handle


async def test_a_signature_is_fresh_by_the_clock_given(api: Api) -> None:
    body = (FIXTURES / "keeptrusts" / "escalation-created.json").read_bytes()
    response = await api.client.post(
        "/v1/sources/keeptrusts",
        content=body,
        headers={
            "X-TicketBridge-Signature": sign(SECRET, body, THEN),
            "Content-Type": "application/json",
        },
    )
    assert response.status_code == 202, response.text
    listed = await api.client.get("/v1/alerts", headers=api.auth("read"))
    [alert] = listed.json()["items"]
    assert datetime.fromisoformat(alert["received_at"]) == THEN


async def test_a_push_arrives_at_the_clocks_time(api: Api) -> None:
    push = json.loads((FIXTURES / "github" / "push.json").read_text())
    kept = await api.client.post(
        "/v1/sources/github",
        json=push,
        headers={
            "Authorization": "Bearer gh-token",
            "X-GitHub-Event": "push",
            "Content-Type": "application/json",
        },
    )
    assert kept.status_code == 202, kept.text
    assert datetime.fromisoformat(kept.json()["push"]["received_at"]) == THEN


async def test_keys_are_created_and_used_at_the_clocks_time(api: Api) -> None:
    assert (await api.client.get("/v1/tickets", headers=api.auth("read"))).status_code == 200
    async with api.container.database.unit_of_work() as uow:
        keys = {key.name: key for key in await uow.api_keys.list()}
    assert {key.created_at for key in keys.values()} == {THEN}
    assert keys["read"].last_used_at == THEN

"""The whole app in process with one worker writing to the Jira emulator (Cloud), for the
attacks that must be followed to the issues they make (or fail to make)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from api_harness import Api, open_api

from jira_emulator import Emulator
from ticketbridge.config.schema import Config

__all__ = ["alert_body", "api_on_emulator"]

JIRA = {
    "flavor": "cloud",
    "url": "http://jira.test",
    "auth": {"type": "token", "email": "admin@example.com", "api_token": "emulator-token"},
}


@asynccontextmanager
async def api_on_emulator(
    tmp_path: Path, emulator: Emulator, config: dict[str, Any]
) -> AsyncIterator[Api]:
    """The app with `config` (its `jira` the emulator); `Api.drain` runs the worker."""
    loaded = Config.model_validate({"jira": JIRA, **config})
    async with open_api(tmp_path, loaded, workers=1, transport=emulator.transport()) as handle:
        yield handle


async def alert_body(api: Api, alert_id: str, source: str = "") -> dict[str, Any]:
    """`GET /v1/alerts/{id}` (what `explain` shows), asserted found."""
    query = f"?source={source}" if source else ""
    answer = await api.client.get(f"/v1/alerts/{alert_id}{query}", headers=api.auth("read"))
    assert answer.status_code == 200, answer.text
    body: dict[str, Any] = answer.json()
    return body

"""Helpers shared by the emulator's tests (importable as `emu_support`)."""

from __future__ import annotations

import json
from typing import Any

import httpx

from jira_emulator import Emulator

CLOUD_AUTH = ("admin@example.com", "emulator-token")
DC_AUTH = ("admin", "admin")
ADF_HELLO = {
    "type": "doc",
    "version": 1,
    "content": [{"type": "paragraph", "content": [{"type": "text", "text": "hello"}]}],
}


def adf(text: str) -> dict[str, Any]:
    return {
        "type": "doc",
        "version": 1,
        "content": [{"type": "paragraph", "content": [{"type": "text", "text": text}]}],
    }


class FakeClock:
    """A clock tests move by hand (index lag without sleeping)."""

    def __init__(self, start: float = 1_800_000_000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def client_for(emu: Emulator, auth: tuple[str, str] | None) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        transport=emu.transport(), base_url=emu.base_url, auth=auth, timeout=5.0
    )


async def create(
    client: httpx.AsyncClient, api: str = "3", project: str = "OPS", **fields: Any
) -> httpx.Response:
    body = {"project": {"key": project}, "issuetype": {"name": "Task"}, "summary": "s"} | fields
    return await client.post(f"/rest/api/{api}/issue", json={"fields": body})


class Receiver:
    """The far end of the webhook: records what arrived, answers with scripted statuses."""

    def __init__(self, statuses: list[int] | None = None) -> None:
        self.received: list[httpx.Request] = []
        self.statuses = list(statuses or [])

    def handler(self, request: httpx.Request) -> httpx.Response:
        self.received.append(request)
        return httpx.Response(self.statuses.pop(0) if self.statuses else 200)

    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self.handler)

    def payloads(self, event: str | None = None) -> list[dict[str, Any]]:
        out = [json.loads(r.content) for r in self.received]
        return [p for p in out if event is None or p["webhookEvent"] == event]

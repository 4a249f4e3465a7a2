"""Drills against the Jira emulator: a JiraProvider on a virtual clock, the emulator in process.

`VirtualTime` replaces the provider's clock and sleep, and `StampingTransport` stamps every
request the emulator receives with the virtual time it was sent at, so a test can assert how
long the client waited without waiting for real.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import httpx

from jira_emulator import Emulator
from ticketbridge.providers.jira import JiraProvider


@dataclass
class VirtualTime:
    now: float = 0.0
    slept: list[float] = field(default_factory=list)

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


class StampingTransport(httpx.AsyncBaseTransport):
    def __init__(self, inner: httpx.AsyncBaseTransport, vt: VirtualTime) -> None:
        self.inner = inner
        self.vt = vt
        self.sent: list[tuple[str, str, float]] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.sent.append((request.method, request.url.path, self.vt.now))
        return await self.inner.handle_async_request(request)


@dataclass
class Drill:
    emu: Emulator
    vt: VirtualTime
    wire: StampingTransport
    provider: JiraProvider

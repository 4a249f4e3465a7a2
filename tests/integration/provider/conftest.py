"""Fixtures of the provider drills (see provider_drill.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from provider_drill import Drill, StampingTransport, VirtualTime

from jira_emulator import Emulator
from ticketbridge.providers.jira import JiraProvider, api_token


@pytest.fixture
async def drill() -> AsyncIterator[Drill]:
    emu = Emulator(flavor="cloud", strict=True)
    vt = VirtualTime()
    wire = StampingTransport(emu.transport(), vt)
    provider = JiraProvider(
        flavor="cloud",
        base_url=emu.base_url,
        auth=api_token("admin@example.com", "emulator-token"),
        transport=wire,
        clock=vt.clock,
        sleep=vt.sleep,
    )
    try:
        yield Drill(emu, vt, wire, provider)
    finally:
        await provider.aclose()

"""One contract suite, three implementations: the fake, and JiraProvider against the emulator
in its Cloud (strict) and Data Center flavours (see contract_harness.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from contract_harness import Harness, emulator_harness, fake_harness


@pytest.fixture(params=["fake", "cloud", "datacenter"])
async def harness(request: pytest.FixtureRequest) -> AsyncIterator[Harness]:
    h = fake_harness() if request.param == "fake" else emulator_harness(request.param)
    try:
        yield h
    finally:
        await h.provider.aclose()

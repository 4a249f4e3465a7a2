"""One contract suite, three implementations: the fake, and JiraProvider against the emulator
in its Cloud (strict) and Data Center flavours (see contract_harness.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from contract_harness import Harness, emulator_harness, fake_harness


def _harness(name: str) -> Harness:
    if name == "fake":
        return fake_harness()
    return emulator_harness(name)


@pytest.fixture(params=["fake", "cloud", "datacenter"])
async def harness(request: pytest.FixtureRequest) -> AsyncIterator[Harness]:
    h = _harness(request.param)
    try:
        yield h
    finally:
        await h.provider.aclose()

"""One contract suite, four implementations: the fake, the fake behind a DelegatingProvider (the
base of provider wrappers, so a wrapper never drops an operation), and JiraProvider against the
emulator in its Cloud (strict) and Data Center flavours (see contract_harness.py)."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator

import pytest
from contract_harness import Harness, emulator_harness, fake_harness

from ticketbridge.providers.delegating import DelegatingProvider


def _harness(name: str) -> Harness:
    if name == "fake":
        return fake_harness()
    if name == "delegating":
        fake = fake_harness()
        return dataclasses.replace(fake, name=name, provider=DelegatingProvider(fake.provider))
    return emulator_harness(name)


@pytest.fixture(params=["fake", "delegating", "cloud", "datacenter"])
async def harness(request: pytest.FixtureRequest) -> AsyncIterator[Harness]:
    h = _harness(request.param)
    try:
        yield h
    finally:
        await h.provider.aclose()

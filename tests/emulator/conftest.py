"""Fixtures for the emulator's own tests: an emulator per flavour and an in-process client."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from emu_support import CLOUD_AUTH, DC_AUTH, client_for

from jira_emulator import Emulator


@pytest.fixture
def cloud() -> Emulator:
    return Emulator(flavor="cloud")


@pytest.fixture
def dc() -> Emulator:
    return Emulator(flavor="datacenter")


@pytest.fixture
async def cloud_client(cloud: Emulator) -> AsyncIterator[httpx.AsyncClient]:
    async with client_for(cloud, CLOUD_AUTH) as client:
        yield client


@pytest.fixture
async def dc_client(dc: Emulator) -> AsyncIterator[httpx.AsyncClient]:
    async with client_for(dc, DC_AUTH) as client:
        yield client

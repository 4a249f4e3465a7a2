"""The real stack (bootstrap's container, SQLite in a temp dir) behind the app, in process."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from api_harness import Api, open_api

from jira_emulator import Emulator
from ticketbridge.config.schema import Config

EMULATOR_JIRA = {
    "flavor": "cloud",
    "url": "http://jira.test",
    "auth": {"type": "token", "email": "admin@example.com", "api_token": "emulator-token"},
}


@pytest.fixture
def emulator() -> Emulator:
    return Emulator(flavor="cloud")


@pytest.fixture
async def api(tmp_path: Path) -> AsyncIterator[Api]:
    async with open_api(tmp_path, Config()) as handle:
        yield handle


@pytest.fixture
async def api_with_jira(tmp_path: Path, emulator: Emulator) -> AsyncIterator[Api]:
    """The API with one in-process worker writing to the emulator (run it with `drain`)."""
    config = Config.model_validate({"jira": EMULATOR_JIRA})
    async with open_api(tmp_path, config, workers=1, transport=emulator.transport()) as handle:
        yield handle

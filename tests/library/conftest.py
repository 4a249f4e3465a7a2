"""Fixtures of the library tests: one emulator server per flavour for the session, reset to
its seed before each test; each test runs in its own directory (the library's store is
./var/library.db, so a fresh directory is a fresh store)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from library_harness import JiraServer, jira_server


@pytest.fixture(scope="session")
def _cloud_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[JiraServer]:
    with jira_server("cloud", tmp_path_factory.mktemp("emulator-cloud")) as server:
        yield server


@pytest.fixture(scope="session")
def _dc_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[JiraServer]:
    with jira_server("datacenter", tmp_path_factory.mktemp("emulator-dc")) as server:
        yield server


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    # The emulator listens on loopback, which the outbound guard refuses unless told: the
    # tests opt in as a developer would.
    monkeypatch.setenv("TICKETBRIDGE_OUTBOUND_ALLOW", "127.0.0.1/32")
    return tmp_path


@pytest.fixture
def cloud(_cloud_server: JiraServer, workdir: Path) -> JiraServer:
    _cloud_server.reset()
    return _cloud_server


@pytest.fixture
def datacenter(_dc_server: JiraServer, workdir: Path) -> JiraServer:
    _dc_server.reset()
    return _dc_server

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator

import httpx
import pytest

from support.postgres import database, postgres_server
from support.processes import free_port

__all__ = ["database", "jira_url", "postgres_server"]


@pytest.fixture
def jira_url() -> Iterator[str]:
    """A Jira emulator (Cloud) served over HTTP by a process of its own."""
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "jira_emulator", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                httpx.get(f"{url}/_emulator/health", timeout=1).raise_for_status()
                break
            except httpx.HTTPError:
                time.sleep(0.1)
        yield url
    finally:
        server.terminate()
        server.wait(timeout=10)

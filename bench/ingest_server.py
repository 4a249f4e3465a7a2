"""Shared by the ingest benchmarks: a real `ticketbridge serve` (uvicorn, SQLite in a temp dir,
no workers so ingest is measured alone) in a child process, and an API key for it."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

BIN = Path(sys.executable).parent


@dataclass
class Server:
    url: str
    token: str
    process: subprocess.Popen[bytes]

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}", "Content-Type": "application/json"}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def running_server(database_url: str | None = None) -> Iterator[Server]:
    with tempfile.TemporaryDirectory(prefix="tb-bench-") as tmp:
        port = _free_port()
        env = os.environ | {
            "TICKETBRIDGE_DATA_DIR": tmp,
            "TICKETBRIDGE_DATABASE_URL": database_url
            or f"sqlite+aiosqlite:///{Path(tmp) / 'bench.db'}",
            "TICKETBRIDGE_LOG_LEVEL": "WARNING",
        }
        cli = str(BIN / "ticketbridge")
        subprocess.run([cli, "db", "upgrade"], env=env, check=True, capture_output=True)
        created = subprocess.run(
            [cli, "apikey", "create", "--name", "bench", "--scope", "ingest", "--json"],
            env=env,
            check=True,
            capture_output=True,
        )
        token = json.loads(created.stdout)["token"]
        process = subprocess.Popen(
            [cli, "serve", "--port", str(port), "--workers", "0"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        url = f"http://127.0.0.1:{port}"
        try:
            _wait_ready(url)
            yield Server(url, token, process)
        finally:
            process.terminate()
            process.wait(timeout=30)


def _wait_ready(url: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/readyz", timeout=1.0).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise SystemExit(f"the server at {url} never became ready")


def make_alert(n: int, run: str) -> dict[str, Any]:
    """Distinct ids; fingerprints spread over 1,000 (repeats as well as creates)."""
    return {
        "source": "generic",
        "id": f"{run}-{n}",
        "kind": "policy_violation",
        "title": f"Policy violation {n % 1000}",
        "severity": ("medium", "high", "critical")[n % 3],
        "fingerprint": f"{run}-fp-{n % 1000}",
        "attributes": {"policy_name": "no-pii", "model": "gpt-4o", "gateway_id": "gw-1"},
    }

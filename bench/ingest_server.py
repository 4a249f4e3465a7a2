"""Shared by the ingest benchmarks: a real `ticketbridge serve` (uvicorn, SQLite in a temp dir)
in a child process, an API key for it, and how many accepted alerts are still undecided.

Modes (`--mode`), each a real deployment shape, no Jira configured (ingest is measured):
- `api`: `serve --workers 0`, the API alone; alerts are accepted and stay pending (decided by
  any `ticketbridge worker` on the database — the scale-out shape).
- `serve`: `serve` with its in-process decision loop (the default `make run` shape): the API
  and the decider share one process.
- `split`: `serve --workers 0` plus one `ticketbridge worker` process deciding beside it.
"""

from __future__ import annotations

import asyncio
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

from ticketbridge.storage import Database

BIN = Path(sys.executable).parent


MODES = ("api", "serve", "split")


@dataclass
class Server:
    url: str
    token: str
    process: subprocess.Popen[bytes]
    database_url: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}", "Content-Type": "application/json"}

    def cpu_seconds(self) -> float:
        """CPU time the server process has used, all threads, user + system (Linux /proc):
        steadier than wall-clock rates on a shared host, so code changes compare on it."""
        stat = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(stat[11]) + int(stat[12])) / os.sysconf("SC_CLK_TCK")

    def pending(self) -> int:
        """Accepted alerts not decided yet."""
        return asyncio.run(_count_pending(self.database_url))

    def wait_decided(self, timeout: float = 600.0) -> float:
        """Seconds until no accepted alert is pending (SystemExit after `timeout`)."""
        started = time.perf_counter()
        while self.pending():
            if time.perf_counter() - started > timeout:
                raise SystemExit(f"{self.pending()} alerts still undecided after {timeout} s")
            time.sleep(0.05)
        return time.perf_counter() - started


async def _count_pending(url: str) -> int:
    database = Database(url)
    try:
        async with database.engine.connect() as conn:
            query = "SELECT count(*) FROM alerts WHERE decision IS NULL"
            return int((await conn.exec_driver_sql(query)).scalar() or 0)
    finally:
        await database.aclose()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def running_server(database_url: str | None = None, mode: str = "api") -> Iterator[Server]:
    with tempfile.TemporaryDirectory(prefix="tb-bench-") as tmp:
        port = _free_port()
        url = database_url or f"sqlite+aiosqlite:///{Path(tmp) / 'bench.db'}"
        env = os.environ | {
            "TICKETBRIDGE_DATA_DIR": tmp,
            "TICKETBRIDGE_DATABASE_URL": url,
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
        api_only = ["--workers", "0"] if mode != "serve" else []
        serve = [cli, "serve", "--port", str(port), *api_only]
        quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
        processes = [subprocess.Popen(serve, env=env, **quiet)]  # type: ignore[call-overload]
        if mode == "split":
            processes.append(subprocess.Popen([cli, "worker"], env=env, **quiet))  # type: ignore[call-overload]
        base = f"http://127.0.0.1:{port}"
        try:
            _wait_ready(base)
            yield Server(base, token, processes[0], url)
        finally:
            for process in processes:
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

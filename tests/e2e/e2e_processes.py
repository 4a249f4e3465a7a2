"""Real processes for the drills: the emulator over HTTP, `ticketbridge serve` and `worker`
configured against it, and what the emulator holds, read over HTTP.

The drills use the Data Center flavour: exactly-once does not depend on the flavour, and the
Cloud emulator validates every ADF document against the full JSON schema (about a second per
issue on this shared machine), which would make a 200-issue drill take minutes.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from support.processes import free_port
from ticketbridge.providers.base import Marker

BIN = Path(sys.executable).parent
EMULATOR_HEADERS = {"Authorization": "Bearer emulator-pat"}


def wait_until_ok(url: str, timeout: float = 30.0, headers: dict[str, str] | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if httpx.get(url, timeout=1.0, headers=headers).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise AssertionError(f"{url} never answered 200")


@dataclass
class Stack:
    """One emulator process and a workdir with ticketbridge.yaml pointing at it."""

    workdir: Path
    database_url: str
    emulator_port: int = field(default_factory=free_port)
    processes: list[subprocess.Popen[bytes]] = field(default_factory=list)

    @property
    def emulator_url(self) -> str:
        return f"http://127.0.0.1:{self.emulator_port}"

    @property
    def env(self) -> dict[str, str]:
        clean = {k: v for k, v in os.environ.items() if not k.startswith("TICKETBRIDGE_")}
        return clean | {
            "TICKETBRIDGE_CONFIG": str(self.workdir / "ticketbridge.yaml"),
            "TICKETBRIDGE_DATABASE_URL": self.database_url,
            "TICKETBRIDGE_DATA_DIR": str(self.workdir / "var"),
            "TICKETBRIDGE_LOG_LEVEL": "WARNING",
        }

    def start(self) -> None:
        (self.workdir / "ticketbridge.yaml").write_text(
            "jira:\n"
            "  flavor: datacenter\n"
            f"  url: {self.emulator_url}\n"
            "  allow_private: true\n"  # the emulator is on loopback
            "  auth: {type: pat, token: emulator-pat}\n"
            "defaults:\n"
            "  project: OPS\n"
            "  min_severity: info\n"
        )
        port = str(self.emulator_port)
        self.spawn(
            [sys.executable, "-m", "jira_emulator", "--flavor", "datacenter", "--port", port],
            log="emulator.log",
        )
        wait_until_ok(f"{self.emulator_url}/rest/api/2/myself", headers=EMULATOR_HEADERS)
        self.cli("db", "upgrade")

    def spawn(self, command: list[str], log: str) -> subprocess.Popen[bytes]:
        with (self.workdir / log).open("ab") as out:
            process = subprocess.Popen(
                command, cwd=self.workdir, env=self.env, stdout=out, stderr=subprocess.STDOUT
            )
        self.processes.append(process)
        return process

    def cli(self, *args: str) -> str:
        done = subprocess.run(
            [str(BIN / "ticketbridge"), *args],
            cwd=self.workdir,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert done.returncode == 0, done.stdout + done.stderr
        return done.stdout

    def api_key(self) -> str:
        out = self.cli("apikey", "create", "--name", "drill", "--scope", "admin", "--json")
        return str(json.loads(out)["token"])

    def serve(self, port: int) -> subprocess.Popen[bytes]:
        process = self.spawn(
            [str(BIN / "ticketbridge"), "serve", "--port", str(port)], log="serve.log"
        )
        wait_until_ok(f"http://127.0.0.1:{port}/readyz")
        return process

    def worker(self) -> subprocess.Popen[bytes]:
        return self.spawn([str(BIN / "ticketbridge"), "worker"], log="worker.log")

    def stop_all(self) -> None:
        for process in reversed(self.processes):
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in self.processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()

    def issues_by_marker(self) -> Counter[str]:
        """How many issues carry each `tb-…` marker label, as the emulator holds them (one
        read of its state: paging Jira's search over 100,000 issues reads them all per page)."""
        response = httpx.get(
            f"{self.emulator_url}/_emulator/issues", headers=EMULATOR_HEADERS, timeout=120.0
        )
        response.raise_for_status()
        return Counter(
            label
            for issue in response.json()
            for label in issue["labels"]
            if label.startswith("tb-")
        )


def marker(fingerprint: str) -> str:
    return Marker(fingerprint).label

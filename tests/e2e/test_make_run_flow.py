"""What a new user does after `make run`: `ticketbridge dev` as a real process on free ports,
the printed curl pasted into a shell, the issue seen in the (emulated) Jira over HTTP; then
`ticketbridge send` of a JSONL file, and Ctrl-C stopping everything."""

from __future__ import annotations

import json
import os
import queue
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from support.processes import free_port
from support.requirements import require

EMULATOR_AUTH = ("admin@example.com", "emulator-token")
BIN = Path(sys.executable).parent


class DevProcess:
    def __init__(self, workdir: Path, port: int, emulator_port: int, *extra: str) -> None:
        env = {k: v for k, v in os.environ.items() if not k.startswith("TICKETBRIDGE_")} | {
            "PYTHONUNBUFFERED": "1"
        }
        command = [str(BIN / "ticketbridge"), "dev", "--port", str(port)]
        self.process = subprocess.Popen(
            [*command, "--emulator-port", str(emulator_port), *extra],
            cwd=workdir,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        self.lines: queue.Queue[str] = queue.Queue()
        self.output: list[str] = []
        threading.Thread(target=self._pump, daemon=True).start()

    def _pump(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.put(line)

    def wait_for_line(self, prefix: str, timeout: float) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                line = self.lines.get(timeout=0.2)
            except queue.Empty:
                assert self.process.poll() is None, "".join(self.output)
                continue
            self.output.append(line)
            if line.startswith(prefix):
                return line.strip()
        raise AssertionError(f"no line starting {prefix!r} in:\n{''.join(self.output)}")

    def stop(self) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)  # what Ctrl-C sends
            try:
                return self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
                raise
        return self.process.returncode


@pytest.fixture
def dev(tmp_path: Path) -> Iterator[tuple[DevProcess, int, int]]:
    port, emulator_port = free_port(), free_port()
    process = DevProcess(tmp_path, port, emulator_port)
    try:
        yield process, port, emulator_port
    finally:
        process.stop()


def wait_ready(url: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if httpx.get(url, timeout=1.0).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise AssertionError(f"{url} never became ready")


def emulator_issues(emulator_port: int, expected: int, timeout: float = 20.0) -> list[str]:
    """Issue keys of OPS as the emulator answers them over HTTP, once `expected` are there."""
    url = f"http://127.0.0.1:{emulator_port}/rest/api/3/search/jql"
    keys: list[str] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        params = {"jql": "project = OPS ORDER BY key ASC", "fields": "summary"}
        body = httpx.get(url, params=params, auth=EMULATOR_AUTH, timeout=5.0).json()
        keys = [issue["key"] for issue in body["issues"]]
        if len(keys) >= expected:
            return keys
        time.sleep(0.2)
    return keys


def test_make_run_flow(dev: tuple[DevProcess, int, int], tmp_path: Path) -> None:
    require(shutil.which("curl") is not None, "curl")
    process, port, emulator_port = dev
    curl = process.wait_for_line("curl ", timeout=60)
    wait_ready(f"http://127.0.0.1:{port}/readyz")
    for url in (f"http://127.0.0.1:{port}/docs", f"http://127.0.0.1:{port}/ui"):
        assert httpx.get(url, timeout=5.0, follow_redirects=True).status_code == 200  # /ui: sign-in

    pasted = subprocess.run(["bash", "-c", curl], capture_output=True, text=True, timeout=30)
    assert pasted.returncode == 0, pasted.stderr
    answer = json.loads(pasted.stdout)
    assert answer["results"][0]["decision"] == "create"
    assert answer["results"][0]["ticket"]["key"] == "OPS-1"  # ?wait=ticket: the demo shows it
    assert emulator_issues(emulator_port, expected=1) == ["OPS-1"]

    alerts = [
        {"source": "generic", "id": f"s-{n}", "title": f"sent {n}", "severity": "critical"}
        for n in range(3)
    ]
    (tmp_path / "alerts.jsonl").write_text("".join(json.dumps(a) + "\n" for a in alerts))
    token = (tmp_path / "var" / "dev-api-key").read_text().strip()
    sent = subprocess.run(
        [str(BIN / "ticketbridge"), "send", "alerts.jsonl", "--url", f"http://127.0.0.1:{port}"],
        cwd=tmp_path,
        env=os.environ | {"TICKETBRIDGE_API_KEY": token},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert sent.returncode == 0, sent.stdout + sent.stderr
    assert emulator_issues(emulator_port, expected=4) == ["OPS-1", "OPS-2", "OPS-3", "OPS-4"]

    assert process.stop() == 0
    with pytest.raises(httpx.TransportError):
        httpx.get(f"http://127.0.0.1:{emulator_port}/rest/api/3/myself", timeout=2.0)

"""Real processes for end-to-end tests: free loopback ports, readiness waits, clean stops."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path

import httpx

BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_ready(
    url: str, process: subprocess.Popen[bytes] | None = None, timeout: float = 30
) -> None:
    """Until `url` answers 200; fails early when the process died."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise AssertionError(f"process exited with {process.returncode} before {url} was up")
        try:
            if httpx.get(url, timeout=1.0).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise AssertionError(f"{url} never became ready")


def clean_env(extra: Mapping[str, str]) -> dict[str, str]:
    """The test's environment without any TICKETBRIDGE_* of the developer's, plus `extra`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("TICKETBRIDGE_")}
    return env | {"PYTHONUNBUFFERED": "1"} | dict(extra)


@contextmanager
def running(
    command: Sequence[str], *, ready_url: str, env: Mapping[str, str], cwd: Path, log: Path
) -> Iterator[subprocess.Popen[bytes]]:
    """Start `command`, wait for `ready_url`, and stop it with SIGINT (then SIGKILL) at the end."""
    with log.open("wb") as out:
        process = subprocess.Popen(
            list(command), cwd=cwd, env=dict(env), stdout=out, stderr=subprocess.STDOUT
        )
        try:
            wait_ready(ready_url, process)
            yield process
        except BaseException:
            out.flush()
            print(log.read_text(errors="replace")[-4000:])
            raise
        finally:
            if process.poll() is None:
                process.send_signal(signal.SIGINT)
                try:
                    process.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()

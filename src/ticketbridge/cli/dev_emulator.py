"""The Jira emulator `ticketbridge dev` runs as a child process, and the ports it needs.

Both ports are checked before anything starts: a busy one stops `dev` at once with a message
naming it (exit 2), instead of hanging or talking to whatever listens there. The emulator gets
a cloud id of its own, and `dev` waits until *that* site answers on the port: a foreign server
(another emulator, another dev) is never taken for ours.

The emulator's seed is the user's `--seed FILE` (components, issue types such as "Service
Request", workflows with statuses such as "Approved" — see `jira_emulator.seed`), checked here
first. `dev` then registers the webhook back to the service as a user would
(`bootstrap.jira_webhooks`, through Jira's admin REST API, with a secret).
"""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from ruamel.yaml.error import YAMLError

from jira_emulator.seed import build_state, load_seed_file
from ticketbridge.api.jira_connection import write_private
from ticketbridge.cli.common import Exit, fail

EMULATOR_EMAIL = "admin@example.com"
EMULATOR_TOKEN = "emulator-token"  # noqa: S105 - the emulator's documented demo credential
# A seed file is the user's: jira_emulator.seed trusts its shapes (a list where a list is due),
# so a wrong shape surfaces as one of these, reported like any bad seed.
_BAD_SEED = (ValueError, TypeError, KeyError, AttributeError, YAMLError)


@dataclass
class Emulator:
    process: subprocess.Popen[bytes]
    url: str
    cloud_id: str

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def ensure_free(host: str, port: int, what: str, how: str) -> None:
    """Exit 2 naming `what` when `host:port` cannot be bound (someone listens there)."""
    try:
        family, kind, proto, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
    except socket.gaierror as exc:
        fail(f"cannot bind {what} to {host}: {exc.strerror}", Exit.USAGE)
    with socket.socket(family, kind, proto) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn binds
        try:
            probe.bind(address)
        except OSError as exc:
            fail(
                f"the {what} port {port} on {host} is in use ({exc.strerror}): another "
                f"`ticketbridge dev` or server is running there. Stop it, or choose another "
                f"port: {how}",
                Exit.USAGE,
            )


def start_emulator(data_dir: Path, port: int, seed: Path | None) -> Emulator:
    """The emulator on 127.0.0.1:`port`, seeded, answering as its own site."""
    url = f"http://127.0.0.1:{port}"
    document = _seed_document(seed, url)
    data_dir.mkdir(parents=True, exist_ok=True)
    seed_file = data_dir / "dev-emulator-seed.json"
    write_private(seed_file, json.dumps(document, indent=2))
    cloud_id = str(uuid.uuid4())
    command = [sys.executable, "-m", "jira_emulator", "--port", str(port), "--flavor", "cloud"]
    command += ["--seed", str(seed_file), "--cloud-id", cloud_id]
    process = subprocess.Popen(command)  # noqa: S603 - our own module
    emulator = Emulator(process, url, cloud_id)
    _wait_for(emulator)
    return emulator


def _seed_document(seed: Path | None, url: str) -> dict[str, Any]:
    try:
        document = load_seed_file(seed) if seed is not None else {}
        build_state("cloud", url, document)  # every problem now, not in the child's log
    except OSError as exc:
        fail(f"cannot read the seed {seed}: {exc.strerror}", Exit.USAGE)
    except _BAD_SEED as exc:
        fail(f"the seed {seed} is not valid: {exc}", Exit.USAGE)
    return document


def _wait_for(emulator: Emulator, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if emulator.process.poll() is not None:
            fail(f"the Jira emulator exited (code {emulator.process.returncode})", Exit.JIRA)
        site = _site_at(emulator.url)
        if site == emulator.cloud_id:
            return
        if site is not None:
            emulator.stop()
            fail(f"{emulator.url} answers as another Jira site, not our emulator", Exit.USAGE)
        time.sleep(0.1)
    emulator.stop()
    fail(f"the Jira emulator did not answer on {emulator.url} within {timeout:.0f}s", Exit.JIRA)


def _site_at(url: str) -> str | None:
    """The cloud id the server at `url` answers with; None while nothing answers."""
    try:
        response = httpx.get(f"{url}/_edge/tenant_info", timeout=1.0)
    except httpx.TransportError:
        return None
    try:
        return str(response.json()["cloudId"])
    except (ValueError, KeyError, TypeError):
        return "(not a Jira)"

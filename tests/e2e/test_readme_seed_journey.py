"""The README's "Try a seed's journey" (Kushim), followed as written: `ticketbridge dev` with
the example configuration and the emulator seed the README names, then the README's own curl
and `explain` lines pasted into a shell; the emulated Jira read over HTTP after each step."""

from __future__ import annotations

import os
import queue
import re
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import httpx
from test_make_run_flow import EMULATOR_AUTH, DevProcess, wait_ready

from support.processes import free_port
from support.requirements import require

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


def readme_blocks() -> tuple[list[str], list[str]]:
    """The section's two shell blocks: how dev is started, and what the second terminal runs."""
    text = (ROOT / "README.md").read_text()
    section = text[text.index("### Try a seed's journey") :]
    section = section[: section.index("\nIn production:")]
    start, second = re.findall(r"```sh\n(.*?)```", section, re.S)
    return start.splitlines(), second.splitlines()


class ReadmeDev(DevProcess):
    """`make run` as the README starts it: its environment (the export, TICKETBRIDGE_CONFIG)
    and SEED, on free ports, in a directory of its own (dev keeps ./var there)."""

    def __init__(self, workdir: Path, port: int, emulator_port: int) -> None:
        env = {k: v for k, v in os.environ.items() if not k.startswith("TICKETBRIDGE_")}
        env |= {
            "PYTHONUNBUFFERED": "1",
            "COMPLIANCE_TOKEN": "dev-token",
            "TICKETBRIDGE_CONFIG": str(ROOT / "examples" / "compliance.yaml"),
        }
        seed = ROOT / "examples" / "jira-seeds" / "compliance.yaml"
        command = [str(BIN / "ticketbridge"), "dev", "--port", str(port)]
        command += ["--emulator-port", str(emulator_port), "--seed", str(seed)]
        self.process = subprocess.Popen(
            command,
            cwd=workdir,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        self.lines = queue.Queue()
        self.output = []
        threading.Thread(target=self._pump, daemon=True).start()


def issue(emulator_port: int, key: str) -> dict[str, Any]:
    url = f"http://127.0.0.1:{emulator_port}/rest/api/3/issue/{key}"
    found: dict[str, Any] = httpx.get(url, auth=EMULATOR_AUTH, timeout=5.0).json()
    return found


def settled(emulator_port: int, key: str, comments: int, timeout: float = 20.0) -> dict[str, Any]:
    """The issue's fields once it has `comments` comments (the outbox writes after the answer:
    `?wait=ticket` waits for the key, not for a resolve's comment)."""
    deadline = time.monotonic() + timeout
    while True:
        fields: dict[str, Any] = issue(emulator_port, key)["fields"]
        if len(fields["comment"]["comments"]) >= comments or time.monotonic() > deadline:
            return fields
        time.sleep(0.2)


def test_the_readmes_kushim_journey(tmp_path: Path) -> None:
    require(shutil.which("curl") is not None, "curl")
    start, second = readme_blocks()
    assert start == [
        "export COMPLIANCE_TOKEN=dev-token",
        "TICKETBRIDGE_CONFIG=examples/compliance.yaml make run "
        "SEED=examples/jira-seeds/compliance.yaml",
    ]
    port, emulator_port = free_port(), free_port()
    dev = ReadmeDev(tmp_path, port, emulator_port)
    try:
        dev.wait_for_line("curl ", timeout=60)
        wait_ready(f"http://127.0.0.1:{port}/readyz")
        shell = "\n".join(
            line.replace("http://127.0.0.1:8080", f"http://127.0.0.1:{port}")
            for line in second
            if not line.startswith(".venv/bin/ticketbridge")
        )
        answers = subprocess.run(
            ["bash", "-ec", shell], cwd=ROOT, capture_output=True, text=True, timeout=60
        )
        assert answers.returncode == 0, answers.stderr
        assert answers.stdout.count('"key":"INFRA-1"') == 3, answers.stdout

        fields = settled(emulator_port, "INFRA-1", comments=2)
        assert fields["summary"] == "[AWS_IAM_MFA] IAM MFA Enforcement - Compliance Failure"
        assert fields["assignee"]["emailAddress"] == "cloud-team@acme-corp.com"
        assert fields["status"]["statusCategory"]["key"] == "new"  # the example comments only
        comments = [str(c["body"]) for c in fields["comment"]["comments"]]
        assert any("The source reports this alert resolved" in c for c in comments), comments

        [explain] = [line for line in second if line.startswith(".venv/bin/ticketbridge")]
        command = [str(BIN / "ticketbridge"), *explain.split()[1:]]
        told = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, timeout=60)
        assert told.returncode == 0, told.stdout + told.stderr
        assert "resolve" in told.stdout, told.stdout
        assert "INFRA-1" in told.stdout, told.stdout
    finally:
        dev.stop()

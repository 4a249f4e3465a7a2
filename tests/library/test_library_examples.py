"""examples/library_*.py run as shipped against the emulator (JIRA_URL set, loopback allowed)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from library_harness import ROOT, JiraServer
from processes import clean_env


def run_example(name: str, jira: JiraServer, workdir: Path) -> list[str]:
    done = subprocess.run(
        [sys.executable, str(ROOT / "examples" / name)],
        cwd=workdir,
        env=clean_env({"JIRA_URL": jira.url, "TICKETBRIDGE_OUTBOUND_ALLOW": "127.0.0.1/32"}),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.splitlines()


def test_library_sync_example(cloud: JiraServer, workdir: Path) -> None:
    lines = run_example("library_sync.py", cloud, workdir)

    assert lines[0] == "Connected as Emulator Admin"
    assert lines[1] == "Rule routed the violation to COMPLIANCE-1"
    assert lines[2] == "Created OPS-1 and OPS-2"
    assert lines[-1] == "Synced twice: OPS-3 OPS-3"
    assert sorted(i["key"] for i in cloud.issues()) == ["COMPLIANCE-1", "OPS-1", "OPS-2", "OPS-3"]


def test_library_async_example(cloud: JiraServer, workdir: Path) -> None:
    lines = run_example("library_async.py", cloud, workdir)

    assert lines[0] == "Issues: ['AIGOV-1', 'AIGOV-2', 'AIGOV-3']"
    assert len(lines) == 4
    assert sorted(i["key"] for i in cloud.issues()) == ["AIGOV-1", "AIGOV-2", "AIGOV-3"]

"""README.md's "Use as a library" example, extracted and run as written (a fresh Python process,
a fresh working directory) against the emulator; `JIRA_URL` points it at the test's port and
TICKETBRIDGE_OUTBOUND_ALLOW admits loopback, as the section says."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from library_harness import ROOT, JiraServer
from processes import clean_env


def readme_example() -> str:
    readme = (ROOT / "README.md").read_text()
    section = readme.split("\n## Use as a library\n", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```python\n(.*?)```", section, re.S)
    assert len(blocks) == 1, "the section has exactly one python example"
    return str(blocks[0])


def test_the_readme_example_runs_as_written(cloud: JiraServer, workdir: Path) -> None:
    script = workdir / "example.py"
    script.write_text(readme_example())

    done = subprocess.run(
        [sys.executable, str(script)],
        cwd=workdir,
        env=clean_env({"JIRA_URL": cloud.url, "TICKETBRIDGE_OUTBOUND_ALLOW": "127.0.0.1/32"}),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [
        "Created: OPS-1 (Highest)",
        "- OPS-1: [critical] Hallucination Detected [To Do]",
        "Synced twice: OPS-2",
    ]
    issues = {i["key"]: i for i in cloud.issues()}
    assert sorted(issues) == ["OPS-1", "OPS-2"]
    assert issues["OPS-2"]["summary"] == "[high] High Hallucination Rate"
    assert cloud.issue("OPS-2")["fields"]["issuetype"]["name"] == "Incident"
    assert (workdir / "var" / "library.db").is_file()

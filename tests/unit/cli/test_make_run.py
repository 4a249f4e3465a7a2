"""`make run PORT=… EMULATOR_PORT=… SEED=…` reaches `ticketbridge dev` (issue 13: `make run`
could not choose its ports). `make -n` prints the commands without running them."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from support.requirements import require

ROOT = Path(__file__).resolve().parents[3]


def test_make_run_passes_the_ports_and_the_seed_to_dev() -> None:
    require(shutil.which("make") is not None, "make")
    printed = subprocess.run(
        ["make", "-n", "run", "PORT=8090", "EMULATOR_PORT=8091", "SEED=jira.yaml"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert printed.returncode == 0, printed.stderr
    command = " ".join(printed.stdout.replace("\\\n", " ").split())
    assert ".venv/bin/ticketbridge dev --port 8090 --emulator-port 8091 --seed jira.yaml" in command

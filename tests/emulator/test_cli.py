"""`ticketbridge emulator` and `python -m jira_emulator`: bad input is refused by name."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from typer.testing import CliRunner

from ticketbridge.cli.app import app


def test_unknown_flavor_is_refused() -> None:
    result = CliRunner().invoke(app, ["emulator", "--flavor", "server"])
    assert result.exit_code != 0
    assert "--flavor" in result.output


def test_bad_seed_file_names_the_problem(tmp_path: Path) -> None:
    seed = tmp_path / "seed.yaml"
    seed.write_text("projects:\n  - name: no key\n")
    done = subprocess.run(
        [sys.executable, "-m", "jira_emulator", "--seed", str(seed), "--port", "1"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode != 0
    assert "projects[0]: missing required field 'key'" in done.stderr

"""`ticketbridge emulator` and `python -m jira_emulator`: bad input is refused by name."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from support.processes import BIN, clean_env, free_port, running
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


@pytest.mark.parametrize(("flavor", "api"), [("cloud", "3"), ("datacenter", "2")])
def test_ticketbridge_emulator_serves_each_flavor(flavor: str, api: str, tmp_path: Path) -> None:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    command = [str(BIN / "ticketbridge"), "emulator", "--port", str(port), "--flavor", flavor]
    env = clean_env({})
    with running(
        command,
        ready_url=f"{base}/_emulator/health",
        env=env,
        cwd=tmp_path,
        log=tmp_path / "emulator.log",
    ):
        assert httpx.get(f"{base}/_emulator/health", timeout=5).json()["flavor"] == flavor
        info = httpx.get(f"{base}/rest/api/{api}/serverInfo", timeout=5)
    assert info.status_code == 200
    assert info.json()["deploymentType"] == ("Cloud" if flavor == "cloud" else "Server")

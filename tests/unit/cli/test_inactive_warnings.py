"""`config check` and start-up name each setting that is set but not active yet."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from support.processes import clean_env, free_port, wait_ready
from ticketbridge.cli import app

TICKETBRIDGE = str(Path(sys.executable).with_name("ticketbridge"))
CONFIG = """\
defaults: {project: OPS}
sync:
  approvals: {statuses: [Approved]}
  reconcile_every: 5m
"""
NAMED: dict[str, int] = {}  # approvals (line 3) and reconcile_every (line 4) are active


@pytest.fixture
def config_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("TICKETBRIDGE_PUBLIC_URL", raising=False)
    path = tmp_path / "ticketbridge.yaml"
    path.write_text(CONFIG)
    return path


def test_config_check_is_valid_and_names_each_inactive_setting(config_file: Path) -> None:
    result = CliRunner().invoke(app, ["config", "check", str(config_file)])
    assert result.exit_code == 0, result.output
    for key, line in NAMED.items():
        assert f"! {key} (line {line}): not active yet:" in result.output


def test_config_check_json_lists_them(config_file: Path) -> None:
    result = CliRunner().invoke(app, ["config", "check", str(config_file), "--json"])
    assert result.exit_code == 0, result.output
    inactive = json.loads(result.stdout)["inactive"]
    assert {(i["path"], i["line"]) for i in inactive} == set(NAMED.items())


def test_serve_logs_each_inactive_setting_at_start(config_file: Path, tmp_path: Path) -> None:
    port = free_port()
    env = clean_env(
        {
            "TICKETBRIDGE_CONFIG": str(config_file),
            "TICKETBRIDGE_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'tb.db'}",
            "TICKETBRIDGE_DATA_DIR": str(tmp_path / "var"),
            "TICKETBRIDGE_PUBLIC_URL": "https://tb.acme.example",
        }
    )
    command = [TICKETBRIDGE, "serve", "--port", str(port), "--workers", "0"]
    process = subprocess.Popen(command, env=env, cwd=tmp_path, stderr=subprocess.PIPE, text=True)
    try:
        wait_ready(f"http://127.0.0.1:{port}/healthz")
    finally:
        process.send_signal(signal.SIGINT)
        _, stderr = process.communicate(timeout=30)
    events = [json.loads(line) for line in stderr.splitlines() if line.startswith("{")]
    warned = {e["key"]: e.get("line") for e in events if e["event"] == "setting_not_active"}
    assert warned == NAMED  # TICKETBRIDGE_PUBLIC_URL is active: `jira webhook register` uses it

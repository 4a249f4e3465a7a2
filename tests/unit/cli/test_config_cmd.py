"""`ticketbridge config …`: exit codes and what is printed and stored (CliRunner, temp dirs)."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from ticketbridge.api.jira_connection import ConnectionStore
from ticketbridge.cli import app

BAD_CONFIG = """\
defaults:
  project: OPS
  min_severity: urgent
routes:
  - name: x
    bogus: 1
"""


@pytest.fixture
def runner(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.chdir(tmp_path)
    for name in ("TICKETBRIDGE_SECRET_KEY", "TICKETBRIDGE_CONFIG", "TICKETBRIDGE_DATA_DIR"):
        monkeypatch.delenv(name, raising=False)
    return CliRunner()


def test_config_check_lists_every_problem_with_path_and_line(runner: CliRunner) -> None:
    Path("bad.yaml").write_text(BAD_CONFIG)
    result = runner.invoke(app, ["config", "check", "bad.yaml"])
    assert result.exit_code == 2
    assert "defaults.min_severity (line 3)" in result.output
    assert "routes[0].bogus (line 6)" in result.output


def test_config_check_valid_file_exits_0(runner: CliRunner) -> None:
    Path("ok.yaml").write_text("defaults:\n  project: SEC\n")
    result = runner.invoke(app, ["config", "check", "ok.yaml", "--json"])
    assert result.exit_code == 0, result.output
    assert '"valid": true' in result.output


def test_config_check_missing_file_is_bad_usage(runner: CliRunner) -> None:
    result = runner.invoke(app, ["config", "check", "nope.yaml"])
    assert result.exit_code == 2
    assert "nope.yaml" in result.output


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--cloud-url", "https://acme.atlassian.net", "--email", "a@b.c"], "--api-token"),
        (["--server-url", "https://jira.acme.com"], "--username"),
        (["--server-url", "https://j", "--pat", "p", "--username", "u"], "not both"),
        (["--cloud-url", "https://a", "--server-url", "https://b"], "exclude each other"),
        ([], "--cloud-url"),
    ],
)
def test_config_jira_bad_usage_exits_2(runner: CliRunner, args: list[str], expected: str) -> None:
    result = runner.invoke(app, ["config", "jira", *args])
    assert result.exit_code == 2
    assert expected in result.output


def test_config_jira_stores_the_secret_encrypted(
    runner: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TICKETBRIDGE_SECRET_KEY", "a-long-random-server-secret")
    args = ["--server-url", "https://jira.acme.com", "--pat", "pat-s3cret-value"]
    result = runner.invoke(app, ["config", "jira", *args, "--project-key", "SEC"])
    assert result.exit_code == 0, result.output
    stored = Path("var/jira-connection.json").read_text()
    assert "pat-s3cret-value" not in stored
    loaded = ConnectionStore(Path("var"), "a-long-random-server-secret").load()
    assert loaded is not None
    assert loaded.project_key == "SEC"
    assert loaded.jira.flavor == "datacenter"
    assert loaded.jira.auth.type == "pat"
    assert loaded.jira.auth.token.get_secret_value() == "pat-s3cret-value"


def test_stored_connection_refuses_the_wrong_key(runner: CliRunner) -> None:
    args = ["--cloud-url", "https://acme.atlassian.net", "--email", "a@b.c", "--api-token", "t"]
    assert runner.invoke(app, ["config", "jira", *args]).exit_code == 0
    assert Path("var/secret.key").stat().st_mode & 0o777 == 0o600
    result = runner.invoke(app, ["config", "jira", "--test"], env={"TICKETBRIDGE_SECRET_KEY": "x"})
    assert result.exit_code == 2
    assert "auth.api_token" in result.output

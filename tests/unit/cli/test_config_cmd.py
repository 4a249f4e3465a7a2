"""`ticketbridge config …`: exit codes and what is printed and stored (CliRunner, temp dirs)."""

from __future__ import annotations

import os
import pty
import select
import sys
import termios
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ticketbridge.api.jira_connection import ConnectionStore
from ticketbridge.cli import app

SECRET_VARIABLES = (
    "TICKETBRIDGE_JIRA_API_TOKEN",
    "TICKETBRIDGE_JIRA_PAT",
    "TICKETBRIDGE_JIRA_PASSWORD",
)
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
    for name in ("TICKETBRIDGE_SECRET_KEY", "TICKETBRIDGE_CONFIG", "TICKETBRIDGE_DATA_DIR",
                 *SECRET_VARIABLES):  # fmt: skip
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
        (
            ["--cloud-url", "https://acme.atlassian.net", "--email", "a@b.c"],
            "TICKETBRIDGE_JIRA_API",
        ),
        (["--server-url", "https://jira.acme.com"], "TICKETBRIDGE_JIRA_PAT"),
        (["--server-url", "https://jira.acme.com", "--username", "u"], "TICKETBRIDGE_JIRA_PASS"),
        (["--cloud-url", "https://acme.atlassian.net", "--api-token", "t"], "--email"),
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


def test_config_jira_takes_the_secret_from_the_environment_not_argv(
    runner: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TICKETBRIDGE_SECRET_KEY", "a-long-random-server-secret")
    monkeypatch.setenv("TICKETBRIDGE_JIRA_API_TOKEN", "token-from-the-env")
    args = ["--cloud-url", "https://acme.atlassian.net", "--email", "a@b.c"]
    result = runner.invoke(app, ["config", "jira", *args])
    assert result.exit_code == 0, result.output
    assert "visible to other users" not in result.output
    loaded = ConnectionStore(Path("var"), "a-long-random-server-secret").load()
    assert loaded is not None
    assert loaded.jira.auth.type == "token"
    assert loaded.jira.auth.api_token.get_secret_value() == "token-from-the-env"


def test_config_jira_warns_when_a_secret_is_on_the_command_line(runner: CliRunner) -> None:
    args = ["--server-url", "https://jira.acme.com", "--pat", "pat-on-argv"]
    result = runner.invoke(app, ["config", "jira", *args])
    assert result.exit_code == 0, result.output
    assert "--pat on the command line is visible to other users" in result.output
    assert "TICKETBRIDGE_JIRA_PAT" in result.output


def test_config_jira_prompts_for_the_secret_without_echo(tmp_path: Path) -> None:
    """On a terminal, a missing secret is asked for with echo off, and stored."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("TICKETBRIDGE_")}
    env |= {"TICKETBRIDGE_SECRET_KEY": "a-long-random-server-secret", "NO_COLOR": "1"}
    command = [str(Path(sys.executable).with_name("ticketbridge")), "config", "jira",
               "--server-url", "https://jira.acme.com", "--username", "ops"]  # fmt: skip
    pid, terminal = pty.fork()
    if pid == 0:  # the child: the pty is its controlling terminal
        os.chdir(tmp_path)
        os.execve(command[0], command, env)
    shown = _read_until(terminal, b"Jira password:")
    _wait_for_echo_off(terminal)  # typed earlier, the line would be flushed when it turns off
    os.write(terminal, b"typed-s3cret\n")
    shown += _read_until(terminal, b"saved")
    _, status = os.waitpid(pid, 0)
    os.close(terminal)
    assert os.waitstatus_to_exitcode(status) == 0, shown
    assert b"typed-s3cret" not in shown  # not echoed
    loaded = ConnectionStore(tmp_path / "var", "a-long-random-server-secret").load()
    assert loaded is not None
    assert loaded.jira.auth.type == "basic"
    assert loaded.jira.auth.password.get_secret_value() == "typed-s3cret"


def _wait_for_echo_off(fd: int) -> None:
    deadline = time.monotonic() + 30
    while termios.tcgetattr(fd)[3] & termios.ECHO:
        assert time.monotonic() < deadline, "the prompt never turned echo off"
        time.sleep(0.01)


def _read_until(fd: int, marker: bytes) -> bytes:
    seen = b""
    while marker not in seen:
        ready, _, _ = select.select([fd], [], [], 30)
        assert ready, f"no {marker!r} within 30 s; saw {seen!r}"
        try:
            chunk = os.read(fd, 1024)
        except OSError:  # the child closed the terminal
            break
        if not chunk:
            break
        seen += chunk
    return seen


@pytest.mark.parametrize(
    ("url", "why"),
    [
        ("https://169.254.169.254", "link-local"),
        ("https://10.0.0.5", "private address"),
        ("https://[::ffff:127.0.0.1]", "loopback"),
        ("https://2130706433", "loopback"),  # 127.0.0.1 in decimal
        ("http://jira.acme.com", "credentials in clear"),
    ],
)
def test_config_jira_refuses_a_guarded_url_and_stores_nothing(
    runner: CliRunner, url: str, why: str
) -> None:
    args = ["--server-url", url, "--pat", "p"]
    result = runner.invoke(app, ["config", "jira", *args])
    assert result.exit_code == 2, result.output
    assert "--server-url" in result.output
    assert why in result.output
    assert not Path("var/jira-connection.json").exists()


def test_config_jira_allow_private_stores_the_opt_in(runner: CliRunner) -> None:
    args = ["--server-url", "https://10.0.0.5", "--pat", "p", "--allow-private"]
    assert runner.invoke(app, ["config", "jira", *args]).exit_code == 0
    loaded = ConnectionStore(Path("var"), None).load()
    assert loaded is not None
    assert loaded.jira.allow_private is True


def test_connection_files_are_private_and_never_written_through_a_planted_link(
    runner: CliRunner, tmp_path: Path
) -> None:
    """Written 0600 in a 0700 directory; a symlink planted where the store puts its temporary
    file (by another user of a shared /var) does not receive the connection."""
    outside = tmp_path / "outside"
    outside.mkdir()
    var = Path("var")
    var.mkdir(mode=0o700)
    for planted in ("jira-connection.tmp", ".jira-connection.json.tmp"):
        (var / planted).symlink_to(outside / planted)
    previous = os.umask(0)  # the most permissive umask: the modes must not depend on it
    try:
        args = ["--cloud-url", "https://acme.atlassian.net", "--email", "a@b.c"]
        token = {"TICKETBRIDGE_JIRA_API_TOKEN": "t0k"}
        result = runner.invoke(app, ["config", "jira", *args], env=token)
    finally:
        os.umask(previous)
    assert result.exit_code == 0, result.output
    assert list(outside.iterdir()) == []
    assert (var / "jira-connection.json").stat().st_mode & 0o777 == 0o600
    assert (var / "secret.key").stat().st_mode & 0o777 == 0o600


def test_a_new_var_directory_is_private(runner: CliRunner) -> None:
    args = ["--cloud-url", "https://acme.atlassian.net", "--email", "a@b.c"]
    result = runner.invoke(app, ["config", "jira", *args], env={"TICKETBRIDGE_JIRA_API_TOKEN": "t"})
    assert result.exit_code == 0, result.output
    assert Path("var").stat().st_mode & 0o777 == 0o700


def test_a_stored_name_resolving_to_loopback_is_refused_when_used(runner: CliRunner) -> None:
    """The real network path is guarded: `localhost` passes the check without DNS, and is
    refused once resolved, before any connection (exit 2: the URL must change)."""
    args = ["--cloud-url", "https://localhost:9", "--email", "a@b.c"]
    token = {"TICKETBRIDGE_JIRA_API_TOKEN": "t"}
    assert runner.invoke(app, ["config", "jira", *args], env=token).exit_code == 0
    result = runner.invoke(app, ["config", "jira", "--test"])
    assert result.exit_code == 2, result.output
    assert "not connecting: jira.url: localhost resolves to" in result.output
    assert "is a loopback address" in result.output  # 127.0.0.1 or ::1, as the host says
    assert "--allow-private" in result.output


def test_a_stored_webhook_secret_is_kept_encrypted_not_masked(tmp_path: Path) -> None:
    """The connection file kept the webhook's secret as '**********' (a dump of a SecretStr):
    encrypted like the auth secrets, it reads back whole."""
    from ticketbridge.api.jira_connection import StoredConnection
    from ticketbridge.config.integrations import JiraConfig

    jira = JiraConfig.model_validate(
        {
            "url": "https://acme.atlassian.net",
            "auth": {"type": "token", "email": "ops@acme.com", "api_token": "jira-token-1"},
            "webhook": {"secret": "hook-secret-2"},
        }
    )
    store = ConnectionStore(tmp_path, "a-long-random-server-secret")
    store.save(StoredConnection(jira, "OPS"))
    text = store.path.read_text()
    assert "hook-secret-2" not in text
    assert "**********" not in text
    loaded = store.load()
    assert loaded is not None
    assert loaded.jira.webhook.secret is not None
    assert loaded.jira.webhook.secret.get_secret_value() == "hook-secret-2"
    assert loaded.jira.auth.api_token.get_secret_value() == "jira-token-1"  # type: ignore[union-attr]

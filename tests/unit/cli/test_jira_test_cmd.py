"""`ticketbridge config jira --test` against the emulator over real HTTP (a thread), and the
exit code 3 when Jira is unreachable or refuses us."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn
from typer.testing import CliRunner

from jira_emulator import Emulator
from support.processes import free_port
from ticketbridge.api.jira_connection import ConnectionStore
from ticketbridge.cli import app


def serve_in_thread(flavor: str) -> Iterator[str]:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    emulator = Emulator(flavor=flavor, base_url=url)
    server = uvicorn.Server(
        uvicorn.Config(emulator.app, host="127.0.0.1", port=port, log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.02)
    yield url
    server.should_exit = True
    thread.join(timeout=5)


@pytest.fixture
def cloud() -> Iterator[str]:
    yield from serve_in_thread("cloud")


@pytest.fixture
def datacenter() -> Iterator[str]:
    yield from serve_in_thread("datacenter")


@pytest.fixture
def runner(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("TICKETBRIDGE_SECRET_KEY", "test-secret")
    monkeypatch.delenv("TICKETBRIDGE_CONFIG", raising=False)
    monkeypatch.delenv("TICKETBRIDGE_JIRA_API_TOKEN", raising=False)
    return CliRunner()


def test_cloud_connection_is_stored_and_tested(runner: CliRunner, cloud: str) -> None:
    args = ["--cloud-url", cloud, "--email", "admin@example.com", "--allow-private"]
    runner.env = {"TICKETBRIDGE_JIRA_API_TOKEN": "emulator-token"}
    result = runner.invoke(app, ["config", "jira", *args, "--project-key", "OPS", "--test"])
    assert result.exit_code == 0, result.output
    assert "✓ Connected successfully to Jira" in result.output
    assert "admin@example.com" in result.output
    assert "cloud" in result.output
    assert "REST v3" in result.output
    for key in ("OPS", "AIGOV", "COMPLIANCE", "SEC", "INFRA"):
        assert key in result.output
    again = runner.invoke(app, ["config", "jira", "--test", "--json"])
    assert again.exit_code == 0, again.output
    assert '"flavor": "cloud"' in again.output


def test_datacenter_with_a_pat(runner: CliRunner, datacenter: str) -> None:
    args = ["--server-url", datacenter, "--pat", "emulator-pat", "--allow-private", "--test"]
    result = runner.invoke(app, ["config", "jira", *args])
    assert result.exit_code == 0, result.output
    assert "datacenter" in result.output
    assert "REST v2" in result.output


def test_refused_credentials_exit_3_with_the_reason(runner: CliRunner, cloud: str) -> None:
    args = ["--cloud-url", cloud, "--email", "admin@example.com", "--api-token", "wrong"]
    result = runner.invoke(app, ["config", "jira", *args, "--allow-private", "--test"])
    assert result.exit_code == 3
    assert "refused" in result.output
    assert "Jira answered 401 to GET myself: check the credentials" in result.output


def test_unreachable_jira_exits_3(runner: CliRunner) -> None:
    url = f"http://127.0.0.1:{free_port()}"
    args = ["--cloud-url", url, "--email", "a@b.c", "--api-token", "t", "--allow-private", "--test"]
    result = runner.invoke(app, ["config", "jira", *args])
    assert result.exit_code == 3
    assert "unreachable" in result.output


def test_no_jira_configured_is_a_config_error(runner: CliRunner) -> None:
    result = runner.invoke(app, ["config", "jira", "--test"])
    assert result.exit_code == 2
    assert "no Jira is configured" in result.output


def stored_token() -> str | None:
    """The API token of the connection stored in ./var (what `serve` would use)."""
    stored = ConnectionStore(Path("var"), "test-secret").load()
    if stored is None:
        return None
    assert stored.jira.auth.type == "token"
    return stored.jira.auth.api_token.get_secret_value()


def test_a_failing_test_never_replaces_a_working_connection(runner: CliRunner, cloud: str) -> None:
    site = ["--cloud-url", cloud, "--email", "admin@example.com", "--allow-private"]
    working = runner.invoke(app, ["config", "jira", *site, "--api-token", "emulator-token"])
    assert working.exit_code == 0, working.output

    wrong = runner.invoke(app, ["config", "jira", *site, "--api-token", "wrong", "--test"])
    assert wrong.exit_code == 3
    assert "Jira answered 401 to GET myself" in wrong.output
    assert "not saved" in wrong.output
    assert stored_token() == "emulator-token"
    assert runner.invoke(app, ["config", "jira", "--test"]).exit_code == 0


def test_save_anyway_saves_a_connection_whose_test_fails(runner: CliRunner, cloud: str) -> None:
    args = ["--cloud-url", cloud, "--email", "admin@example.com", "--allow-private"]
    args += ["--api-token", "not-yet-valid", "--test", "--save-anyway"]
    result = runner.invoke(app, ["config", "jira", *args])
    assert result.exit_code == 3
    assert "saved anyway" in result.output
    assert stored_token() == "not-yet-valid"


def test_a_new_connection_is_saved_only_once_its_test_passed(runner: CliRunner, cloud: str) -> None:
    args = ["--cloud-url", cloud, "--email", "admin@example.com", "--allow-private"]
    result = runner.invoke(app, ["config", "jira", *args, "--api-token", "wrong", "--test"])
    assert result.exit_code == 3
    assert stored_token() is None
    result = runner.invoke(
        app, ["config", "jira", *args, "--api-token", "emulator-token", "--test", "--json"]
    )
    assert result.exit_code == 0, result.output
    assert '"saved": true' in result.output
    assert stored_token() == "emulator-token"


def test_the_default_project_is_checked(runner: CliRunner, cloud: str) -> None:
    args = ["--cloud-url", cloud, "--email", "admin@example.com", "--allow-private"]
    args += ["--api-token", "emulator-token", "--test"]
    result = runner.invoke(app, ["config", "jira", *args, "--project-key", "NOPE"])
    assert result.exit_code == 2
    assert "project_key" in result.output
    assert "'NOPE'" in result.output
    assert stored_token() is None

    Path("ticketbridge.yaml").write_text("defaults:\n  project: GONE\n")
    result = runner.invoke(app, ["config", "jira", *args, "--project-key", "SEC"])
    assert result.exit_code == 2
    assert "defaults.project" in result.output
    assert "'GONE'" in result.output


def test_save_anyway_needs_test(runner: CliRunner, cloud: str) -> None:
    args = ["--cloud-url", cloud, "--email", "a@b.c", "--api-token", "t", "--save-anyway"]
    result = runner.invoke(app, ["config", "jira", *args])
    assert result.exit_code == 2
    assert "--save-anyway goes with --test" in result.output
    assert stored_token() is None

"""The outbox workers' variables are process settings: `config.settings` reads and checks them
(TICKETBRIDGE_JOB_LEASE_SECONDS, TICKETBRIDGE_JOB_SETTLE_SECONDS, TICKETBRIDGE_JOB_CRASH_LIMIT,
TICKETBRIDGE_DONE_JOB_RETENTION_DAYS) and `bootstrap` builds `WorkerSettings` from them. Each
table row: the environment in, the worker settings (or the refusal naming the variable) out."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ticketbridge.bootstrap import load_settings, worker_settings_from
from ticketbridge.config.settings import Settings
from ticketbridge.errors import ConfigError
from ticketbridge.services import WorkerSettings

README = Path(__file__).resolve().parents[3] / "README.md"
# Options of the client command `ticketbridge send` (typer envvars), not process settings;
# and the test suite's own switch.
NOT_PROCESS_SETTINGS = {
    "TICKETBRIDGE_URL",
    "TICKETBRIDGE_API_KEY",
    "TICKETBRIDGE_REQUIRE_ALL",
    # `config jira`'s secrets (its options' variables)
    "TICKETBRIDGE_JIRA_API_TOKEN",
    "TICKETBRIDGE_JIRA_PAT",
    "TICKETBRIDGE_JIRA_PASSWORD",
    "TICKETBRIDGE_JIRA_CLIENT_SECRET",
}
LEASE, SETTLE, CRASHES, RETENTION = (
    "TICKETBRIDGE_JOB_LEASE_SECONDS",
    "TICKETBRIDGE_JOB_SETTLE_SECONDS",
    "TICKETBRIDGE_JOB_CRASH_LIMIT",
    "TICKETBRIDGE_DONE_JOB_RETENTION_DAYS",
)


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({}, WorkerSettings()),
        ({LEASE: "10"}, WorkerSettings(lease=timedelta(seconds=10))),
        ({LEASE: "7.5"}, WorkerSettings(lease=timedelta(seconds=7.5))),
        ({SETTLE: "30"}, WorkerSettings(settle_delay=timedelta(seconds=30))),
        ({SETTLE: "1.5"}, WorkerSettings(settle_delay=timedelta(seconds=1.5))),
        (
            {CRASHES: "3", RETENTION: "0.5"},
            WorkerSettings(crash_limit=3, done_retention=timedelta(hours=12)),
        ),
        ({RETENTION: "0"}, WorkerSettings(done_retention=timedelta(0))),
        # blank is "not set"
        ({LEASE: " ", SETTLE: "", CRASHES: "", RETENTION: "\t"}, WorkerSettings()),
        ({"ticketbridge_job_crash_limit": "9"}, WorkerSettings(crash_limit=9)),
    ],
)
def test_worker_settings_come_from_the_environment(
    env: dict[str, str], expected: WorkerSettings
) -> None:
    assert worker_settings_from(load_settings(env)) == expected


@pytest.mark.parametrize(
    ("env", "variable", "message"),
    [
        ({LEASE: "soon"}, LEASE, "valid number"),
        ({LEASE: "1"}, LEASE, "greater than or equal to 5"),
        ({LEASE: "86401"}, LEASE, "less than or equal to 86400"),
        ({LEASE: "inf"}, LEASE, "finite number"),
        ({LEASE: "nan"}, LEASE, "finite number"),
        ({SETTLE: "soon"}, SETTLE, "valid number"),
        ({SETTLE: "0"}, SETTLE, "greater than or equal to 1"),
        ({SETTLE: "-5"}, SETTLE, "greater than or equal to 1"),
        ({SETTLE: "601"}, SETTLE, "less than or equal to 600"),
        ({SETTLE: "inf"}, SETTLE, "finite number"),
        ({CRASHES: "2.5"}, CRASHES, "valid integer"),
        ({CRASHES: "0"}, CRASHES, "greater than or equal to 1"),
        ({RETENTION: "-1"}, RETENTION, "greater than or equal to 0"),
    ],
)
def test_a_bad_worker_setting_is_refused_by_name(
    env: dict[str, str], variable: str, message: str
) -> None:
    with pytest.raises(ConfigError) as refused:
        load_settings(env)
    [problem] = refused.value.problems
    assert (problem.path, message in problem.message) == (variable, True)
    assert env[variable] not in str(refused.value)  # the value itself is never echoed


@pytest.mark.parametrize(
    ("value", "expected"),
    [("30", WorkerSettings(lease=timedelta(seconds=30))), ("", WorkerSettings())],
)
def test_the_process_environment_is_read_when_settings_load(
    monkeypatch: pytest.MonkeyPatch, value: str, expected: WorkerSettings
) -> None:
    monkeypatch.setenv(LEASE, value)
    assert worker_settings_from(load_settings()) == expected


def test_every_documented_process_variable_is_a_setting() -> None:
    documented = set(re.findall(r"TICKETBRIDGE_[A-Z_]*[A-Z]", README.read_text()))
    unknown = {
        name
        for name in documented - NOT_PROCESS_SETTINGS
        if name.removeprefix("TICKETBRIDGE_").lower() not in Settings.model_fields
    }
    assert {LEASE, SETTLE, CRASHES, RETENTION} <= documented
    assert unknown == set()


def test_a_bad_variable_is_a_usage_error_naming_it_not_a_traceback(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from ticketbridge.cli import app

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("TICKETBRIDGE_DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'tb.db'}")
    monkeypatch.setenv(LEASE, "soon")
    result = CliRunner().invoke(app, ["db", "upgrade"])
    assert result.exit_code == 2
    assert f"{LEASE}: Input should be a valid number" in result.output
    assert isinstance(result.exception, SystemExit)  # a clean exit, not an exception
    assert not (tmp_path / "tb.db").exists()  # refused before anything was done

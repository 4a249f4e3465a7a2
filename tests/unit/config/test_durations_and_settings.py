"""Durations as written in YAML; environment settings."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from ticketbridge.bootstrap import load_configured
from ticketbridge.config import (
    Config,
    format_duration,
    load_settings,
    parse_duration,
)
from ticketbridge.errors import ConfigError


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("7d", timedelta(days=7)),
        ("24h", timedelta(hours=24)),
        ("+2d", timedelta(days=2)),
        ("30m", timedelta(minutes=30)),
        ("45s", timedelta(seconds=45)),
        ("2w", timedelta(days=14)),
        ("1d12h", timedelta(days=1, hours=12)),
        (" 1d 2h ", timedelta(days=1, hours=2)),
    ],
)
def test_parse_duration(text: str, expected: timedelta) -> None:
    assert parse_duration(text) == expected


@pytest.mark.parametrize("text", ["", "7", "d", "7x", "-2d", "1.5h", "soon", "2d+"])
def test_parse_duration_refuses(text: str) -> None:
    with pytest.raises(ValueError, match="is not a duration"):
        parse_duration(text)


@pytest.mark.parametrize(
    ("value", "text"),
    [(timedelta(days=1, hours=12), "1d12h"), (timedelta(days=14), "14d"), (timedelta(), "0s")],
)
def test_format_duration(value: timedelta, text: str) -> None:
    assert format_duration(value) == text
    assert parse_duration(text) == value


def test_settings_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TICKETBRIDGE_PORT", "9999")  # given a mapping, only the mapping is read
    monkeypatch.setenv("TICKETBRIDGE_DATABASE_URL", "postgresql+asyncpg://db.example/tb")
    settings = load_settings({})
    assert settings.database_url == "sqlite+aiosqlite:///./var/ticketbridge.db"
    assert settings.config == Path("ticketbridge.yaml")
    assert settings.data_dir == Path("./var")
    assert settings.secret_key is None
    assert settings.log_level == "INFO"
    assert (settings.host, settings.port, settings.workers) == ("127.0.0.1", 8080, 1)


def test_settings_from_environment() -> None:
    settings = load_settings(
        {
            "TICKETBRIDGE_DATABASE_URL": "postgresql+asyncpg://tb@db/tb",
            "TICKETBRIDGE_SECRET_KEY": "k" * 44,
            "TICKETBRIDGE_LOG_LEVEL": "debug",
            "TICKETBRIDGE_PORT": "9000",
            "UNRELATED": "x",
        }
    )
    assert settings.database_url == "postgresql+asyncpg://tb@db/tb"
    assert settings.secret_key is not None
    assert settings.secret_key.get_secret_value() == "k" * 44
    assert settings.log_level == "DEBUG"
    assert settings.port == 9000


def test_settings_read_process_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TICKETBRIDGE_WORKERS", "3")
    assert load_settings().workers == 3


def test_bad_setting_names_the_variable_not_the_value() -> None:
    with pytest.raises(ConfigError) as caught:
        load_settings({"TICKETBRIDGE_PORT": "not-a-port"})
    assert caught.value.problems[0].path == "TICKETBRIDGE_PORT"


def test_absent_default_config_file_means_defaults(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    assert load_configured(load_settings({})) == Config()


def test_absent_explicit_config_file_is_an_error(tmp_path: Path) -> None:
    settings = load_settings({"TICKETBRIDGE_CONFIG": str(tmp_path / "nope.yaml")})
    with pytest.raises(ConfigError):
        load_configured(settings)


def test_explicit_config_file_is_loaded(tmp_path: Path) -> None:
    path = tmp_path / "tb.yaml"
    path.write_text("defaults: {project: SEC}\n")
    settings = load_settings({"TICKETBRIDGE_CONFIG": str(path)})
    assert load_configured(settings).defaults.project == "SEC"

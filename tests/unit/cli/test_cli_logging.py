"""Every command logs to stderr: a warning logged while a one-shot command prints `--json`
leaves stdout parseable (issue: structlog's defaults wrote log lines to stdout)."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator

import pytest
import structlog
from typer.testing import CliRunner

from ticketbridge.cli import app
from ticketbridge.cli.common import JsonOption, print_json


def _warns_then_prints(as_json: JsonOption = False) -> None:
    structlog.get_logger("ticketbridge").warning("something_odd", token="tb_live_secret-value")
    print_json({"ok": True})


@pytest.fixture
def warning_command() -> Iterator[str]:
    """A one-shot command of the real app that logs a warning, as `report` or `sync` may;
    logging as a process starts it: structlog's defaults, no root handler."""
    root = logging.getLogger()
    saved = (list(root.handlers), root.level, structlog.get_config())
    structlog.reset_defaults()
    root.handlers.clear()
    app.command("warns-then-prints")(_warns_then_prints)
    try:
        yield "warns-then-prints"
    finally:
        app.registered_commands.pop()
        root.handlers[:], root.level = saved[0], saved[1]
        structlog.configure(**saved[2])


def test_log_lines_go_to_stderr_and_json_stays_on_stdout(warning_command: str) -> None:
    result = CliRunner().invoke(app, [warning_command, "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == {"ok": True}
    assert "something_odd" in result.stderr
    assert "tb_live_secret-value" not in result.stderr  # redacted as serve's logs are

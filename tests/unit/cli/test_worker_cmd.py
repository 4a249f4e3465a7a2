"""`ticketbridge worker` against a database below the code's migration head: exit 2 naming
`ticketbridge db upgrade`, as every command on a database that is not ready; no trace."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from ticketbridge.cli import app


def test_worker_on_an_unmigrated_database_says_to_upgrade(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("TICKETBRIDGE_DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'tb.db'}")
    monkeypatch.setenv("TICKETBRIDGE_DATA_DIR", str(tmp_path / "var"))
    result = CliRunner().invoke(app, ["worker"])
    assert result.exit_code == 2, result.output
    assert "run `ticketbridge db upgrade`" in result.stderr
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)

"""`ticketbridge sla recompute`: every issue's clocks computed again under the SLA configured
now (a ticket created long ago is breached under a 1 h budget); without any `sla:` it says so
and exits 2."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from integration.pipeline.pipeline_harness import Pipeline
from ticketbridge.cli import app
from ticketbridge.providers.fake import FakeProvider
from ticketbridge.storage import Database

SLA = """\
defaults:
  sla: {first_response: {high: 1h}, resolution: {high: 4h}}
"""
ALERT = {"id": "a-1", "source": "generic", "title": "disk full", "severity": "high"}


async def _one_issue(url: str) -> None:
    db = Database(url)
    await db.upgrade()
    try:
        pipe = Pipeline(db, FakeProvider(), "")
        await pipe.send(ALERT | {"occurred_at": "2020-01-01T00:00:00Z"})
        await pipe.drain()
    finally:
        await db.aclose()


@pytest.fixture
def store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    url = f"sqlite+aiosqlite:///{tmp_path / 'tb.db'}"
    monkeypatch.setenv("TICKETBRIDGE_DATABASE_URL", url)
    asyncio.run(_one_issue(url))
    path = tmp_path / "ticketbridge.yaml"
    monkeypatch.setenv("TICKETBRIDGE_CONFIG", str(path))
    return path


def test_recompute_marks_the_breach_the_history_shows(store: Path) -> None:
    store.write_text(SLA)
    result = CliRunner().invoke(app, ["sla", "recompute", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output) == {
        "looked": 1,
        "at_risk": 0,
        "breached": 1,
        "newly_breached": 1,
    }
    explained = CliRunner().invoke(app, ["explain", "a-1"])
    moments = "at risk 2020-01-01T00:45:00+00:00, breached 2020-01-01T01:00:00+00:00"
    assert f"sla:         breached ({moments})" in explained.output


def test_without_an_sla_it_says_so_and_exits_2(store: Path) -> None:
    store.write_text("defaults: {project: OPS}\n")
    result = CliRunner().invoke(app, ["sla", "recompute"])
    assert result.exit_code == 2
    assert "no SLA is configured" in result.output
